"""One test per text filter: what it flags, with which evidence, and what it leaves alone."""

from __future__ import annotations

from dataclasses import replace

import pytest

from moderation.screening.screener import Screener, default_screener, screener_for
from moderation.sitepolicy import Policies, SitePolicy, Thresholds


def flag(body: str, code: str, screener: Screener | None = None) -> list[str] | None:
    """The evidence texts of flag `code`, or None if it is not raised."""
    for f in (screener or default_screener()).screen_text(body).flags:
        if f.code == code:
            return [e.text for e in f.evidence]
    return None


@pytest.mark.parametrize("body,found", [
    ("read https://example.com/path?q=1 now", ["https://example.com/path?q=1"]),
    ("visit www.cheap-pills.biz today.", ["www.cheap-pills.biz"]),
    ("go to spam-site.com/offer, really", ["spam-site.com/offer"]),
    ("زوروا موقعنا example.net للمزيد", ["example.net"]),
    ("HTTP://SHOUTY.EXAMPLE.ORG", ["HTTP://SHOUTY.EXAMPLE.ORG"]),
])
def test_link(body: str, found: list[str]) -> None:
    assert flag(body, "link") == found


@pytest.mark.parametrize("body", ["e.g. this, i.e. that", "pi is 3.14", "see page 4.5", "Hello.World", "in the US"])
def test_not_a_link(body: str) -> None:
    assert flag(body, "link") is None


def test_link_allowlist_per_site() -> None:
    site = screener_for(SitePolicy(link_allow_domains=("news.example",)))
    body = "as https://news.example/a1 and www.sub.news.example said, unlike spam.com"
    assert flag(body, "link", site) == ["spam.com"]
    assert flag("see https://news.example/a1", "link", site) is None


@pytest.mark.parametrize("body,found", [
    ("call +966 55 123 4567", ["+966 55 123 4567"]),
    ("call 0020 100 123 4567 now", ["0020 100 123 4567"]),
    ("رقمي ٠١٠١٢٣٤٥٦٧٨ اتصلوا", ["٠١٠١٢٣٤٥٦٧٨"]),
    ("mobile 07700 900123", ["07700 900123"]),
    ("(555) 123-4567 after six", ["(555) 123-4567"]),
    ("mail me: jane.doe+news@example.co.uk.", ["jane.doe+news@example.co.uk"]),
])
def test_personal_data(body: str, found: list[str]) -> None:
    assert flag(body, "personal_data") == found


@pytest.mark.parametrize("body", ["between 2024-2025", "1,000,000 people", "order 12345678", "room 101 at 9:30",
                                  "the year ١٩٤٨", "@someone said"])
def test_not_personal_data(body: str) -> None:
    assert flag(body, "personal_data") is None


def test_an_email_is_personal_data_not_a_link() -> None:
    body = "write to bob@example.com"
    assert flag(body, "personal_data") == ["bob@example.com"]
    assert flag(body, "link") is None


def test_shouting() -> None:
    assert flag("THIS IS AN OUTRAGE AND EVERYONE KNOWS IT", "shouting") == ["THIS IS AN OUTRAGE AND EVERYONE KNOWS IT"]
    assert flag("The NHS and the BBC said OK", "shouting") is None
    assert flag("WOW", "shouting") is None  # too short to be shouting
    assert flag("هذا غير مقبول أبداً ولا يمكن السكوت عنه", "shouting") is None


def test_shouting_threshold_is_policy() -> None:
    strict = screener_for(SitePolicy(thresholds=Thresholds(shouting_ratio=0.5, shouting_min_letters=5)))
    assert flag("HELLO there", "shouting", strict) == ["HELLO"]


@pytest.mark.parametrize("body,found", [
    ("sooooooo good", ["ooooooo"]),
    ("what!!!!!!!", ["!!!!!!!"]),
    ("no no no no no way", ["no no no no no"]),
    ("لا لا لا لا", ["لا لا لا لا"]),
    ("asdfghjkl qwrtypsdfg", ["asdfghjkl", "qwrtypsdfg"]),
])
def test_repetition(body: str, found: list[str]) -> None:
    assert flag(body, "repetition") == found


@pytest.mark.parametrize("body", ["sooo good", "no no no", "well... maybe", "Mississippi strengths rhythms"])
def test_not_repetition(body: str) -> None:
    assert flag(body, "repetition") is None


def test_risk_puts_abuse_and_spam_above_ordinary_comments() -> None:
    s = default_screener()
    clean, thanks, link, rude = (s.screen(b).risk for b in ("nice piece", "great article, thanks", "see www.x.com",
                                                           "you bastard"))
    assert max(clean, thanks) < 50 < min(link, rude) and rude <= 100
    assert s.screen("bastard " * 200 + "www.x.com " * 50).risk >= 95


def test_low_severity_words_raise_no_flag_unless_the_site_asks_and_weigh_little() -> None:
    result = default_screener().screen("the murder trial resumed")
    assert result.flags == [] and result.risk < 50 <= default_screener().screen("you idiot").risk
    strict = screener_for(replace(Policies().defaults, thresholds=replace(Thresholds(), profanity_min_severity="low")))
    assert [(f.code, f.severity) for f in strict.screen("the murder trial resumed").flags] == [("profanity", "low")]
