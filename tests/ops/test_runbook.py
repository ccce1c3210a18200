"""Every command in the runbook's `sh` blocks, run as written against a Redis of the test's own (issue 13,
finding 12: the worker command ran no scheduler, `redis-cli` lines named no Redis, rotation left workers signing
with the old secret)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from redis import Redis
from rq import Queue
from rq.registry import ScheduledJobRegistry

from moderation.store.connections import rq_connection
from tests.conftest import ADMIN_HEADERS, ROOT, SECRET, make_app, payload, ready, submit, wait_for
from tests.redis_server import RedisServer, free_port

RUNBOOK = (ROOT / "docs" / "runbook.md").read_text()
COMMANDS = [line.strip() for block in re.findall(r"```sh\n(.*?)```", RUNBOOK, re.S)
            for line in block.splitlines() if line.strip() and not line.strip().startswith("#")]
LONG_RUNNING = {"moderation api", "moderation worker", "moderation worker --queue webhooks",
                "rq worker -w workers.run.ScreeningWorker screening:demo screening:other "
                '--dequeue-strategy round_robin --with-scheduler --url "$REDIS_URL"'}
BIN = Path(sys.prefix) / "bin"


def test_the_runbook_has_the_commands_ops_need() -> None:
    assert set(COMMANDS) >= LONG_RUNNING
    assert {c for c in COMMANDS if c.startswith("redis-cli")}
    # A redis-cli line without the URL talks to whatever listens on 6379: none may lack it.
    assert not [line for line in RUNBOOK.splitlines() if re.search(r"`redis-cli (?!-u \"\$REDIS_URL\")", line)
                and "bare `redis-cli`" not in line]
    assert all('-u "$REDIS_URL"' in c for c in COMMANDS if c.startswith("redis-cli"))


@pytest.fixture()
def ops_env(tmp_path: Path) -> Any:
    server = RedisServer(tmp_path / "redis", appendonly=True).start()
    env = {**os.environ, "REDIS_URL": server.url, "MODERATION_SITES": f"demo:{SECRET}", "PATH":
           f"{BIN}:{os.environ['PATH']}", "PYTHONPATH": str(ROOT), "MODERATION_ADMIN_TOKEN": "a" * 32}
    yield server, env
    server.stop()


def _bash(command: str, env: dict[str, str], **kwargs: Any) -> Any:
    return subprocess.Popen(["bash", "-c", f"exec {command}"], cwd=ROOT, env=env, **kwargs)


@pytest.mark.parametrize("command", [c for c in COMMANDS if c not in LONG_RUNNING])
def test_each_one_shot_command_runs_as_written(ops_env: Any, command: str) -> None:
    server, env = ops_env
    done = _bash(command, env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = done.communicate(timeout=60)
    assert done.returncode == 0, (command, out, err)
    if command.startswith("redis-cli"):  # it reached our Redis, not another one
        assert "persistence" in command.lower() or "Background" in out or str(server.folder.resolve()) in out


@pytest.mark.parametrize("command", sorted(c for c in LONG_RUNNING if "worker" in c and "webhooks" not in c))
def test_each_screening_worker_command_screens_and_runs_the_scheduler(ops_env: Any, command: str) -> None:
    server, env = ops_env
    client = make_app(server.url).test_client()
    cid = submit(client, payload("screened by the runbook's worker")).json["id"]
    # A retry that waits: only a worker running RQ's scheduler puts it back on the queue.
    conn = rq_connection(server.url)
    waiting = Queue("screening:demo", connection=conn).enqueue_in(timedelta(seconds=1), "tests.jobs.noop")
    worker = _bash(command, env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "pending_review", 30)
        wait_for(lambda: waiting.get_status(refresh=True) == "finished", timeout=30)
        assert waiting.id not in ScheduledJobRegistry("screening:demo", connection=conn)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(30)


def test_the_delivery_worker_command_delivers_events_and_signs_with_the_current_secret(ops_env: Any) -> None:
    """The rotation procedure: after `demo:NEW|OLD` and a restart of the API and the delivery workers, events are
    signed with NEW."""
    from moderation.signing import verify
    from tests.notify.test_callbacks import Site

    server, env = ops_env
    site = Site([])
    try:
        rotated = {**env, "MODERATION_SITES": f"demo:new-secret-{'n' * 20}|{SECRET}",
                   "MODERATION_SITE_CALLBACKS": f"demo={site.url}"}
        client = make_app(server.url, SITES=rotated["MODERATION_SITES"], SITE_CALLBACKS={"demo": site.url}
                          ).test_client()
        cid = submit(client, payload("to approve"), secret=SECRET).json["id"]  # the old secret still verifies
        from workers.run import run

        run(burst=True, redis_url=server.url, queues=("screening:demo",))
        assert client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS,
                           json={"action": "approve"}).status_code == 200
        worker = _bash("moderation worker --queue webhooks", rotated, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        try:
            wait_for(lambda: site.received, timeout=30)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(30)
        got = site.received[0]
        assert json.loads(got["body"])["event"] == "comment.published"
        verify(got["headers"]["X-Signature"], f"new-secret-{'n' * 20}", got["body"])
    finally:
        site.stop()


def test_the_api_command_serves(ops_env: Any) -> None:
    server, env = ops_env
    port = free_port()
    api = _bash("moderation api", {**env, "PORT": str(port), "HOST": "127.0.0.1", "API_WORKERS": "1"},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: ready(port), timeout=30)
    finally:
        api.send_signal(signal.SIGTERM)
        api.wait(30)
    assert Redis.from_url(server.url).ping()

