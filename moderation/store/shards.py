"""Sites spread over several independent Redis deployments (MODERATION_SHARDS): which Redis holds a site and a
comment, and the comment store's reads that span them.

Each shard is a whole Redis (a primary, with Sentinel if wanted) holding every key of its sites, RQ's queues
included, so every script and transaction stays on one server. What spans sites (the desk's queue over all of a
moderator's sites) reads each shard and merges by the indexes' own order. Accounts and sessions stay on the home
Redis, REDIS_URL, which is also the shard of every site MODERATION_SHARDS does not name.
"""

from __future__ import annotations

import heapq
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from moderation.errors import CommentNotFound
from moderation.settings import Settings
from moderation.store.comments import DECIDED, Comment, CommentStore, decode_cursor, encode_cursor
from moderation.store.connections import rq_connection, text_twin
from moderation.store.keys import comment_key

T = TypeVar("T")
R = TypeVar("R")
DOWN = (RedisConnectionError, RedisTimeoutError)  # a Redis that cannot answer now (refused, reset, timed out)
REST_SECONDS = 5.0  # after a fault, reads that can do without a Redis pass it over this long, then try it again
PROBE_SECONDS = 0.5  # how long /readyz waits for a Redis's answer


@dataclass(eq=False)
class Shard:
    """One Redis: its URL, RQ's client (bytes), the data's client (text), and the configured sites it holds."""

    url: str
    raw: Redis
    text: Redis
    sites: tuple[str, ...]
    probe: Redis  # for /readyz: answers within PROBE_SECONDS or counts as down, so a hung Redis cannot hang it
    resting_until: float = 0.0  # in this process: passed over by reads that can do without it until then

    def rests(self) -> bool:
        """Whether it failed within REST_SECONDS: a hung Redis would otherwise cost every page that spans it a
        socket timeout (5 s) per read."""
        return self.resting_until > time.monotonic()

    def failed(self) -> None:
        if not self.rests():
            self.resting_until = time.monotonic() + REST_SECONDS

    def answered(self) -> None:
        self.resting_until = 0.0


def open_shards(settings: Settings, *, max_connections: int | None = None) -> list[Shard]:
    """A client pair for each Redis of the deployment, REDIS_URL (the home) first."""
    out = []
    for url in settings.shard_urls:
        raw = rq_connection(url, max_connections=max_connections)
        out.append(Shard(url, raw, text_twin(raw), tuple(settings.sites_on(url)),
                         rq_connection(url, max_connections=4, timeout=PROBE_SECONDS)))
    return out


class Spread(Generic[T]):
    """One object of a kind per shard (a store, a desk...), found by site or by comment id."""

    def __init__(self, shards: Sequence[Shard], make: Callable[[Shard], T], shard_url: Callable[[str], str]) -> None:
        self.shards = list(shards)
        self.each = [make(s) for s in self.shards]
        self._index = {s.url: i for i, s in enumerate(self.shards)}
        self._shard_url = shard_url

    @property
    def home(self) -> T:
        return self.each[0]

    def for_site(self, site: str) -> T:
        return self.each[self._index[self._shard_url(site)]]

    def by_site(self, sites: Iterable[str]) -> list[tuple[T, list[str]]]:
        """The shards that hold any of `sites`, each with those of `sites` it holds."""
        groups: dict[int, list[str]] = {}
        for site in sites:
            groups.setdefault(self._index[self._shard_url(site)], []).append(site)
        return [(self.each[i], found) for i, found in sorted(groups.items())]

    def locate(self, ids: Iterable[str]) -> list[tuple[T, list[str]]]:
        """The shards that hold any of the comments `ids`, each with those it holds, in the order given; an id no
        shard holds is left out. With one shard, every id goes to it (whoever asks finds it missing there). A shard
        that cannot be reached is passed over only when every id was found elsewhere: an id it may hold is its
        fault (a 503), never "no such comment"."""
        ids = list(dict.fromkeys(ids))
        if len(self.shards) == 1:
            return [(self.each[0], ids)] if ids else []
        found: list[tuple[T, list[str]]] = []
        faults: list[Exception] = []
        resting: list[Shard] = []
        for shard, obj in zip(self.shards, self.each, strict=True):
            if shard.rests():
                resting.append(shard)  # asked last, and only if an id is still missing
                continue
            held = self._holds(shard, ids, faults)
            if held:
                found.append((obj, held))
        missing = [cid for cid in ids if not any(cid in held for _, held in found)]
        for shard in resting:
            if not missing:
                break
            held = self._holds(shard, missing, faults)
            if held:
                found.append((self.each[self.shards.index(shard)], held))
                missing = [cid for cid in missing if cid not in held]
        if faults and missing:
            raise faults[0]
        return found

    @staticmethod
    def _holds(shard: Shard, ids: list[str], faults: list[Exception]) -> list[str]:
        """Those of `ids` the shard holds; none if it cannot answer (its fault noted, and it rests)."""
        try:
            with shard.text.pipeline(transaction=False) as pipe:
                for cid in ids:
                    pipe.exists(comment_key(cid))
                held = [cid for cid, there in zip(ids, pipe.execute(), strict=True) if there]
        except DOWN as err:
            shard.failed()
            faults.append(err)
            return []
        shard.answered()
        return held

    def gather(self, objs: Iterable[T], call: Callable[[T], R], unavailable: list[str] | None) -> list[R]:
        """`call` on each of `objs`, in order. One whose Redis cannot be reached is left out, its sites added to
        `unavailable`, where the caller can say so (gives the list) and another answered; else its fault is
        raised (a 503)."""
        objs = list(objs)
        optional = unavailable is not None and len(objs) > 1
        out: list[R] = []
        faults: list[Exception] = []
        for obj in objs:
            shard = self.shards[self.each.index(obj)]
            try:
                if optional and shard.rests():
                    raise RedisConnectionError(f"The Redis of {', '.join(shard.sites)} failed a moment ago.")
                out.append(call(obj))
                shard.answered()
            except DOWN as err:
                shard.failed()
                if unavailable is None or not optional:
                    raise
                faults.append(err)
                unavailable += shard.sites
        if faults and not out:
            raise faults[0]
        return out

    def over_sites(self, sites: Iterable[str], call: Callable[[T, list[str]], R],
                   unavailable: list[str] | None) -> list[R]:
        """`gather` over the shards that hold any of `sites`, each called with those of `sites` it holds."""
        groups = self.by_site(sites)
        held = {id(obj): found for obj, found in groups}
        return self.gather([obj for obj, _ in groups], lambda obj: call(obj, held[id(obj)]), unavailable)

    def of_comment(self, comment_id: str) -> T:
        """The one holding the comment, or CommentNotFound."""
        located = self.locate([comment_id])
        if not located:
            raise CommentNotFound()
        return located[0][0]


Page = tuple[list[Comment], str | None]


def merge_pages(pages: list[tuple[list[Comment], str | None, dict[str, int]]], limit: int, *,
                newest: bool) -> Page:
    """One page out of each shard's page after the same cursor: the first `limit` in (score, id) order (highest
    first when `newest`), and a cursor after the last of them while any shard has more."""
    if len(pages) == 1:
        return pages[0][0], pages[0][1]
    rows = [(scores[c.id], c.id, c) for comments, _, scores in pages for c in comments]
    ordered = (heapq.nlargest if newest else heapq.nsmallest)(limit, rows, key=lambda r: (r[0], r[1]))
    more = len(rows) > limit or any(cursor is not None for _, cursor, _ in pages)
    cursor = encode_cursor(ordered[-1][0], ordered[-1][1]) if more and ordered else None
    return [c for _, _, c in ordered], cursor


class ShardedStore(Spread[CommentStore]):
    """The comment store over every shard: a site's reads and writes go to its shard, a comment's to the shard
    that holds it, and the desk's pages over several sites merge each shard's."""

    @contextmanager
    def taking(self, site: str) -> Iterator[CommentStore]:
        """The store of `site` for one intake. With several Redis, one that failed a moment ago refuses at once (a
        503 the site retries), so a hung Redis cannot hold the process's intake slots, which every site shares,
        each for its socket timeouts."""
        i = self._index[self._shard_url(site)]
        shard = self.shards[i]
        if len(self.shards) > 1 and shard.rests():
            raise RedisConnectionError(f"The Redis of site {site} failed a moment ago.")
        try:
            yield self.each[i]
        except DOWN:
            shard.failed()
            raise
        shard.answered()

    def answering(self, site: str) -> CommentStore | None:
        """The store of `site`, unless its Redis (one of several) failed a moment ago: for what can be skipped."""
        shard = self.shards[self._index[self._shard_url(site)]]
        return None if len(self.shards) > 1 and shard.rests() else self.for_site(site)

    def get(self, comment_id: str) -> Comment:
        return self.of_comment(comment_id).get(comment_id)

    def get_many(self, ids: Iterable[str]) -> list[Comment]:
        """The comments that still exist, in the order asked."""
        ids = list(ids)
        found = {c.id: c for store, held in self.locate(ids) for c in store.get_many(held)}
        return [found[cid] for cid in ids if cid in found]

    def _sites_shards(self, site: str | None, sites: tuple[str, ...] | None) -> list[CommentStore]:
        if site is not None:
            return [self.for_site(site)]
        if sites is not None:
            return [store for store, _ in self.by_site(sites)]
        return self.each

    def queue_page(self, *, limit: int, cursor: str | None = None, site: str | None = None,
                   article_id: str | None = None, flag: str | None = None, severity: str | None = None,
                   sites: tuple[str, ...] | None = None, language: str | None = None,
                   unavailable: list[str] | None = None) -> Page:
        return self.review_page(view="pending", sort="risk", limit=limit, cursor=cursor, site=site,
                                article_id=article_id, flag=flag, severity=severity, sites=sites, language=language,
                                unavailable=unavailable)

    def review_page(self, *, view: str, sort: str, limit: int, cursor: str | None = None, site: str | None = None,
                    article_id: str | None = None, flag: str | None = None, severity: str | None = None,
                    sites: tuple[str, ...] | None = None, language: str | None = None,
                    unavailable: list[str] | None = None) -> Page:
        """CommentStore.review_page over the shards that hold the sites asked for; with `unavailable`, a shard that
        cannot be reached is left out and its sites named there (the page is of the others)."""
        if cursor:
            decode_cursor(cursor)  # a tampered cursor is a 422 whatever the shards

        def one(store: CommentStore) -> tuple[list[Comment], str | None, dict[str, int]]:
            scores: dict[str, int] = {}
            comments, after = store.review_page(view=view, sort=sort, limit=limit, cursor=cursor, site=site,
                                                article_id=article_id, flag=flag, severity=severity, sites=sites,
                                                language=language, scores=scores)
            return comments, after, scores

        pages = self.gather(self._sites_shards(site, sites), one, unavailable)
        return merge_pages(pages, limit, newest=CommentStore.newest_first(view, sort))

    def author_comments(self, email: str, sites: list[str]) -> list[Comment]:
        """An author's latest comments on `sites`, newest first."""
        found = [c for store, held in self.by_site(sites) for c in store.author_comments(email, held)]
        return sorted(found, key=lambda c: -c.created_ms)

    def view_counts(self, sites: list[str], unavailable: list[str] | None = None) -> dict[str, int]:
        """CommentStore.view_counts summed; with `unavailable`, over the shards that answer."""
        total = {view: 0 for view in ("pending", *DECIDED)}
        for counts in self.over_sites(sites, lambda store, held: store.view_counts(held), unavailable):
            for view, n in counts.items():
                total[view] += n
        return total

    def articles(self, site: str, prefix: str, limit: int = 20) -> list[str]:
        return self.for_site(site).articles(site, prefix, limit)
