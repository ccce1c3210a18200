"""The webhook signature scheme: `X-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "t." + body)>`."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Sequence

from moderation.errors import BadSignature

# How far ahead of our clock a signature's time may be: enough for clocks a little apart, not a way to stretch the
# window (a capture dated 290 s ahead would otherwise stay usable for ~590 s).
MAX_FUTURE_SECONDS = 30


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
    secret without a moment in which its comments are refused. A time up to `window` seconds old is accepted,
    one ahead of ours only by MAX_FUTURE_SECONDS.
    """
    if not header:
        raise BadSignature("The X-Signature header is missing.")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, _, value = part.strip().partition("=")
        # ASCII digits only: str.isdigit() also takes '²' or Arabic-Indic digits, which int() then refuses or reads.
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value.strip().lower())
    if timestamp is None or not candidates:
        raise BadSignature("The X-Signature header must look like t=<unix seconds>,v1=<hex>.")
    current = time.time() if now is None else now
    if current - timestamp > window:
        raise BadSignature(f"The signature timestamp is more than {window} seconds old.")
    if timestamp - current > min(window, MAX_FUTURE_SECONDS):
        raise BadSignature(f"The signature timestamp is more than {min(window, MAX_FUTURE_SECONDS)} seconds ahead "
                           "of our clock.")
    # Compare every candidate with every secret in constant time; never stop early on a match.
    matched = False
    for key in [secret] if isinstance(secret, str) else secret:
        expected = signature(key, timestamp, body).encode("ascii")
        for candidate in candidates:
            matched |= hmac.compare_digest(expected, candidate.encode("ascii", "replace"))
    if not matched:
        raise BadSignature("The signature does not match the body.")
    return timestamp
