"""Accepting a comment from a site: signature, the comment policy, then one atomic check-and-write."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Sequence
from typing import Any

from marshmallow import Schema

from moderation import signing
from moderation.errors import InvalidHeader, MalformedJSON, Overloaded, ValidationFailed
from moderation.schemas import CommentIn, validated
from moderation.sitepolicy import SitePolicy
from moderation.store.comments import Accepted, CommentStore

_COMMENT_IN = CommentIn()


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members: a name given twice is refused (which one would count is a guess), and so is a name
    that is not text (a lone surrogate cannot be named back in an error)."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if _SURROGATE.search(name):
            raise MalformedJSON("A member name holds a lone surrogate (\\ud800-\\udfff), which is not text.")
        if name in out:
            raise MalformedJSON(f"The member {name!r} is given twice.")
        out[name] = value
    return out


# A lone surrogate or NUL can only come from a JSON escape (raw ones are not valid UTF-8 or JSON): look for the
# escape before walking the whole document.
_SUSPECT_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000)")
_SURROGATE = re.compile("[\ud800-\udfff]")


def _bad_strings(value: Any) -> Any:
    """Per-field messages for strings holding a lone surrogate or NUL, shaped like marshmallow's, or None."""
    if isinstance(value, str):
        if _SURROGATE.search(value):
            return ["Contains a lone surrogate, which is not text."]
        if "\x00" in value:
            return ["Contains a NUL character."]
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    found = {name: bad for name, item in items if (bad := _bad_strings(item)) is not None}
    return found or None


def parse_json(raw: bytes) -> Any:
    """Decode a JSON body, turning every way it can be malformed into a 400.

    The body must be UTF-8 (json.loads would also guess UTF-16 and UTF-32) and name each member once; strings
    holding a lone surrogate or NUL are a 422 naming the field, since nothing downstream can store or show them.
    """
    try:
        data = json.loads(raw.decode("utf-8"), object_pairs_hook=_pairs)
    except UnicodeDecodeError:
        raise MalformedJSON("The request body is not UTF-8.") from None
    except (ValueError, RecursionError) as exc:
        raise MalformedJSON(f"The request body is not valid JSON: {exc}"[:300]) from None
    if _SUSPECT_ESCAPE.search(raw):
        bad = _bad_strings(data)
        if bad is not None:
            raise ValidationFailed(fields=bad if isinstance(bad, dict) else {"_schema": bad})
    return data


def load_json(schema: Schema, raw: bytes, message: str | None = None) -> dict[str, Any]:
    """Parse and validate a JSON body: 400 if it is not JSON, 422 with per-field messages if it is wrong."""
    return validated(schema, parse_json(raw), message)


def check_idempotency_key(key: str | None) -> str | None:
    """Idempotency keys are 1-255 printable ASCII characters."""
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isascii() or not key.isprintable():
        raise InvalidHeader("Idempotency-Key must be 1-255 printable ASCII characters.")
    return key


def accept(
    store: CommentStore, *, site: str, secret: str | Sequence[str], raw: bytes, signature: str | None,
    idempotency_key: str | None, window: int, policy: SitePolicy | None = None, deadline: float | None = None,
) -> Accepted:
    """Verify, validate and store one submitted comment with its screening job.

    Past `deadline` (a time.monotonic() value) nothing is stored: the request waited so long that its client may
    have given up, and a comment stored then would be sent again as a new one.
    """
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
    if deadline is not None and time.monotonic() > deadline:
        raise Overloaded("The service is at capacity; try again in a moment.", retry_after=1)
    # A signed request is accepted once: without an Idempotency-Key, its signed time and body name it, so a
    # captured request sent again within the window gets the first answer instead of storing a copy.
    return store.create(site, data, raw_body=raw, idem_key=key, signed_at=signed_at,
                        window_seconds=t.flood_window_seconds,
                        per_author=t.reject_per_author, per_address=t.reject_per_address)
