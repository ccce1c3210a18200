"""The profanity filter on plain words and phrases, and the language guess.

Disguised spellings are in test_disguises.py, the other filters in test_filters.py.
"""

from __future__ import annotations

import pytest

from moderation.screening.screener import default_screener


def codes(body: str) -> set[str]:
    return {f.code for f in default_screener().screen(body).flags}


@pytest.mark.parametrize("body", ["You are a bastard.", "SHIT happens", "what a blow job", "dumb ass-fucker",
                                  "Fuck!", "he is a twat, really"])
def test_profanity_is_flagged(body: str) -> None:
    assert "profanity" in codes(body)


@pytest.mark.parametrize("body", ["The assassin fled", "a classic film", "Middlesex and Sussex", "passage of the bill"])
def test_words_that_merely_contain_profanity_are_not_flagged(body: str) -> None:
    assert "profanity" not in codes(body)


def test_evidence_points_at_what_the_reader_wrote() -> None:
    body = "Well, you BASTARD — and a blow job joke. شكرا"
    flag = next(f for f in default_screener().screen(body).flags if f.code == "profanity")
    assert [body[e.start:e.end] for e in flag.evidence] == ["BASTARD", "blow job"]
    assert [e.text for e in flag.evidence] == ["BASTARD", "blow job"]


def test_language_is_guessed_by_script() -> None:
    def lang(body: str) -> str | None:
        return default_screener().screen(body).language

    assert lang("مقال رائع جدا") == "ar"
    assert lang("A great article") == "en"
    assert lang("مقال great رائع") == "mixed"  # five Latin letters of twelve: both models read it
    assert lang("ﺍﻟﻤﻘﺎﻝ") == "ar"  # presentation forms fold to Arabic letters
    assert lang("12345 !!!") is None
