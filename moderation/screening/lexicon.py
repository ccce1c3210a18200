"""Word lists, indexed for whole-token matching of normalised text.

Build a Lexicon once per worker process (and per site with its own policy); every
comment is then matched with set look-ups, never one word at a time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from pathlib import Path

from better_profanity.utils import get_complete_path_of_file, read_wordlist

from moderation.policy import SEVERITY_RANK
from moderation.screening.normalise import MASK, skeleton

DATA = Path(__file__).parent / "data"
_ENTRY_SPLIT = re.compile(r"[\s\-._]+")
_ARABIC_LETTER = re.compile(r"[\u0621-\u064a]")
_VOWELS = set("aeiou")

# Attached clitics. Normalised spelling: alef forms are plain alef, taa marbuta is haa.
AR_PREFIXES = ("و", "ف", "ب", "ل", "ك", "ال", "وال", "فال", "بال", "كال", "لل", "ولل", "فلل", "وب", "ول", "فب",
               "فل", "وك", "يا", "ويا", "ياال", "يال")
# Short stems (2 letters) take only the prefixes that cannot start an ordinary word with them.
AR_PREFIXES_SHORT = ("و", "ف", "ال", "وال", "فال", "بال", "لل", "يا", "ياال")
AR_SUFFIXES = ("ه", "ها", "هم", "هن", "ك", "كم", "ي", "ين", "ون", "ات", "ان", "وا", "يه", "يين")
# Possessive pronouns: before them a final taa marbuta is written as an open taa (قحبة -> قحبتك).
AR_PRONOUNS = ("ه", "ها", "هم", "هن", "ك", "كم", "كن", "ي", "نا")
# Two-letter stems of high severity take the pronouns too (their other endings spell ordinary words).
AR_SHORT_PRONOUNS = ("ك", "ها", "ه", "ي", "كم", "هم")


@dataclass(frozen=True)
class Entry:
    """One listed word or phrase, as written in its list, with its severity."""

    word: str
    severity: str
    lang: str


def _read_tsv(path: Path, lang: str) -> list[Entry]:
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, severity, *_ = line.split("\t")
        entries.append(Entry(word.strip(), severity.strip(), lang))
    return entries


@lru_cache(maxsize=1)
def better_profanity_entries() -> tuple[Entry, ...]:
    """better-profanity's own list, graded by `en_severity.tsv` (unlisted words are high)."""
    grades = {e.word: e.severity for e in _read_tsv(DATA / "en_severity.tsv", "en")}
    words = read_wordlist(get_complete_path_of_file("profanity_wordlist.txt"))
    return tuple(Entry(w, grades.get(w, "high"), "en") for w in words)


@lru_cache(maxsize=1)
def default_allow() -> tuple[str, ...]:
    """Words never flagged on any site: ordinary words that a listed word plus a clitic spells."""
    lines = [line for name in ("ar_allow.txt", "en_allow.txt")
             for line in (DATA / name).read_text(encoding="utf-8").splitlines()]
    return tuple(w.strip() for w in lines if w.strip() and not w.startswith("#"))


@lru_cache(maxsize=1)
def default_entries() -> tuple[Entry, ...]:
    """Every shipped list: better-profanity's, our English additions, Arabic."""
    return (*better_profanity_entries(), *_read_tsv(DATA / "en_extra.tsv", "en"), *_read_tsv(DATA / "ar.tsv", "ar"))


def arabic_forms(stem: str, *, taa: bool = False, severe: bool = False) -> set[str]:
    """The stem with the clitics a reader attaches to it.

    `taa`: the listed word ends in a taa marbuta (folded to haa in `stem`), which turns into an open
    taa before a pronoun and into -aat in the plural. `severe`: a two-letter stem takes pronouns too.
    """
    if len(stem) < 3:
        short = {stem} | ({stem + s for s in AR_SHORT_PRONOUNS} if severe else set())
        return short | {p + form for p in AR_PREFIXES_SHORT for form in short}
    with_suffix = {stem} | {stem + s for s in AR_SUFFIXES}
    if taa and stem.endswith("ه"):
        base = stem[:-1]
        with_suffix |= {base + "ت" + s for s in AR_PRONOUNS} | {base + "ات"}
    return with_suffix | {p + form for p in AR_PREFIXES for form in with_suffix}


_CVC = re.compile(r"[^aeiou][aeiou][^aeiouwxy]$")


def english_forms(stem: str) -> set[str]:
    """The stem's regular inflections: -s or -es, -ed, -ing, -er (final e dropped, short stems doubled)."""
    if len(stem) < 3 or not stem.isascii() or not stem.isalpha() or (stem.endswith("s") and not stem.endswith("ss")):
        return {stem}  # a listed plural is not a stem: 'asses' + 'ing' would spell 'assessing'
    forms = {stem, stem + ("es" if stem.endswith(("s", "x", "z", "ch", "sh")) else "s")}
    base = stem[:-1] if stem.endswith("e") else stem
    if len(stem) <= 4 and _CVC.search(stem):
        base = stem + stem[-1]  # stab -> stabbing, twat -> twatted
    forms |= {base + "ed", base + "ing", base + "er", base + "ers"}
    return forms


def mask_keys(key: str) -> set[str]:
    """`key` with any one letter, or (from four letters) any two, hidden by '*' or '@'.

    Any number of hidden vowels is found through `vowel_key` instead.
    """
    if len(key) < 3:
        return set()
    subsets: list[tuple[int, ...]] = [(i,) for i in range(len(key))]
    if len(key) >= 4:
        subsets += list(combinations(range(len(key)), 2))
    keys = set()
    for subset in subsets:
        masked = list(key)
        for i in subset:
            masked[i] = MASK
        keys.add("".join(masked))
    return keys


def vowel_key(key: str) -> str:
    """`key` with every vowel hidden: words a reader wrote with starred vowels share it ('sh*t', 'b**bs')."""
    return "".join(MASK if c in _VOWELS else c for c in key)


def mask_fits(masked: str, word: str) -> bool:
    """True if `word` reads as `masked` with its stars filled in."""
    return len(masked) == len(word) and all(m in (w, MASK) for m, w in zip(masked, word, strict=True))


def _put(index: dict[str, Entry], key: str, entry: Entry, *, override: bool) -> None:
    """Keep the stronger entry where two words share a key, unless the caller overrides."""
    old = index.get(key)
    if (old is None or override or SEVERITY_RANK[entry.severity] > SEVERITY_RANK[old.severity]
            or (entry.severity == old.severity and entry.word.isalpha() and not old.word.isalpha())):
        index[key] = entry  # equal grades: show the moderator the plainly spelled word


class Lexicon:
    """The indexes the matcher looks tokens up in; all keys are `normalise.skeleton` forms."""

    def __init__(self) -> None:
        self.words: dict[str, Entry] = {}
        self.masks: dict[str, Entry] = {}
        self.joined: dict[str, Entry] = {}
        self.vowelless: dict[str, list[tuple[str, Entry]]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], Entry]]] = {}
        self.allow: frozenset[str] = frozenset()

    @classmethod
    def build(cls, entries: Iterable[Entry], *, remove: Iterable[str] = (), allow: Iterable[str] = (),
              severities: Mapping[str, str] | None = None, extra: Iterable[Entry] = ()) -> Lexicon:
        """Index `entries` (minus `remove`), then `extra` (which wins), re-graded by `severities`."""
        lex = cls()
        removed = {skeleton(w) for w in remove}
        grades = {skeleton(w): s for w, s in (severities or {}).items()}
        for override, group in ((False, entries), (True, extra)):
            for entry in group:
                lex._add(entry, removed, grades, override=override)
        allowed = [skeleton(w) for w in (*default_allow(), *allow)]
        lex.allow = frozenset(f for w in allowed for f in (arabic_forms(w) if _ARABIC_LETTER.match(w) else {w}))
        return lex

    def _add(self, entry: Entry, removed: set[str], grades: dict[str, str], *, override: bool) -> None:
        toks = [skeleton(t) for t in _ENTRY_SPLIT.split(entry.word) if t]
        toks = [t for t in toks if t]
        if not toks:
            return
        whole = " ".join(toks)
        if whole in removed:
            return
        if whole in grades:
            entry = Entry(entry.word, grades[whole], entry.lang)
        if len(toks) == 1:
            key = toks[0]
            if MASK in key:  # the list itself holds a wildcard, e.g. 'masterbat*'
                _put(self.masks, key, entry, override=override)
                return
            if _ARABIC_LETTER.match(key):
                forms = arabic_forms(key, taa=entry.word.endswith("ة"), severe=entry.severity == "high")
            elif SEVERITY_RANK[entry.severity] >= SEVERITY_RANK["medium"]:
                forms = english_forms(key)  # low words ('fat', 'erect', 'damn') inflect into everyday English
            else:
                forms = {key}
            for form in forms:
                _put(self.words, form, entry, override=override)
            for masked in mask_keys(key):
                _put(self.masks, masked, entry, override=False)
            if len(key) >= 3 and not _ARABIC_LETTER.match(key):
                self.vowelless.setdefault(vowel_key(key), []).append((key, entry))
        elif all(len(t) == 1 for t in toks):
            # 'f.u.c.k' is matched only where letters are written apart, so 's.o.b.' does not flag 'sob'.
            _put(self.joined, "".join(toks), entry, override=override)
        else:
            firsts = arabic_forms(toks[0]) if _ARABIC_LETTER.match(toks[0]) else {toks[0]}
            for first in firsts:
                self.phrases.setdefault(first, []).append(((first, *toks[1:]), entry))

    def lookup(self, key: str) -> Entry | None:
        """The entry a single normalised token stands for, masks included."""
        if key in self.allow:
            return None
        if MASK not in key:
            return self.words.get(key)
        entry = self.masks.get(key)
        if entry is None:
            shown = sum(c != MASK for c in key)
            if shown and len(key) >= 3:
                for word, candidate in self.vowelless.get(vowel_key(key), ()):
                    if mask_fits(key, word) and word not in self.allow:
                        return candidate
        return entry


@lru_cache(maxsize=1)
def default_lexicon() -> Lexicon:
    """All shipped lists, indexed once per process."""
    return Lexicon.build(default_entries())
