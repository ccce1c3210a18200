"""docker-compose.yml and the Dockerfile: the structure ops rely on (no Docker engine needed)."""

from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from moderation.redisproc import TUNING
from tests.conftest import ROOT

COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_services_volumes_and_profiles() -> None:
    assert set(SERVICES) == {"redis", "api", "worker", "rq-dashboard"}
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
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "MODERATION_SITES": "demo:x", "MODERATION_ADMIN_TOKEN": "t"}
    done = subprocess.run([*command, "--profile", "dashboard", "config"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "rq-dashboard" in done.stdout
