"""The screening job on a real worker: idempotent, retried on transient Redis faults, failed otherwise."""

from __future__ import annotations

import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from rq.job import Job
from rq.registry import FailedJobRegistry

from moderation.store import queues
from moderation.store.comments import CommentStore
from moderation.store.connections import rq_connection
from tests.conftest import ADMIN_HEADERS, OTHER_SECRET, payload, submit
from tests.redis_server import RedisServer


def _status(client: FlaskClient, cid: str) -> str:
    return client.get(f"/v1/sites/demo/comments/{cid}").json["status"]


def test_running_the_job_twice_leaves_one_queue_entry(client: FlaskClient, redis: Redis, work: Any,
                                                     redis_server: RedisServer) -> None:
    cid = submit(client, payload("go to www.spam.com")).json["id"]
    work()
    before = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
    # Enqueue the same screening again, as a retry or a duplicate delivery would.
    queues.enqueue_screening(queues.screening_queue(rq_connection(redis_server.url), "demo"), cid,
                             job_id=f"again-{cid}")
    work()
    after = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
    assert after == before
    job = Job.fetch(f"again-{cid}", connection=rq_connection(redis_server.url))
    assert job.return_value() == "already screened"
    assert redis.zcard("mod:queue:all") == 1
    assert redis.zcard("mod:queue:flag:link") == 1
    assert redis.hget("mod:metrics:screening", "count") == "1"


def test_a_transient_redis_fault_is_retried(client: FlaskClient, redis: Redis, work: Any,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    cid = submit(client).json["id"]
    real = CommentStore.record_screenings
    calls = {"n": 0}

    def flaky(self, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RedisConnectionError("connection reset by peer")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CommentStore, "record_screenings", flaky)
    deadline = time.monotonic() + 15
    while _status(client, cid) != "pending_review" and time.monotonic() < deadline:
        work()  # the retry waits its interval in the scheduled registry; the scheduler requeues it
        time.sleep(0.2)
    assert _status(client, cid) == "pending_review"
    assert calls["n"] == 2
    assert FailedJobRegistry("screening:demo", connection=redis).count == 0


def test_a_bug_is_not_retried_and_lands_in_the_failed_registry(client: FlaskClient, redis: Redis, work: Any,
                                                               monkeypatch: pytest.MonkeyPatch,
                                                               redis_server: RedisServer) -> None:
    # Failing in its site's batch, the comment goes to a job of its own, which fails in turn, visibly.
    cid = submit(client).json["id"]
    calls = {"n": 0}

    def broken(self, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        raise ValueError("a bug, not a blip")

    monkeypatch.setattr(CommentStore, "record_screenings", broken)
    work()
    time.sleep(1.5)  # past the first retry interval: a retry would now be due
    work()
    assert calls["n"] == 2  # once in the batch, once on its own: never retried
    registry = FailedJobRegistry("screening:demo", connection=rq_connection(redis_server.url))
    assert registry.get_job_ids() == [f"screen-{cid}"]
    assert _status(client, cid) == "received"  # nothing lost: ops can requeue it

    monkeypatch.undo()
    registry.requeue(f"screen-{cid}")
    work()
    assert _status(client, cid) == "pending_review"


def test_screening_a_deleted_comment_fails_visibly(redis: Redis, redis_server: RedisServer, work: Any) -> None:
    conn = rq_connection(redis_server.url)
    queues.enqueue_screening(queues.screening_queue(conn, "demo"), "nosuchcomment")
    work()
    assert FailedJobRegistry("screening:demo", connection=conn).get_job_ids() == ["screen-nosuchcomment"]


def test_a_comment_whose_job_vanished_is_screened_again(client: FlaskClient, redis: Redis, work: Any,
                                                        redis_server: RedisServer) -> None:
    from workers.reaper import requeue_lost

    ids = [submit(client, payload(f"c{i}", author={"name": "N", "email": f"l{i}@example.com"})).json["id"]
           for i in range(2)]
    lost_job = str(redis.get("mod:screening:job:demo"))
    redis.lrem("rq:queue:screening:demo", 0, lost_job)  # as a worker killed between taking and starting it
    submit(client, payload("on other"), site="other", secret=OTHER_SECRET)  # other's job still waits its turn
    conn = rq_connection(redis_server.url)
    assert requeue_lost(conn, older_than_seconds=60) == []  # too young to call lost
    requeued = requeue_lost(conn, older_than_seconds=0)
    assert requeued == [redis.get("mod:screening:job:demo")] and requeued != [lost_job]
    assert requeue_lost(conn, older_than_seconds=0) == []  # the new job waits its turn
    work()
    assert {_status(client, cid) for cid in ids} == {"pending_review"}
    assert requeue_lost(conn, older_than_seconds=0) == []  # screened comments are never touched again


def test_a_stopping_worker_does_not_wait_a_minute_for_its_command_listener(redis_server: RedisServer,
                                                                          redis: Redis) -> None:
    """CI saw `moderation worker` outlive SIGTERM by 30 s: RQ stops its listener of the commands channel after
    unsubscribing, redis-py 8 joins it, and a listener that has already seen the unsubscription sleeps a whole
    wake period waiting for a new one (RQ's 60 s)."""
    from workers.run import ScreeningWorker

    worker = ScreeningWorker(["screening:demo"], connection=rq_connection(redis_server.url))
    worker.subscribe()
    worker.pubsub.unsubscribe()
    time.sleep(0.5)  # the listener reads the confirmation: it now waits for a subscription
    started = time.monotonic()
    worker.unsubscribe()
    assert time.monotonic() - started < 10
    assert not worker.pubsub_thread.is_alive()


def test_a_comment_that_breaks_screening_holds_up_none_of_its_batch(client: FlaskClient, redis: Redis, work: Any,
                                                                     monkeypatch: pytest.MonkeyPatch,
                                                                     redis_server: RedisServer) -> None:
    from moderation.screening.screener import Screener
    from workers.reaper import requeue_lost

    ids = [submit(client, payload(f"ordinary {i}", author={"name": "N", "email": f"b{i}@example.com"})).json["id"]
           for i in range(3)]
    poison = submit(client, payload("the poison one", author={"name": "P", "email": "p@example.com"})).json["id"]
    real = Screener.screen_text

    def breaks_on_poison(self: Any, body: str) -> Any:
        if body == "the poison one":
            raise ValueError("a bug this text triggers")
        return real(self, body)

    monkeypatch.setattr(Screener, "screen_text", breaks_on_poison)
    work()
    assert {_status(client, cid) for cid in ids} == {"pending_review"}
    assert _status(client, poison) == "received"
    conn = rq_connection(redis_server.url)
    assert FailedJobRegistry("screening:demo", connection=conn).get_job_ids() == [f"screen-{poison}"]
    assert redis.zcard("mod:inbox:demo") == 0 and redis.zrange("mod:received", 0, -1) == [poison]
    assert requeue_lost(conn, older_than_seconds=0) == []  # failed: visible, for ops to decide
    # Its own job lost instead (as a worker killed between taking and starting it): the reaper queues it again.
    FailedJobRegistry("screening:demo", connection=conn).remove(f"screen-{poison}", delete_job=True)
    assert requeue_lost(conn, older_than_seconds=0) == [f"screen-{poison}"]
    monkeypatch.undo()
    work()
    assert _status(client, poison) == "pending_review" and redis.zcard("mod:received") == 0


def test_comments_a_dead_batch_job_took_are_put_back_and_screened(client: FlaskClient, redis: Redis, work: Any,
                                                                  redis_server: RedisServer) -> None:
    from moderation.store.comments import CommentStore
    from workers.reaper import requeue_lost

    ids = [submit(client, payload(f"c{i}", author={"name": "N", "email": f"t{i}@example.com"})).json["id"]
           for i in range(3)]
    job_id = str(redis.get("mod:screening:job:demo"))
    # A worker takes the job and its batch, then dies with it before queueing the next job or recording anything;
    # RQ has no trace of the job left.
    next_job, taken = CommentStore(redis).take("demo", job_id, "screen-batch-never-queued", 2, 60)
    assert next_job and taken == ids[:2]
    conn = rq_connection(redis_server.url)
    conn.delete(f"rq:job:{job_id}", "rq:queue:screening:demo")
    assert requeue_lost(conn, older_than_seconds=60) == []  # too young to call lost
    requeued = requeue_lost(conn, older_than_seconds=0)
    assert requeued == [redis.get("mod:screening:job:demo")]
    assert redis.zrange("mod:inbox:demo", 0, -1) == ids and redis.zcard("mod:taken:demo") == 0
    work()
    assert {_status(client, cid) for cid in ids} == {"pending_review"}
    assert not redis.exists("mod:inbox:demo", "mod:taken:demo", "mod:screening:job:demo")


def test_maintenance_skips_idle_queues_yet_drops_dead_workers_from_them(redis: Redis,
                                                                       redis_server: RedisServer) -> None:
    from moderation.store import queues
    from workers.run import ScreeningWorker

    conn = rq_connection(redis_server.url)
    demo, other = queues.screening_queue(conn, "demo"), queues.screening_queue(conn, "other")
    # A worker that died without unregistering, listed on both queues; a finished job's entry on demo's, expired.
    for queue in ("screening:demo", "screening:other"):
        redis.sadd(f"rq:workers:{queue}", "rq:worker:dead")
    redis.sadd("rq:workers", "rq:worker:dead")
    redis.zadd("rq:finished:screening:demo", {"screen-batch-old": 1})
    assert queues.with_registries(conn, [demo, other]) == [demo]
    worker = ScreeningWorker([demo, other], connection=conn)
    worker.clean_registries()
    assert worker.queues == [demo, other]
    assert redis.zcard("rq:finished:screening:demo") == 0  # RQ's own pass ran on demo's registries
    assert not redis.sismember("rq:workers:screening:other", "rq:worker:dead")  # and the idle queue's set is clean
    assert not redis.sismember("rq:workers:screening:demo", "rq:worker:dead")
    assert not redis.sismember("rq:workers", "rq:worker:dead")
