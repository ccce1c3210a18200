"""One settings loader: every variable read, typed and checked in moderation/settings.py, and nowhere else."""

from __future__ import annotations

import re

import pytest

from moderation.settings import ConfigError, Settings
from service import create_app
from tests.conftest import ROOT
from tests.redis_server import RedisServer


def test_the_environment_is_read_in_one_module() -> None:
    readers = re.compile(r"os\.environ\s*(\.get|\[)|os\.getenv|environ\.get\(\"(MODERATION_|REDIS_URL|PORT|HOST)")
    found = [f"{path.relative_to(ROOT)}:{n}" for package in ("moderation", "service", "workers")
             for path in (ROOT / package).rglob("*.py") if path.name != "settings.py"
             for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if readers.search(line)]
    assert found == []


def test_every_variable_is_documented_for_operators() -> None:
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    assert [name for name in Settings.names() if f"`{name}`" not in operations] == []


def test_defaults_are_the_fields_and_text_becomes_typed_values() -> None:
    assert Settings.load({}) == Settings()
    s = Settings.load({"MODERATION_LEASE_SECONDS": "45", "MODERATION_INTAKE_WAIT": "0.5", "MODERATION_TRUST_PROXY":
                       "yes", "MODERATION_SITES": "a:x|y", "MODERATION_WEBHOOK_RETRY_INTERVALS": "1,2",
                       "MODERATION_LOG_LEVEL": "debug", "REDIS_URL": ""})
    assert (s.lease_seconds, s.intake_wait, s.trust_proxy, s.site_secrets, s.webhook_retry_intervals,
            s.log_level, s.redis_url) == (45, 0.5, True, {"a": ("x", "y")}, (1, 2), "DEBUG", Settings.redis_url)


@pytest.mark.parametrize(("name", "value", "says"), [
    ("MODERATION_LEASE_SECONDS", "soon", "is not a whole number"),
    ("MODERATION_LEASE_SECONDS", "0", "must be at least 1"),
    ("MODERATION_INTAKE_WAIT", "fast", "is not a number"),
    ("MODERATION_TRUST_PROXY", "maybe", "is not one of"),
    ("MODERATION_LOG_LEVEL", "LOUD", "is not a log level"),
    ("PORT", "eighty", "is not a whole number"),
    ("MODERATION_SITES", "demo", "site:secret"),
    ("MODERATION_SITE_CALLBACKS", "demo=ftp://x", "site=http(s)://"),
    ("MODERATION_ADMIN_TOKEN", "short", "at least 32 characters"),
])
def test_a_bad_value_names_its_variable(name: str, value: str, says: str) -> None:
    with pytest.raises(ConfigError) as err:
        Settings.load({name: value})
    assert name in str(err.value) and says in str(err.value)


def test_the_app_takes_its_settings_from_the_loader(redis_server: RedisServer) -> None:
    app = create_app({"REDIS_URL": redis_server.url, "LEASE_SECONDS": 7, "SITES": {"demo": "s"}, "TESTING": True})
    settings = app.extensions["moderation.settings"]
    assert (settings.lease_seconds, settings.site_secrets, app.config["TESTING"]) == (7, {"demo": ("s",)}, True)
    with pytest.raises(ConfigError, match="MODERATION_DESK_POLL_SECONDS"):
        create_app({"REDIS_URL": redis_server.url, "DESK_POLL_SECONDS": "often"})
