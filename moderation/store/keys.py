"""How a value from outside becomes part of a Redis key name.

Article ids, comment ids, moderator names and other values a client sends are percent-encoded before they go into
a key, so none can name another key: `A:version` as an article id would otherwise be the key of article A's version
counter, and `{`, `}` would pick a cluster hash slot. Plain ids (letters, digits, `-._~@`) are left as they are.
"""

from __future__ import annotations

from urllib.parse import quote

SAFE = "-._~@"  # with letters and digits: what stays as it is; ':' (our separator), '{}', '*', '%', spaces do not


def part(value: str) -> str:
    """`value` as one segment of a key name: the same value always gives the same segment, two values never one."""
    return quote(value, safe=SAFE)
