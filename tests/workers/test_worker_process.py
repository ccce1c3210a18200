"""Workers as ops run them: RQ's own command line, a graceful stop on SIGTERM, surviving a Redis restart."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from rq import Queue
from rq.job import Job

from moderation.store.connections import rq_connection
from tests.conftest import ROOT, make_app, payload, submit, wait_for
from tests.redis_server import RedisServer

BIN = Path(sys.prefix) / "bin"


def env(url: str) -> dict[str, str]:
    return {**os.environ, "REDIS_URL": url, "PYTHONPATH": str(ROOT), "MODERATION_SITES": "demo:x"}


def status(client: Any, cid: str) -> str:
    return client.get(f"/v1/sites/demo/comments/{cid}").json["status"]


def test_rqs_own_worker_command_screens_comments(redis_server: RedisServer, redis: Any) -> None:
    client = make_app(redis_server.url).test_client()
    cid = submit(client, payload("you idiot")).json["id"]
    done = subprocess.run([str(BIN / "rq"), "worker", "-w", "workers.run.ScreeningWorker", "screening:demo", "webhooks",
                           "--url", redis_server.url, "--burst"],
                          cwd=ROOT, env=env(redis_server.url), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert status(client, cid) == "pending_review"


def test_sigterm_lets_the_current_job_finish(redis_server: RedisServer, redis: Any) -> None:
    worker = subprocess.Popen([str(BIN / "moderation"), "worker"], cwd=ROOT, env=env(redis_server.url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        conn = rq_connection(redis_server.url)
        job = Queue("screening:demo", connection=conn).enqueue("tests.jobs.slow", "mark", 1.5)
        wait_for(lambda: Job.fetch(job.id, connection=conn).get_status() == "started", timeout=30)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(30) == 0
        assert redis.get("mark") == "finished"
        assert Job.fetch(job.id, connection=conn).get_status() == "finished"
    finally:
        if worker.poll() is None:
            worker.kill()
    lines = worker.stderr.read().decode().splitlines() if worker.stderr else []
    assert lines and all(line.startswith("{") for line in lines)  # JSON lines, as ops collect them


def test_a_worker_reconnects_after_redis_restarts(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    worker = subprocess.Popen([str(BIN / "moderation"), "worker"], cwd=ROOT, env=env(server.url),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = make_app(server.url).test_client()
        first = submit(client, payload("before the restart")).json["id"]
        wait_for(lambda: status(client, first) == "pending_review", timeout=30)
        server.kill()
        server.start()
        second = submit(client, payload("after the restart", author={"name": "B", "email": "b@example.com"}))
        assert second.status_code == 202
        wait_for(lambda: status(client, second.json["id"]) == "pending_review", timeout=60)
        assert worker.poll() is None
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
        server.kill()


def test_a_worker_beats_its_heartbeat_file_for_the_container_healthcheck(redis_server: RedisServer, redis: Any,
                                                                          tmp_path: Path) -> None:
    beat = tmp_path / "beat"
    worker = subprocess.Popen([str(BIN / "moderation"), "worker"], cwd=ROOT,
                              env={**env(redis_server.url), "MODERATION_WORKER_HEARTBEAT_FILE": str(beat)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(beat.exists, timeout=30)
        first = beat.stat().st_mtime
        client = make_app(redis_server.url).test_client()
        cid = submit(client, payload("a job makes it beat again")).json["id"]
        wait_for(lambda: status(client, cid) == "pending_review", timeout=30)
        wait_for(lambda: beat.stat().st_mtime > first, timeout=10)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)
