"""The end of a comment's life: its personal data erased after MODERATION_PII_DAYS, a rejected comment deleted
after MODERATION_RETENTION_DAYS, and one author forgotten on request.

Every comment enters RETAIN_PII when it is accepted. The sweep erases the email, address and user agent of those
older than the PII limit (a published one keeps only what readers see) and moves them to RETAIN_EXPIRY; past the
retention limit, a rejected one is deleted with its indexes. The author's keys stay reachable through the
comment's `author_ref` (a pseudonym), so counts and history still add up. The audit log is kept: it records
moderators' acts, never an author's email; a deleted comment's own stream goes, its entries stay in the main one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

from redis import Redis, WatchError

from moderation import audit, policy
from moderation.review.bans import Bans
from moderation.store.comments import DECIDED, Comment, of_site
from moderation.store.keys import (
    RETAIN_EXPIRY,
    RETAIN_PII,
    RETENTION_LOCK,
    address_key,
    audit_stream_key,
    author_comments_key,
    author_key,
    author_ref,
    comment_key,
    decided_key,
    lease_key,
    reasons_key,
    replies_key,
    reported_key,
    reporters_key,
)

DAY_MS = 24 * 3600 * 1000
PERSONAL = ("author_email", "client_ip", "user_agent")
# What a published comment keeps once its personal data is erased: its public view, and what routes and lists need.
PUBLIC = ("id", "site", "article_id", "parent_id", "author_name", "body", "language", "status", "created_ms",
          "published_ms", "featured", "author_ref", "erased_ms", "events", "decision")
BATCH = 200


@dataclass(frozen=True)
class Swept:
    """What one sweep did: comments whose personal data it erased, and rejected comments it deleted."""

    erased: int
    deleted: int


def _erase(pipe: Any, comment: Comment, at_ms: int) -> None:
    """Erase one comment's personal data (MULTI open); a published one keeps only its public fields."""
    key = comment_key(comment.id)
    pipe.hset(key, mapping={"author_ref": comment.ref, "erased_ms": str(at_ms)})
    if comment.status == policy.PUBLISHED:
        drop = [name for name in Comment.FIELDS if name not in PUBLIC]
    else:
        drop = list(PERSONAL)
    pipe.hdel(key, *drop)


def _delete(pipe: Any, comment: Comment) -> None:
    """Delete a rejected comment and every index that names it (MULTI open)."""
    # Its own audit stream is an index of the main one, which keeps every entry; a one-entry stream is ~4.7 kB.
    pipe.delete(comment_key(comment.id), lease_key(comment.id), reasons_key(comment.id),
                reporters_key(comment.id), audit_stream_key(comment_id=comment.id))
    for view in DECIDED:
        pipe.zrem(decided_key(view, comment.site), comment.id)
        pipe.zrem(decided_key(view), comment.id)
    pipe.zrem(reported_key(comment.site), comment.id)
    pipe.zrem(author_comments_key(comment.site, comment.ref), comment.id)
    if comment.parent_id:
        pipe.srem(replies_key(comment.parent_id), comment.id)


def _each(redis: Redis, index: str, cutoff_ms: int, act: Any) -> None:
    """Run `act(pipe, comment)` (returning whether it is done with the comment) on each comment of `index` older than
    `cutoff_ms`, a batch per transaction, watched so a decision made meanwhile is never overwritten."""
    offset = 0
    while True:
        ids: list[str] = redis.zrangebyscore(index, "-inf", f"({cutoff_ms}", start=offset, num=BATCH)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
        if not ids:
            return
        keys = [comment_key(cid) for cid in ids]
        with redis.pipeline() as pipe:
            try:
                pipe.watch(*keys)
                found = [pipe.hgetall(k) for k in keys]
                pipe.multi()
                kept = 0
                for cid, h in zip(ids, found, strict=True):
                    comment = Comment.from_hash(h) if h else None  # type: ignore[arg-type]  # redis-py types each reply as sync-or-async
                    if comment is None or act(pipe, comment):
                        pipe.zrem(index, cid)
                    else:
                        kept += 1
                pipe.execute()
            except WatchError:
                continue
        offset += kept  # those left for a later sweep (still pending, say) are passed over, not read again now


def sweep(redis: Redis, *, pii_days: int, retention_days: int, now_ms: int | None = None,
          every_seconds: int = 0) -> Swept:
    """Erase and delete what the limits say; safe to run any number of times, by any number of workers. With
    `every_seconds`, only one worker in that period does the work (the others return at once)."""
    if every_seconds and not redis.set(RETENTION_LOCK, "1", nx=True, ex=every_seconds):
        return Swept(0, 0)
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    erased: set[str] = set()
    deleted: set[str] = set()  # sets: a batch retried after a WatchError counts once

    def erase(pipe: Any, comment: Comment) -> bool:
        _erase(pipe, comment, now)
        pipe.zadd(RETAIN_EXPIRY, {comment.id: comment.created_ms})
        erased.add(comment.id)
        return True

    def expire(pipe: Any, comment: Comment) -> bool:
        if comment.status == policy.REJECTED:
            _delete(pipe, comment)
            deleted.add(comment.id)
            return True
        # Published and approved comments stay as they are; one still waiting is looked at again next time.
        return comment.status not in (policy.RECEIVED, policy.PENDING_REVIEW)

    _each(redis, RETAIN_PII, now - pii_days * DAY_MS, erase)
    _each(redis, RETAIN_EXPIRY, now - retention_days * DAY_MS, expire)
    return Swept(len(erased), len(deleted))


def forget(redis: Redis, *, site: str, email: str, actor: str) -> int:
    """Erase one author's data on `site` everywhere: their comments' email, address, user agent and name, their
    counts and history, and the email in any ban on them (the ban holds by its hash). Audited with the pseudonym,
    never the email. Returns how many comments it erased. A scan of the keyspace: for requests, not for pages."""
    ref = author_ref(email)
    now = int(time.time() * 1000)
    mine = [c for c in of_site(redis, site) if c.author_email == email or c.author_ref == ref]
    with redis.pipeline() as pipe:
        for comment in mine:
            _erase(pipe, comment, now)
            pipe.hset(comment_key(comment.id), "author_name", "")
            if comment.client_ip:
                pipe.delete(address_key(site, comment.client_ip))
            pipe.zrem(RETAIN_PII, comment.id)
            pipe.zadd(RETAIN_EXPIRY, {comment.id: comment.created_ms})
        pipe.delete(author_key(site, ref), author_comments_key(site, ref))
        Bans(redis).forget_email(pipe, email, site)
        audit.append(pipe, actor=actor, action="author.forget", target=f"author:{ref}", site=site,
                     details={"comments": len(mine)})
        pipe.execute()
    return len(mine)
