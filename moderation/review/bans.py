"""Bans of authors by email or client address, temporary or permanent, checked at intake."""

from __future__ import annotations

import json
import time
from typing import Any

from redis import Redis

from moderation import audit
from moderation.errors import Forbidden, NotFound, ValidationFailed
from moderation.pseudonyms import pseudonym
from moderation.store.keys import BANS as INDEX
from moderation.store.keys import ban_key


class AuthorBanned(Forbidden):
    code, message = "author_banned", "This author may not comment."


def ban_id(kind: str, value: str, site: str | None = None) -> str:
    """A ban's id names its kind, its site (none: every site) and the hash of what it bans, so the raw email is
    never in a key."""
    return f"{kind}-{site}-{pseudonym(value)[:24]}" if site else f"{kind}-{pseudonym(value)[:24]}"


def ban_site(moderator: Any, requested: str | None, known_sites: Any) -> str | None:
    """The site a moderator's ban holds on: the one asked for (one of theirs), their only site, or none (every
    site), which only a moderator of every site may choose."""
    if requested is not None and requested not in known_sites:
        raise ValidationFailed("The ban is not valid.", fields={"site": [f"No such site: {requested}."]})
    if requested is not None and not moderator.sees(requested):
        raise NotFound(f"No site {requested!r} among yours.")
    if requested is None and moderator.sites is not None:
        if len(moderator.sites) != 1:
            raise ValidationFailed("The ban is not valid.", fields={"site": ["Name one of your sites."]})
        return str(moderator.sites[0])
    return requested


class Bans:
    """Create, list, lift and check bans. Expiry is Redis's: a temporary ban's key expires at its `until`."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def create(self, *, email: str | None, ip: str | None, until_ms: int | None, reason: str | None,
               actor: str, site: str | None = None, audited: bool = True) -> dict[str, Any]:
        """Ban on one site, or (without `site`) on every site; `audited=False` where another Redis audits it."""
        if bool(email) == bool(ip):
            raise ValidationFailed("Ban one email or one address.", fields={"_schema": ["Give email or ip, not both."]})
        now = int(time.time() * 1000)
        if until_ms is not None and until_ms <= now:
            raise ValidationFailed("The ban would already be over.", fields={"until": ["Must be in the future."]})
        kind, value = ("email", email) if email else ("ip", ip)
        assert value is not None
        bid = ban_id(kind, value, site)
        record = {"id": bid, "kind": kind, "value": value, "site": site, "reason": reason, "until_ms": until_ms,
                  "created_ms": now, "created_by": actor}
        with self.redis.pipeline() as pipe:
            pipe.set(ban_key(bid), json.dumps(record, ensure_ascii=False))
            if until_ms:
                pipe.pexpireat(ban_key(bid), until_ms)
            pipe.sadd(INDEX, bid)
            if audited:
                audit.append(pipe, actor=actor, action="ban.create", target=f"ban:{bid}", site=site,
                             details={"kind": kind, "reason": reason, "until_ms": until_ms})
            pipe.execute()
        return record

    def lift(self, bid: str, *, actor: str, sites: tuple[str, ...] | None = None,
             audited: bool = True) -> str | None:
        """End a ban now; the audit log says who lifted it. With `sites`, only a ban on one of them. Returns the
        site it held on (None: every site)."""
        raw = self.redis.get(ban_key(bid))
        site = json.loads(raw).get("site") if raw else None
        if not raw or (sites is not None and site not in sites):
            raise NotFound(f"No ban {bid!r} is in force.")
        with self.redis.pipeline() as pipe:
            pipe.delete(ban_key(bid))
            pipe.srem(INDEX, bid)
            if audited:
                audit.append(pipe, actor=actor, action="ban.lift", target=f"ban:{bid}", site=site)
            pipe.execute()
        return site if isinstance(site, str) else None

    def all(self, sites: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        """Bans in force (with `sites`, those on one of them); expired ones are dropped from the index as they
        are met."""
        ids: list[str] = sorted(self.redis.smembers(INDEX))  # type: ignore[arg-type]  # redis-py types each reply as sync-or-async
        records = self.redis.mget([ban_key(b) for b in ids]) if ids else []
        expired = [b for b, r in zip(ids, records, strict=True) if r is None]
        if expired:
            self.redis.srem(INDEX, *expired)
        found = [json.loads(r) for r in records if r]
        return [b for b in found if sites is None or b.get("site") in sites]

    def in_force(self, email: str, ip: str | None, site: str) -> list[dict[str, Any]]:
        """The bans that stop this author (by email or address) on `site`, each with its `until_ms` (None: never
        ends): what the desk shows beside a comment."""
        return self.in_force_many([(email, ip, site)])[0]

    def in_force_many(self, authors: list[tuple[str, str | None, str]]) -> list[list[dict[str, Any]]]:
        """`in_force` for each (email, address, site), in one round trip: a queue page's worth."""
        with self.redis.pipeline(transaction=False) as pipe:
            for email, ip, site in authors:
                pipe.mget(self.check_keys(email, ip, site))
            found = pipe.execute()
        return [[json.loads(r) for r in records if r] for records in found]

    FORGOTTEN = "(forgotten)"

    def forget_email(self, pipe: Any, email: str, site: str) -> None:
        """Take the email out of the bans on it, on `site` and on every site (inside the caller's transaction): each
        ban still holds, by the email's hash, which names its key."""
        for bid in (ban_id("email", email), ban_id("email", email, site)):
            raw = self.redis.get(ban_key(bid))
            if raw:
                pipe.set(ban_key(bid), json.dumps({**json.loads(raw), "value": self.FORGOTTEN}, ensure_ascii=False),
                         keepttl=True)

    @staticmethod
    def check_keys(email: str, ip: str | None, site: str) -> list[str]:
        """The keys whose existence means this submission to `site` is banned (read by the intake's script)."""
        keys = [ban_key(ban_id("email", email)), ban_key(ban_id("email", email, site))]
        if ip:
            keys += [ban_key(ban_id("ip", ip)), ban_key(ban_id("ip", ip, site))]
        return keys
