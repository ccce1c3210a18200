"""The package as `pip install .` leaves it (the Dockerfile's way), run from outside the checkout."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest
from redis import Redis

from moderation.signing import sign
from tests.conftest import ROOT, SECRET, payload
from tests.redis_server import RedisServer


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment holding our wheel, built from the checkout, and nothing of the checkout.

    Its dependencies come from the test environment's site-packages through a path file (no download), but not
    the test environment's editable install of this project: that needs its own path file run, which is not.
    """
    top = tmp_path_factory.mktemp("installed")
    # What the Dockerfile copies, and nothing a local build left behind (an egg-info's file list would hide a
    # file the package data leaves out).
    source = top / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for name in ("moderation", "service", "workers"):
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__"))
    env_dir = top / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = Path(sysconfig.get_paths(vars={"base": str(env_dir), "platbase": str(env_dir)})["purelib"])
    (site / "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", str(env_dir / "bin" / "python"), "install", "--quiet",
                    "--no-deps", str(source)], check=True, cwd=env_dir.parent)
    return env_dir


def run_installed(env_dir: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "REDIS_URL")}
    return subprocess.run(args, cwd=env_dir.parent, env={**clean, **(env or {})}, capture_output=True, text=True,
                          timeout=120)


def test_the_installed_package_is_not_the_checkout(installed: Path) -> None:
    out = run_installed(installed, str(installed / "bin" / "python"), "-c",
                        "import moderation, service, workers; print(moderation.__file__, service.__file__, "
                        "workers.__file__)")
    assert out.returncode == 0, out.stderr
    assert str(ROOT) not in out.stdout and str(installed) in out.stdout


def test_an_installed_worker_screens_a_comment_and_exits_in_burst_mode(installed: Path, tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis").start()
    try:
        env = {"REDIS_URL": server.url, "MODERATION_SITES": f"demo:{SECRET}", "MODERATION_ADMIN_TOKEN": "x" * 32}
        # The installed app takes a comment (templates and static files are only needed by the desk: checked below).
        body = json.dumps(payload("you are an idiot, see www.spam.example")).encode()
        script = ("import sys, json; from service import create_app; c = create_app().test_client();"
                  f"r = c.post('/v1/sites/demo/comments', data={body!r}, headers={{'Content-Type': "
                  f"'application/json', 'X-Signature': {sign(SECRET, body)!r}}}); print(r.status_code, "
                  "r.get_json()['id']); d = c.get('/moderate/login'); print(d.status_code, "
                  "'<form' in d.get_data(as_text=True)); s = c.get('/static/desk/desk.css'); print(s.status_code)")
        out = run_installed(installed, str(installed / "bin" / "python"), "-c", script, env=env)
        assert out.returncode == 0, out.stderr
        accepted, login, static = out.stdout.splitlines()
        status, comment_id = accepted.split()
        assert status == "202" and login == "200 True" and static == "200"
        # `moderation worker --burst` from the install: starts, screens that comment with its word lists and its
        # trained models (package data too), exits 0.
        worker = run_installed(installed, str(installed / "bin" / "moderation"), "worker", "--burst", env=env)
        assert worker.returncode == 0, worker.stderr
        stored = Redis.from_url(server.url, decode_responses=True).hgetall(f"mod:comment:{comment_id}")
        assert stored["status"] == "pending_review"
        assert {"profanity", "link", "toxicity"} <= {f["code"] for f in json.loads(stored["flags"])}
        assert stored["language"] == "en"
        # The installed desk renders the queue, the author panel and the reported tab (every template ships).
        desk = ("from service import create_app; c = create_app().test_client();"
                "r = c.post('/moderate/session', json={'token': 'x' * 32}); print(r.status_code);"
                f"q = c.get('/moderate'); print(q.status_code, {comment_id!r} in q.get_data(as_text=True));"
                f"p = c.get('/moderate/comments/{comment_id}/panel'); print(p.status_code, 'class=\"panel\"' in "
                "p.get_data(as_text=True)); t = c.get('/moderate?view=reported'); print(t.status_code);"
                "j = c.get('/moderate/static/desk.js'); print(j.status_code)")
        out = run_installed(installed, str(installed / "bin" / "python"), "-c", desk, env=env)
        assert out.returncode == 0, out.stderr
        assert out.stdout.split("\n")[:5] == ["200", "200 True", "200 True", "200", "200"], out.stdout
    finally:
        server.stop()


def test_installed_sites_over_two_redis_each_worked_by_its_own_worker(installed: Path, tmp_path: Path) -> None:
    home, second = RedisServer(tmp_path / "home").start(), RedisServer(tmp_path / "second").start()
    try:
        env = {"REDIS_URL": home.url, "MODERATION_SITES": f"demo:{SECRET},other:{SECRET}",
               "MODERATION_SHARDS": f"other={second.url}", "MODERATION_ADMIN_TOKEN": "x" * 32}
        body = json.dumps(payload("a comment kept on the second Redis")).encode()
        script = ("from service import create_app; c = create_app().test_client();"
                  f"r = c.post('/v1/sites/other/comments', data={body!r}, headers={{'Content-Type': "
                  f"'application/json', 'X-Signature': {sign(SECRET, body)!r}}}); print(r.get_json()['id'])")
        out = run_installed(installed, str(installed / "bin" / "python"), "-c", script, env=env)
        assert out.returncode == 0, out.stderr
        comment_id = out.stdout.strip()
        assert not Redis.from_url(home.url).exists(f"mod:comment:{comment_id}")
        moderation = str(installed / "bin" / "moderation")
        assert run_installed(installed, moderation, "worker", "--burst", env=env).returncode == 0
        stored = Redis.from_url(second.url, decode_responses=True)
        assert stored.hget(f"mod:comment:{comment_id}", "status") == "received"  # REDIS_URL's worker: not its
        worker = run_installed(installed, moderation, "worker", "--burst", "--redis", second.url, env=env)
        assert worker.returncode == 0, worker.stderr
        assert stored.hget(f"mod:comment:{comment_id}", "status") == "pending_review"
        desk = ("from service import create_app; c = create_app().test_client();"
                "r = c.post('/moderate/session', json={'token': 'x' * 32});"
                f"print({comment_id!r} in c.get('/moderate').get_data(as_text=True))")
        out = run_installed(installed, str(installed / "bin" / "python"), "-c", desk, env=env)
        assert (out.returncode, out.stdout.strip()) == (0, "True"), out.stderr
    finally:
        home.stop()
        second.stop()
