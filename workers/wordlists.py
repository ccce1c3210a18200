"""Word lists the profanity filter matches: better-profanity's list, turned into token sequences."""

from __future__ import annotations

import re
from functools import lru_cache

from better_profanity.utils import get_complete_path_of_file, read_wordlist

_SPLIT = re.compile(r"[^\W_]+")


def tokens_of(entry: str) -> tuple[str, ...]:
    """The lowercase word tokens of a list entry: 'ass-fucker' -> ('ass', 'fucker')."""
    return tuple(t.casefold() for t in _SPLIT.findall(entry))


@lru_cache(maxsize=1)
def better_profanity_words() -> frozenset[tuple[str, ...]]:
    """better-profanity's own list, read once per process (we use its words, not its slow matcher)."""
    entries = read_wordlist(get_complete_path_of_file("profanity_wordlist.txt"))
    return frozenset(t for t in (tokens_of(e) for e in entries) if t)
