"""Cost of screening one 1500-character comment, ours against better-profanity's contains_profanity.

Both run in this process on the same generated comments; the table reports medians and their ratio,
so the machine's load cancels out as far as it can.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from better_profanity import profanity

from bench import corpus
from workers.screening import default_screener


def median_seconds(fn: Callable[[str], object], texts: list[str], repeat: int = 1) -> float:
    times = []
    for text in texts:
        best = float("inf")
        for _ in range(repeat):
            started = time.perf_counter()
            fn(text)
            best = min(best, time.perf_counter() - started)
        times.append(best)
    return statistics.median(times)


def run(n_ours: int = 400, n_theirs: int = 8) -> list[dict[str, object]]:
    """One row per language: median seconds per comment for both, and theirs / ours."""
    screener = default_screener()
    profanity.load_censor_words()
    rows = []
    for language, texts in (("en", corpus.english(n_ours)), ("ar", corpus.arabic(n_ours))):
        for text in texts[:20]:
            screener.screen_text(text)  # warm caches, as a worker that has been running would be
        ours = median_seconds(screener.screen_text, texts, repeat=3)
        theirs = median_seconds(profanity.contains_profanity, texts[:n_theirs])
        rows.append({"language": language, "comments": len(texts), "chars": len(texts[0]),
                     "ours_us": ours * 1e6, "better_profanity_ms": theirs * 1e3, "ratio": theirs / ours})
    return rows
