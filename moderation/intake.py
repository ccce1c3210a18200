"""Accepting a comment from a site: signature, the comment policy, then one atomic check-and-write."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from marshmallow import Schema, ValidationError

from moderation import signing
from moderation.errors import InvalidHeader, MalformedJSON, ValidationFailed
from moderation.schemas import CommentIn
from moderation.sitepolicy import SitePolicy
from moderation.store import Accepted, CommentStore

_COMMENT_IN = CommentIn()


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body, turning every way it can be malformed into a 400."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
        raise MalformedJSON(f"The request body is not valid JSON: {exc}"[:300]) from None


def load_json(schema: Schema, raw: bytes, message: str | None = None) -> dict[str, Any]:
    """Parse and validate a JSON body: 400 if it is not JSON, 422 with per-field messages if it is wrong."""
    try:
        return schema.load(parse_json(raw))  # type: ignore[no-any-return]
    except ValidationError as err:
        raise ValidationFailed(message, fields=err.messages_dict) from None


def check_idempotency_key(key: str | None) -> str | None:
    """Idempotency keys are 1-255 printable ASCII characters."""
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise InvalidHeader("Idempotency-Key must be 1-255 printable ASCII characters.")
    return key


def accept(
    store: CommentStore, *, site: str, secret: str | Sequence[str], raw: bytes, signature: str | None,
    idempotency_key: str | None, window: int, policy: SitePolicy | None = None,
) -> Accepted:
    """Verify, validate and store one submitted comment with its screening job."""
    signed_at = signing.verify(signature, secret, raw, window=window)
    key = check_idempotency_key(idempotency_key)
    try:
        data = load_json(_COMMENT_IN, raw)
    except (MalformedJSON, ValidationFailed):
        # A body that passed once may fail a policy changed since: its retry still gets the first answer.
        earlier = store.replay(site, key, raw) if key else None
        if earlier:
            return earlier
        raise
    t = (policy or SitePolicy()).thresholds
    # A signed request is accepted once: without an Idempotency-Key, its signed time and body name it, so a
    # captured request sent again within the window gets the first answer instead of storing a copy.
    return store.create(site, data, raw_body=raw, idem_key=key, signed_at=signed_at,
                        window_seconds=t.flood_window_seconds,
                        per_author=t.reject_per_author, per_address=t.reject_per_address)
