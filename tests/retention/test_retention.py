"""Retention: personal data erased after MODERATION_PII_DAYS, rejected comments deleted after
MODERATION_RETENTION_DAYS, and `moderation forget` (issue 17, item 5)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis

from moderation import retention
from moderation.cli.main import main
from moderation.settings import ConfigError, Settings, current
from moderation.store import keys
from tests.conftest import ADMIN_HEADERS, payload, submit
from tests.redis_server import RedisServer

DAY_MS = 24 * 3600 * 1000
EMAIL, OTHER = "layla@example.com", "omar@example.com"


def _comment(client: FlaskClient, body: str, email: str = EMAIL, ip: str = "203.0.113.7") -> str:
    r = submit(client, payload(body, author={"name": "Layla" if email == EMAIL else "Omar", "email": email},
                               client={"ip": ip, "user_agent": "Mozilla/5.0"}))
    assert r.status_code == 202, r.json
    return str(r.json["id"])


def _decide(client: FlaskClient, cid: str, action: str) -> None:
    body = {"action": action, **({"reason": "abuse"} if action == "reject" else {})}
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json=body)
    assert r.status_code == 200, r.json


def _detail(client: FlaskClient, cid: str) -> Any:
    return client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS)


@pytest.fixture()
def three(client: FlaskClient, work: Any) -> dict[str, str]:
    """One comment published, one rejected, one still pending, by the same author."""
    ids = {name: _comment(client, f"a comment that ends {name}") for name in ("published", "rejected", "pending")}
    work()
    _decide(client, ids["published"], "approve")
    _decide(client, ids["rejected"], "reject")
    return ids


def _sweep(redis: Redis, days_later: float) -> retention.Swept:
    return retention.sweep(redis, pii_days=30, retention_days=90, now_ms=int((time.time() + days_later * 86400) * 1000))


def test_personal_data_is_erased_after_the_pii_days_and_the_rest_still_works(
        client: FlaskClient, redis: Redis, three: dict[str, str]) -> None:
    assert _sweep(redis, 29) == retention.Swept(0, 0)
    assert _detail(client, three["pending"]).json["author"]["email"] == EMAIL
    assert _sweep(redis, 31) == retention.Swept(3, 0)
    for cid in three.values():
        seen = _detail(client, cid).json
        assert seen["author"]["email"] is None and seen["client"] == {"ip": None, "user_agent": None}
        assert not {"author_email", "client_ip", "user_agent"} & set(redis.hgetall(keys.comment_key(cid)))
    # The published comment keeps only what readers see (and what reversing its decision needs).
    assert set(redis.hgetall(keys.comment_key(three["published"]))) <= set(retention.PUBLIC)
    public = client.get("/v1/sites/demo/articles/article-1/comments").json["comments"]
    assert [(c["id"], c["author"]["name"]) for c in public] == [(three["published"], "Layla")]
    # The author's history still adds up through the pseudonym the comments keep.
    _decide(client, three["pending"], "approve")
    history = _detail(client, three["pending"]).json["author_history"]
    assert (history["approved"], history["rejected"], history["comments"]) == (2, 1, 3)
    assert _sweep(redis, 31) == retention.Swept(0, 0)  # nothing left to erase: a second sweep is a no-op


def test_rejected_comments_are_deleted_after_the_retention_days_and_others_kept(
        client: FlaskClient, redis: Redis, three: dict[str, str]) -> None:
    _sweep(redis, 31)
    assert _sweep(redis, 89).deleted == 0
    assert _sweep(redis, 91) == retention.Swept(0, 1)
    assert _detail(client, three["rejected"]).status_code == 404
    assert redis.zcard(keys.decided_key("rejected")) == redis.zcard(keys.decided_key("rejected", "demo")) == 0
    assert not redis.exists(keys.comment_key(three["rejected"]), keys.audit_stream_key(comment_id=three["rejected"]))
    assert any(e.get("comment_id") == three["rejected"] for _, e in redis.xrange(keys.audit_stream_key()))
    assert _detail(client, three["published"]).status_code == 200
    assert _detail(client, three["pending"]).json["status"] == "pending_review"
    # The pending one waits in the index: rejected later, it is deleted by a later sweep.
    _decide(client, three["pending"], "reject")
    assert _sweep(redis, 91) == retention.Swept(0, 1)
    assert _detail(client, three["pending"]).status_code == 404


def test_forget_erases_one_author_everywhere_and_is_audited(client: FlaskClient, redis: Redis, work: Any,
                                                            redis_server: RedisServer) -> None:
    mine = [_comment(client, "first of mine"), _comment(client, "second of mine", ip="203.0.113.8")]
    theirs = _comment(client, "someone else's", email=OTHER, ip="198.51.100.1")
    work()
    _decide(client, mine[0], "approve")
    ban = client.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": EMAIL, "site": "demo"})
    assert ban.status_code == 201, ban.json
    current.cache_clear()  # the worker read its settings without REDIS_URL; the command reads them from its own
    done = CliRunner().invoke(main, ["forget", "--site", "demo", "--email", EMAIL],
                              env={"REDIS_URL": redis_server.url})
    assert done.exit_code == 0, done.output
    assert "forgot the author of 2 comments on demo" in done.output
    for cid in mine:
        seen = _detail(client, cid).json
        assert seen["author"] == {"name": "", "email": None} and seen["client"]["ip"] is None
    assert _detail(client, theirs).json["author"]["email"] == OTHER
    ref = keys.author_ref(EMAIL)
    assert not redis.exists(keys.author_key("demo", ref), keys.author_comments_key("demo", ref),
                            keys.address_key("demo", "203.0.113.7"), keys.address_key("demo", "203.0.113.8"))
    assert redis.exists(keys.address_key("demo", "198.51.100.1"))
    # The ban holds by the email's hash, without the email.
    assert [b["value"] for b in client.get("/v1/moderation/bans", headers=ADMIN_HEADERS).json["bans"]] \
        == ["(forgotten)"]
    assert submit(client, payload("back again", author={"name": "L", "email": EMAIL})).status_code == 403
    everything = [str(entry) for _, entry in redis.xrange(keys.audit_stream_key())]
    assert any("author.forget" in e and ref in e for e in everything)
    assert not any(EMAIL in e for e in everything)


def test_the_retention_days_may_not_be_fewer_than_the_pii_days() -> None:
    with pytest.raises(ConfigError, match="MODERATION_RETENTION_DAYS"):
        Settings.load({"MODERATION_PII_DAYS": "30", "MODERATION_RETENTION_DAYS": "10"})
