"""Moderators and their bearer tokens. Tokens are shown once and stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import time
from dataclasses import dataclass
from typing import Any

from redis import Redis, WatchError

from moderation import audit
from moderation.errors import Conflict, NotFound, Unauthorized, ValidationFailed
from moderation.store.keys import MODERATORS, TOKENS

ROLES = ("moderator", "admin")
BOOTSTRAP = "admin"  # the name of the bootstrap admin token's holder; reserved
_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,39}$")


@dataclass(frozen=True)
class Moderator:
    """Who is asking. `sites` scopes a moderator to those sites' comments, bans and audit entries; None is every
    site (admins always)."""

    name: str
    role: str
    sites: tuple[str, ...] | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def sees(self, site: str | None) -> bool:
        """Whether this moderator may read and act on `site`'s data (None: data of no site, such as a global ban)."""
        return self.sites is None or site in self.sites

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Moderator:
        sites = record.get("sites")
        return cls(record["name"], record["role"], tuple(sites) if sites is not None else None)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Accounts:
    """Create, list, revoke and authenticate moderators."""

    def __init__(self, redis: Redis, bootstrap_token: str = "") -> None:
        self.redis = redis
        self.bootstrap_token = bootstrap_token

    def authenticate(self, token: str) -> Moderator:
        """The moderator holding `token`; a revoked token fails at once (it is no longer stored)."""
        if self.bootstrap_token and hmac.compare_digest(token.encode(), self.bootstrap_token.encode()):
            return Moderator(BOOTSTRAP, "admin")
        name = self.redis.hget(TOKENS, token_hash(token))
        if name:
            record = self.redis.hget(MODERATORS, name)
            if record:
                return Moderator.from_record(json.loads(record))
        raise Unauthorized("The bearer token is not valid.")

    def get(self, name: str) -> Moderator | None:
        record = self.redis.hget(MODERATORS, name)
        return Moderator.from_record(json.loads(record)) if record else None

    def create(self, name: str, role: str, *, actor: str, sites: list[str] | None = None,
               known_sites: Any = None) -> tuple[Moderator, str]:
        """A new moderator and their token, which is returned this once and never again.

        `sites` scopes a moderator to those sites (each must be in `known_sites` when that is given); without it
        they see every site. Admins see every site.
        """
        if not _NAME.match(name or "") or name == BOOTSTRAP:
            raise ValidationFailed("The moderator is not valid.", fields={
                "name": ["1-40 lowercase letters, digits, '.', '_' or '-', not 'admin'."]})
        if role not in ROLES:
            raise ValidationFailed("The moderator is not valid.", fields={"role": ["Must be moderator or admin."]})
        if sites is not None:
            unknown = sorted(set(sites) - set(known_sites)) if known_sites is not None else []
            if role == "admin" or not sites or unknown:
                message = ("An admin sees every site: give sites to moderators only." if role == "admin" else
                           f"No such site: {', '.join(unknown)}." if unknown else "Name at least one site.")
                raise ValidationFailed("The moderator is not valid.", fields={"sites": [message]})
            sites = sorted(set(sites))
        token = secrets.token_urlsafe(32)
        record: dict[str, Any] = {"name": name, "role": role, "created_ms": int(time.time() * 1000),
                                  "created_by": actor}
        if sites is not None:
            record["sites"] = sites
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(MODERATORS)
                if pipe.hexists(MODERATORS, name):
                    raise Conflict(f"A moderator named {name!r} exists; revoke it first.")
                pipe.multi()
                pipe.hset(MODERATORS, name, json.dumps(record))
                pipe.hset(TOKENS, token_hash(token), name)
                audit.append(pipe, actor=actor, action="moderator.create", target=f"moderator:{name}",
                             details={"role": role, "sites": sites})
                pipe.execute()
            except WatchError:
                raise Conflict("Moderators changed meanwhile; try again.") from None
        return Moderator(name, role, tuple(sites) if sites is not None else None), token

    def revoke(self, name: str, *, actor: str) -> None:
        """Delete a moderator and their token; their next request is a 401."""
        with self.redis.pipeline() as pipe:
            try:
                pipe.watch(MODERATORS, TOKENS)
                if not pipe.hexists(MODERATORS, name):
                    raise NotFound(f"No moderator named {name!r}.")
                hashes = [h for h, n in pipe.hgetall(TOKENS).items() if n == name]
                pipe.multi()
                pipe.hdel(MODERATORS, name)
                if hashes:
                    pipe.hdel(TOKENS, *hashes)
                audit.append(pipe, actor=actor, action="moderator.revoke", target=f"moderator:{name}")
                pipe.execute()
            except WatchError:
                raise Conflict("Moderators changed meanwhile; try again.") from None

    def all(self) -> list[dict[str, Any]]:
        """Every moderator, without any token."""
        return sorted((json.loads(v) for v in self.redis.hvals(MODERATORS)), key=lambda m: m["name"])
