"""Finding listed words in a comment: whole tokens of the normalised text, mapped back to the body.

The hot path is set arithmetic on the comment's distinct tokens; only tokens that carry
symbols, repeated letters or letters written apart take a slower, per-token path.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from moderation.policy import SEVERITY_RANK
from moderation.screening.lexicon import Entry, Lexicon, mask_fits, mask_keys, vowel_key
from moderation.screening.normalise import IGNORABLE, MASK, Folded, fold

_SYMBOLS = str.maketrans({"$": "s", "!": "i", "|": "i", "+": "t", "@": MASK, "_": None, IGNORABLE: None})
_RIGHT_ONLY = "!|"  # read as letters inside a word, but punctuation at its end ("great!")
_LEFT_ONLY = "!|+"
_RUN3 = re.compile(r"([^\W\d_])\1\1")
_RUN_COLLAPSE = re.compile(r"([^\W\d_])\1{2,}")
# A doubled letter ('fuuck', 'fucck', 'كللب'), except 'ii', which is what folding makes of 'll', 'il' and 'li'
# ('tilt' is not 'tit'), and 'ss', which English doubles everywhere ('assess', 'duchess').
_DOUBLE = re.compile(r"([^\W\d_si])\1+")
_MAX_DOUBLES = 4  # 'fuuckk' has two doubled letters: up to 2**4 readings are tried
_KNOWN_LIMIT = 100_000
_UNSEEN = object()
_LONE_SYMBOLS = "$@*!|+"  # a lone symbol between spaced letters stands for a letter: "f * c k", "$ h i t"


_COMMON_SINGLES = frozenset({"a", "i", "o", "و", "ا", "ي"})


def _occurrences(text: str, token: str) -> list[tuple[int, int]]:
    """Where `token` stands as a whole whitespace-delimited token in `text`."""
    out = []
    n = len(token)
    i = text.find(token)
    while i != -1:
        end = i + n
        if (i == 0 or text[i - 1].isspace()) and (end == len(text) or text[end].isspace()):
            out.append((i, end))
        i = text.find(token, i + 1)
    return out


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    text: str
    entry: Entry


def _is_format(body: str, folded: Folded, i: int) -> bool:
    return unicodedata.category(body[folded.span(i, i + 1)[0]]) == "Cf"


def _trim(token: str) -> tuple[str, int, int]:
    """The token without trailing/leading punctuation-like symbols, and how many were cut each side."""
    core = token.rstrip(_RIGHT_ONLY)
    trail = len(token) - len(core)
    stripped = core.lstrip(_LEFT_ONLY)
    return stripped, len(core) - len(stripped), trail


def _collapsed(token: str) -> tuple[str, str]:
    """'fuuuuck' may stand for 'fuck' or 'fuuck'; 'asssss' for 'as' or 'ass'."""
    return _RUN_COLLAPSE.sub(r"\1", token), _RUN_COLLAPSE.sub(r"\1\1", token)


def _undoubled(token: str) -> list[str]:
    """Each reading of a token's doubled letters as one letter or two: 'fuuckk' -> fuck, fuckk, fuuck, fuuckk."""
    runs = list(_DOUBLE.finditer(token))
    if not runs or len(runs) > _MAX_DOUBLES:
        return []
    out = []
    for choice in range(1 << len(runs)):
        pieces, at = [], 0
        for i, m in enumerate(runs):
            pieces.append(token[at:m.start()])
            pieces.append(token[m.start()] * (2 if choice >> i & 1 else 1))
            at = m.end()
        pieces.append(token[at:])
        out.append("".join(pieces))
    return [t for t in out if t != token]


class Matcher:
    """Matches one Lexicon against comments; build once, call `find` per comment."""

    def __init__(self, lexicon: Lexicon) -> None:
        self.lex = lexicon
        self.words = lexicon.words.keys()
        self._doubled: dict[str, Entry | None] = {}
        # token -> what its symbols, repeated or doubled letters make of it (None: nothing listed); per process.
        self._known: dict[str, tuple[Entry, int, int] | None] = {}
        self.phrase_first = frozenset(lexicon.phrases)
        # Phrase words a starred token may stand for, found the way single words are (Latin script only).
        self.phrase_masks: dict[str, set[str]] = {}
        self.phrase_vowelless: dict[str, set[str]] = {}
        for seqs in lexicon.phrases.values():
            for seq, _ in seqs:
                for w in seq:
                    if w.isascii():
                        for key in mask_keys(w):
                            self.phrase_masks.setdefault(key, set()).add(w)
                        self.phrase_vowelless.setdefault(vowel_key(w), set()).add(w)

    def lookup_key(self, key: str) -> Entry | None:
        """The entry a token's key stands for: as written, with repeated letters collapsed, unstarred."""
        entry = self.lex.lookup(key)
        if entry is None and _RUN3.search(key):
            for variant in _collapsed(key):
                entry = self.lex.lookup(variant)
                if entry is not None:
                    break
        if entry is None and (key.startswith(MASK) or key.endswith(MASK)):
            inner = key.strip(MASK)
            if inner and inner != key:
                entry = self.lex.lookup(inner)
        if entry is None and _DOUBLE.search(key):
            entry = self._undouble(key)
        return entry

    def _remember(self, token: str) -> tuple[Entry, int, int] | None:
        """The slow path for one token (symbols, repeats, doubles), remembered: most tokens recur."""
        found = None
        if not token.isalnum() or _RUN3.search(token) or _DOUBLE.search(token):
            found = self._special(token)
        if len(self._known) >= _KNOWN_LIMIT:
            self._known.clear()
        self._known[token] = found
        return found

    def _undouble(self, key: str) -> Entry | None:
        """A listed word written with a letter doubled ('fuuck', 'shiit'); remembered per token."""
        if key in self._doubled:
            return self._doubled[key]
        entry = None
        if key not in self.lex.allow:
            for variant in _undoubled(key):
                found = self.lex.lookup(variant)
                # Only a strong word: 'good' read as 'god', 'soon' as 'son' would flag ordinary English.
                if found is not None and SEVERITY_RANK[found.severity] >= SEVERITY_RANK["medium"]:
                    entry = found
                    break
        if len(self._doubled) > 50_000:
            self._doubled.clear()
        self._doubled[key] = entry
        return entry

    def _special(self, token: str) -> tuple[Entry, int, int] | None:
        stripped, lead, trail = _trim(token)
        if not stripped:
            return None
        entry = self.lookup_key(stripped.translate(_SYMBOLS))
        if entry is None and (lead or trail):
            # '!diot', '|diot', 'sh!+': the symbols at the edge are letters when that makes a listed word.
            entry = self.lookup_key(token.translate(_SYMBOLS))
            lead = trail = 0
        return (entry, lead, trail) if entry else None

    def find(self, body: str, folded: Folded | None = None) -> list[Match]:
        """Every listed word or phrase in `body`, with exact offsets into it."""
        folded = folded or fold(body)
        skel = folded.text
        tokens = folded.tokens
        distinct = folded.distinct
        # token as written -> (entry, characters to cut before, after)
        hits: dict[str, tuple[Entry, int, int]] = {
            t: (self.lex.words[t], 0, 0) for t in (distinct & self.words) - self.lex.allow}
        known = self._known
        for token in distinct.difference(hits):
            found = known.get(token, _UNSEEN)
            if found is _UNSEEN:
                found = self._remember(token)
            if found is not None:
                hits[token] = found  # type: ignore[assignment]  # _UNSEEN is a sentinel object, ruled out just above
        found_spans: list[tuple[int, int, Entry]] = []
        for token, (entry, lead, trail) in hits.items():
            found_spans += [(s + lead, e - trail, entry) for s, e in _occurrences(skel, token)]
        specials = {t: self._readings(t) for t in distinct if not t.isalnum()}
        present = distinct.union(*specials.values()) if specials else distinct
        if present & self.phrase_first:
            found_spans += self._phrases(skel, present, specials)
        singles = {t for t in distinct if len(t) == 1 and (t.isalpha() or t in _LONE_SYMBOLS)}
        if len(singles - _COMMON_SINGLES) >= 1 and len(singles) >= 2:
            found_spans += self._spaced(skel, tokens)
        return self._resolve(body, folded, found_spans)

    def _readings(self, token: str) -> set[str]:
        """The phrase words a token with symbols may stand for: 'j@b' -> {'j*b', 'job'}."""
        key = _trim(token)[0].translate(_SYMBOLS)
        readings = {key, key.strip(MASK)}
        if MASK in key:
            readings |= self.phrase_masks.get(key, set())
            readings |= {w for w in self.phrase_vowelless.get(vowel_key(key), ()) if mask_fits(key, w)}
        return readings

    def _phrases(self, skel: str, present: frozenset[str],
                 specials: dict[str, set[str]]) -> list[tuple[int, int, Entry]]:
        candidates = [(seq, e) for first in present & self.phrase_first for seq, e in self.lex.phrases[first]
                      if present.issuperset(seq)]
        if not candidates:
            return []
        spans = []
        for m in re.finditer(r"\S+", skel):
            token = m.group()
            _, lead, trail = _trim(token)
            spans.append((m.start() + lead, m.end() - trail, specials.get(token, {token})))
        out = []
        for seq, entry in candidates:
            n = len(seq)
            for i in range(len(spans) - n + 1):
                if all(seq[j] in spans[i + j][2] for j in range(n)):
                    out.append((spans[i][0], spans[i + n - 1][1], entry))
        return out

    def _spaced(self, skel: str, tokens: list[str]) -> list[tuple[int, int, Entry]]:
        """Letters written apart ("f u c k", "s.h.i.t", "ك ل ب"): runs of three or more one-letter tokens."""
        out = []
        run: list[str] = []
        for token in [*tokens, ""]:
            if len(token) == 1 and (token.isalpha() or token in _LONE_SYMBOLS):
                run.append(token)
                continue
            if len(run) >= 3:
                letters = "".join(run).translate(_SYMBOLS)
                entry = self.lex.joined.get(letters) or self.lookup_key(letters)
                if entry is not None:
                    pattern = r"(?<!\S)" + r"\s+".join(map(re.escape, run)) + r"(?!\S)"
                    out += [(m.start(), m.end(), entry) for m in re.finditer(pattern, skel)]
            run = []
        return out

    @staticmethod
    def _resolve(body: str, folded: Folded, found: list[tuple[int, int, Entry]]) -> list[Match]:
        """Drop matches inside longer or stronger ones; map folded offsets back to the body."""
        found.sort(key=lambda f: (f[0], -(f[1] - f[0]), -SEVERITY_RANK[f[2].severity]))
        out: list[Match] = []
        last_end = -1
        text = folded.text
        for s, e, entry in found:
            if s < last_end:
                continue
            # Invisible format characters around a word are not the word (its diacritics are).
            while s < e - 1 and text[s] == IGNORABLE and _is_format(body, folded, s):
                s += 1
            while e - 1 > s and text[e - 1] == IGNORABLE and _is_format(body, folded, e - 1):
                e -= 1
            bs, be = folded.span(s, e)
            seen = body[bs:be]
            if not any(c.isalpha() for c in seen) and (MASK in seen or any(c.isdigit() for c in seen)):
                continue  # '{{7*7}}', '${2*3}', '4455': arithmetic or a number, not a disguised word
            out.append(Match(bs, be, body[bs:be], entry))
            last_end = e
        return out
