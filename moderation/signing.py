"""The webhook signature scheme: `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t." + body)>`."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

from moderation.errors import BadSignature


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of `"<timestamp>." + body` under `secret`."""
    message = str(timestamp).encode("ascii") + b"." + body
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The full `X-Signature` header value for `body`, signed now unless a time is given."""
    ts = int(time.time()) if timestamp is None else timestamp
    return f"t={ts},v1={signature(secret, ts, body)}"


def verify(header: str | None, secret: str | Sequence[str], body: bytes, *, window: int = 300,
           now: float | None = None) -> int:
    """Check `header` against `body`; return its timestamp or raise BadSignature.

    Several `v1=` values are accepted, and several secrets, so that a site can rotate its
    secret without a moment in which its comments are refused.
    """
    if not header:
        raise BadSignature("The X-Signature header is missing.")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise BadSignature("The X-Signature header must look like t=<unix seconds>,v1=<hex>.")
    current = time.time() if now is None else now
    if abs(current - timestamp) > window:
        raise BadSignature(f"The signature timestamp is more than {window} seconds from now.")
    # Compare every candidate with every secret in constant time; never stop early on a match.
    matched = False
    for key in [secret] if isinstance(secret, str) else secret:
        expected = signature(key, timestamp, body).encode("ascii")
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    if not matched:
        raise BadSignature("The signature does not match the body.")
    return timestamp
