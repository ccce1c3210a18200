"""The text filters besides profanity: links, personal data, shouting, repetition.

Each takes the body (and the folded analysis where it helps) and returns evidence spans
that index the body. Each starts with a cheap test so that the usual clean comment costs
a few microseconds per filter; the regular expressions run only where they can match.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

Span = tuple[int, int]

# ---- links ---------------------------------------------------------------------------------

TLDS = ("com", "net", "org", "info", "biz", "io", "co", "me", "tv", "ly", "gg", "app", "dev", "xyz", "top", "site",
        "online", "shop", "store", "club", "live", "news", "link", "click", "win", "bet", "ru", "cn", "uk", "de",
        "fr", "nl", "us", "ca", "au", "in", "eg", "sa", "ae", "jo", "lb", "ma", "qa", "kw", "tn", "dz", "iq", "sy",
        "ps", "om", "bh", "ly", "sd", "ye", "tk", "ml", "ga", "cf", "gq", "pw", "cc")
_DOT_TLD = re.compile(r"\.(?i:" + "|".join(TLDS) + r")\b")
_LINK = re.compile(
    r"(?i)\b(?:https?://|ftp://|www\.)[^\s<>\"'«»]+[^\s<>\"'«».,;:!?)\]]"
    r"|\b(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:" + "|".join(TLDS) + r")\b(?:/[^\s<>\"'«»]*[^\s<>\"'«».,;:!?)])?"
)
_HOST = re.compile(r"(?i)^(?:[a-z]+://)?(?:[^@/\s]+@)?([^/:?#\s]+)")


def links(body: str, allow_domains: Iterable[str] = ()) -> list[Span]:
    """URLs and bare domains, except those on the site's allowed domains."""
    if "://" not in body and "www" not in body.lower() and not _DOT_TLD.search(body):
        return []
    allowed = tuple(d.lower() for d in allow_domains)
    out = []
    for m in _LINK.finditer(body):
        host_match = _HOST.match(m.group())
        host = host_match.group(1).lower().removeprefix("www.") if host_match else ""
        if any(host == d or host.endswith("." + d) for d in allowed):
            continue
        out.append(m.span())
    return out


# ---- personal data -------------------------------------------------------------------------

_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?!\w)")
_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
# Runs of digits joined by at most two separators each ('010 1234-5678', '(555) 123 4567'): one scan.
_NUMBER_GROUP = re.compile(r"[0-9٠-٩۰-۹]+(?:[ \u00a0().-]{1,2}[0-9٠-٩۰-۹]+)*")


def _is_phone(candidate: str) -> bool:
    digits = sum(c.isdigit() for c in candidate)
    if not 8 <= digits <= 15:
        return False
    if candidate.startswith(("+", "00")):
        return True  # international: +966 5x..., 0020 10...
    if candidate.lstrip("(").startswith("0"):
        return 9 <= digits <= 11  # local: 010 1234 5678, 05x xxx xxxx, 07700 900123
    separated = any(c in candidate for c in " -.()")
    return separated and 10 <= digits <= 11  # (555) 123-4567


def personal_data(body: str) -> list[Span]:
    """Phone numbers in local and international forms, and email addresses."""
    out: list[Span] = []
    if "@" in body:
        out += [m.span() for m in _EMAIL.finditer(body)]
    out += [span for span in _number_groups(body) if _is_phone(_with_prefix(body, span))]
    return sorted(out)


def _number_groups(body: str) -> list[Span]:
    """Groups of digits that stand apart from words and ids, with a '(' or '+' before them."""
    out = []
    for m in _NUMBER_GROUP.finditer(body):
        start, end = m.span()
        if end - start < 8:  # fewer than the 8 digits of the shortest phone number
            continue
        if start >= 1 and body[start - 1] == "(":
            start -= 1
        if start >= 1 and body[start - 1] == "+":
            start -= 1
        before = body[start - 1] if start else " "
        after = body[end] if end < len(body) else " "
        if not (before.isalnum() or after.isalnum()):  # part of a word or an id: not a phone number
            out.append((start, end))
    return out


def _with_prefix(body: str, span: Span) -> str:
    return body[span[0]:span[1]].translate(_DIGITS)


# ---- shouting ------------------------------------------------------------------------------

_UPPER = bytes(range(ord("A"), ord("Z") + 1))
_NOT_UPPER = bytes(b for b in range(256) if b not in _UPPER)
_NOT_LETTER = bytes(b for b in range(256) if not (65 <= b <= 90 or 97 <= b <= 122))
_CAPS_RUN = re.compile(r"\b[A-Z][A-Z'’-]+(?:[\s,.!?]+[A-Z][A-Z'’-]*)*\b")


def latin_letters(body: str) -> int:
    """How many ASCII letters the body has (counted in C)."""
    return len(body.encode("ascii", "ignore").translate(None, _NOT_LETTER))


def shouting(body: str, ratio: float, min_letters: int) -> list[Span]:
    """Mostly capitals among enough Latin letters (Arabic has no case and is never shouting)."""
    raw = body.encode("ascii", "ignore")
    letters = len(raw.translate(None, _NOT_LETTER))
    if letters < min_letters:
        return []
    upper = len(raw.translate(None, _NOT_UPPER))
    if upper / letters < ratio:
        return []
    return [m.span() for m in _CAPS_RUN.finditer(body) if m.end() - m.start() >= 3]


# ---- repetition ----------------------------------------------------------------------------

_PUNCT = "!?.؟،,-_=*~#$@+"
_VOWELS = set("aeiouy")
_KEYBOARD = re.compile("qwert|werty|asdf|sdfg|dfgh|fghj|ghjk|hjkl|zxcv|xcvb|cvbn|vbnm|uiop|yuio")


_LAUGHTER = "هخ"  # 'ههههه', 'خخخخخ': how Arabic readers laugh, as 'hahaha' and a run of 😂 are in English


def char_runs(body: str, run: int, tokens_with_runs: Iterable[str]) -> list[Span]:
    """The same character `run` or more times: '!!!!!!', 'sooooooo' (laughter aside)."""
    pattern = re.compile(rf"(\S)\1{{{run - 1},}}")
    if not any(pattern.search(t) for t in tokens_with_runs) and not any(c * run in body for c in _PUNCT):
        return []
    return [m.span() for m in pattern.finditer(body) if m.group(1) not in _LAUGHTER]


def word_runs(folded: str, tokens: list[str], run: int) -> list[Span]:
    """The same word `run` or more times in a row: 'no no no no'."""
    # Adjacent equal tokens as bytes, so the search for `run` in a row happens in C.
    if bytes(map(str.__eq__, tokens, tokens[1:])).find(b"\x01" * (run - 1)) == -1:
        return []
    spans = [m.span() for m in re.finditer(r"\S+", folded)]
    out = []
    i = 0
    while i < len(tokens):
        j = i
        while j + 1 < len(tokens) and tokens[j + 1] == tokens[i]:
            j += 1
        if j - i + 1 >= run:
            out.append((spans[i][0], spans[j][1]))
        i = j + 1
    return out


def gibberish(folded: str, distinct: frozenset[str]) -> list[Span]:
    """Keyboard mashing: long Latin tokens without vowels, or along a keyboard row."""
    suspects = [t for t in [t for t in distinct if len(t) >= 7] if t.isascii() and t.isalpha()
                and (not _VOWELS.intersection(t) or _KEYBOARD.search(t))]
    if not suspects:
        return []
    return sorted(span for t in suspects for span in _token_spans(folded, t))


def _token_spans(text: str, token: str) -> list[Span]:
    return [m.span() for m in re.finditer(r"(?<!\S)" + re.escape(token) + r"(?!\S)", text)]
