"""The first screening pipeline: whole-word profanity from better-profanity's list, links, risk."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workers.screening import default_screener


def codes(body: str) -> set[str]:
    return {f.code for f in default_screener().screen(body).flags}


def evidence(body: str, code: str) -> list[str]:
    for flag in default_screener().screen(body).flags:
        if flag.code == code:
            return [e.text for e in flag.evidence]
    return []


@pytest.mark.parametrize("body", ["You are a bastard.", "SHIT happens", "what a blow job", "dumb ass-fucker",
                                  "Fuck!", "he is a twat, really"])
def test_profanity_is_flagged(body: str) -> None:
    assert "profanity" in codes(body)


@pytest.mark.parametrize("body", ["I live in Scunthorpe", "The assassin fled", "a classic film",
                                  "Essex county", "a cocktail party", "careful analysis", "shiitake mushrooms",
                                  "my therapist said", "Middlesex and Sussex", "passage of the bill"])
def test_words_that_merely_contain_profanity_are_not_flagged(body: str) -> None:
    assert "profanity" not in codes(body)


def test_evidence_points_at_what_the_reader_wrote() -> None:
    body = "Well, you BASTARD — and a blow job joke. شكرا"
    flag = next(f for f in default_screener().screen(body).flags if f.code == "profanity")
    assert [body[e.start:e.end] for e in flag.evidence] == ["BASTARD", "blow job"]
    assert [e.text for e in flag.evidence] == ["BASTARD", "blow job"]


@pytest.mark.parametrize("body,found", [
    ("read https://example.com/path?q=1 now", ["https://example.com/path?q=1"]),
    ("visit www.cheap-pills.biz", ["www.cheap-pills.biz"]),
    ("go to spam-site.com/offer today", ["spam-site.com/offer"]),
    ("زوروا موقعنا example.net للمزيد", ["example.net"]),
])
def test_links_are_flagged_with_their_text(body: str, found: list[str]) -> None:
    assert evidence(body, "link") == found


@pytest.mark.parametrize("body", ["e.g. this, i.e. that", "pi is 3.14", "see page 4.5", "Hello.World"])
def test_ordinary_text_is_not_a_link(body: str) -> None:
    assert "link" not in codes(body)


def test_risk_orders_profanity_over_links_over_clean() -> None:
    s = default_screener()
    clean, link, rude = (s.screen(b).risk for b in ("nice piece", "see www.x.com", "you bastard"))
    assert clean == 0 < link < rude <= 100
    assert s.screen("bastard " * 200 + "www.x.com " * 50).risk == 100


def test_language_is_guessed_by_script() -> None:
    def lang(body: str) -> str | None:
        return default_screener().screen(body).language

    assert lang("مقال رائع جدا") == "ar"
    assert lang("A great article") == "en"
    assert lang("مقال great رائع") == "ar"
    assert lang("ﺍﻟﻤﻘﺎﻝ") == "ar"  # presentation forms fold to Arabic letters
    assert lang("12345 !!!") is None


@given(st.text(max_size=300))
def test_screening_never_fails_and_offsets_index_the_body(body: str) -> None:
    result = default_screener().screen(body)
    assert 0 <= result.risk <= 100
    for flag in result.flags:
        for e in flag.evidence:
            assert 0 <= e.start < e.end <= len(body)
            assert body[e.start:e.end] == e.text
