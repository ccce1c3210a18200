"""The moderation desk's domain: claims, decisions, reversals, threading, bans, author history and stats."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from redis import Redis, WatchError
from rq import Queue

from moderation import audit, metrics, notify, policy, publishing
from moderation.accounts import Moderator
from moderation.errors import CommentNotFound, Conflict, Forbidden, NotPending, ValidationFailed
from moderation.review.reports import Reports
from moderation.settings import DEFAULT_RETRY_INTERVALS, Settings
from moderation.store import scripts
from moderation.store.comments import VIEW_STATUSES, Comment, filter_keys, matching, now_ms
from moderation.store.keys import (
    DECISION_TIMES,
    LEASE_PREFIX,
    MODERATORS_WITH_STATS,
    QUEUE_ALL,
    age_key,
    author_comments_key,
    author_key,
    comment_key,
    decisions_series_key,
    depth_series_key,
    lease_key,
    moderator_stats_key,
    replies_key,
    site_queue_key,
)

PAGE_SIZE = 20  # comments on a page of the desk
CLAIM_SCAN = 2000  # entries of the walked index one claim looks at, at most: a bound on the script's time
DECISION_TIMES_KEEP = 1000
UNDO_SECONDS = 10  # how long the desk offers "Undo" after a decision
OWN_REVERSAL_SECONDS = 24 * 3600  # a moderator may reverse their own decisions this long; admins, any


@dataclass(frozen=True)
class StatsParts:
    """The desk's statistics as one Redis holds them, before they are summed over several."""

    sites: dict[str, dict[str, Any]]
    moderators: dict[str, dict[str, int]]
    decision_seconds: list[float]


def stats_summary(parts: Iterable[StatsParts]) -> dict[str, Any]:
    """The statistics of one Redis or of several: queues per site, decisions summed per moderator and action, the
    median over all the decision times kept."""
    sites: dict[str, dict[str, Any]] = {}
    moderators: dict[str, dict[str, int]] = {}
    times: list[float] = []
    for part in parts:
        sites.update(part.sites)
        for name, counts in part.moderators.items():
            mine = moderators.setdefault(name, {})
            for action, n in counts.items():
                mine[action] = mine.get(action, 0) + n
        times += part.decision_seconds
    return {"sites": dict(sorted(sites.items())), "decisions_by_moderator": dict(sorted(moderators.items())),
            "median_seconds_to_decision": statistics.median(times) if times else None,
            "decisions_measured": len(times)}


@dataclass(frozen=True)
class Claim:
    moderator: str
    expires_ms: int


class Desk:
    """Decisions and everything around them. One per process; stateless beyond its Redis clients."""

    def __init__(self, redis: Redis, *, webhook_queue: Queue, callbacks: Mapping[str, str] | None = None,
                 lease_seconds: int = Settings.lease_seconds,
                 retry_intervals: tuple[int, ...] = DEFAULT_RETRY_INTERVALS) -> None:
        self.redis = redis
        self.webhook_queue = webhook_queue
        self.callbacks = dict(callbacks or {})
        self.lease_ms = lease_seconds * 1000
        self.retry_intervals = retry_intervals
        self._claim = scripts.register(redis, "claim")
        self._claim_ids = scripts.register(redis, "claim_ids")
        self._release = scripts.register(redis, "release")

    # ---- claims ---------------------------------------------------------------------------

    def claim(self, moderator: Moderator, limit: int, *, site: str | None = None, article_id: str | None = None,
              flag: str | None = None, severity: str | None = None) -> list[str]:
        """Lease the next `limit` pending comments (highest risk, oldest first) that nobody else holds.

        A moderator scoped to several sites claims from each of them in turn. One call looks at no more than
        CLAIM_SCAN entries of the smallest index the filters name, so it costs the same however long the queue
        (a rare combination of filters may then get fewer than `limit`; the next call looks again).
        """
        if site is not None and not moderator.sees(site):
            return []
        if site is None and moderator.sites is not None:
            got: list[str] = []
            for own in moderator.sites:
                got += self.claim(moderator, limit - len(got), site=own, article_id=article_id, flag=flag,
                                  severity=severity)
                if len(got) >= limit:
                    break
            return got
        keys = filter_keys(site, article_id, flag, severity)
        if len(keys) > 1:  # walk the smallest index, check the others
            with self.redis.pipeline(transaction=False) as pipe:
                for k in keys:
                    pipe.zcard(k)
                sizes = pipe.execute()
            keys = [k for _, k in sorted(zip(sizes, keys, strict=True))]
        return list(self._claim(keys=keys, args=[moderator.name, limit, self.lease_ms, LEASE_PREFIX, CLAIM_SCAN]))

    def in_scope(self, moderator: Moderator, ids: Iterable[str]) -> list[str]:
        """The ids of comments that exist and that `moderator` may see, in the order given."""
        ids = list(ids)
        if moderator.sites is None or not ids:
            return ids
        with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hget(comment_key(cid), "site")
            sites = pipe.execute()
        return [cid for cid, site in zip(ids, sites, strict=True) if site and moderator.sees(site)]

    def claim_ids(self, moderator: Moderator, ids: Iterable[str]) -> list[str]:
        """Lease exactly these pending comments, those nobody else holds (the desk claims what it shows)."""
        ids = self.in_scope(moderator, ids)
        if not ids:
            return []
        return list(self._claim_ids(keys=[QUEUE_ALL], args=[moderator.name, self.lease_ms, LEASE_PREFIX, *ids]))

    def claims(self, ids: Iterable[str]) -> dict[str, Claim]:
        """Who holds each of `ids` and until when."""
        ids = list(ids)
        with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.get(lease_key(cid))
                pipe.pttl(lease_key(cid))
            found = pipe.execute()
        now = now_ms()
        out = {}
        for i, cid in enumerate(ids):
            holder, ttl = found[2 * i], found[2 * i + 1]
            if holder and ttl and ttl > 0:
                out[cid] = Claim(holder, now + ttl)
        return out

    def release(self, moderator: Moderator, ids: Iterable[str]) -> None:
        """Give leased comments back to the queue (only one's own, unless admin)."""
        keys = [lease_key(cid) for cid in self.in_scope(moderator, ids)]
        if keys:
            self._release(keys=keys, args=[moderator.name, "1" if moderator.is_admin else "0"])

    # ---- the desk's views -------------------------------------------------------------------

    def queue_scores(self, ids: list[str]) -> dict[str, float]:
        """The review-queue score of each of `ids` still pending (lower comes first)."""
        found = self.redis.zmscore(QUEUE_ALL, ids) if ids else []
        return {cid: score for cid, score in zip(ids, found, strict=True) if score is not None}

    # ---- decisions ------------------------------------------------------------------------

    def decide(self, comment_id: str, *, action: str, moderator: Moderator, reason: str | None = None,
               note: str | None = None) -> Comment:
        """Approve or reject a pending comment, in one transaction with everything it changes.

        Approving a reply whose parent is not published leaves it `approved`: it is published
        with its parent. Publishing a comment publishes its approved replies with it.
        """
        if action == "reject":
            reason = reason or policy.DEFAULT_REJECT_REASON
        key = comment_key(comment_id)
        while True:
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(key, lease_key(comment_id))
                    comment = self._load(pipe, comment_id)
                    if not moderator.sees(comment.site):
                        raise CommentNotFound()
                    if comment.status != policy.PENDING_REVIEW:
                        raise NotPending(f"The comment is {comment.status}, not pending review.")
                    holder: str | None = pipe.get(lease_key(comment_id))  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
                    if holder and holder != moderator.name and not moderator.is_admin:
                        raise Conflict(f"The comment is claimed by {holder}.", fields={"claimed_by": holder})
                    decided = now_ms()
                    publish: list[Comment] = []
                    reopen: list[Comment] = []
                    if action == "approve":
                        parent_live = True
                        if comment.parent_id:
                            pipe.watch(comment_key(comment.parent_id))
                            parent_live = pipe.hget(comment_key(comment.parent_id), "status") == policy.PUBLISHED
                        comment.status = policy.PUBLISHED if parent_live else policy.APPROVED
                        if parent_live:
                            publish = [comment, *self._waiting_replies(pipe, comment.id)]
                    else:
                        comment.status = policy.REJECTED
                        # Replies approved while they waited for this parent would never be published: they go
                        # back to review, where a moderator sees them with their rejected parent.
                        reopen = self._waiting_replies(pipe, comment.id)
                    comment.decision = {"action": action, "reason": reason, "note": note,
                                        "moderator": moderator.name, "decided_ms": decided}
                    pipe.multi()
                    pipe.hset(key, mapping={"status": comment.status, "decision": json.dumps(comment.decision,
                                                                                              ensure_ascii=False)})
                    comment.dequeue_from_review(pipe)
                    comment.file_as_decided(pipe, "approved" if action == "approve" else "rejected", decided)
                    pipe.delete(lease_key(comment_id))
                    publishing.publish(pipe, publish, decided)
                    pipe.hincrby(author_key(comment.site, comment.ref),
                                 "approved" if action == "approve" else "rejected", 1)
                    metrics.count_decision(pipe, action)
                    pipe.hincrby(moderator_stats_key(moderator.name), action, 1)
                    pipe.sadd(MODERATORS_WITH_STATS, moderator.name)
                    pipe.lpush(DECISION_TIMES, round((decided - comment.created_ms) / 1000, 3))
                    minute = decided // 60_000
                    pipe.hincrby(decisions_series_key(minute), str(minute), 1)
                    pipe.expire(decisions_series_key(minute), 2 * 24 * 3600)
                    pipe.ltrim(DECISION_TIMES, 0, DECISION_TIMES_KEEP - 1)
                    audit.append(pipe, actor=moderator.name, action=f"decision.{action}",
                                 target=f"comment:{comment.id}", comment_id=comment.id, site=comment.site,
                                 details={"reason": reason, "note": note, "status": comment.status})
                    for reply in reopen:
                        self._reopen(pipe, reply, moderator, because=comment.id)
                    if action == "reject":
                        self._event(pipe, comment, "comment.rejected", reason)
                    for published in publish:
                        self._event(pipe, published, "comment.published")
                    pipe.execute()
                    for published in publish:
                        published.status = policy.PUBLISHED
                    return comment
                except WatchError:
                    continue

    def decide_many(self, ids: list[str], *, action: str, moderator: Moderator, reason: str | None = None,
                    note: str | None = None) -> list[dict[str, Any]]:
        """Decide up to 100 comments; one result per id, in order, each its own transaction."""
        results: list[dict[str, Any]] = []
        for cid in ids:
            try:
                comment = self.decide(cid, action=action, moderator=moderator, reason=reason, note=note)
                results.append({"id": cid, "status": comment.status})
            except (NotPending, Conflict, CommentNotFound) as err:
                results.append({"id": cid, "error": err.code, "message": err.message})
        return results

    def reverse(self, comment_id: str, *, moderator: Moderator, note: str | None = None) -> Comment:
        """Undo a decision: the comment is pending again, leased to whoever reversed it, so it stays on their
        desk to decide anew. A published comment (and its published replies) leaves the public list and the
        site gets `comment.unpublished`. A moderator may reverse their own decisions of the last 24 hours
        (the desk's 10-second undo is one of them); an admin, any decision.
        """
        def change(pipe: Any, comment: Comment) -> None:
            if comment.status not in (policy.PUBLISHED, policy.REJECTED, policy.APPROVED):
                raise Conflict(f"The comment is {comment.status}: there is no decision to reverse.",
                               fields={"status": comment.status})
            was, previous = comment.status, comment.decision or {}
            _may_reverse(moderator, previous)
            unpublish = [comment, *self._published_replies(pipe, comment.id)] if was == policy.PUBLISHED else []
            key = comment_key(comment.id)
            pipe.multi()
            comment.status = policy.PENDING_REVIEW
            comment.decision = None
            pipe.hset(key, "status", policy.PENDING_REVIEW)
            pipe.hdel(key, "decision")
            comment.enqueue_for_review(pipe)
            comment.file_as_decided(pipe, None, 0)
            pipe.set(lease_key(comment.id), moderator.name, px=self.lease_ms)
            if was == policy.PUBLISHED:
                Reports.clear(pipe, comment)  # readers reported what is no longer shown
            publishing.withdraw(pipe, unpublish)
            for reply in unpublish[1:]:  # replies wait again for their parent
                pipe.hset(comment_key(reply.id), "status", policy.APPROVED)
            counter = "approved" if previous.get("action") == "approve" else "rejected"
            pipe.hincrby(author_key(comment.site, comment.ref), counter, -1)
            audit.append(pipe, actor=moderator.name, action="decision.reverse", target=f"comment:{comment.id}",
                         comment_id=comment.id, site=comment.site,
                         details={"was": was, "previous": previous, "note": note})
            for c in unpublish:
                self._event(pipe, c, "comment.unpublished")

        return self._in_transaction(comment_id, moderator, change)

    def thread(self, comment: Comment) -> dict[str, Any]:
        """The comment's parent and replies, each with its state: the context a decision needs."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.smembers(replies_key(comment.id))
            [reply_ids] = pipe.execute()
        parent = self._comments([comment.parent_id]) if comment.parent_id else []
        replies = sorted(self._comments(reply_ids), key=lambda c: c.created_ms)
        return {"parent": parent[0] if parent else None, "replies": replies}

    def author_recent(self, comment: Comment, limit: int = 10) -> list[Comment]:
        """The author's latest other comments on the site, newest first, with their decisions."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrevrange(author_comments_key(comment.site, comment.ref), 0, limit)
            [ids] = pipe.execute()
        return [c for c in self._comments(ids) if c.id != comment.id][:limit]

    def _comments(self, ids: Iterable[str]) -> list[Comment]:
        with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(comment_key(cid))
            return [Comment.from_hash(h) for h in pipe.execute() if h]

    def reject_author_pending(self, comment: Comment, *, moderator: Moderator, reason: str,
                              note: str | None = None) -> dict[str, list[str]]:
        """Reject every pending comment of `comment`'s author on its site (the one in hand too), as a ban from
        the desk does; those another moderator holds are left to them and listed."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.zrange(author_comments_key(comment.site, comment.ref), 0, -1)
            [ids] = pipe.execute()
        out: dict[str, list[str]] = {"rejected": [], "held_by_others": []}
        for c in self._comments(ids):
            if c.status != policy.PENDING_REVIEW:
                continue
            try:
                self.decide(c.id, action="reject", reason=reason, note=note, moderator=moderator)
                out["rejected"].append(c.id)
            except Conflict:
                out["held_by_others"].append(c.id)
            except NotPending:
                continue
        return out

    def feature(self, comment_id: str, *, moderator: Moderator, featured: bool) -> Comment:
        """Feature a published comment (or stop): the public list shows `featured` and can be filtered by it."""
        def change(pipe: Any, comment: Comment) -> None:
            _published(comment, "Only a published comment can be featured")
            pipe.multi()
            publishing.feature(pipe, comment, featured)
            audit.append(pipe, actor=moderator.name, action="comment.feature" if featured else "comment.unfeature",
                         target=f"comment:{comment.id}", comment_id=comment.id, site=comment.site)

        return self._in_transaction(comment_id, moderator, change)

    def unpublish(self, comment_id: str, *, moderator: Moderator, reason: str, note: str | None = None) -> Comment:
        """Take a published comment down (readers reported it): rejected, off the public list, its reports
        cleared, the site told `comment.unpublished`. Its published replies leave the list too and go back to
        review, as replies of a rejected parent do."""
        def change(pipe: Any, comment: Comment) -> None:
            _published(comment, "Only a published comment can be unpublished")
            key = comment_key(comment.id)
            replies = self._published_replies(pipe, comment.id)
            pipe.multi()
            comment.status = policy.REJECTED
            comment.decision = {"action": "reject", "reason": reason, "note": note, "unpublished": True,
                                "moderator": moderator.name, "decided_ms": now_ms()}
            pipe.hset(key, mapping={"status": comment.status,
                                    "decision": json.dumps(comment.decision, ensure_ascii=False)})
            publishing.withdraw(pipe, [comment, *replies])
            for reply in replies:
                self._reopen(pipe, reply, moderator, because=comment.id)
            Reports.clear(pipe, comment)
            comment.file_as_decided(pipe, "rejected", comment.decision["decided_ms"])
            pipe.hincrby(author_key(comment.site, comment.ref), "approved", -1)
            pipe.hincrby(author_key(comment.site, comment.ref), "rejected", 1)
            audit.append(pipe, actor=moderator.name, action="comment.unpublish", target=f"comment:{comment.id}",
                         comment_id=comment.id, site=comment.site,
                         details={"reason": reason, "note": note, "replies": [r.id for r in replies]})
            for c in (comment, *replies):
                self._event(pipe, c, "comment.unpublished", reason if c is comment else None)

        return self._in_transaction(comment_id, moderator, change)

    def _in_transaction(self, comment_id: str, moderator: Moderator,
                        change: Callable[[Any, Comment], None]) -> Comment:
        """Load the comment under WATCH (another site's is not found), let `change` check it, call multi() and
        queue its writes, and execute them together; start again if the comment changed meanwhile."""
        while True:
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(comment_key(comment_id))
                    comment = self._load(pipe, comment_id)
                    if not moderator.sees(comment.site):
                        raise CommentNotFound()
                    change(pipe, comment)
                    pipe.execute()
                    return comment
                except WatchError:
                    continue

    # ---- helpers inside transactions -------------------------------------------------------

    @staticmethod
    def _reopen(pipe: Any, reply: Comment, moderator: Moderator, *, because: str) -> None:
        """An approved reply whose parent was rejected: pending review again (inside the caller's transaction)."""
        previous = reply.decision or {}
        reply.status, reply.decision = policy.PENDING_REVIEW, None
        pipe.hset(comment_key(reply.id), "status", policy.PENDING_REVIEW)
        pipe.hdel(comment_key(reply.id), "decision")
        reply.enqueue_for_review(pipe)
        reply.file_as_decided(pipe, None, 0)
        pipe.hincrby(author_key(reply.site, reply.ref), "approved", -1)
        audit.append(pipe, actor=moderator.name, action="decision.reopen", target=f"comment:{reply.id}",
                     comment_id=reply.id, site=reply.site,
                     details={"was": policy.APPROVED, "previous": previous, "parent_rejected": because})

    @staticmethod
    def _load(pipe: Any, comment_id: str) -> Comment:
        h = pipe.hgetall(comment_key(comment_id))
        if not h:
            raise CommentNotFound()
        return Comment.from_hash(h)

    def _descendants(self, pipe: Any, comment_id: str, status: str) -> list[Comment]:
        """Replies (and their replies) in `status`, watched so the transaction sees them unchanged."""
        out: list[Comment] = []
        frontier = [comment_id]
        while frontier:
            parent = frontier.pop()
            for child_id in pipe.smembers(replies_key(parent)):
                pipe.watch(comment_key(child_id))
                child = self._load(pipe, child_id)
                if child.status == status:
                    out.append(child)
                    frontier.append(child.id)
        return out

    def _waiting_replies(self, pipe: Any, comment_id: str) -> list[Comment]:
        return self._descendants(pipe, comment_id, policy.APPROVED)

    def _published_replies(self, pipe: Any, comment_id: str) -> list[Comment]:
        return self._descendants(pipe, comment_id, policy.PUBLISHED)

    def _event(self, pipe: Any, comment: Comment, event: str, reason: str | None = None) -> None:
        """Queue the site's event for `comment`. Ids are `<comment>-<n>`, fixed when the decision is made,
        so however often a delivery is retried the site sees one id for one event."""
        url = self.callbacks.get(comment.site)
        if not url:
            return
        comment.events += 1  # loaded under WATCH: no other transaction can take the same number
        pipe.hset(comment_key(comment.id), "events", comment.events)
        event_id = f"{comment.id}-{comment.events}"
        notify.queue_event(pipe, self.webhook_queue, event_id=event_id, site=comment.site, url=url,
                           payload=notify.payload(event, event_id, comment.event_view(), reason),
                           intervals=self.retry_intervals)

    # ---- authors and stats -----------------------------------------------------------------

    def author_histories(self, comments: Iterable[Comment], recent: int = 5) -> dict[str, dict[str, Any]]:
        """Each comment's author's decided counts on the site and latest other comments (for moderators only):
        two round trips for a whole page, one without `recent`."""
        comments = list(comments)
        with self.redis.pipeline(transaction=False) as pipe:
            for c in comments:
                history = author_comments_key(c.site, c.ref)
                pipe.hmget(author_key(c.site, c.ref), ["approved", "rejected"])
                pipe.zcard(history)
                if recent:
                    pipe.zrevrange(history, 0, recent)
            found = iter(pipe.execute())
        counts, others = {}, {}
        for c in comments:
            (approved, rejected), total = next(found), next(found)
            ids = next(found) if recent else []
            counts[c.id] = {"approved": int(approved or 0), "rejected": int(rejected or 0), "comments": int(total)}
            others[c.id] = [cid for cid in ids if cid != c.id][:recent]
        with self.redis.pipeline(transaction=False) as pipe:
            for c in comments:
                for cid in others[c.id]:
                    pipe.hmget(comment_key(cid), ["id", "status", "created_ms", "body", "article_id"])
            rows = iter(pipe.execute())
        return {c.id: {**counts[c.id], "recent": [
            {"id": r[0], "status": r[1], "created_at": _iso(int(r[2])), "article_id": r[4], "body": r[3][:200]}
            for r in (next(rows) for _ in others[c.id]) if r[0]]} for c in comments}

    def stats(self, sites: Iterable[str], moderator: Moderator | None = None) -> dict[str, Any]:
        """Queue depth and oldest pending age per site, decisions per moderator, median time to decision; a
        scoped `moderator` sees their sites and their own decisions only."""
        return stats_summary([self.stats_parts(sites, moderator)])

    def stats_parts(self, sites: Iterable[str], moderator: Moderator | None = None) -> StatsParts:
        """What `stats` sums up, as this Redis holds it: per-site queues, per-moderator counts, decision times."""
        if moderator is not None and moderator.sites is not None:
            sites = [s for s in sites if moderator.sees(s)]
        sites = sorted(sites)
        now = now_ms()
        with self.redis.pipeline(transaction=False) as pipe:
            for site in sites:
                pipe.zcard(site_queue_key(site))
                pipe.zrange(age_key(site), 0, 0, withscores=True)
            pipe.lrange(DECISION_TIMES, 0, -1)
            pipe.smembers(MODERATORS_WITH_STATS)
            *found, names = pipe.execute()
        per_site = {}
        for i, site in enumerate(sites):
            depth, oldest = found[2 * i], found[2 * i + 1]
            per_site[site] = {"pending": int(depth),
                              "oldest_pending_seconds": round((now - oldest[0][1]) / 1000, 1) if oldest else None}
        times = [float(t) for t in found[-1]]
        names = sorted(n for n in names if moderator is None or moderator.sites is None or n == moderator.name)
        with self.redis.pipeline(transaction=False) as pipe:
            for name in names:
                pipe.hgetall(moderator_stats_key(name))
            counts = pipe.execute()
        moderators = {name: {str(a): int(n) for a, n in c.items()} for name, c in zip(names, counts, strict=True)}
        return StatsParts(per_site, moderators, times)

    def sample_depth(self) -> None:
        """Note the queue depth once a minute (whoever looks first), for the desk's chart."""
        minute = now_ms() // 60_000
        self.redis.set(depth_series_key(minute), self.redis.zcard(QUEUE_ALL), nx=True, ex=2 * 24 * 3600)

    def series(self, minutes: int = 60) -> dict[str, list[tuple[int, int | None]]]:
        """Per-minute queue depth samples and decision counts for the last `minutes` minutes."""
        now = now_ms() // 60_000
        span = list(range(now - minutes + 1, now + 1))
        with self.redis.pipeline(transaction=False) as pipe:
            for m in span:
                pipe.get(depth_series_key(m))
                pipe.hget(decisions_series_key(m), str(m))
            found = pipe.execute()
        depth = [(m, int(found[2 * i]) if found[2 * i] is not None else None) for i, m in enumerate(span)]
        decisions = [(m, int(found[2 * i + 1] or 0)) for i, m in enumerate(span)]
        return {"depth": depth, "decisions": decisions}  # type: ignore[dict-item]  # the two series differ in their value's type; the caller reads each by name


def listing(store: Any, claims: Callable[[Iterable[str]], dict[str, Claim]], moderator: Moderator, *, view: str,
            sort: str, filters: Mapping[str, str], cursor: str | None, skip_others: bool = False,
            sites: list[str], unavailable: list[str] | None = None) -> tuple[list[Comment], str | None]:
    """A page of a view (pending, approved, rejected) of `store` (one Redis's or several's), sorted and filtered;
    `claims` says who holds what. With `skip_others`, without what other moderators hold, reading on (a few
    pages at most) so that a second moderator still gets a full page. `sites` are the moderator's; an author's
    comments are their latest few hundred, filtered here. `unavailable` (several Redis only) receives the sites
    of a Redis that could not be read, whose comments the page then lacks."""
    extra = {"unavailable": unavailable} if unavailable is not None else {}
    if "author" in filters:
        keep = matching(VIEW_STATUSES[view], moderator.sites, filters.get("site"), filters.get("article_id"),
                        filters.get("flag"), filters.get("severity"), filters.get("language"))
        found = [c for c in store.author_comments(filters["author"], [filters["site"]] if "site" in filters
                                                  else sites) if keep(c)]
        if sort == "risk":
            found.sort(key=lambda c: (-(c.risk or 0), c.created_ms))
        elif sort == "oldest":
            found.reverse()
        return found[:100], None
    out: list[Comment] = []
    for _ in range(5):
        comments, cursor = store.review_page(view=view, sort=sort, limit=PAGE_SIZE, cursor=cursor,
                                             site=filters.get("site"), article_id=filters.get("article_id"),
                                             flag=filters.get("flag"), severity=filters.get("severity"),
                                             sites=moderator.sites, language=filters.get("language"), **extra)
        if not skip_others:
            return comments, cursor
        held = claims(c.id for c in comments)
        out += [c for c in comments if c.id not in held or held[c.id].moderator == moderator.name]
        if len(out) >= PAGE_SIZE or cursor is None:
            break
    return out, cursor


def _published(comment: Comment, refusal: str) -> None:
    if comment.status != policy.PUBLISHED:
        raise Conflict(f"{refusal}; this one is {comment.status}.", fields={"status": comment.status})


def _may_reverse(moderator: Moderator, decision: Mapping[str, Any]) -> None:
    """Raise unless `moderator` may reverse `decision`: an admin, or its own moderator within a day."""
    if moderator.is_admin:
        return
    if decision.get("moderator") != moderator.name:
        raise Forbidden("Only an admin can reverse another moderator's decision.")
    if now_ms() - int(decision.get("decided_ms") or 0) > OWN_REVERSAL_SECONDS * 1000:
        raise Forbidden("This decision is more than 24 hours old; ask an admin to reverse it.")


def _iso(ms: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ms / 1000))


def check_ids(ids: list[str]) -> list[str]:
    """Bulk decisions take 1-100 distinct ids."""
    if not 1 <= len(ids) <= 100:
        raise ValidationFailed("Give 1 to 100 ids.", fields={"ids": ["Must hold 1 to 100 ids."]})
    return list(dict.fromkeys(ids))
