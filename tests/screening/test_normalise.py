"""Folding: the fast paths give what the per-character definition says, offsets kept."""

from __future__ import annotations

from moderation.screening.normalise import IGNORABLE, _fold_char, _with_lookalikes, fold


def _defined(text: str) -> str:
    return "".join(ch if 0xD800 <= ord(ch) < 0xE000 else _with_lookalikes(_fold_char(ch)) for ch in text)


def test_every_bmp_character_folds_as_defined() -> None:
    for start in range(0, 0x10000, 2048):
        chunk = "".join(chr(c) for c in range(start, min(start + 2048, 0x10000)))
        assert fold(chunk).text == _defined(chunk), hex(start)


def test_arabic_folds_letter_variants_and_keeps_length() -> None:
    body = "أهلاً بالمدرسة، يا إخوتي"
    folded = fold(body)
    assert folded.text == f"اهلا{IGNORABLE} بالمدرسه  يا اخوتي"
    assert len(folded.text) == len(body)


def test_lone_surrogate_passes_through() -> None:
    assert fold("\ud800 ة").text == "\ud800 ه"


def test_expanding_characters_map_back_to_their_origin() -> None:
    folded = fold("ﬁne مة")
    assert folded.text == "fine مه"
    assert folded.span(0, 2) == (0, 1)
    assert folded.span(5, 7) == (4, 6)
