"""Reader reports: a published comment that readers report waits in the reported queue until a moderator
unpublishes it or dismisses the reports (Coral's "reported" queue).

A reporter is the site's own id for a reader; one report per reporter per comment counts, and only its hash is
kept. Keys: each reported comment's reasons and reporters, and per site the reported comments by latest report.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from redis import Redis, WatchError

from moderation import audit, policy
from moderation.accounts import Moderator
from moderation.errors import CommentNotFound, Conflict
from moderation.store.comments import Comment, now_ms
from moderation.store.keys import comment_key, reasons_key, reported_key, reporters_key

# The reject reason an unpublished comment takes from its readers' most given report reason.
REJECT_FOR = {"abuse": "abuse", "spam": "spam", "off_topic": "off_topic", "personal_data": "personal_data",
              "misinformation": "other", "other": "other"}


def _reporter(site: str, reporter_id: str) -> str:
    return hashlib.sha256(f"{site}\0{reporter_id}".encode()).hexdigest()[:32]


class Reports:
    """Take reports, read them for the desk, and clear them when a moderator has dealt with the comment."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def report(self, site: str, comment_id: str, *, reporter_id: str, reason: str) -> tuple[int, bool]:
        """Record one reader's report of a published comment of `site`: (reports now, whether this one is new)."""
        key, by = comment_key(comment_id), reporters_key(comment_id)
        who = _reporter(site, reporter_id)
        while True:
            with self.redis.pipeline() as pipe:
                try:
                    pipe.watch(key, by)
                    found_site, status = pipe.hmget(key, ["site", "status"])
                    if found_site != site:
                        raise CommentNotFound()
                    if status != policy.PUBLISHED:
                        raise Conflict(f"Only a published comment can be reported; this one is {status!s}.",
                                       fields={"status": status})
                    count = int(pipe.scard(by))
                    if pipe.sismember(by, who):
                        return count, False
                    pipe.multi()
                    pipe.sadd(by, who)
                    pipe.hincrby(reasons_key(comment_id), reason, 1)
                    pipe.zadd(reported_key(site), {comment_id: now_ms()})
                    pipe.execute()
                    return count + 1, True
                except WatchError:
                    continue

    def summaries(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Each comment's report count and reasons (most given first)."""
        ids = list(ids)
        with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(reasons_key(cid))
            found = pipe.execute()
        out = {}
        for cid, reasons in zip(ids, found, strict=True):
            counted = sorted(((r, int(n)) for r, n in reasons.items()), key=lambda rn: (-rn[1], rn[0]))
            out[cid] = {"count": sum(n for _, n in counted), "reasons": counted,
                        "reject_as": REJECT_FOR.get(counted[0][0], "other") if counted else "other"}
        return out

    def waiting(self, sites: Iterable[str], limit: int) -> list[str]:
        """The reported comments of `sites`, most recently reported first."""
        return [cid for cid, _ in self.waiting_since(sites, limit)]

    def waiting_since(self, sites: Iterable[str], limit: int) -> list[tuple[str, float]]:
        """`waiting`, each with when it was last reported (ms): what several Redis's lists merge by."""
        with self.redis.pipeline(transaction=False) as pipe:
            for site in sites:
                pipe.zrevrange(reported_key(site), 0, limit - 1, withscores=True)
            found = pipe.execute()
        return sorted((pair for rows in found for pair in rows), key=lambda p: -p[1])[:limit]

    def counts(self, sites: Iterable[str]) -> int:
        with self.redis.pipeline(transaction=False) as pipe:
            for site in sites:
                pipe.zcard(reported_key(site))
            return sum(pipe.execute())

    @staticmethod
    def clear(pipe: Any, comment: Comment) -> None:
        """Forget a comment's reports (inside the caller's transaction): it was unpublished or they were dismissed."""
        pipe.delete(reasons_key(comment.id), reporters_key(comment.id))
        pipe.zrem(reported_key(comment.site), comment.id)

    def dismiss(self, comment: Comment, *, moderator: Moderator) -> None:
        """The comment stays published; its reports are cleared and the dismissal audited."""
        if not moderator.sees(comment.site):
            raise CommentNotFound()
        summary = self.summaries([comment.id])[comment.id]
        with self.redis.pipeline() as pipe:
            self.clear(pipe, comment)
            audit.append(pipe, actor=moderator.name, action="reports.dismiss", target=f"comment:{comment.id}",
                         comment_id=comment.id, site=comment.site,
                         details={"reports": summary["count"], "reasons": dict(summary["reasons"])})
            pipe.execute()
