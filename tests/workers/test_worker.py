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
from tests.conftest import ADMIN_HEADERS, payload, submit
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
    real = CommentStore.record_screening
    calls = {"n": 0}

    def flaky(self, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise RedisConnectionError("connection reset by peer")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(CommentStore, "record_screening", flaky)
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
    cid = submit(client).json["id"]
    calls = {"n": 0}

    def broken(self, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        raise ValueError("a bug, not a blip")

    monkeypatch.setattr(CommentStore, "record_screening", broken)
    work()
    time.sleep(1.5)  # past the first retry interval: a retry would now be due
    work()
    assert calls["n"] == 1
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

    lost, waiting = (submit(client, payload(f"c{i}", author={"name": "N", "email": f"l{i}@example.com"})).json["id"]
                     for i in range(2))
    redis.lrem("rq:queue:screening:demo", 0, f"screen-{lost}")  # as a worker killed between taking and starting it
    conn = rq_connection(redis_server.url)
    assert requeue_lost(conn, older_than_seconds=60) == []  # too young to call lost
    assert requeue_lost(conn, older_than_seconds=0) == [lost]  # the other one is still waiting its turn
    work()
    assert {_status(client, lost), _status(client, waiting)} == {"pending_review"}
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
