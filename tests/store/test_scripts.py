"""Each Lua script run directly against a real Redis, KEYS and ARGV as its header documents them (as rq's own
tests/test_scripts.py does), apart from the HTTP paths that call them."""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import Any

import pytest
from redis import Redis

from moderation.store import keys, scripts
from moderation.store.comments import ADDRESS_WINDOW_MS, AUTHOR_HISTORY_KEEP, SIGNED_REQUEST_TTL

SITE, ARTICLE, EMAIL, IP = "demo", "a1", "r@example.com", "203.0.113.9"
STAMP = "2026-12-04T10:00:00.000000Z"
JOB_VARYING: list[str | bytes] = [STAMP, STAMP, b"\x78\x01call", "desc", b"meta"]
JOB_CONSTANT = ["status", "queued", "origin", keys.screening_queue_name(SITE)]


def test_every_script_documents_its_keys_and_argv_and_ships_in_the_package() -> None:
    shipped = sorted(p.name for p in (files("moderation.store") / "lua").iterdir() if p.name.endswith(".lua"))
    assert shipped == sorted(f"{name}.lua" for name in scripts.NAMES)
    for name in scripts.NAMES:
        header = "\n".join(line for line in scripts.source(name).splitlines() if line.startswith("--"))
        used = set(re.findall(r"(KEYS|ARGV)\[", scripts.source(name)))
        assert header.startswith(f"-- {name}:"), name
        assert all(f"-- {kind}[" in header for kind in used), (name, used)


def test_a_script_is_read_once_and_runs_again_after_redis_forgets_it(redis: Redis) -> None:
    scripts.source.cache_clear()
    release = scripts.register(redis, "release")
    scripts.register(redis, "release")
    assert scripts.source.cache_info().misses == 1
    redis.set(keys.lease_key("c1"), "ann")
    redis.script_flush()
    release(keys=[keys.lease_key("c1")], args=["ann", "0"])
    assert not redis.exists(keys.lease_key("c1"))


def accept(redis: Redis, cid: str, *, created: int = 1_000_000, site: str = SITE, idem: str = "",
           parent: str = "", max_backlog: int = 0, per_author: int = 30, body_sha: str = "sha",
           article: str = ARTICLE) -> list[Any]:
    """Run the intake's script for one comment, KEYS and ARGV in its documented order."""
    queue = f"rq:queue:{keys.screening_queue_name(site)}"
    ban_keys = [keys.ban_key(f"email-{site}-x"), keys.ban_key("ip-x")]
    script_keys = [keys.comment_key(cid), keys.RECEIVED, keys.METRICS_INTAKE, queue,
                   keys.author_comments_key(site, keys.author_ref(EMAIL)), keys.address_key(site, IP), idem,
                   keys.comment_key(parent) if parent else "", keys.replies_key(parent) if parent else "",
                   f"rq:job:{keys.screening_job_id(cid)}", "rq:queues", keys.RETAIN_PII, *ban_keys]
    comment = {"id": cid, "site": site, "article_id": article, "body": "ساعة طيبة", "status": "received",
               "created_ms": str(created)}
    args: list[Any] = [cid, created, created - 600_000, per_author, 100, body_sha, created - ADDRESS_WINDOW_MS, site,
                       article, keys.screening_job_id(cid), json.dumps(comment, ensure_ascii=False), max_backlog,
                       86400, SIGNED_REQUEST_TTL, AUTHOR_HISTORY_KEEP, ADDRESS_WINDOW_MS, *JOB_VARYING, *JOB_CONSTANT]
    return list(scripts.register(redis, "accept")(keys=script_keys, args=args))


def test_accept_stores_the_comment_its_indexes_and_its_rq_job(redis: Redis) -> None:
    assert accept(redis, "c1") == ["ok"]
    assert redis.hgetall(keys.comment_key("c1"))["body"] == "ساعة طيبة"
    assert redis.zscore(keys.RECEIVED, "c1") == 1_000_000 == redis.zscore(keys.RETAIN_PII, "c1")
    assert redis.hget(keys.METRICS_INTAKE, "202") == "1"
    assert redis.lrange("rq:queue:screening:demo", 0, -1) == ["screen-c1"]
    assert redis.smembers("rq:queues") == {"rq:queue:screening:demo"}
    job = redis.hgetall("rq:job:screen-c1")
    assert job["status"] == "queued" and job["origin"] == "screening:demo" and job["description"] == "desc"
    assert set(job) == {"status", "origin", "created_at", "enqueued_at", "data", "description", "meta"}
    assert redis.zrange(keys.author_comments_key(SITE, keys.author_ref(EMAIL)), 0, -1) == ["c1"]
    assert 0 < redis.pttl(keys.address_key(SITE, IP)) <= ADDRESS_WINDOW_MS


def _nothing_of(redis: Redis, cid: str) -> bool:
    return not redis.exists(keys.comment_key(cid), f"rq:job:screen-{cid}") and redis.zscore(keys.RECEIVED, cid) is None


def test_accept_replays_a_known_request_and_keeps_its_record_for_the_ttl(redis: Redis) -> None:
    idem = keys.idempotency_key(SITE, "k1")
    assert accept(redis, "c1", idem=idem) == ["ok"]
    assert 86000 < redis.ttl(idem) <= 86400
    assert accept(redis, "c2", idem=idem, body_sha="other") == ["replay", "c1", "sha"]
    assert _nothing_of(redis, "c2")
    signed = keys.signed_request_key(SITE, 1, "abc")
    assert accept(redis, "c3", idem=signed, body_sha="") == ["ok"]
    assert redis.ttl(signed) <= SIGNED_REQUEST_TTL


def test_accept_refuses_past_the_sites_own_backlog(redis: Redis) -> None:
    assert accept(redis, "c1", max_backlog=2) == ["ok"]
    assert accept(redis, "c2", max_backlog=2, created=1_000_001) == ["ok"]
    assert accept(redis, "c3", max_backlog=2, created=1_000_002) == ["overloaded", "2"]
    assert _nothing_of(redis, "c3")
    # Another site's queue is its own: the flood on demo does not refuse it.
    assert accept(redis, "c4", max_backlog=2, site="other") == ["ok"]


def test_accept_refuses_a_banned_author_and_one_over_the_limit(redis: Redis) -> None:
    redis.hset(keys.ban_key("ip-x"), "reason", "spam")
    assert accept(redis, "c1") == ["banned"]
    redis.delete(keys.ban_key("ip-x"))
    assert accept(redis, "c1", per_author=2, created=1_000_000) == ["ok"]
    assert accept(redis, "c2", per_author=2, created=1_000_500) == ["ok"]
    assert accept(redis, "c3", per_author=2, created=1_001_000) == ["limited", "author", "1000000"]
    assert _nothing_of(redis, "c3")


def test_accept_takes_a_reply_only_to_a_comment_of_the_same_article(redis: Redis) -> None:
    assert accept(redis, "p1") == ["ok"]
    assert accept(redis, "r1", parent="p1", created=1_000_001) == ["ok"]
    assert redis.smembers(keys.replies_key("p1")) == {"r1"}
    assert accept(redis, "r2", parent="p1", article="a2", created=1_000_002) == ["no_parent"]
    assert accept(redis, "r3", parent="nosuch", created=1_000_003) == ["no_parent"]
    assert _nothing_of(redis, "r2") and _nothing_of(redis, "r3")


def _pending(redis: Redis, *ids: str) -> None:
    redis.zadd(keys.QUEUE_ALL, {cid: i for i, cid in enumerate(ids)})


def claim(redis: Redis, who: str, want: int, *also: str, scan: int = 2000) -> list[str]:
    return list(scripts.register(redis, "claim")(keys=[keys.QUEUE_ALL, *also],
                                                 args=[who, want, 60_000, keys.LEASE_PREFIX, scan]))


def test_claim_leases_in_order_and_never_what_another_holds(redis: Redis) -> None:
    _pending(redis, "c1", "c2", "c3", "c4")
    assert claim(redis, "ann", 2) == ["c1", "c2"]
    assert claim(redis, "bob", 5) == ["c3", "c4"]
    assert claim(redis, "ann", 5) == ["c1", "c2"]  # her own again, for the full time
    assert redis.get(keys.lease_key("c3")) == "bob" and 0 < redis.pttl(keys.lease_key("c3")) <= 60_000


def test_claim_takes_only_comments_in_every_index_and_looks_no_further_than_told(redis: Redis) -> None:
    _pending(redis, *(f"c{i}" for i in range(10)))
    redis.zadd(keys.flag_queue_key("link"), {"c2": 0, "c8": 0})
    assert claim(redis, "ann", 5, keys.flag_queue_key("link")) == ["c2", "c8"]
    assert claim(redis, "bob", 5, scan=3) == ["c0", "c1"]


def test_claim_ids_leases_only_pending_comments_nobody_else_holds(redis: Redis) -> None:
    _pending(redis, "c1", "c2")
    redis.set(keys.lease_key("c2"), "bob")
    claim_ids = scripts.register(redis, "claim_ids")
    assert claim_ids(keys=[keys.QUEUE_ALL], args=["ann", 60_000, keys.LEASE_PREFIX, "c2", "gone", "c1"]) == ["c1"]


@pytest.mark.parametrize(("who", "anyone", "left"), [("ann", "0", {"bob"}), ("root", "1", set())])
def test_release_drops_the_callers_leases_or_any_for_an_admin(redis: Redis, who: str, anyone: str,
                                                             left: set[str]) -> None:
    redis.set(keys.lease_key("c1"), "ann")
    redis.set(keys.lease_key("c2"), "bob")
    scripts.register(redis, "release")(keys=[keys.lease_key("c1"), keys.lease_key("c2")], args=[who, anyone])
    assert redis.get(keys.lease_key("c1")) is None
    assert {redis.get(keys.lease_key("c2"))} - {None} == left
