"""The reference client: signs and posts a comment exactly as an article page's backend should."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from typing import Any

from moderation.signing import sign


def post_comment(
    base_url: str, site: str, secret: str, payload: dict[str, Any], *,
    idempotency_key: str | None = None, timeout: float = 10.0,
) -> tuple[int, dict[str, Any]]:
    """POST `payload` to the intake, signed with the site's secret; returns (status, JSON body)."""
    body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
    headers = {"Content-Type": "application/json", "X-Signature": sign(secret, body)}
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    url = f"{base_url.rstrip('/')}/v1/sites/{site}/comments"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"{}")
