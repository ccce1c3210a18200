"""Crash tests: kill -9 of a worker mid-run, a site's endpoint down for a while. Slow: `make chaos` runs them alone."""

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
from rq import Worker
from rq.registry import StartedJobRegistry

from moderation.store.connections import rq_connection
from tests.conftest import ADMIN_HEADERS, OTHER_SECRET, ROOT, SECRET, make_app, payload, submit, wait_for
from tests.notify.test_callbacks import Site, work_until
from tests.redis_server import RedisServer

pytestmark = pytest.mark.chaos
BIN = Path(sys.prefix) / "bin"


def start_worker(url: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "REDIS_URL": url, "MODERATION_SITES": f"demo:{SECRET}", "MODERATION_SCREEN_TIMEOUT": "5",
           "MODERATION_MAINTENANCE_SECONDS": "5"}
    return subprocess.Popen([str(BIN / "moderation"), "worker"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)


def test_kill_9_of_a_worker_mid_run_loses_and_doubles_nothing(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_SCREEN_TIMEOUT", "5")  # a killed worker's job is found abandoned after 65 s
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    redis = Redis.from_url(server.url, decode_responses=True)
    client = make_app(server.url).test_client()
    n = 4000
    ids = [submit(client, payload(f"comment {i} about the budget", author={"name": "R", "email": f"r{i}@example.com"},
                                  client={"ip": f"10.{i // 60000}.{i // 250 % 250}.{i % 250}"})).json["id"]
           for i in range(n)]
    # Both start together: a worker screens a batch of 100 in well under a second, so a victim started later could
    # find nothing left to hold.
    survivor, victim = start_worker(server.url), start_worker(server.url)
    conn = rq_connection(server.url)
    try:
        # Kill a worker while it holds a job: right after the kill, a started job names it as its worker (between
        # two jobs it holds none: try another).
        held: list[str] = []
        for attempt in range(5):
            victim = victim if attempt == 0 else start_worker(server.url)
            pid = victim.pid
            record = wait_for(lambda pid=pid: next((w for w in Worker.all(connection=conn) if w.pid == pid), None),
                              timeout=30)
            wait_for(lambda key=record.key: conn.hget(key, "state") == b"busy", timeout=30)
            victim.send_signal(signal.SIGKILL)
            victim.wait()
            held = [job for job in StartedJobRegistry("screening:demo", connection=conn).get_job_ids()
                    if conn.hget(f"rq:job:{job}", "worker_name") == record.name.encode()]
            if held:
                break
        assert len(held) == 1 and held[0].startswith("screen-batch-")  # a batch of the site's comments
        wait_for(lambda: redis.zcard("mod:queue:all") == n, timeout=240)
        statuses = [redis.hget(f"mod:comment:{cid}", "status") for cid in ids]
        assert statuses.count("pending_review") == n
        assert redis.hget("mod:metrics:screening", "count") == str(n)  # each screened exactly once
        assert redis.zcard("mod:inbox:demo") == 0
        wait_for(lambda: redis.llen("rq:queue:screening:demo") == 0, timeout=30)
    finally:
        survivor.send_signal(signal.SIGTERM)
        survivor.wait(30)
        server.kill()


def test_a_site_down_for_a_while_gets_every_event_once_it_returns(redis_server: RedisServer, redis: Any,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.redis_server import free_port

    monkeypatch.setenv("MODERATION_SITES", f"demo:{SECRET},other:{OTHER_SECRET}")
    port = free_port()
    client = make_app(redis_server.url, SITE_CALLBACKS={"demo": f"http://127.0.0.1:{port}/hook"},
                      WEBHOOK_RETRY_INTERVALS=[1] * 12).test_client()
    ids = [submit(client, payload(f"c{i}", author={"name": "N", "email": f"d{i}@example.com"})).json["id"]
           for i in range(30)]
    work_until(redis_server, lambda: redis.zcard("mod:queue:all") == 30)
    for i, cid in enumerate(ids):
        action = {"action": "approve"} if i % 3 else {"action": "reject", "reason": "spam"}
        r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json=action)
        assert r.status_code == 200
    deadline = time.monotonic() + 3
    from workers.run import run

    while time.monotonic() < deadline:  # the site is down: every try fails
        run(burst=True, redis_url=redis_server.url)
        time.sleep(0.3)
    assert redis.hget("mod:metrics:webhooks", "delivered") is None
    site = Site([], port=port)  # back
    try:
        work_until(redis_server, lambda: len({r["headers"]["X-Event-Id"] for r in site.received}) == 30, timeout=60)
        run(burst=True, redis_url=redis_server.url)
        seen = [r["headers"]["X-Event-Id"] for r in site.received]
        assert sorted(set(seen)) == sorted(f"{cid}-1" for cid in ids)  # none lost
        assert len(seen) == len(set(seen))  # none sent twice once delivered
        assert client.get("/v1/moderation/webhooks/dead", headers=ADMIN_HEADERS).json["events"] == []
    finally:
        site.stop()
