"""Personal data where it must be matched but not read (key names, ban ids, log lines): one digest rule for all."""

from __future__ import annotations

import hashlib


def pseudonym(value: str) -> str:
    """SHA-256 hex digest of an email or address as compared, trimmed and lower-cased: one person, one pseudonym."""
    return hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()
