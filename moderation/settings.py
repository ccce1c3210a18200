"""Settings read from the environment, shared by the API, the workers and the CLI."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


def gunicorn_command(app: str, bind: str, env: Mapping[str, str], *, graceful_timeout: int = 20) -> list[str]:
    """How the API is served, the same for `moderation api`, `make run` and the intake benchmark.

    gevent workers: each connection is a greenlet, so a client that sends its request slowly (or never finishes
    it) holds a greenlet, not one of a few threads; with threads, eight such connections stopped the API.
    API_WORKERS processes, each with up to API_CONNECTIONS connections at once.
    """
    return [sys.executable, "-m", "gunicorn", "--bind", bind, "--workers", env.get("API_WORKERS", "2"),
            "--worker-class", "service.gunicorn_worker.ArrivalGeventWorker",
            "--worker-connections", env.get("API_CONNECTIONS", "1000"),
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


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about its deployment."""

    redis_url: str = DEFAULT_REDIS_URL
    # Each site's secrets the intake accepts: the current one first, then any it is rotating away from.
    site_secrets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    admin_token: str = ""
    signature_window: int = 300
    idempotency_ttl: int = 24 * 3600
    max_request_bytes: int = 64 * 1024
    callbacks: Mapping[str, str] = field(default_factory=dict)
    lease_seconds: int = 300
    max_backlog: int = 100_000
    webhook_retry_intervals: tuple[int, ...] = (10, 30, 60, 300, 900, 3600, 3600, 3600)
    metrics_token: str = ""  # when set, GET /metrics needs `Authorization: Bearer <it>`
    # Per API process: comments being taken at once, how long one waits to be let in, and how long after its body
    # arrived it may still be stored (past it, a 503: its client may have given up). Redis connections at once.
    intake_concurrency: int = 32
    intake_wait: float = 0.25
    intake_deadline: float = 0.5
    redis_connections: int = 64
    # Perspective-compatible comments:analyze: API key -> site, and the calls a key may make each second.
    analyze_keys: Mapping[str, str] = field(default_factory=dict)
    analyze_rate: int = 10

    def __post_init__(self) -> None:
        if self.admin_token and len(self.admin_token) < ADMIN_TOKEN_MIN_CHARS:
            raise ConfigError(f"MODERATION_ADMIN_TOKEN must be at least {ADMIN_TOKEN_MIN_CHARS} characters (it is "
                              f"{len(self.admin_token)}); make one with: python -c 'import secrets; "
                              "print(secrets.token_urlsafe(32))'")

    @cached_property
    def sites(self) -> Mapping[str, str]:
        """Each site's current secret: the one outgoing events are signed with."""
        return {site: secrets[0] for site, secrets in self.site_secrets.items()}

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `REDIS_URL` and the `MODERATION_*` variables (what workers and the CLI need)."""
        from moderation.notify import parse_callbacks, parse_intervals

        env = os.environ if environ is None else environ
        return cls(
            redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            site_secrets=parse_site_secrets(env.get("MODERATION_SITES")),
            admin_token=env.get("MODERATION_ADMIN_TOKEN", ""),
            metrics_token=env.get("MODERATION_METRICS_TOKEN", ""),
            callbacks=parse_callbacks(env.get("MODERATION_SITE_CALLBACKS")),
            webhook_retry_intervals=parse_intervals(env.get("MODERATION_WEBHOOK_RETRY_INTERVALS")),
        )
