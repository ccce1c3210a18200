"""Idempotent replays, and Redis outages: a 503 with Retry-After, never a 202 for an unstored comment."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from moderation.signing import sign
from tests.conftest import ADMIN_HEADERS, SECRET, make_app, payload, submit, wait_for
from tests.redis_server import RedisServer
from workers.run import run


def test_same_key_same_body_replays_the_first_answer(client: FlaskClient, redis: Redis) -> None:
    first = submit(client, payload("once"), idempotency_key="order-42")
    again = submit(client, payload("once"), idempotency_key="order-42")
    assert first.status_code == again.status_code == 202
    assert again.json == first.json
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true"
    assert len(list(redis.scan_iter("mod:comment:*"))) == 1
    assert redis.zcard("mod:inbox:demo") == 1


def test_keys_are_per_site(client: FlaskClient, redis: Redis) -> None:
    from tests.conftest import OTHER_SECRET

    a = submit(client, payload("same"), idempotency_key="k")
    b = submit(client, payload("same"), site="other", secret=OTHER_SECRET, idempotency_key="k")
    assert a.json["id"] != b.json["id"]


def test_without_a_key_each_newly_signed_post_is_a_new_comment(client: FlaskClient, redis: Redis) -> None:
    now = int(time.time())
    ids = {submit(client, payload("same text"), timestamp=now - i).json["id"] for i in range(3)}
    assert len(ids) == 3


def test_a_captured_signed_request_sent_again_stores_nothing_new(client: FlaskClient, redis: Redis) -> None:
    """Issue 13, finding 7: 40 sends of one capture without an Idempotency-Key stored 30 comments."""
    body = json.dumps(payload("captured once, sent forty times")).encode()
    headers = {"Content-Type": "application/json", "X-Signature": sign(SECRET, body)}
    answers = [client.post("/v1/sites/demo/comments", data=body, headers=headers) for _ in range(40)]
    assert {r.status_code for r in answers} == {202}
    assert len({r.json["id"] for r in answers}) == 1
    assert all(r.headers.get("Idempotent-Replayed") == "true" for r in answers[1:])
    assert len(list(redis.scan_iter("mod:comment:*"))) == 1
    assert redis.zcard("mod:inbox:demo") == 1
    # The record lasts only while the signature could be replayed, not for a day.
    (record,) = redis.scan_iter("mod:signed:*")
    assert 300 < redis.ttl(record) <= 400


def test_a_replay_with_a_signature_list_reordered_is_still_a_replay(client: FlaskClient, redis: Redis) -> None:
    body = json.dumps(payload("one request")).encode()
    header = sign(SECRET, body)
    first = client.post("/v1/sites/demo/comments", data=body,
                        headers={"Content-Type": "application/json", "X-Signature": header})
    t, v1 = header.split(",")
    again = client.post("/v1/sites/demo/comments", data=body, headers={
        "Content-Type": "application/json", "X-Signature": f"{v1.upper().replace('V1=', 'v1=')},v1={'0' * 64},{t}"})
    assert again.status_code == 202 and again.json["id"] == first.json["id"]


def test_concurrent_requests_with_one_key_make_one_comment(app: Flask, redis: Redis) -> None:
    answers: list[tuple[int, str]] = []
    barrier = threading.Barrier(8)

    def post() -> None:
        client = app.test_client()
        barrier.wait()
        r = submit(client, payload("racing"), idempotency_key="race-1")
        answers.append((r.status_code, r.json["id"]))

    threads = [threading.Thread(target=post) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert {status for status, _ in answers} == {202}
    assert len({cid for _, cid in answers}) == 1
    assert len(list(redis.scan_iter("mod:comment:*"))) == 1
    assert redis.zcard("mod:inbox:demo") == 1


@pytest.fixture()
def own_redis(tmp_path: Path) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path / "redis", appendonly=True, fsync="always").start()
    yield server
    server.kill()


def test_redis_down_gives_503_with_retry_after_and_never_202(own_redis: RedisServer) -> None:
    client = make_app(own_redis.url).test_client()
    assert submit(client).status_code == 202
    assert client.get("/readyz").status_code == 200
    own_redis.kill()

    for _ in range(5):
        r = submit(client)
        assert r.status_code == 503
        assert r.json["error"] == "unavailable"
        assert int(r.headers["Retry-After"]) > 0
    assert client.get("/readyz").status_code == 503
    assert client.get("/healthz").status_code == 200
    assert client.get("/v1/moderation/queue", headers=ADMIN_HEADERS).status_code == 503
    assert client.get("/v1/sites/demo/articles/article-1/comments").status_code == 503

    own_redis.start()
    assert client.get("/readyz").status_code == 200
    assert submit(client).status_code == 202


def test_kill_during_intake_keeps_every_accepted_comment_with_its_job(own_redis: RedisServer) -> None:
    """kill -9 of Redis mid-flood: each 202 survives the restart, each stored comment has its job."""
    client = make_app(own_redis.url).test_client()
    accepted: list[str] = []
    statuses: list[int] = []
    stop = threading.Event()

    def flood() -> None:
        i = 0
        while not stop.is_set() and i < 5000:
            r = submit(client, payload(f"comment {i}", author={"name": "R", "email": f"reader{i}@example.com"},
                                       client={"ip": f"198.51.{i // 250}.{i % 250}"}))
            statuses.append(r.status_code)
            if r.status_code == 202:
                accepted.append(r.json["id"])
            i += 1

    thread = threading.Thread(target=flood)
    thread.start()
    wait_for(lambda: len(accepted) >= 50)
    own_redis.kill()
    n_before = len(statuses)
    wait_for(lambda: len(statuses) >= n_before + 20)
    stop.set()
    thread.join()
    own_redis.start()

    assert set(statuses) <= {202, 503}
    assert statuses[-1] == 503  # the flood ended while Redis was down
    redis = Redis.from_url(own_redis.url, decode_responses=True)
    stored = {str(k).split(":")[-1] for k in redis.scan_iter("mod:comment:*")}
    assert set(accepted) <= stored
    assert stored == set(redis.zrange("mod:inbox:demo", 0, -1))  # each waits for screening ...
    assert redis.lrange("rq:queue:screening:demo", 0, -1) == [redis.get("mod:screening:job:demo")]  # ... by a job
    # ... and every one of them is screened after the restart.
    run(burst=True, redis_url=own_redis.url)
    assert {redis.hget(f"mod:comment:{cid}", "status") for cid in stored} == {"pending_review"}


def test_redis_out_of_memory_is_a_503_with_retry_after_and_stores_nothing(tmp_path: Path) -> None:
    """Issue 13, finding 6: Redis OOM answered 500 without Retry-After."""
    from redis.exceptions import OutOfMemoryError

    server = RedisServer(tmp_path / "redis").start()
    try:
        redis = Redis.from_url(server.url, decode_responses=True)
        client = make_app(server.url).test_client()
        kept = submit(client, payload("before memory ran out")).json["id"]
        redis.config_set("maxmemory-policy", "noeviction")
        redis.config_set("maxmemory", str(int(redis.info("memory")["used_memory"]) + 100_000))
        with pytest.raises(OutOfMemoryError):
            for i in range(100_000):  # small values: no freed buffer leaves room once it is full
                redis.set(f"filler:{i}", "x" * 500)
        r = submit(client, payload("while memory is full", author={"name": "F", "email": "f@example.com"}))
        assert r.status_code == 503 and r.json["error"] == "unavailable" and int(r.headers["Retry-After"]) > 0
        decision = client.post(f"/v1/moderation/comments/{kept}/decision", headers=ADMIN_HEADERS,
                               json={"action": "approve"})
        assert decision.status_code in (409, 503)  # not pending yet (no worker ran), or the write refused
        bulk = client.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": "x@example.com"})
        assert bulk.status_code == 503 and "Retry-After" in bulk.headers
        assert [k for k in redis.scan_iter("mod:comment:*")] == [f"mod:comment:{kept}"]
    finally:
        server.kill()


def test_past_capacity_the_intake_refuses_fast_and_stores_nothing(app: Flask, redis: Redis) -> None:
    """Issue 13, finding 5: past capacity, requests waited until their clients gave up, and were stored anyway."""
    import time as clock

    client = app.test_client()
    gate = app.extensions["moderation.admission"]
    for _ in range(app.extensions["moderation.settings"].intake_concurrency):
        gate.slots.acquire()  # every slot taken, as by requests in progress
    try:
        started = clock.monotonic()
        r = submit(client, payload("one too many"))
        assert clock.monotonic() - started < 1
        assert r.status_code == 503 and r.json["error"] == "overloaded" and r.headers["Retry-After"] == "1"
        assert list(redis.scan_iter("mod:comment:*")) == []
    finally:
        for _ in range(app.extensions["moderation.settings"].intake_concurrency):
            gate.slots.release()
    assert submit(client, payload("room again")).status_code == 202


def test_a_request_past_its_deadline_stores_nothing(redis_server: RedisServer, redis: Redis) -> None:
    client = make_app(redis_server.url, INTAKE_DEADLINE=-1).test_client()  # every request arrives too late
    r = submit(client, payload("too late"))
    assert r.status_code == 503 and r.json["error"] == "overloaded"
    assert list(redis.scan_iter("mod:comment:*")) == []
    assert redis.llen("rq:queue:screening:demo") == 0 == redis.zcard("mod:inbox:demo")
