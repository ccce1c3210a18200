"""`make run`: the whole service on one machine - Redis (unless REDIS_URL is set), the API and workers."""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

from moderation.cli.redisproc import RedisServer, free_port
from moderation.settings import ConfigError, Settings, gunicorn_command

CREDENTIALS_FILE = "dev-credentials.json"


def credentials(var: Path, env: dict[str, str]) -> dict[str, str]:
    """Demo site secret and admin token, made once and kept under var/ so restarts keep them."""
    path = var / CREDENTIALS_FILE
    saved = json.loads(path.read_text()) if path.exists() else {}
    made = {
        "MODERATION_SITES": env.get("MODERATION_SITES") or saved.get("MODERATION_SITES")
        or f"demo:{secrets.token_urlsafe(24)}",
        "MODERATION_ADMIN_TOKEN": env.get("MODERATION_ADMIN_TOKEN") or saved.get("MODERATION_ADMIN_TOKEN")
        or secrets.token_urlsafe(32),
    }
    if not env.get("MODERATION_SITES") or not env.get("MODERATION_ADMIN_TOKEN"):
        path.write_text(json.dumps(made, indent=2))
        path.chmod(0o600)
    return made


def _stop(procs: list[subprocess.Popen[bytes]], timeout: float) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in procs:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class Child:
    """One process `make run` keeps running: started again, after a pause that grows while it keeps dying fast."""

    WAITS = (1, 2, 5, 10, 30)

    def __init__(self, command: list[str], env: dict[str, str]) -> None:
        self.command, self.env = command, env
        self.failures, self.restart_at = 0, 0.0
        self.proc = self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        self.started = time.monotonic()
        return subprocess.Popen(self.command, env=self.env, start_new_session=True)

    def keep_alive(self) -> None:
        if self.proc.poll() is None:
            return
        now = time.monotonic()
        if not self.restart_at:
            self.failures = self.failures + 1 if now - self.started < 60 else 1
            wait = self.WAITS[min(self.failures, len(self.WAITS)) - 1]
            name = "API" if "gunicorn" in self.command else "worker"
            print(f"the {name} (pid {self.proc.pid}) exited with {self.proc.returncode}; starting it again in "
                  f"{wait} s", file=sys.stderr, flush=True)
            self.restart_at = now + wait
        elif now >= self.restart_at:
            self.restart_at = 0.0
            self.proc = self._spawn()


def main() -> int:
    """Run everything in the foreground until Ctrl-C, then stop API and workers before Redis; a process that dies
    meanwhile (Redis included) is started again, so one crash does not take the whole service down."""
    env = dict(os.environ)  # the children's: this one's, with the local Redis and the demo credentials added
    try:
        settings = Settings.load(env)
    except ConfigError as err:
        print(err, file=sys.stderr)
        return 2
    var = Path(settings.var_dir)
    var.mkdir(parents=True, exist_ok=True)
    redis_server = None
    if not env.get("REDIS_URL"):
        port_wanted = free_port(settings.local_redis_port)
        redis_server = RedisServer(var / "redis", port=port_wanted, appendonly=True, new_session=True).start()
        env["REDIS_URL"] = redis_server.url
    env.update(credentials(var, env))
    settings = Settings.load(env)
    port = settings.port

    stopping = False

    def on_signal(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)

    site, _, secret = env["MODERATION_SITES"].split(",")[0].partition(":")
    base = f"http://127.0.0.1:{port}"
    try_env = (f"PORT={port} " if port != 8000 else "") + (f"MODERATION_VAR_DIR={var} " if var != Path("var") else "")
    print(
        f"\n  API        {base}   (openapi: {base}/openapi.json)\n"
        f"  Redis      {env['REDIS_URL']}" + (f"   (data in {var / 'redis'})" if redis_server else "") + "\n"
        f"  Workers    {settings.screening_workers} screening, {settings.webhook_workers} delivering events to sites\n"
        f"  Site       {site}  secret {secret}\n"
        f"  Admin      Authorization: Bearer {env['MODERATION_ADMIN_TOKEN']}\n"
        f"  Try        {try_env}.venv/bin/moderation post-comment --body 'Hello, first comment'\n"
        "  Stop       Ctrl-C\n",
        flush=True,
    )
    commands = [gunicorn_command("service.wsgi:app", f"{settings.host}:{port}", settings, graceful_timeout=10)]
    commands += [[sys.executable, "-m", "workers.run", "screening"]] * settings.screening_workers
    commands += [[sys.executable, "-m", "workers.run", "webhooks"]] * settings.webhook_workers
    children = [Child(command, env) for command in commands]
    while not stopping:
        if redis_server and redis_server.proc and redis_server.proc.poll() is not None:
            print(f"Redis exited with {redis_server.proc.returncode}; starting it again", file=sys.stderr, flush=True)
            try:
                redis_server.start()
            except SystemExit as err:  # it did not come back: say why, try again on the next round
                print(err, file=sys.stderr, flush=True)
        for child in children:
            child.keep_alive()
        time.sleep(0.2)
    print("stopping API and workers...", flush=True)
    _stop([c.proc for c in children], timeout=15)
    if redis_server:
        print("stopping Redis (the append-only file is flushed)...", flush=True)
        redis_server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
