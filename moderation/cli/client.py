"""The reference client: signs and posts a comment exactly as an article page's backend should."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from moderation.signing import sign


def _post(url: str, secret: str, payload: dict[str, Any], headers: dict[str, str],
          timeout: float) -> tuple[int, dict[str, Any]]:
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "X-Signature": sign(secret, body), **headers}
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")


def post_comment(
    base_url: str, site: str, secret: str, payload: dict[str, Any], *,
    idempotency_key: str | None = None, timeout: float = 10.0,
) -> tuple[int, dict[str, Any]]:
    """POST `payload` to the intake, signed with the site's secret; returns (status, JSON body)."""
    headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
    return _post(f"{base_url.rstrip('/')}/v1/sites/{site}/comments", secret, payload, headers, timeout)


def report_comment(
    base_url: str, site: str, secret: str, comment_id: str, *, reporter_id: str, reason: str, timeout: float = 10.0,
) -> tuple[int, dict[str, Any]]:
    """A reader's report of a published comment, signed like a comment: 201 counted, 200 already reported by them."""
    payload = {"reason": reason, "reporter": {"id": reporter_id}}
    return _post(f"{base_url.rstrip('/')}/v1/sites/{site}/comments/{comment_id}/reports", secret, payload, {},
                 timeout)
