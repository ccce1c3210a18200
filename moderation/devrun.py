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

from moderation.config import gunicorn_command
from moderation.redisproc import RedisServer, free_port

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


def main() -> int:
    """Run everything in the foreground until Ctrl-C, then stop API and workers before Redis."""
    env = dict(os.environ)
    var = Path(env.get("MODERATION_VAR_DIR", "var"))
    var.mkdir(parents=True, exist_ok=True)
    port = int(env.get("PORT", "8000"))
    n_workers = int(env.get("WORKERS", "2"))
    redis_server = None
    if not env.get("REDIS_URL"):
        port_wanted = free_port(int(env.get("MODERATION_REDIS_PORT", "6390")))
        redis_server = RedisServer(var / "redis", port=port_wanted, appendonly=True, new_session=True).start()
        env["REDIS_URL"] = redis_server.url
    env.update(credentials(var, env))

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
        f"  Workers    {n_workers}\n"
        f"  Site       {site}  secret {secret}\n"
        f"  Admin      Authorization: Bearer {env['MODERATION_ADMIN_TOKEN']}\n"
        f"  Try        {try_env}.venv/bin/moderation post-comment --body 'Hello, first comment'\n"
        "  Stop       Ctrl-C\n",
        flush=True,
    )
    bind = env.get("HOST", "127.0.0.1")
    children = [subprocess.Popen(gunicorn_command("service.wsgi:app", f"{bind}:{port}", env, graceful_timeout=10),
                                 env=env, start_new_session=True)]
    children += [subprocess.Popen([sys.executable, "-m", "workers.run"], env=env, start_new_session=True)
                 for _ in range(n_workers)]
    code = 0
    while not stopping:
        dead = [p for p in children if p.poll() is not None]
        if dead:
            print(f"a process exited with {dead[0].returncode}; stopping everything", file=sys.stderr)
            code = 1
            break
        time.sleep(0.2)
    print("stopping API and workers...", flush=True)
    _stop(children, timeout=15)
    if redis_server:
        print("stopping Redis (the append-only file is flushed)...", flush=True)
        redis_server.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
