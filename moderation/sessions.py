"""Desk sessions kept in Redis: the browser holds only a random id; the token never leaves the sign-in form."""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass

from redis import Redis

from moderation.accounts import BOOTSTRAP, TOKENS, Accounts, Moderator, token_hash
from moderation.store.keys import session_key

TTL_SECONDS = 12 * 3600  # one long shift


@dataclass(frozen=True)
class Session:
    sid: str
    moderator: Moderator
    csrf: str


class Sessions:
    """Open, read and close desk sessions; a revoked token ends its sessions at their next request."""

    def __init__(self, redis: Redis, accounts: Accounts, ttl: int = TTL_SECONDS) -> None:
        self.redis = redis
        self.accounts = accounts
        self.ttl = ttl

    def open(self, token: str) -> Session:
        moderator = self.accounts.authenticate(token)  # raises Unauthorized
        sid, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        record = {"name": moderator.name, "role": moderator.role, "sites": moderator.sites,
                  "token_hash": token_hash(token), "csrf": csrf}
        self.redis.set(session_key(sid), json.dumps(record), ex=self.ttl)
        return Session(sid, moderator, csrf)

    def get(self, sid: str | None) -> Session | None:
        if not sid or len(sid) > 100:
            return None
        raw = self.redis.get(session_key(sid))
        if not raw:
            return None
        record = json.loads(raw)
        if not self._token_still_valid(record["name"], record["token_hash"]):
            self.close(sid)
            return None
        return Session(sid, Moderator.from_record(record), record["csrf"])

    def _token_still_valid(self, name: str, hashed: str) -> bool:
        if name == BOOTSTRAP:
            current = self.accounts.bootstrap_token
            return bool(current) and hmac.compare_digest(token_hash(current), hashed)
        return self.redis.hget(TOKENS, hashed) == name

    def close(self, sid: str) -> None:
        self.redis.delete(session_key(sid))
