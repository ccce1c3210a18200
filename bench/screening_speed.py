"""Cost of screening one 1500-character comment (every filter and the models), against better-profanity's
contains_profanity and alt-profanity-check's predict_prob (a trained linear SVM), per comment.

All run in this process on the same generated comments; the table reports medians and their ratios,
so the machine's load cancels out as far as it can.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

from better_profanity import profanity

from bench import corpus
from moderation.screening.screener import default_screener


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


def _alt_profanity_check() -> Callable[[str], object] | None:
    try:
        from profanity_check import predict_prob
    except ImportError:  # the eval extra: make bench installs it
        return None
    return lambda text: predict_prob([text])


def run(n_ours: int = 400, n_theirs: int = 8) -> list[dict[str, object]]:
    """One row per language: median seconds per comment for each, and theirs / ours."""
    screener = default_screener()
    profanity.load_censor_words()
    alt = _alt_profanity_check()
    rows = []
    for language, texts in (("en", corpus.english(n_ours)), ("ar", corpus.arabic(n_ours))):
        for text in texts[:20]:
            screener.screen_text(text)  # warm caches, as a worker that has been running would be
        ours = median_seconds(screener.screen_text, texts, repeat=3)
        theirs = median_seconds(profanity.contains_profanity, texts[:n_theirs])
        row: dict[str, object] = {"language": language, "comments": len(texts), "chars": len(texts[0]),
                                  "ours_us": ours * 1e6, "better_profanity_ms": theirs * 1e3, "ratio": theirs / ours}
        if alt is not None:
            alt(texts[0])
            other = median_seconds(alt, texts[:40], repeat=3)
            row |= {"alt_profanity_check_ms": other * 1e3, "alt_ratio": other / ours}
        rows.append(row)
    return rows
