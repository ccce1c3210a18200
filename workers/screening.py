"""The screening pipeline: filters that flag a comment with evidence, and the risk score that orders the queue.

Build a Screener once per worker process (`default_screener()`); `screen()` is then pure
computation on one body and touches no Redis.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from workers.wordlists import better_profanity_words

SEVERITY_WEIGHT = {"low": 10, "medium": 25, "high": 50}
_WORD = re.compile(r"[^\W_]+")
_ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")

_TLDS = (
    "com|net|org|info|biz|io|co|me|tv|ly|gg|app|dev|xyz|top|site|online|shop|store|club|live|news|"
    "ru|cn|uk|de|fr|nl|us|ca|au|in|eg|sa|ae|jo|lb|ma|qa|kw|tn|dz|iq|sy|ps|om|bh"
)
_LINK = re.compile(
    r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"'«»]+"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + _TLDS + r")\b(?:/[^\s<>\"'«»]*)?"
)


@dataclass(frozen=True)
class Evidence:
    start: int
    end: int
    text: str


@dataclass
class Flag:
    code: str
    severity: str
    message: str
    evidence: list[Evidence] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message,
                "evidence": [{"start": e.start, "end": e.end, "text": e.text} for e in self.evidence]}


@dataclass
class Result:
    flags: list[Flag]
    risk: int
    language: str | None

    def flag_dicts(self) -> list[dict[str, Any]]:
        return [f.to_dict() for f in self.flags]


def risk_score(flags: Iterable[Flag]) -> int:
    """0-100: each flag adds its severity weight, a little more per extra piece of evidence."""
    total = 0
    for flag in flags:
        total += SEVERITY_WEIGHT[flag.severity] + 2 * max(0, len(flag.evidence) - 1)
    return min(100, total)


def guess_language(body: str) -> str | None:
    """'ar' or 'en' by which script has more letters; None where neither has any."""
    arabic, latin = len(_ARABIC.findall(body)), len(_LATIN.findall(body))
    if not arabic and not latin:
        return None
    return "ar" if arabic >= latin else "en"


class Screener:
    """Holds the compiled word lists; build once, call `screen` for every comment."""

    def __init__(self, words: Iterable[tuple[str, ...]]) -> None:
        self.single: set[str] = set()
        self.phrases: dict[str, list[tuple[str, ...]]] = {}
        for seq in words:
            if len(seq) == 1:
                self.single.add(seq[0])
            else:
                self.phrases.setdefault(seq[0], []).append(seq)
        for seqs in self.phrases.values():
            seqs.sort(key=len, reverse=True)  # the longest phrase wins

    def profanity(self, body: str) -> Flag | None:
        """Whole-token matches of the word list; a phrase matches consecutive tokens."""
        toks = [(m.group().casefold(), m.start(), m.end()) for m in _WORD.finditer(body)]
        evidence: list[Evidence] = []
        i = 0
        while i < len(toks):
            word, start, end = toks[i]
            span = 0
            for seq in self.phrases.get(word, ()):
                if tuple(t[0] for t in toks[i:i + len(seq)]) == seq:
                    span = len(seq)
                    break
            if not span and word in self.single:
                span = 1
            if span:
                last_end = toks[i + span - 1][2]
                evidence.append(Evidence(start, last_end, body[start:last_end]))
                i += span
            else:
                i += 1
        if not evidence:
            return None
        return Flag("profanity", "high", f"Offensive language ({len(evidence)} match(es)).", evidence)

    @staticmethod
    def links(body: str) -> Flag | None:
        """URLs and bare domains."""
        evidence = [Evidence(m.start(), m.end(), m.group()) for m in _LINK.finditer(body)]
        if not evidence:
            return None
        return Flag("link", "medium", f"Contains {len(evidence)} link(s).", evidence)

    def screen(self, body: str) -> Result:
        """Run every filter on one body."""
        flags = [f for f in (self.profanity(body), self.links(body)) if f is not None]
        return Result(flags=flags, risk=risk_score(flags), language=guess_language(body))


@lru_cache(maxsize=1)
def default_screener() -> Screener:
    """The per-process screener, built on first use from better-profanity's list."""
    return Screener(better_profanity_words())
