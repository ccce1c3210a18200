"""Per-site policy files: validated at start-up, with errors that name the file, the field and the problem."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis

from moderation import sitepolicy
from moderation.screening.screener import screener_for
from moderation.settings import ConfigError
from moderation.sitepolicy import Policies
from tests.conftest import ADMIN_HEADERS, ROOT, make_app, payload, submit
from tests.redis_server import RedisServer


def write(tmp_path: Path, text: str, name: str = "policy.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("text,field,problem", [
    ("[defaults]\ncolour = 'red'", "defaults.colour", "Unknown field"),
    ("[sites.demo.words]\nadd = 'word'", "sites.demo.words.add", "Not a valid list"),
    ("[sites.demo.words]\nadd = [1]", "sites.demo.words.add.0", "Not a valid string"),
    ("[defaults.thresholds]\nshouting_ratio = 2.0", "defaults.thresholds.shouting_ratio", "less than or equal to 1.0"),
    ("[defaults.thresholds]\nflood_window_seconds = 'soon'", "defaults.thresholds.flood_window_seconds",
     "Not a valid integer"),
    ("[defaults.severity]\nlink = 'extreme'", "defaults.severity.link", "Must be one of: low, medium, high"),
    ("[defaults.severity]\nweather = 'low'", "defaults.severity.weather", "Must be one of"),
    ("[sites.demo.words.severity]\ncrap = 'mild'", "sites.demo.words.severity.crap", "Must be one of"),
    ("[sites.demo.links]\nallow_domains = ['http://x']", "sites.demo.links.allow_domains.0", "Not a domain name"),
    ("[defaults.thresholds]\nflood_per_author = 10\nreject_per_author = 5", "defaults.thresholds.reject_per_author",
     "Must not be below flood_per_author"),
    ("[sites.'bad site'.words]\nadd = ['x']", "sites.bad site", "does not match"),
    ("[defaults.thresholds]\ntoxicity_low = 0.9\ntoxicity_medium = 0.5", "defaults.thresholds.toxicity_medium",
     "Must not be below toxicity_low"),
    ("[defaults.thresholds]\nspam_high = 1.5", "defaults.thresholds.spam_high", "less than or equal to 1.0"),
    ("[defaults.thresholds]\nprofanity_min_severity = 'mild'", "defaults.thresholds.profanity_min_severity",
     "Must be one of"),
])
def test_each_policy_error_names_file_field_and_problem(tmp_path: Path, text: str, field: str, problem: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        Policies.load(path)
    message = str(err.value)
    assert message.startswith(f"policy file {path}: {field}"), message
    assert problem in message


def test_toml_syntax_error_names_the_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[defaults\nx = 1")
    with pytest.raises(ConfigError, match=rf"policy file {path}: not valid TOML: .*line 1"):
        Policies.load(path)


def test_missing_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        Policies.load(tmp_path / "absent.toml")
    bad = tmp_path / "latin1.toml"
    bad.write_bytes("[defaults]\n# caf\xe9".encode("latin-1"))
    with pytest.raises(ConfigError, match="cannot be read"):
        Policies.load(bad)


def test_the_example_policy_is_valid() -> None:
    policies = Policies.load(ROOT / "policy.example.toml")
    demo = policies.for_site("demo")
    assert demo.link_allow_domains == ("news.example",)
    assert demo.words_add == {"clickbait": "medium"}
    assert policies.for_site("elsewhere") == policies.defaults


def test_sites_inherit_defaults_and_override_them(tmp_path: Path) -> None:
    policies = Policies.load(write(tmp_path, """
[defaults.thresholds]
flood_per_author = 3
[defaults.severity]
link = "high"
[sites.demo.thresholds]
shouting_ratio = 0.9
[sites.demo.severity]
link = "low"
"""))
    demo, other = policies.for_site("demo"), policies.for_site("other")
    assert demo.thresholds.flood_per_author == other.thresholds.flood_per_author == 3
    assert demo.thresholds.shouting_ratio == 0.9 and other.thresholds.shouting_ratio == 0.7
    assert (demo.severity["link"], other.severity["link"]) == ("low", "high")


def test_api_refuses_to_start_with_a_broken_policy(tmp_path: Path, redis_server: RedisServer) -> None:
    path = write(tmp_path, "[defaults.thresholds]\nrepeat_char_run = 1")
    with pytest.raises(ConfigError, match=r"defaults\.thresholds\.repeat_char_run"):
        make_app(redis_server.url, POLICY_FILE=str(path))


def _env(**extra: str) -> dict[str, str]:
    return {**os.environ, **extra}


def test_worker_refuses_to_start_with_a_broken_policy(tmp_path: Path) -> None:
    path = write(tmp_path, "[sites.demo.words]\nremove = 'damn'")
    proc = subprocess.run([sys.executable, "-m", "workers.run"], cwd=ROOT, capture_output=True, text=True,
                          timeout=60, env=_env(MODERATION_POLICY_FILE=str(path), REDIS_URL="redis://127.0.0.1:1/0"))
    assert proc.returncode != 0
    assert f"policy file {path}: sites.demo.words.remove: Not a valid list" in proc.stderr


def test_check_policy_command(tmp_path: Path) -> None:
    cli = Path(sys.prefix) / "bin" / "moderation"
    good = subprocess.run([str(cli), "check-policy", str(ROOT / "policy.example.toml")], capture_output=True, text=True)
    assert good.returncode == 0 and "valid" in good.stdout and "demo" in good.stdout
    path = write(tmp_path, "[defaults.severity]\nlink = 'loud'")
    bad = subprocess.run([str(cli), "check-policy", str(path)], capture_output=True, text=True)
    assert bad.returncode == 1
    assert "defaults.severity.link: Must be one of: low, medium, high." in bad.stderr


@pytest.fixture()
def site_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, redis_server: RedisServer) -> Any:
    path = write(tmp_path, """
[sites.demo.words]
add = ["clickbait"]
add_severity = "medium"
remove = ["idiot"]
allow = ["bastard"]
severity = { crap = "high" }
[sites.demo.links]
allow_domains = ["news.example"]
[sites.demo.thresholds]
reject_per_author = 2
flood_per_author = 1
""")
    monkeypatch.setenv("MODERATION_POLICY_FILE", str(path))
    sitepolicy._load_cached.cache_clear()
    yield make_app(redis_server.url, POLICY_FILE=str(path)).test_client()
    sitepolicy._load_cached.cache_clear()


def _flags(client: FlaskClient, cid: str) -> dict[str, Any]:
    detail = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
    return {f["code"]: f for f in detail["flags"]}


def test_site_policy_changes_screening_without_code(site_policy: FlaskClient, redis: Redis, work: Any) -> None:
    client = site_policy
    body = "clickbait by an idiot bastard, crap, see https://news.example/a and spam.com"
    demo = submit(client, payload(body, author={"name": "A", "email": "a@example.com"})).json["id"]
    other = submit(client, payload(body, author={"name": "A", "email": "a@example.com"}), site="other",
                   secret="other-secret").json["id"]
    work()
    d, o = _flags(client, demo), _flags(client, other)
    assert [e["text"] for e in d["profanity"]["evidence"]] == ["clickbait", "crap"]
    assert d["profanity"]["severity"] == "high"  # crap re-graded for this site
    assert [e["text"] for e in d["link"]["evidence"]] == ["spam.com"]
    assert [e["text"] for e in o["profanity"]["evidence"]] == ["idiot", "bastard", "crap"]
    assert [e["text"] for e in o["link"]["evidence"]] == ["https://news.example/a", "spam.com"]


def test_site_thresholds_reach_the_intake(site_policy: FlaskClient, redis: Redis) -> None:
    client = site_policy
    who = {"name": "B", "email": "b@example.com"}
    assert [submit(client, payload(f"c{i}", author=who)).status_code for i in range(3)] == [202, 202, 429]
    assert submit(client, payload("c3", author=who), site="other", secret="other-secret").status_code == 202


def test_model_flag_severity_follows_the_sites_thresholds(tmp_path: Path) -> None:
    path = write(tmp_path, """
[sites.strict.thresholds]
toxicity_low = 0.2
toxicity_medium = 0.3
toxicity_high = 0.4
[sites.lenient.thresholds]
toxicity_low = 0.999
toxicity_medium = 0.9995
toxicity_high = 0.9999
""")
    policies = Policies.load(path)
    body = "you are a pathetic clown and a disgrace"

    def toxicity(site: str) -> str | None:
        flags = screener_for(policies.for_site(site)).screen_text(body).flags
        return next((f.severity for f in flags if f.code == "toxicity"), None)

    score = screener_for(policies.for_site("strict")).screen_text(body).scores.toxicity
    assert score is not None and 0.4 < score < 0.999
    assert toxicity("strict") == "high" and toxicity("lenient") is None


def test_the_suggested_reject_reason_follows_the_most_severe_flag() -> None:
    from moderation.policy import suggested_reason

    assert suggested_reason([]) == "other"
    assert suggested_reason([{"code": "link", "severity": "low"}, {"code": "toxicity", "severity": "high"}]) == "abuse"
    assert suggested_reason([{"code": "personal_data", "severity": "medium"}, {"code": "link", "severity": "low"}]
                            ) == "personal_data"
    assert suggested_reason([{"code": "new_author", "severity": "low"}]) == "other"
