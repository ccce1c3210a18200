"""Workers through Redis faults, as production meets them: a restart under load, out of memory, a cold stop."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from redis.exceptions import OutOfMemoryError
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.registry import FailedJobRegistry

from moderation.store.connections import rq_connection
from tests.conftest import ROOT, SECRET, make_app, payload, submit, wait_for
from tests.redis_server import RedisServer

pytestmark = pytest.mark.chaos
BIN = Path(sys.prefix) / "bin"


def start_worker(url: str, log: Path | None = None, **extra: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REDIS_URL": url, "MODERATION_SITES": f"demo:{SECRET}", "PYTHONPATH": str(ROOT),
           "MODERATION_SCREEN_TIMEOUT": "5", "MODERATION_MAINTENANCE_SECONDS": "5", **extra}
    with (log or Path(os.devnull)).open("ab") as out:
        return subprocess.Popen([str(BIN / "moderation"), "worker"], cwd=ROOT, env=env, stdout=out, stderr=out)


def statuses(redis: Redis, ids: list[str]) -> list[str]:
    with redis.pipeline(transaction=False) as pipe:
        for cid in ids:
            pipe.hget(f"mod:comment:{cid}", "status")
        return pipe.execute()


def test_workers_go_on_through_a_redis_restart_under_load(tmp_path: Path) -> None:
    """Issue 13, finding 2: a restart while workers were busy made them log an unhandled exception and exit."""
    server = RedisServer(tmp_path / "redis", appendonly=True, fsync="always").start()
    redis = Redis.from_url(server.url, decode_responses=True)
    client = make_app(server.url).test_client()
    ids = [submit(client, payload(f"comment {i} on the budget", author={"name": "R", "email": f"r{i}@example.com"},
                                  client={"ip": f"198.51.{i // 250}.{i % 250}"})).json["id"] for i in range(1500)]
    workers = [start_worker(server.url, tmp_path / f"worker{i}.log") for i in range(2)]
    try:
        wait_for(lambda: statuses(redis, ids).count("pending_review") > 100, timeout=60)
        for _ in range(2):  # twice, while both are busy
            server.kill()
            time.sleep(1.5)
            server.start()
            time.sleep(1)
        after = submit(client, payload("after the restarts", author={"name": "A", "email": "a@example.com"}))
        assert after.status_code == 202
        ids.append(after.json["id"])
        redis = Redis.from_url(server.url, decode_responses=True)
        try:
            wait_for(lambda: set(statuses(redis, ids)) == {"pending_review"}, timeout=150)
        except AssertionError:
            left = [cid for cid, st in zip(ids, statuses(redis, ids), strict=True) if st != "pending_review"]
            print("left", len(left), left[:3], "batch job", redis.get("mod:screening:job:demo"))
            raise
        assert [w.poll() for w in workers] == [None, None]
    finally:
        for w in workers:
            w.send_signal(signal.SIGTERM)
        for w in workers:
            w.wait(30)
        server.kill()


def test_a_job_that_met_redis_out_of_memory_is_retried_not_parked(tmp_path: Path) -> None:
    """Issue 13, finding 2: a job failed on OOM needed a manual `failed requeue`."""
    server = RedisServer(tmp_path / "redis").start()
    redis = Redis.from_url(server.url, decode_responses=True)
    client = make_app(server.url).test_client()
    cid = submit(client, payload("stored before memory ran out")).json["id"]
    used = int(redis.info("memory")["used_memory"])
    redis.config_set("maxmemory-policy", "noeviction")
    redis.config_set("maxmemory", str(used + 200_000))
    with pytest.raises(OutOfMemoryError):  # what a full Redis answers
        for filler in range(100_000):  # small values: no freed buffer leaves room once it is full
            redis.set(f"filler:{filler}", "x" * 500)
    worker = start_worker(server.url, tmp_path / "worker.log")
    try:
        conn = rq_connection(server.url)
        # The worker meets OOM writing the job's results; it stays up and the job is not parked as failed.
        time.sleep(6)
        assert worker.poll() is None
        assert redis.hget(f"mod:comment:{cid}", "status") == "received"
        assert FailedJobRegistry("screening:demo", connection=conn).get_job_ids() == []
        redis.config_set("maxmemory", "0")  # what ops do: give Redis room; nobody touches the workers or jobs
        wait_for(lambda: redis.hget(f"mod:comment:{cid}", "status") == "pending_review", timeout=90)
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        server.kill()


def test_a_second_sigterm_stops_at_once_and_the_job_is_retried(redis_server: RedisServer, redis: Any) -> None:
    """Issue 13, finding 12: a second SIGTERM within 1 s was ignored, and a cold stop parked its job as failed."""
    worker = start_worker(redis_server.url)
    try:
        conn = rq_connection(redis_server.url)
        job = Queue("screening:demo", connection=conn).enqueue(
            "tests.jobs.slow", "mark", 20, job_timeout=60, retry=Retry(max=3, interval=[1]),
            on_failure=Callback("workers.jobs.retry_only_transient"))
        wait_for(lambda: Job.fetch(job.id, connection=conn).get_status() == "started", timeout=30)
        worker.send_signal(signal.SIGTERM)
        time.sleep(0.2)
        worker.send_signal(signal.SIGTERM)
        worker.wait(5)
        assert redis.get("mark") is None
        assert Job.fetch(job.id, connection=conn).get_status() != "failed"
        assert FailedJobRegistry("screening:demo", connection=conn).get_job_ids() == []
    finally:
        if worker.poll() is None:
            worker.kill()



def test_a_failover_to_a_replica_is_a_503_until_it_is_promoted_and_nothing_is_lost(tmp_path: Path) -> None:
    """A failover as the service sees it: REDIS_URL names a replica (read-only) that is then promoted. Meanwhile the
    intake answers 503 with Retry-After (never a 500 or a 202) and the workers' jobs meet READONLY and are retried;
    after the promotion, everything that got a 202 is screened."""
    primary = RedisServer(tmp_path / "primary", appendonly=True).start()
    replica = RedisServer(tmp_path / "replica", appendonly=True).start()
    first = make_app(primary.url).test_client()
    before = [submit(first, payload(f"before {i}", author={"name": "B", "email": f"b{i}@example.com"})).json["id"]
              for i in range(50)]
    redis = Redis.from_url(replica.url, decode_responses=True)
    redis.execute_command("REPLICAOF", "127.0.0.1", str(primary.port))
    wait_for(lambda: redis.info("replication").get("master_link_status") == "up"
             and redis.dbsize() == Redis.from_url(primary.url).dbsize(), timeout=20)
    client = make_app(replica.url).test_client()
    worker = start_worker(replica.url)
    try:
        refused = submit(client, payload("during", author={"name": "D", "email": "d@example.com"}))
        assert refused.status_code == 503 and "Retry-After" in refused.headers
        time.sleep(3)  # the worker meets READONLY meanwhile
        assert worker.poll() is None
        primary.kill()
        redis.execute_command("REPLICAOF", "NO", "ONE")
        after = submit(client, payload("after", author={"name": "A", "email": "a@example.com"}))
        assert after.status_code == 202
        ids = [*before, after.json["id"]]
        wait_for(lambda: all(s == "pending_review" for s in statuses(redis, ids)), timeout=120)
        assert worker.poll() is None
        assert FailedJobRegistry("screening:demo", connection=rq_connection(replica.url)).get_job_ids() == []
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        primary.kill()
        replica.kill()
