"""The API as gunicorn serves it (`moderation api`), over real sockets: slow clients, framing, protocol errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from moderation.signing import sign
from tests.conftest import ROOT, SECRET, payload, wait_for
from tests.redis_server import RedisServer, free_port


class Api:
    def __init__(self, port: int, proc: subprocess.Popen[bytes]) -> None:
        self.port, self.proc = port, proc

    def raw(self, data: bytes, timeout: float = 5) -> bytes:
        """Send bytes, read the whole answer (the server closes or answers once)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            out = b""
            while chunk := s.recv(65536):
                out += chunk
            return out

    def request(self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None,
                timeout: float = 5) -> tuple[int, dict[str, str], bytes]:
        head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in (headers or {}).items())
        if body and "Transfer-Encoding" not in (headers or {}):
            head += f"Content-Length: {len(body)}\r\n"
        return parse(self.raw(head.encode("latin-1") + b"\r\n" + body, timeout))


def parse(answer: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        out, rest = b"", body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            size = int(size_line, 16)
            if not size:
                break
            out, rest = out + rest[:size], rest[size + 2:]
        body = out
    return int(lines[0].split()[1]), headers, body


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("api")
    redis = RedisServer(folder / "redis").start()
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis.url, "MODERATION_SITES": f"demo:{SECRET}",
           "MODERATION_ADMIN_TOKEN": "a" * 40, "PORT": str(port), "HOST": "127.0.0.1", "API_WORKERS": "1"}
    with (folder / "api.log").open("wb") as log:
        proc = subprocess.Popen([str(Path(sys.executable).parent / "moderation"), "api"], cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    api = Api(port, proc)
    wait_for(lambda: _answers(api), timeout=30)
    yield api
    proc.terminate()
    proc.wait(20)
    redis.stop()


def _answers(api: Api) -> bool:
    try:
        return api.request("GET", "/healthz", timeout=1)[0] == 200
    except OSError:
        return False


def signed(body: bytes) -> dict[str, str]:
    return {"Content-Type": "application/json", "X-Signature": sign(SECRET, body)}


def test_200_connections_trickling_a_request_do_not_stop_the_api(api: Api) -> None:
    """Issue 13, finding 1: eight connections that sent headers and a few body bytes held every gunicorn thread."""
    body = json.dumps(payload("a comment sent slowly")).encode()
    head = (f"POST /v1/sites/demo/comments HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in signed(body).items()) + "\r\n").encode()
    slow = []
    try:
        for _ in range(200):
            s = socket.create_connection(("127.0.0.1", api.port), timeout=5)
            s.sendall(head + body[:5])
            slow.append(s)
        time.sleep(0.5)
        for s in slow:  # a few more bytes each: still alive, still unfinished
            s.sendall(body[5:8])
        for path in ("/healthz", "/readyz"):
            started = time.monotonic()
            status, _, _ = api.request("GET", path, timeout=5)
            assert status == 200 and time.monotonic() - started < 1, path
        comment = json.dumps(payload("a comment sent at once")).encode()
        started = time.monotonic()
        status, _, answer = api.request("POST", "/v1/sites/demo/comments", comment, signed(comment))
        assert status == 202, answer
        assert time.monotonic() - started < 1
    finally:
        for s in slow:
            s.close()


def test_a_chunked_body_over_the_limit_is_413_not_cut(api: Api) -> None:
    """Issue 13, finding 8: a chunked body over 64 KiB was cut to 64 KiB, and a signed prefix then accepted."""
    prefix = json.dumps(payload("signed part")).encode()
    body = prefix + b" " * (70 * 1024)
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 8192]), body[i:i + 8192]) for i in range(0, len(body), 8192))
    headers = {**signed(prefix), "Transfer-Encoding": "chunked"}
    status, _, answer = api.request("POST", "/v1/sites/demo/comments", chunks + b"0\r\n\r\n", headers)
    assert status == 413 and json.loads(answer)["error"] == "too_large"
    # A chunked body under the limit is read whole and accepted.
    small = json.dumps(payload("chunked but small")).encode()
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(small), small)
    status, _, answer = api.request("POST", "/v1/sites/demo/comments", chunked,
                                    {**signed(small), "Transfer-Encoding": "chunked"})
    assert status == 202, answer


@pytest.mark.parametrize(("request_bytes", "status"), [
    (b"GARBAGE\r\n\r\n", 400),
    (b"GET /" + b"a" * 5000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(200)) + b"\r\n", 431),
])
def test_the_servers_own_protocol_errors_are_json(api: Api, request_bytes: bytes, status: int) -> None:
    """Issue 13, finding 8: gunicorn's own 400/414/431 pages were HTML."""
    got, headers, body = parse(api.raw(request_bytes))
    assert got == status
    assert headers["content-type"] == "application/json"
    answer = json.loads(body)
    assert set(answer) == {"error", "message"} and answer["message"]



def test_a_process_that_sheds_answers_503_unread_with_retry_after(tmp_path: Path) -> None:
    """The cheapest refusal, as a saturated process gives it (here forced for every connection): a JSON 503 with
    Retry-After that the client reads whole, never a reset connection."""
    redis = RedisServer(tmp_path / "redis").start()
    port = free_port()
    env = {**os.environ, "REDIS_URL": redis.url, "MODERATION_SITES": f"demo:{SECRET}", "MODERATION_SHED_QUEUE": "-1",
           "PORT": str(port), "HOST": "127.0.0.1", "API_WORKERS": "1"}
    proc = subprocess.Popen([str(Path(sys.executable).parent / "moderation"), "api"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    api = Api(port, proc)
    try:
        wait_for(lambda: _status_or_none(api) == 503, timeout=30)
        body = json.dumps(payload("refused")).encode()
        for _ in range(20):
            status, headers, answer = api.request("POST", "/v1/sites/demo/comments", body, signed(body))
            assert status == 503 and headers["retry-after"] == "1"
            assert json.loads(answer)["error"] == "overloaded"
        assert list(Redis.from_url(redis.url).scan_iter("mod:comment:*")) == []
    finally:
        proc.terminate()
        proc.wait(20)
        redis.stop()


def _status_or_none(api: Api) -> int | None:
    try:
        return api.request("GET", "/healthz", timeout=1)[0]
    except OSError:
        return None


def test_a_client_slow_to_send_its_comment_is_not_refused_for_it(api: Api) -> None:
    """The intake's deadline counts the time a request waits for the server, not the time its client takes to
    send it: a body that takes 1.5 s to arrive is still stored."""
    body = json.dumps(payload("sent slowly but surely")).encode()
    head = (f"POST /v1/sites/demo/comments HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {len(body)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in signed(body).items()) + "\r\n").encode()
    with socket.create_connection(("127.0.0.1", api.port), timeout=10) as s:
        s.sendall(head + body[:10])
        time.sleep(1.5)
        s.sendall(body[10:])
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    status, _, got = parse(answer)
    assert status == 202, got
