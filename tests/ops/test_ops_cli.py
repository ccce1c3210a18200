"""Ops: the overload guard at intake, and the `moderation` command's stats, failed jobs and export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from moderation.store.comments import CommentStore
from tests.conftest import ROOT, make_app, payload, ready, submit, wait_for
from tests.redis_server import RedisServer, free_port

CLI = str(Path(sys.prefix) / "bin" / "moderation")


def cli(url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "REDIS_URL": url, "MODERATION_SITES": "demo:x,other:y"}
    return subprocess.run([CLI, *args], env=env, capture_output=True, text=True, timeout=60, check=check)


def test_a_backlog_past_its_limit_gets_503_instead_of_growing(redis_server: RedisServer, redis: Any,
                                                             work: Any) -> None:
    client = make_app(redis_server.url, MAX_BACKLOG=3).test_client()
    accepted = [submit(client, payload(f"c{i}", author={"name": "N", "email": f"n{i}@example.com"})).status_code
                for i in range(4)]
    assert accepted == [202, 202, 202, 503]
    r = submit(client, payload("more", author={"name": "M", "email": "m@example.com"}))
    assert (r.status_code, r.json["error"], r.headers["Retry-After"]) == (503, "overloaded", "30")
    assert client.get("/readyz").status_code == 200  # Redis is fine: only intake pushes back
    work()
    assert submit(client, payload("now it fits", author={"name": "M", "email": "m@example.com"})).status_code == 202


def test_stats_command(client: Any, work: Any, redis_server: RedisServer) -> None:
    submit(client)
    work()
    out = json.loads(cli(redis_server.url, "stats").stdout)
    assert out["sites"]["demo"]["pending"] == 1 and out["sites"]["other"]["pending"] == 0


def test_failed_jobs_are_listed_and_requeued(client: Any, work: Any, redis_server: RedisServer,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    cid = submit(client).json["id"]

    def broken(self: Any, *args: Any, **kwargs: Any) -> bool:
        raise ValueError("simulated bug")

    monkeypatch.setattr(CommentStore, "record_screenings", broken)
    work()
    listed = cli(redis_server.url, "failed", "list").stdout
    assert f"screening:demo\tscreen-{cid}" in listed and "ValueError: simulated bug" in listed
    monkeypatch.undo()
    assert f"requeued screen-{cid}" in cli(redis_server.url, "failed", "requeue", f"screen-{cid}").stdout
    work()
    assert client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "pending_review"
    assert cli(redis_server.url, "failed", "requeue", "nosuch", check=False).returncode == 1


def test_export_writes_a_sites_comments_as_json_lines(client: Any, work: Any, redis_server: RedisServer,
                                                      tmp_path: Path) -> None:
    ids = {submit(client, payload(f"c{i}", author={"name": "N", "email": f"e{i}@example.com"})).json["id"]
           for i in range(3)}
    submit(client, payload("elsewhere"), site="other", secret="other-secret")
    work()
    path = tmp_path / "demo.jsonl"
    done = cli(redis_server.url, "export", "demo", "--output", str(path))
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert {r["id"] for r in rows} == ids and all(r["site"] == "demo" for r in rows)
    assert "exported 3 comments of demo" in done.stderr


def test_api_command_serves_under_gunicorn_with_metrics_shared_by_its_processes(redis_server: RedisServer,
                                                                                 redis: Any) -> None:
    """Three gevent processes: concurrent comments are each stored and queued once."""
    from concurrent.futures import ThreadPoolExecutor

    from moderation.cli.client import post_comment

    port = free_port()
    env = {**os.environ, "REDIS_URL": redis_server.url, "MODERATION_SITES": "demo:x",
           "MODERATION_ADMIN_TOKEN": "t" * 32,
           "PORT": str(port), "HOST": "127.0.0.1", "API_WORKERS": "3"}
    proc = subprocess.Popen([CLI, "api"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for(lambda: ready(port), timeout=30)
        base = f"http://127.0.0.1:{port}"
        def post(i: int) -> tuple[int, dict[str, Any]]:
            return post_comment(base, "demo", "x", {"article": {"id": "a", "url": "https://n.example/a"},
                                                    "author": {"name": "N", "email": f"n{i}@example.com"},
                                                    "body": f"comment {i}"})

        with ThreadPoolExecutor(8) as pool:  # spread over the processes and their threads
            answers = list(pool.map(post, range(48)))
        assert [status for status, _ in answers] == [202] * 48
        ids = {answer["id"] for _, answer in answers}
        assert len(ids) == 48
        assert {redis.hget(f"mod:comment:{cid}", "body") for cid in ids} == {f"comment {i}" for i in range(48)}
        # Every one waits for screening, and however the processes raced, the site has one batch job.
        assert set(redis.zrange("mod:inbox:demo", 0, -1)) == ids
        assert redis.lrange("rq:queue:screening:demo", 0, -1) == [redis.get("mod:screening:job:demo")]
        assert post_comment(base, "demo", "wrong", {"body": "x"})[0] == 401
        metrics = urllib.request.urlopen(f"{base}/metrics", timeout=5).read().decode()
        assert 'moderation_intake_responses_total{status="202"} 48' in metrics
        assert 'moderation_intake_responses_total{status="401"} 1' in metrics
    finally:
        proc.terminate()
    assert proc.wait(30) == 0  # a graceful stop on SIGTERM


def test_export_labels_writes_decisions_as_training_rows(client: Any, work: Any, redis_server: RedisServer,
                                                         tmp_path: Path) -> None:
    from tests.conftest import ADMIN_HEADERS

    bodies = {"A fair point\twell made\nthanks": ("approve", None), "you utter idiot": ("reject", "abuse"),
              "buy followers at cheap.example": ("reject", "spam"), "about football": ("reject", "off_topic"),
              "still waiting": (None, None)}
    for i, (body, (action, reason)) in enumerate(bodies.items()):
        cid = submit(client, payload(body, author={"name": "N", "email": f"l{i}@example.com"})).json["id"]
        work()
        if action:
            decision = {"action": action, **({"reason": reason} if reason else {})}
            assert client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS,
                               json=decision).status_code == 200
    out = tmp_path / "labels.tsv"
    cli(redis_server.url, "export-labels", "--site", "demo", "--output", str(out))
    rows = sorted(line.split("\t") for line in out.read_text(encoding="utf-8").splitlines())
    assert rows == [["A fair point well made thanks", "clean"], ["buy followers at cheap.example", "spam"],
                    ["you utter idiot", "toxic"]]
    later = cli(redis_server.url, "export-labels", "--site", "demo", "--since", "2999-01-01").stdout
    assert later == ""
    assert cli(redis_server.url, "export-labels", "--site", "other").stdout == ""


@pytest.mark.parametrize("command", [[CLI, "worker", "--burst"], [CLI, "moderators", "list"], [CLI, "api"],
                                     [CLI, "dev"], [sys.executable, "-m", "workers.run", "webhooks", "--burst"],
                                     [sys.executable, "-m", "moderation.cli.devrun"]])
def test_a_bad_setting_stops_start_up_naming_the_variable(redis_server: RedisServer, tmp_path: Path,
                                                          command: list[str]) -> None:
    env = {**os.environ, "REDIS_URL": redis_server.url, "MODERATION_SITES": "demo:x",
           "MODERATION_LEASE_SECONDS": "five minutes", "MODERATION_VAR_DIR": str(tmp_path)}
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode != 0
    assert "MODERATION_LEASE_SECONDS: 'five minutes' is not a whole number" in done.stderr
    assert "Traceback" not in done.stderr
