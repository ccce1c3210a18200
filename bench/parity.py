"""Does our matcher catch every spelling better-profanity catches, on better-profanity's own list?

better-profanity reads each listed word with character variants ('a' as '@', '*' or '4'; 'i' as
'*', 'l' or '1'; ...). For every word we make its variants: each single substitution, each
"all substituted" spelling, and a fixed random sample of mixed ones, keep those better-profanity's
own matcher (`VaryingString`) accepts, and check that our screener flags them too: for the words we flag (not
the low ones or the allowed ones, which raise no flag by design), and the spellings with a letter.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from better_profanity import Profanity
from better_profanity.varying_string import VaryingString

from moderation.policy import SEVERITY_RANK
from moderation.screening.lexicon import better_profanity_entries, default_allow
from moderation.screening.screener import Screener, default_screener
from moderation.sitepolicy import Policies


def variants(word: str, char_map: dict[str, tuple[str, ...]], rng: random.Random, mixed: int = 8) -> Iterator[str]:
    """Spellings of `word` that better-profanity's character map allows."""
    options = [char_map.get(c, (c,)) for c in word]
    yield word
    for i, alts in enumerate(options):
        for alt in alts[1:]:
            yield word[:i] + alt + word[i + 1:]
    for k in range(1, max(len(o) for o in options)):
        yield "".join(o[min(k, len(o) - 1)] for o in options)
    for _ in range(mixed):
        yield "".join(rng.choice(o) for o in options)


def check(screener: Screener | None = None) -> tuple[int, list[tuple[str, str]]]:
    """(variants checked, [(listed word, variant we missed)])."""
    screener = screener or default_screener()
    char_map = Profanity().CHARS_MAPPING
    rng = random.Random(2024)
    checked = 0
    missed = []
    # Listed words below the policy's least severity raise no flag by design ('murder', 'breasts': words news readers
    # use innocently; they count in the risk instead): only the words we flag are held to better-profanity's.
    # Nor are allowed words (`en_allow.txt`: 'jerked'), nor spellings without a letter, which we read as numbers
    # ('455', '$1*7': docs/screening.md, "numbers are not disguised words").
    least = SEVERITY_RANK[Policies().defaults.thresholds.profanity_min_severity]
    allowed = set(default_allow())
    for entry in better_profanity_entries():
        if SEVERITY_RANK[entry.severity] < least or entry.word.lower() in allowed:
            continue
        word = entry.word.lower()
        theirs = VaryingString(word, char_map=char_map)
        for variant in set(variants(word, char_map, rng)):
            if not theirs == variant or not any(c.isalpha() for c in variant):  # noqa: SIM201 - VaryingString defines == only
                continue
            checked += 1
            flags = screener.screen_text(variant).flags
            if not any(f.code == "profanity" for f in flags):
                missed.append((word, variant))
    return checked, missed
