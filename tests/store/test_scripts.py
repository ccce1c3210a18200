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
    job_id = keys.batch_job_id(cid)  # a fresh one for each comment, as the intake makes
    script_keys = [keys.comment_key(cid), keys.inbox_key(site), keys.METRICS_INTAKE, queue,
                   keys.author_comments_key(site, keys.author_ref(EMAIL)), keys.address_key(site, IP), idem,
                   keys.comment_key(parent) if parent else "", keys.replies_key(parent) if parent else "",
                   f"rq:job:{job_id}", "rq:queues", keys.RETAIN_PII, keys.batch_job_key(site), *ban_keys]
    comment = {"id": cid, "site": site, "article_id": article, "body": "ساعة طيبة", "status": "received",
               "created_ms": str(created)}
    args: list[Any] = [cid, created, created - 600_000, per_author, 100, body_sha, created - ADDRESS_WINDOW_MS, site,
                       article, job_id, json.dumps(comment, ensure_ascii=False), max_backlog,
                       86400, SIGNED_REQUEST_TTL, AUTHOR_HISTORY_KEEP, ADDRESS_WINDOW_MS, *JOB_VARYING, *JOB_CONSTANT]
    return list(scripts.register(redis, "accept")(keys=script_keys, args=args))


def test_accept_stores_the_comment_its_indexes_and_a_batch_job_for_its_site(redis: Redis) -> None:
    assert accept(redis, "c1") == ["ok"]
    assert redis.hgetall(keys.comment_key("c1"))["body"] == "ساعة طيبة"
    assert redis.zscore(keys.inbox_key(SITE), "c1") == 1_000_000 == redis.zscore(keys.RETAIN_PII, "c1")
    assert redis.hget(keys.METRICS_INTAKE, "202") == "1"
    first_job = keys.batch_job_id("c1")
    assert redis.lrange("rq:queue:screening:demo", 0, -1) == [first_job] == [redis.get(keys.batch_job_key(SITE))]
    assert redis.smembers("rq:queues") == {"rq:queue:screening:demo"}
    job = redis.hgetall(f"rq:job:{first_job}")
    assert job["status"] == "queued" and job["origin"] == "screening:demo" and job["description"] == "desc"
    assert set(job) == {"status", "origin", "created_at", "enqueued_at", "data", "description", "meta"}
    assert redis.zrange(keys.author_comments_key(SITE, keys.author_ref(EMAIL)), 0, -1) == ["c1"]
    assert 0 < redis.pttl(keys.address_key(SITE, IP)) <= ADDRESS_WINDOW_MS


def test_accept_writes_no_second_job_while_the_sites_batch_job_waits(redis: Redis) -> None:
    assert accept(redis, "c1") == ["ok"]
    assert accept(redis, "c2", created=1_000_001) == ["ok"]
    assert redis.zrange(keys.inbox_key(SITE), 0, -1) == ["c1", "c2"]
    assert redis.lrange("rq:queue:screening:demo", 0, -1) == [keys.batch_job_id("c1")]
    assert not redis.exists(f"rq:job:{keys.batch_job_id('c2')}")
    # Another site has its own batch job.
    assert accept(redis, "c3", site="other") == ["ok"]
    assert redis.lrange("rq:queue:screening:other", 0, -1) == [keys.batch_job_id("c3")]


def _nothing_of(redis: Redis, cid: str) -> bool:
    return (not redis.exists(keys.comment_key(cid), f"rq:job:{keys.batch_job_id(cid)}")
            and redis.zscore(keys.inbox_key(SITE), cid) is None)


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


def screened(redis: Redis, *cids: str, own_job: bool = False, language: str = "en", created: int = 1_000_000,
             queue_keys: tuple[str, ...] = (keys.QUEUE_ALL, keys.site_queue_key(SITE)),
             score: int = 9_000_000_001_000_000) -> list[int]:
    """Run the screening's recording script for a batch, KEYS and ARGV in its documented order."""
    fields = {"status": "pending_review", "flags": "[]", "risk": "40", "screened_ms": "2000000"}
    if language:
        fields["language"] = language
    script_keys = [keys.taken_key(SITE), keys.RECEIVED if own_job else "", keys.METRICS_SCREENING,
                   keys.age_key(SITE), keys.age_key(), keys.articles_key(SITE), *queue_keys]
    batch = []
    for cid in cids:
        script_keys.append(keys.comment_key(cid))
        batch.append({"id": cid, "hash": len(script_keys), "indexes": list(range(7, 7 + len(queue_keys))),
                      "score": str(score), "created": str(created), "article": ARTICLE, "fields": fields,
                      "drop_language": not language, "us": 250, "buckets": ["le_0.0005", "le_0.001"]})
    return list(scripts.register(redis, "screened")(keys=script_keys, args=["received", json.dumps(batch)]))


def take(redis: Redis, job: str, next_job: str = "next", size: int = 2, now: int = 5_000_000) -> list[Any]:
    """Run the batch job's taking script, KEYS and ARGV in its documented order."""
    return list(scripts.register(redis, "take")(
        keys=[keys.inbox_key(SITE), keys.taken_key(SITE), keys.batch_job_key(SITE), keys.batch_key(job)],
        args=[job, next_job, size, now, 60]))


def test_take_moves_the_oldest_batch_and_names_the_next_job_while_comments_wait(redis: Redis) -> None:
    for i in range(3):
        accept(redis, f"c{i}", created=1_000_000 + i)
    first = str(redis.get(keys.batch_job_key(SITE)))
    assert take(redis, first) == [1, "c0", "c1"]  # c2 waits: the caller queues "next" now
    assert redis.get(keys.batch_job_key(SITE)) == "next"
    assert redis.zrange(keys.inbox_key(SITE), 0, -1) == ["c2"]
    assert redis.zrange(keys.taken_key(SITE), 0, -1, withscores=True) == [("c0", 5_000_000), ("c1", 5_000_000)]
    assert 0 < redis.ttl(keys.batch_key(first)) <= 60
    # Run again (a retry), the job takes the same batch and names no second next job.
    assert take(redis, first, next_job="another") == [0, "c0", "c1"]
    assert redis.get(keys.batch_job_key(SITE)) == "next" and redis.zcard(keys.inbox_key(SITE)) == 1
    # The next job takes the last one: the site has no job left, so the intake's next comment makes one.
    assert take(redis, "next", next_job="unused") == [0, "c2"]
    assert not redis.exists(keys.batch_job_key(SITE))
    assert accept(redis, "c3", created=1_000_003) == ["ok"]
    assert redis.get(keys.batch_job_key(SITE)) == keys.batch_job_id("c3")
    assert take(redis, "a-job-of-nobody", next_job="unused") == [0, "c3"]  # not the site's: the next stays
    assert redis.get(keys.batch_job_key(SITE)) == keys.batch_job_id("c3")
    assert take(redis, "empty-handed") == [0]


def test_screened_records_a_batch_once_and_files_its_comments_for_review(redis: Redis) -> None:
    accept(redis, "c1")
    accept(redis, "c2", created=1_000_001)
    take(redis, "j1")
    redis.hset(keys.comment_key("c1"), "language", "ar")
    assert screened(redis, "c1", "c2", "gone", language="") == [1, 1, 0]
    comment = redis.hgetall(keys.comment_key("c1"))
    assert comment["status"] == "pending_review" and comment["risk"] == "40" and "language" not in comment
    # Scores of 16 digits stay exact.
    assert redis.zrange(keys.QUEUE_ALL, 0, -1, withscores=True) == [("c1", 9_000_000_001_000_000),
                                                                     ("c2", 9_000_000_001_000_000)]
    assert redis.zrange(keys.site_queue_key(SITE), 0, -1) == ["c1", "c2"]
    assert redis.zscore(keys.age_key(SITE), "c1") == 1_000_000 == redis.zscore(keys.age_key(), "c1")
    assert redis.zrange(keys.articles_key(SITE), 0, -1) == [ARTICLE]
    assert redis.zcard(keys.taken_key(SITE)) == 0
    assert redis.hgetall(keys.METRICS_SCREENING) == {"count": "2", "sum_us": "500", "le_0.0005": "2", "le_0.001": "2"}
    # A second run (a job run twice) changes nothing and counts nothing.
    redis.zadd(keys.taken_key(SITE), {"c1": 1_000_000})
    assert screened(redis, "c1", queue_keys=(keys.flag_queue_key("link"),)) == [0]
    assert not redis.exists(keys.flag_queue_key("link")) and redis.zcard(keys.taken_key(SITE)) == 0
    assert redis.hget(keys.METRICS_SCREENING, "count") == "2"


def test_screened_takes_a_comment_of_its_own_job_off_the_reapers_list_and_drops_a_vanished_one(redis: Redis) -> None:
    accept(redis, "c1")
    redis.zrem(keys.inbox_key(SITE), "c1")
    redis.zadd(keys.RECEIVED, {"c1": 1_000_000, "gone": 1})
    assert screened(redis, "c1", own_job=True) == [1]
    assert redis.zscore(keys.RECEIVED, "c1") is None
    assert screened(redis, "gone", own_job=True) == [0]
    assert redis.zcard(keys.RECEIVED) == 0 and not redis.exists(keys.comment_key("gone"))
