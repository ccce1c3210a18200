"""A site whose callback endpoint hangs: deliveries give up at their deadline and never hold up screening."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from moderation.notify import post
from tests.conftest import ADMIN_HEADERS, ROOT, SECRET, make_app, payload, submit, wait_for
from tests.redis_server import RedisServer, free_port

BIN = Path(sys.prefix) / "bin"


class HangingSite:
    """Accepts connections, reads what it is sent, and answers one byte every half second, never finishing."""

    def __init__(self) -> None:
        self.port = free_port()
        self.sock = socket.create_server(("127.0.0.1", self.port))
        self.connections = 0
        self.stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._trickle, args=(conn,), daemon=True).start()

    def _trickle(self, conn: socket.socket) -> None:
        with conn:
            try:
                conn.recv(65536)
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 10_000:
                    if self.stop.is_set():
                        return
                    conn.sendall(bytes([byte]))
                    time.sleep(0.5)
            except OSError:
                return

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture()
def hanging() -> Iterator[HangingSite]:
    site = HangingSite()
    yield site
    site.close()


def test_a_delivery_gives_up_at_its_deadline_even_when_bytes_keep_coming(hanging: HangingSite) -> None:
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        post(hanging.url, b"{}", {"Content-Type": "application/json"}, deadline_seconds=1.5)
    assert 1.4 < time.monotonic() - started < 3


@pytest.mark.chaos
def test_a_hanging_site_does_not_hold_up_screening(hanging: HangingSite, tmp_path: Path) -> None:
    """Issue 13, finding 3: two events held both workers for the job timeout (180 s); nothing was screened."""
    server = RedisServer(tmp_path / "redis").start()
    env = {**os.environ, "REDIS_URL": server.url, "MODERATION_SITES": f"demo:{SECRET}",
           "MODERATION_SITE_CALLBACKS": f"demo={hanging.url}"}
    # As `make run` and compose run them: two screening workers and one delivering events.
    procs = [subprocess.Popen([str(BIN / "moderation"), "worker", *args], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
             for args in ([], [], ["--queue", "webhooks"])]
    try:
        redis = Redis.from_url(server.url, decode_responses=True)
        client = make_app(server.url, SITE_CALLBACKS={"demo": hanging.url}).test_client()
        first = [submit(client, payload(f"to decide {i}", author={"name": "D", "email": f"d{i}@example.com"}))
                 .json["id"] for i in range(4)]
        wait_for(lambda: all(redis.hget(f"mod:comment:{c}", "status") == "pending_review" for c in first), 30)
        for cid in first:  # four events for the hanging site
            assert client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS,
                               json={"action": "approve"}).status_code == 200
        wait_for(lambda: hanging.connections >= 1, timeout=15)
        time.sleep(2)  # long enough for every idle worker that would take a delivery to take one
        started = time.monotonic()
        later = [submit(client, payload(f"later {i}", author={"name": "L", "email": f"l{i}@example.com"})).json["id"]
                 for i in range(20)]
        wait_for(lambda: all(redis.hget(f"mod:comment:{c}", "status") == "pending_review" for c in later), 10)
        assert time.monotonic() - started < 10
        # The delivery worker is cut off at each try's deadline and goes on to the next event.
        wait_for(lambda: hanging.connections >= 2, timeout=30)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(30)
            except subprocess.TimeoutExpired:
                p.kill()
        server.kill()
