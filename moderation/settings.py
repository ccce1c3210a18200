"""Every environment variable the service reads, typed and validated here, with its default written once.

The API (`create_app`), the workers, `make run` and the CLI take their settings from `Settings.load()` (or the
process's `current()`); no other module reads the environment. A value that cannot be used stops start-up with
a ConfigError that names the variable. `docs/operations.md` lists them for operators.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from functools import cache, cached_property
from typing import Any

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def gunicorn_command(app: str, bind: str, settings: Settings, *, graceful_timeout: int = 20) -> list[str]:
    """How the API is served, the same for `moderation api`, `make run` and the intake benchmark.

    gevent workers: each connection is a greenlet, so a client that sends its request slowly (or never finishes
    it) holds a greenlet, not one of a few threads; with threads, eight such connections stopped the API.
    API_WORKERS processes, each with up to API_CONNECTIONS connections at once.
    """
    return [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", str(settings.api_workers),
            "--worker-class", "service.gunicorn_worker.ArrivalGeventWorker",
            "--worker-connections", str(settings.api_connections),
            "--graceful-timeout", str(graceful_timeout), "--no-control-socket",
            "--config", "python:service.gunicorn_conf", app]


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable."""


ADMIN_TOKEN_MIN_CHARS = 32  # a bearer token that opens everything: as long as secrets.token_urlsafe(24) or more


def entries(raw: str | None) -> list[str]:
    """The non-empty, stripped entries of a comma-separated setting."""
    return [e for e in (part.strip() for part in (raw or "").split(",")) if e]


def parse_site_secrets(raw: str | None) -> dict[str, tuple[str, ...]]:
    """Parse `site:secret[|older][,site:secret...]`: each site's current secret, then any still accepted.

    While a site rotates its secret, list the new one first and the old one after a `|`: the
    intake accepts both, and outgoing events are signed with the first.
    """
    sites: dict[str, tuple[str, ...]] = {}
    for entry in entries(raw):
        site, sep, secret = entry.partition(":")
        site, secret = site.strip(), secret.strip()
        secrets = tuple(s.strip() for s in secret.split("|"))
        if not sep or not site or not all(secrets):
            raise ConfigError(f"MODERATION_SITES: entry {entry!r} is not of the form site:secret[|older secret]")
        if not site.replace("-", "").replace("_", "").replace(".", "").isalnum() or not site.isascii():
            raise ConfigError(f"MODERATION_SITES: site name {site!r} may hold only letters, digits, '-', '_', '.'")
        if site in sites:
            raise ConfigError(f"MODERATION_SITES: site {site!r} is listed twice")
        sites[site] = secrets
    return sites


def parse_analyze_keys(raw: str | None) -> dict[str, str]:
    """Parse `site:key,...` (MODERATION_ANALYZE_KEYS): each Perspective-style API key, to the site it belongs to."""
    keys: dict[str, str] = {}
    for entry in entries(raw):
        site, sep, key = (p.strip() for p in entry.partition(":"))
        if not sep or not site or not key:
            raise ConfigError("MODERATION_ANALYZE_KEYS: an entry is not of the form site:key")
        if len(key) < 20:
            raise ConfigError(f"MODERATION_ANALYZE_KEYS: the key of site {site!r} is shorter than 20 characters")
        if key in keys:
            raise ConfigError(f"MODERATION_ANALYZE_KEYS: a key is listed twice (sites {keys[key]!r}, {site!r})")
        keys[key] = site
    return keys


def parse_callbacks(raw: str | None) -> dict[str, str]:
    """`site=url[,site=url]` into a mapping; only http(s) URLs."""
    out: dict[str, str] = {}
    for entry in entries(raw):
        site, sep, url = entry.partition("=")
        if not sep or not site.strip() or not url.strip().startswith(("http://", "https://")):
            raise ConfigError(f"MODERATION_SITE_CALLBACKS: entry {entry!r} is not of the form site=http(s)://...")
        out[site.strip()] = url.strip()
    return out


REDIS_SCHEMES = ("redis://", "rediss://", "unix://", "redis+sentinel://")


def parse_shards(raw: str | None) -> dict[str, str]:
    """`site=redis-url[,site=redis-url]` (MODERATION_SHARDS): the sites whose comments live on another Redis than
    REDIS_URL, each with its URL; every other site lives on REDIS_URL."""
    out: dict[str, str] = {}
    for entry in entries(raw):
        site, sep, url = (p.strip() for p in entry.partition("="))
        if not sep or not site or not url.startswith(REDIS_SCHEMES):
            raise ConfigError(f"MODERATION_SHARDS: entry {entry!r} is not of the form site=redis://...")
        if site in out:
            raise ConfigError(f"MODERATION_SHARDS: site {site!r} is listed twice")
        out[site] = url
    return out


DEFAULT_RETRY_INTERVALS = (10, 30, 60, 300, 900, 3600, 3600, 3600)  # exponential-ish, then hourly


def parse_intervals(raw: str | None) -> tuple[int, ...]:
    """Seconds between delivery tries, e.g. `10,30,60`; the number of values is the number of retries."""
    if not raw:
        return DEFAULT_RETRY_INTERVALS
    try:
        values = tuple(int(v) for v in raw.split(","))
    except ValueError:
        raise ConfigError(f"MODERATION_WEBHOOK_RETRY_INTERVALS: {raw!r} is not a list of seconds") from None
    if not values or any(v < 0 for v in values):
        raise ConfigError(f"MODERATION_WEBHOOK_RETRY_INTERVALS: {raw!r} must be non-negative seconds")
    return values


def _number(kind: Callable[[str], Any], low: float | None = None) -> Callable[[str], Any]:
    def parse(raw: str) -> Any:
        try:
            value = kind(raw.strip())
        except ValueError:
            raise ValueError(f"is not {'a whole number' if kind is int else 'a number'}") from None
        if low is not None and value < low:
            raise ValueError(f"must be at least {low:g}")
        return value
    return parse


def _flag(raw: str) -> bool:
    value = raw.strip().lower()
    if value not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
        raise ValueError("is not one of 1, true, yes, on, 0, false, no, off")
    return value in ("1", "true", "yes", "on")


def _log_level(raw: str) -> str:
    level = raw.strip().upper()
    if not isinstance(logging.getLevelName(level), int):
        raise ValueError("is not a log level (DEBUG, INFO, WARNING, ERROR)")
    return level


def _text(raw: str) -> str:
    return raw


def _var(env: str, default: Any, parse: Callable[[str], Any] = _text, *,
         coerce: Callable[[Any], Any] | None = None) -> Any:
    """A setting: the variable it is read from, its default and how its text becomes a value. `coerce` turns a
    value given in code (create_app's test_config) into the field's type, where that is not parsing its text."""
    meta = {"env": env, "parse": parse, "coerce": coerce}
    if isinstance(default, dict):
        return field(default_factory=lambda: dict(default), metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about its deployment: one field per environment variable."""

    redis_url: str = _var("REDIS_URL", DEFAULT_REDIS_URL)
    # Sites whose comments live on another Redis (site -> URL): accounts, sessions and every other site on REDIS_URL.
    shards: Mapping[str, str] = _var("MODERATION_SHARDS", {}, parse_shards, coerce=dict)
    # Each site's secrets the intake accepts: the current one first, then any it is rotating away from.
    site_secrets: Mapping[str, tuple[str, ...]] = _var(
        "MODERATION_SITES", {}, parse_site_secrets,
        coerce=lambda v: {k: (s,) if isinstance(s, str) else tuple(s) for k, s in v.items()})
    admin_token: str = _var("MODERATION_ADMIN_TOKEN", "")
    metrics_token: str = _var("MODERATION_METRICS_TOKEN", "")  # when set, GET /metrics needs it as a bearer token
    signature_window: int = _var("MODERATION_SIGNATURE_WINDOW", 300, _number(int, 1))
    idempotency_ttl: int = _var("MODERATION_IDEMPOTENCY_TTL", 24 * 3600, _number(int, 1))
    max_request_bytes: int = _var("MODERATION_MAX_REQUEST_BYTES", 64 * 1024, _number(int, 1024))
    policy_file: str = _var("MODERATION_POLICY_FILE", "")
    callbacks: Mapping[str, str] = _var("MODERATION_SITE_CALLBACKS", {}, parse_callbacks, coerce=dict)
    webhook_retry_intervals: tuple[int, ...] = _var("MODERATION_WEBHOOK_RETRY_INTERVALS", DEFAULT_RETRY_INTERVALS,
                                                    parse_intervals, coerce=tuple)
    webhook_deadline: float = _var("MODERATION_WEBHOOK_DEADLINE", 10.0, _number(float, 0.1))
    lease_seconds: int = _var("MODERATION_LEASE_SECONDS", 300, _number(int, 1))
    desk_poll_seconds: int = _var("MODERATION_DESK_POLL_SECONDS", 15, _number(int, 1))
    max_backlog: int = _var("MODERATION_MAX_BACKLOG", 100_000, _number(int, 1))
    # Replicas that must hold a comment before its 202 (Redis WAIT), and how long the intake waits for them.
    min_replicas: int = _var("MODERATION_MIN_REPLICAS", 0, _number(int, 0))
    replica_wait_ms: int = _var("MODERATION_REPLICA_WAIT_MS", 100, _number(int, 1))
    # Per API process: comments being taken at once, how long one waits to be let in, and how long after its body
    # arrived it may still be stored (past it, a 503: its client may have given up). Redis connections at once.
    intake_concurrency: int = _var("MODERATION_INTAKE_CONCURRENCY", 32, _number(int, 1))
    intake_wait: float = _var("MODERATION_INTAKE_WAIT", 0.25, _number(float, 0))
    intake_deadline: float = _var("MODERATION_INTAKE_DEADLINE", 0.5, _number(float))
    redis_connections: int = _var("MODERATION_REDIS_CONNECTIONS", 64, _number(int, 2))
    # Before gunicorn accepts a connection: the event loop's lag and the kernel's accept queue past which it sheds
    # (-1: every connection, to see the refusal).
    shed_lag: float = _var("MODERATION_SHED_LAG", 0.2, _number(float, 0.01))
    shed_queue: int = _var("MODERATION_SHED_QUEUE", 64, _number(int, -1))
    # Perspective-compatible comments:analyze: API key -> site, and the calls a key may make each second.
    analyze_keys: Mapping[str, str] = _var("MODERATION_ANALYZE_KEYS", {}, parse_analyze_keys,
                                           coerce=lambda v: parse_analyze_keys(
                                               ",".join(f"{s}:{k}" for k, s in v.items())))
    analyze_rate: int = _var("MODERATION_ANALYZE_RATE", 10, _number(int, 1))
    log_level: str = _var("MODERATION_LOG_LEVEL", "INFO", _log_level)
    trust_proxy: bool = _var("MODERATION_TRUST_PROXY", False, _flag)  # believe X-Forwarded-Proto (cookies Secure)
    # Workers: a screening job still running after this is stuck; how often to look for a dead worker's jobs.
    screen_timeout: int = _var("MODERATION_SCREEN_TIMEOUT", 30, _number(int, 1))
    maintenance_seconds: int = _var("MODERATION_MAINTENANCE_SECONDS", 60, _number(int, 1))
    worker_heartbeat_file: str = _var("MODERATION_WORKER_HEARTBEAT_FILE", "")  # touched for a healthcheck
    # Retention: days after which a comment's personal data is erased, and a rejected comment deleted.
    pii_days: int = _var("MODERATION_PII_DAYS", 30, _number(int, 1))
    retention_days: int = _var("MODERATION_RETENTION_DAYS", 90, _number(int, 1))
    # Processes: `moderation api` and `make run`; make run's local Redis and credentials live under var_dir.
    host: str = _var("HOST", "127.0.0.1")
    port: int = _var("PORT", 8000, _number(int, 1))
    api_workers: int = _var("API_WORKERS", 2, _number(int, 1))
    api_connections: int = _var("API_CONNECTIONS", 1000, _number(int, 1))
    screening_workers: int = _var("WORKERS", 2, _number(int, 0))
    webhook_workers: int = _var("WEBHOOK_WORKERS", 1, _number(int, 0))
    var_dir: str = _var("MODERATION_VAR_DIR", "var")
    local_redis_port: int = _var("MODERATION_REDIS_PORT", 6390, _number(int, 1))

    def __post_init__(self) -> None:
        if self.admin_token and len(self.admin_token) < ADMIN_TOKEN_MIN_CHARS:
            raise ConfigError(f"MODERATION_ADMIN_TOKEN must be at least {ADMIN_TOKEN_MIN_CHARS} characters (it is "
                              f"{len(self.admin_token)}); make one with: python -c 'import secrets; "
                              "print(secrets.token_urlsafe(32))'")
        unknown = sorted(set(self.shards) - set(self.site_secrets)) if self.site_secrets else []
        if unknown:
            raise ConfigError(f"MODERATION_SHARDS names sites that MODERATION_SITES does not: {', '.join(unknown)}")
        if self.retention_days < self.pii_days:
            raise ConfigError(f"MODERATION_RETENTION_DAYS ({self.retention_days}) must be at least "
                              f"MODERATION_PII_DAYS ({self.pii_days}): a comment is deleted after its data is erased")

    def shard_url(self, site: str) -> str:
        """The Redis that holds `site`'s comments, queues and bans."""
        return self.shards.get(site, self.redis_url)

    @property
    def shard_urls(self) -> list[str]:
        """Every Redis that holds comments, REDIS_URL first, each once."""
        return list(dict.fromkeys([self.redis_url, *self.shards.values()]))

    def sites_on(self, url: str) -> list[str]:
        """The configured sites whose comments live on the Redis at `url`: without MODERATION_SHARDS, every one,
        however the URL is spelt."""
        return [site for site in self.site_secrets if not self.shards or self.shard_url(site) == url]

    @cached_property
    def sites(self) -> Mapping[str, str]:
        """Each site's current secret: the one outgoing events are signed with."""
        return {site: secrets[0] for site, secrets in self.site_secrets.items()}

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None) -> Settings:
        """Read every variable from `environ` (the process's by default), then apply `overrides`: values given
        in code, keyed by the variable's name without `MODERATION_` (create_app's test_config)."""
        env = os.environ if environ is None else environ
        given = overrides or {}
        values: dict[str, Any] = {}
        for f in fields(cls):
            name: str = f.metadata["env"]
            short = name.removeprefix("MODERATION_")
            if short in given and not isinstance(given[short], str) and f.metadata["coerce"]:
                values[f.name] = f.metadata["coerce"](given[short])
                continue
            raw = str(given[short]) if short in given else env.get(name)
            if not raw:
                continue  # unset or empty: the default
            try:
                values[f.name] = f.metadata["parse"](raw)
            except ConfigError:
                raise
            except ValueError as err:
                raise ConfigError(f"{name}: {raw!r} {err}") from None
        return cls(**values)

    @classmethod
    def override_names(cls) -> set[str]:
        """The keys `load`'s overrides take: each variable's name without `MODERATION_`."""
        return {f.metadata["env"].removeprefix("MODERATION_") for f in fields(cls)}

    @classmethod
    def names(cls) -> list[str]:
        """Every variable read, for the docs' list and the test that keeps it whole."""
        return [f.metadata["env"] for f in fields(cls)]


@cache
def current() -> Settings:
    """This process's settings, read once: what workers, jobs, gunicorn's worker class and the CLI use."""
    return Settings.load()
