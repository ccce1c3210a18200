"""Every Lua script the service runs, each in its own `lua/<name>.lua` file with its KEYS and ARGV documented at
the top. A file is read once per process; each client registers it once and runs it by its SHA (EVALSHA), loading
it again only where a restarted Redis has forgotten it."""

from __future__ import annotations

from functools import cache
from importlib.resources import files

from redis import Redis
from redis.commands.core import Script

NAMES = ("accept", "claim", "claim_ids", "release", "screened", "take")


@cache
def source(name: str) -> str:
    """The script's Lua source, as shipped in the package."""
    if name not in NAMES:
        raise KeyError(name)
    return (files("moderation.store") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


def register(redis: Redis, name: str) -> Script:
    """The script `name`, callable on `redis` as `script(keys=[...], args=[...])`."""
    return redis.register_script(source(name))
