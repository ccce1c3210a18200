"""Publishing: what readers see. Each article's published list, its count and version (the public ETag), and
the moderators' featured picks. Writes happen inside the review stage's transactions; the public API reads."""

from __future__ import annotations

from typing import Any

from moderation import policy
from moderation.store.comments import Comment, CommentStore
from moderation.store.keys import comment_key, published_key, published_version_key


def publish(pipe: Any, comments: list[Comment], at_ms: int) -> None:
    """Put comments on their articles' lists (MULTI open): the count is the list's size, so both change together."""
    for c in comments:
        c.published_ms = at_ms
        pipe.hset(comment_key(c.id), mapping={"status": policy.PUBLISHED, "published_ms": str(at_ms)})
        pipe.zadd(published_key(c.site, c.article_id), {c.id: c.created_ms})
        pipe.incr(published_version_key(c.site, c.article_id))


def withdraw(pipe: Any, comments: list[Comment]) -> None:
    """Take comments off their articles' lists (MULTI open); the caller sets the status they go back to."""
    for c in comments:
        pipe.zrem(published_key(c.site, c.article_id), c.id)
        pipe.incr(published_version_key(c.site, c.article_id))
        pipe.hdel(comment_key(c.id), "published_ms", "featured")


def feature(pipe: Any, comment: Comment, featured: bool) -> None:
    """Mark a published comment as a moderators' pick, or stop (MULTI open); readers' caches see the change."""
    if featured:
        pipe.hset(comment_key(comment.id), "featured", "1")
    else:
        pipe.hdel(comment_key(comment.id), "featured")
    pipe.incr(published_version_key(comment.site, comment.article_id))
    comment.featured = featured


class PublicLists:
    """Reading what an article shows: pages, count and version, all from the one published set."""

    def __init__(self, store: CommentStore) -> None:
        self.store = store

    def page(
        self, site: str, article_id: str, *, limit: int, cursor: str | None = None, newest_first: bool = False,
        featured: bool | None = None,
    ) -> tuple[list[Comment], str | None]:
        """Published comments of one article, by the time they were written; with `featured`, only the
        moderators' picks (or only the others)."""
        return self.store.page(published_key(site, article_id), limit, cursor, reverse=newest_first,
                               keep=lambda c: c.status == policy.PUBLISHED
                               and (featured is None or c.featured == featured))

    def version(self, site: str, article_id: str) -> int:
        """A number that changes with every change to the article's published list."""
        return int(self.store.redis.get(published_version_key(site, article_id)) or 0)

    def count(self, site: str, article_id: str) -> int:
        """The number of published comments; the same set as the list, so they always agree."""
        return int(self.store.redis.zcard(published_key(site, article_id)))
