"""The desk over sites spread on several Redis (MODERATION_SHARDS): each call goes to the shard of its site or
comment, and what spans sites (claims, queue statistics, bans on every site, reports) is merged here.

Every write still happens on one Redis, in one transaction, with the comment it changes; a ban on every site is
written to each shard, since each shard's intake script checks its own bans.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping
from typing import Any

from moderation import audit, notify
from moderation.accounts import Moderator
from moderation.errors import NotFound
from moderation.review.bans import Bans
from moderation.review.desk import Claim, Desk, listing, stats_summary
from moderation.review.reports import Reports
from moderation.store.comments import Comment
from moderation.store.shards import ShardedStore, Spread


class ShardedDesk(Spread[Desk]):
    """Desk's calls, each on the shard that holds its comments."""

    # ---- claims -----------------------------------------------------------------------------

    def claim(self, moderator: Moderator, limit: int, *, site: str | None = None, article_id: str | None = None,
              flag: str | None = None, severity: str | None = None) -> list[str]:
        """Desk.claim over every shard the moderator sees: each shard leases its best `limit`, the best `limit`
        of them all are kept (riskiest, then oldest) and the rest are given back at once."""
        if site is not None:
            return self.for_site(site).claim(moderator, limit, site=site, article_id=article_id, flag=flag,
                                             severity=severity)
        desks = self.each if moderator.sites is None else [d for d, _ in self.by_site(moderator.sites)]
        if len(desks) == 1:
            return desks[0].claim(moderator, limit, article_id=article_id, flag=flag, severity=severity)
        def offer(desk: Desk) -> list[tuple[float, str, Desk]]:
            got = desk.claim(moderator, limit, article_id=article_id, flag=flag, severity=severity)
            return [(score, cid, desk) for cid, score in desk.queue_scores(got).items()]

        # A Redis that cannot be reached offers nothing; the others' comments are claimed.
        offers = [o for offered in self.gather(desks, offer, []) for o in offered]
        kept = heapq.nsmallest(limit, offers, key=lambda o: (o[0], o[1]))
        ids = {cid for _, cid, _ in kept}
        for desk in desks:
            back = [cid for _, cid, d in offers if d is desk and cid not in ids]
            if back:
                desk.release(moderator, back)
        return [cid for _, cid, _ in kept]

    def claim_ids(self, moderator: Moderator, ids: Iterable[str]) -> list[str]:
        got = {cid for desk, held in self.locate(ids) for cid in desk.claim_ids(moderator, held)}
        return [cid for cid in dict.fromkeys(ids) if cid in got]

    def claims(self, ids: Iterable[str]) -> dict[str, Claim]:
        return {cid: c for desk, held in self.locate(ids) for cid, c in desk.claims(held).items()}

    def release(self, moderator: Moderator, ids: Iterable[str]) -> None:
        for desk, held in self.locate(ids):
            desk.release(moderator, held)

    def listing(self, store: ShardedStore, moderator: Moderator, *, view: str, sort: str,
                filters: Mapping[str, str], cursor: str | None, skip_others: bool = False,
                sites: list[str], unavailable: list[str] | None = None) -> tuple[list[Comment], str | None]:
        found: list[str] = []
        page = listing(store, self.claims, moderator, view=view, sort=sort, filters=filters, cursor=cursor,
                       skip_others=skip_others, sites=sites, unavailable=found)
        if unavailable is not None:
            unavailable += dict.fromkeys(found)  # each site once, however many pages were read
        return page

    # ---- decisions: on the comment's shard --------------------------------------------------

    def decide(self, comment_id: str, *, action: str, moderator: Moderator, reason: str | None = None,
               note: str | None = None) -> Comment:
        return self.of_comment(comment_id).decide(comment_id, action=action, moderator=moderator, reason=reason,
                                                  note=note)

    def decide_many(self, ids: list[str], *, action: str, moderator: Moderator, reason: str | None = None,
                    note: str | None = None) -> list[dict[str, Any]]:
        """Desk.decide_many on each shard; one result per id, in order (an id no shard holds: not found)."""
        located = self.locate(ids)
        missing = [cid for cid in ids if not any(cid in held for _, held in located)]
        if missing:
            located.append((self.home, missing))  # where Desk.decide_many answers comment_not_found
        results = {r["id"]: r for desk, held in located
                   for r in desk.decide_many(held, action=action, moderator=moderator, reason=reason, note=note)}
        return [results[cid] for cid in ids]

    def reverse(self, comment_id: str, *, moderator: Moderator, note: str | None = None) -> Comment:
        return self.of_comment(comment_id).reverse(comment_id, moderator=moderator, note=note)

    def feature(self, comment_id: str, *, moderator: Moderator, featured: bool) -> Comment:
        return self.of_comment(comment_id).feature(comment_id, moderator=moderator, featured=featured)

    def unpublish(self, comment_id: str, *, moderator: Moderator, reason: str, note: str | None = None) -> Comment:
        return self.of_comment(comment_id).unpublish(comment_id, moderator=moderator, reason=reason, note=note)

    def reject_author_pending(self, comment: Comment, *, moderator: Moderator, reason: str,
                              note: str | None = None) -> dict[str, list[str]]:
        return self.for_site(comment.site).reject_author_pending(comment, moderator=moderator, reason=reason,
                                                                 note=note)

    # ---- a comment's context: on its site's shard --------------------------------------------

    def thread(self, comment: Comment) -> dict[str, Any]:
        return self.for_site(comment.site).thread(comment)

    def author_recent(self, comment: Comment, limit: int = 10) -> list[Comment]:
        return self.for_site(comment.site).author_recent(comment, limit)

    def author_histories(self, comments: Iterable[Comment], recent: int = 5) -> dict[str, dict[str, Any]]:
        comments = list(comments)
        out: dict[str, dict[str, Any]] = {}
        for desk, sites in self.by_site({c.site for c in comments}):
            out.update(desk.author_histories([c for c in comments if c.site in sites], recent))
        return out

    # ---- statistics: summed ------------------------------------------------------------------

    def stats(self, sites: Iterable[str], moderator: Moderator | None = None) -> dict[str, Any]:
        """Desk.stats over every shard: each site's queue from its own, every shard's decisions."""
        held = {id(desk): found for desk, found in self.by_site(sites)}
        return stats_summary(desk.stats_parts(held.get(id(desk), []), moderator) for desk in self.each)

    def sample_depth(self) -> None:
        """Desk.sample_depth on each shard that answers (a sample for a chart, taken again next minute)."""
        self.gather(self.each, lambda desk: desk.sample_depth(), [])

    def series(self, minutes: int = 60) -> dict[str, list[tuple[int, int | None]]]:
        """Desk.series summed: depth over the shards that sampled it, decisions over all."""
        each = [desk.series(minutes) for desk in self.each]
        if len(each) == 1:
            return each[0]
        out: dict[str, list[tuple[int, int | None]]] = {}
        for name in ("depth", "decisions"):
            rows = zip(*(s[name] for s in each), strict=True)
            out[name] = [(minute[0][0], _sum([v for _, v in minute])) for minute in rows]
        return out

    # ---- dead letters: each shard delivers its own events --------------------------------------

    def dead_letters(self, limit: int = 100) -> list[dict[str, Any]]:
        return [d for desk in self.each for d in notify.dead_letters(desk.redis, limit)][:limit]

    def replay(self, event_id: str, intervals: tuple[int, ...]) -> bool:
        return any(notify.replay(desk.redis, desk.webhook_queue, event_id, intervals) for desk in self.each)

    def audit(self, *, comment_id: str | None = None, actor: str | None = None, limit: int = 50,
              before: str | None = None, sites: tuple[str, ...] | None = None,
              ) -> tuple[list[dict[str, Any]], str | None]:
        """The audit log of every shard, newest first (accounts' entries are the home Redis's)."""
        return audit.read_many([desk.redis for desk in self.each], comment_id=comment_id, actor=actor, limit=limit,
                               before=before, sites=sites)


def _sum(values: list[int | None]) -> int | None:
    known = [v for v in values if v is not None]
    return sum(known) if known else None


class ShardedBans(Spread[Bans]):
    """Bans on a site live on its shard; a ban on every site on each shard (audited once, on the home Redis)."""

    def create(self, *, email: str | None, ip: str | None, until_ms: int | None, reason: str | None, actor: str,
               site: str | None = None) -> dict[str, Any]:
        def write(bans: Bans, audited: bool = True) -> dict[str, Any]:
            return bans.create(email=email, ip=ip, until_ms=until_ms, reason=reason, actor=actor, site=site,
                               audited=audited)

        if site is not None:
            return write(self.for_site(site))
        for bans in self.each[1:]:
            write(bans, audited=False)
        return write(self.home)  # audited last, once every copy is written (a retry writes them again)

    def lift(self, bid: str, *, actor: str, sites: tuple[str, ...] | None = None) -> None:
        """Lift every copy of the ban, then audit it once, on the home Redis."""
        if len(self.each) == 1:
            self.home.lift(bid, actor=actor, sites=sites)
            return
        lifted: list[str | None] = []
        for bans in self.each:
            try:
                lifted.append(bans.lift(bid, actor=actor, sites=sites, audited=False))
            except NotFound:
                continue
        if not lifted:
            raise NotFound(f"No ban {bid!r} is in force.")
        with self.home.redis.pipeline() as pipe:
            audit.append(pipe, actor=actor, action="ban.lift", target=f"ban:{bid}", site=lifted[0])
            pipe.execute()

    def all(self, sites: tuple[str, ...] | None = None) -> list[dict[str, Any]]:
        found = {b["id"]: b for bans in reversed(self.each) for b in bans.all(sites)}
        return [found[bid] for bid in sorted(found)]

    def in_force(self, email: str, ip: str | None, site: str) -> list[dict[str, Any]]:
        return self.for_site(site).in_force(email, ip, site)

    def in_force_many(self, authors: list[tuple[str, str | None, str]]) -> list[list[dict[str, Any]]]:
        """Bans.in_force_many, one round trip per Redis."""
        out: list[list[dict[str, Any]]] = [[] for _ in authors]
        groups: dict[int, list[int]] = {}
        for i, (_, _, site) in enumerate(authors):
            groups.setdefault(self.each.index(self.for_site(site)), []).append(i)
        for shard, places in groups.items():
            for i, found in zip(places, self.each[shard].in_force_many([authors[i] for i in places]), strict=True):
                out[i] = found
        return out


class ShardedReports(Spread[Reports]):
    """Readers' reports, kept on the shard of the comment's site."""

    def report(self, site: str, comment_id: str, *, reporter_id: str, reason: str) -> tuple[int, bool]:
        return self.for_site(site).report(site, comment_id, reporter_id=reporter_id, reason=reason)

    def summaries(self, ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        ids = list(ids)
        out = {cid: s for reports, held in self.locate(ids) for cid, s in reports.summaries(held).items()}
        missing = [cid for cid in ids if cid not in out]
        return {**out, **(self.home.summaries(missing) if missing else {})}

    def waiting(self, sites: Iterable[str], limit: int, unavailable: list[str] | None = None) -> list[str]:
        """Reports.waiting merged; with `unavailable`, of the shards that answer."""
        rows = [row for found in self.over_sites(sites, lambda r, held: r.waiting_since(held, limit), unavailable)
                for row in found]
        return [cid for cid, _ in sorted(rows, key=lambda r: -r[1])[:limit]]

    def counts(self, sites: Iterable[str], unavailable: list[str] | None = None) -> int:
        """Reports.counts summed; with `unavailable`, over the shards that answer."""
        return sum(self.over_sites(sites, lambda r, held: r.counts(held), unavailable))

    def dismiss(self, comment: Comment, *, moderator: Moderator) -> None:
        self.for_site(comment.site).dismiss(comment, moderator=moderator)
