"""Settings read from the environment, shared by the API, the workers and the CLI."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"


class ConfigError(ValueError):
    """A setting that cannot be used; the message names the variable."""


def parse_sites(raw: str | None) -> dict[str, str]:
    """Parse `site:secret[,site:secret...]` into a mapping, refusing malformed entries."""
    sites: dict[str, str] = {}
    if not raw:
        return sites
    for entry in raw.split(","):
        entry = entry.strip()
        if not entry:
            continue
        site, sep, secret = entry.partition(":")
        site, secret = site.strip(), secret.strip()
        if not sep or not site or not secret:
            raise ConfigError(f"MODERATION_SITES: entry {entry!r} is not of the form site:secret")
        if not site.replace("-", "").replace("_", "").replace(".", "").isalnum() or not site.isascii():
            raise ConfigError(f"MODERATION_SITES: site name {site!r} may hold only letters, digits, '-', '_', '.'")
        if site in sites:
            raise ConfigError(f"MODERATION_SITES: site {site!r} is listed twice")
        sites[site] = secret
    return sites


@dataclass(frozen=True)
class Settings:
    """Everything the service needs to know about its deployment."""

    redis_url: str = DEFAULT_REDIS_URL
    sites: Mapping[str, str] = field(default_factory=dict)
    admin_token: str = ""
    signature_window: int = 300
    idempotency_ttl: int = 24 * 3600
    max_request_bytes: int = 64 * 1024
    callbacks: Mapping[str, str] = field(default_factory=dict)
    lease_seconds: int = 300
    max_backlog: int = 100_000
    webhook_retry_intervals: tuple[int, ...] = (10, 30, 60, 300, 900, 3600, 3600, 3600)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from `REDIS_URL` and the `MODERATION_*` variables (what workers and the CLI need)."""
        from moderation.events import parse_callbacks, parse_intervals

        env = os.environ if environ is None else environ
        return cls(
            redis_url=env.get("REDIS_URL") or DEFAULT_REDIS_URL,
            sites=parse_sites(env.get("MODERATION_SITES")),
            admin_token=env.get("MODERATION_ADMIN_TOKEN", ""),
            callbacks=parse_callbacks(env.get("MODERATION_SITE_CALLBACKS")),
            webhook_retry_intervals=parse_intervals(env.get("MODERATION_WEBHOOK_RETRY_INTERVALS")),
        )
