"""docker-compose.yml and the Dockerfile: the structure ops rely on (no Docker engine needed)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from moderation.cli.redisproc import TUNING
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_services_volumes_and_profiles() -> None:
    assert set(SERVICES) == {"redis", "api", "worker", "notifier", "rq-dashboard"}
    assert SERVICES["rq-dashboard"]["profiles"] == ["dashboard"]
    assert "redis-data" in COMPOSE["volumes"]
    assert "redis-data:/data" in SERVICES["redis"]["volumes"]


def test_redis_is_append_only_with_a_chosen_fsync_and_a_healthcheck() -> None:
    command = " ".join(SERVICES["redis"]["command"])
    assert "--appendonly yes" in command
    assert "--appendfsync ${REDIS_APPENDFSYNC:-everysec}" in command
    assert "redis-cli" in SERVICES["redis"]["healthcheck"]["test"]


def test_redis_in_compose_is_tuned_as_our_own_redis_is() -> None:
    assert " ".join(TUNING) in " ".join(SERVICES["redis"]["command"])


def test_api_has_a_readiness_healthcheck_and_waits_for_redis() -> None:
    api = SERVICES["api"]
    assert "/readyz" in " ".join(api["healthcheck"]["test"])
    assert api["depends_on"]["redis"]["condition"] == "service_healthy"
    assert api["command"] == ["moderation", "api"]


def test_workers_scale_no_fixed_name_no_ports() -> None:
    worker = SERVICES["worker"]
    assert "container_name" not in worker and "ports" not in worker
    assert worker["command"] == ["moderation", "worker"]
    assert "MODERATION_SITES" in worker["environment"]  # to sign outgoing events
    assert worker["stop_grace_period"]


def test_every_service_restarts_when_it_dies_and_workers_have_a_healthcheck() -> None:
    """Issue 13, finding 2: compose had no restart policy; a worker that died stayed dead."""
    for name in ("redis", "api", "worker", "notifier"):
        assert SERVICES[name]["restart"] == "unless-stopped", name
    for name in ("worker", "notifier"):
        assert SERVICES[name]["environment"]["MODERATION_WORKER_HEARTBEAT_FILE"] == "/tmp/worker-heartbeat"
        assert SERVICES[name]["healthcheck"]["test"][0] == "CMD"


def test_the_workers_healthcheck_passes_on_a_fresh_beat_and_fails_on_a_stale_one(tmp_path: Path) -> None:
    """The healthcheck's own command, run here against a heartbeat file of our own."""
    import os
    import sys
    import time

    command = [c.replace("/tmp/worker-heartbeat", str(tmp_path / "beat"))
               for c in SERVICES["worker"]["healthcheck"]["test"][1:]]
    (tmp_path / "beat").touch()
    assert subprocess.run([sys.executable, *command[1:]]).returncode == 0
    old = time.time() - 300
    os.utime(tmp_path / "beat", (old, old))
    assert subprocess.run([sys.executable, *command[1:]]).returncode == 1


def test_deliveries_have_their_own_workers() -> None:
    """Issue 13, finding 3: screening workers took deliveries too, and a hanging site held them."""
    assert SERVICES["worker"]["command"] == ["moderation", "worker"]
    assert SERVICES["notifier"]["command"] == ["moderation", "worker", "--queue", "webhooks"]


def test_images_and_python_packages_are_pinned() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    (base,) = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("FROM ")]
    assert base.count(".") >= 2, base  # python:3.11.11-..., not python:3.11
    for name in ("redis", "rq-dashboard"):
        assert SERVICES[name]["image"].split(":")[1][0].isdigit() and SERVICES[name]["image"].count(".") >= 2
    assert "pip install -r requirements.lock" in dockerfile and "--no-deps ." in dockerfile
    lock = {line.split("==")[0].lower() for line in (ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line}
    assert {"flask", "redis", "rq", "better-profanity", "marshmallow", "gunicorn", "gevent"} <= lock
    assert all("==" in line for line in (ROOT / "requirements.lock").read_text().splitlines()
               if line and not line.startswith("#"))


def test_one_slim_image_running_as_a_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.count("FROM ") == 1 and "-slim" in dockerfile
    assert "\nUSER app\n" in dockerfile and "useradd" in dockerfile
    for service in ("api", "worker"):
        assert SERVICES[service]["build"] == "."


def _compose_command() -> list[str] | None:
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


def test_docker_compose_config_accepts_the_file() -> None:
    command = _compose_command()
    if command is None:
        pytest.skip("no Docker Compose client on this machine: the structure tests above still ran")
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "MODERATION_SITES": "demo:x", "MODERATION_ADMIN_TOKEN": "t" * 32}
    done = subprocess.run([*command, "--profile", "dashboard", "config"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "rq-dashboard" in done.stdout
