"""Filters that need Redis, through the API and a real worker: duplicate, flood, new_author, author_history."""

from __future__ import annotations

from typing import Any

from _pytest.monkeypatch import MonkeyPatch
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from tests.conftest import ADMIN_HEADERS, payload, submit


def flags_of(client: FlaskClient, cid: str) -> dict[str, Any]:
    detail = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
    return {f["code"]: f for f in detail["flags"]}


def author(i: int) -> dict[str, str]:
    return {"name": f"Reader {i}", "email": f"reader{i}@example.com"}


def test_first_comment_is_new_author_then_not(client: FlaskClient, work: Any) -> None:
    first = submit(client, payload("first words", author=author(1))).json["id"]
    second = submit(client, payload("second words", author=author(1))).json["id"]
    other_site = submit(client, payload("hi", author=author(1)), site="other", secret="other-secret").json["id"]
    work()
    assert flags_of(client, first)["new_author"]["severity"] == "low"
    assert "new_author" not in flags_of(client, second)
    assert "new_author" in flags_of(client, other_site)  # history is per site


def test_author_with_rejections_is_flagged(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"comment {i}", author=author(2))).json["id"] for i in range(4)]
    work()
    for cid in ids[:3]:
        client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS,
                    json={"action": "reject", "reason": "abuse"})
    later = submit(client, payload("I am back", author=author(2))).json["id"]
    work()
    history = flags_of(client, later)["author_history"]
    assert history["severity"] == "high"
    assert "3 of this author's 3" in history["message"]
    assert "author_history" not in flags_of(client, ids[3])  # screened before any rejection


def test_duplicate_text_on_the_same_site(client: FlaskClient, work: Any) -> None:
    first = submit(client, payload("Buy cheap watches now", author=author(3))).json["id"]
    copy = submit(client, payload("buy  CHEAP watches, now!", author=author(4))).json["id"]
    other = submit(client, payload("Buy cheap watches now", author=author(5)), site="other",
                   secret="other-secret").json["id"]
    work()
    assert "duplicate" not in flags_of(client, first)
    dup = flags_of(client, copy)["duplicate"]
    assert first in dup["message"]
    assert dup["evidence"] == [{"start": 0, "end": len("buy  CHEAP watches, now!"), "text": "buy  CHEAP watches, now!"}]
    assert "duplicate" not in flags_of(client, other)


def test_flood_from_one_email_is_flagged(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"message {i}", author=author(6))).json["id"] for i in range(7)]
    work()
    assert "flood" not in flags_of(client, ids[4])
    flood = flags_of(client, ids[6])["flood"]
    assert flood["message"].startswith("7 comments from this email")


def test_comments_in_one_millisecond_count_only_those_before(client: FlaskClient, work: Any,
                                                              monkeypatch: MonkeyPatch) -> None:
    clock = iter(range(1_700_000_000_000_000, 1_700_000_000_000_999))  # one microsecond a comment, one ms in all
    monkeypatch.setattr("moderation.store.comments.now_us", lambda: next(clock))
    ids = [submit(client, payload(f"tick {i}", author=author(8), client={"ip": "192.0.2.77"})).json["id"]
           for i in range(7)]
    work()
    flags = [flags_of(client, cid) for cid in ids]
    assert ["new_author" in f for f in flags] == [True] + [False] * 6
    assert ["flood" in f for f in flags] == [False] * 5 + [True] * 2
    assert flags[5]["flood"]["message"].startswith("6 comments from this email")


def test_flood_from_one_address_is_flagged(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"hello {i}", author=author(100 + i), client={"ip": "192.0.2.9"})).json["id"]
           for i in range(17)]
    work()
    assert "flood" not in flags_of(client, ids[14])
    assert "address" in flags_of(client, ids[16])["flood"]["message"]


def test_intake_answers_429_past_the_limit_with_retry_after(app: Flask, redis: Redis) -> None:
    client = app.test_client()
    for i in range(30):
        assert submit(client, payload(f"note {i}", author=author(7))).status_code == 202
    r = submit(client, payload("one too many", author=author(7)))
    assert r.status_code == 429
    assert r.json["error"] == "rate_limited"
    assert 590 <= int(r.headers["Retry-After"]) <= 600
    assert len(list(redis.scan_iter("mod:comment:*"))) == 30
    # Another author is not affected.
    assert submit(client, payload("hello", author=author(8))).status_code == 202


def test_no_email_or_address_appears_in_key_names(client: FlaskClient, redis: Redis, work: Any) -> None:
    submit(client, payload("hi", author={"name": "N", "email": "secret.person@example.org"},
                           client={"ip": "198.51.100.77"}))
    work()
    keys = " ".join(redis.scan_iter("*"))
    assert "secret.person" not in keys and "198.51.100.77" not in keys


def test_model_flags_with_scores_and_evidence_and_the_language_screening_found(client: FlaskClient, work: Any) -> None:
    rude_text = "You are a worthless piece of garbage and a moron"
    rude = submit(client, payload(rude_text, author=author(7), language="ar")).json["id"]
    spam = submit(client, payload("Check out my channel and subscribe!! Win cash now, call 0101 234 5678",
                                  author=author(8))).json["id"]
    arabic = submit(client, payload("انت حمار وغبي وحقير يا كلب", author=author(9), language="en")).json["id"]
    calm = submit(client, payload("The council will vote on the budget next week.", author=author(10))).json["id"]
    work()
    tox = flags_of(client, rude)["toxicity"]
    assert tox["score"] >= 0.9 and tox["severity"] in ("low", "medium", "high")
    shown = [e["text"] for e in tox["evidence"]]
    assert shown and set(shown) <= set(rude_text.split()) and "moron" in shown  # the words that weighed most
    assert flags_of(client, spam)["spam"]["score"] >= 0.9
    assert flags_of(client, arabic)["toxicity"]["score"] >= 0.9
    assert not {"toxicity", "spam"} & set(flags_of(client, calm))
    detail = {cid: client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
              for cid in (rude, arabic, calm)}
    # The language is what screening found in the text, whatever the site sent.
    assert [detail[c]["language"] for c in (rude, arabic, calm)] == ["en", "ar", "en"]
    risks = {cid: detail[cid]["risk"] for cid in detail}
    assert risks[rude] > risks[calm] and risks[arabic] > risks[calm]
    queue = client.get("/v1/moderation/queue?language=ar", headers=ADMIN_HEADERS).json["items"]
    assert [c["id"] for c in queue] == [arabic]
    assert client.get("/v1/moderation/queue?language=fr", headers=ADMIN_HEADERS).status_code == 422
