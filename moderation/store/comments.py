"""The Redis data model: comments, the review queue, published lists and idempotency records.

The key names are moderation.store.keys'; the scripts are moderation.store.scripts'.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, cast

from redis import Redis

from moderation import metrics, policy
from moderation.errors import (
    CommentNotFound,
    IdempotencyConflict,
    Overloaded,
    RateLimited,
    Unavailable,
    ValidationFailed,
)
from moderation.review.bans import AuthorBanned, Bans
from moderation.settings import Settings
from moderation.store import queues, scripts
from moderation.store.keys import (
    COMMENT_PATTERN,
    QUEUE_ALL,
    RECEIVED,
    RETAIN_PII,
    address_key,
    age_key,
    article_queue_key,
    articles_key,
    author_comments_key,
    author_key,
    author_ref,
    batch_job_key,
    batch_key,
    comment_key,
    decided_key,
    duplicate_key,
    flag_queue_key,
    idempotency_key,
    inbox_key,
    language_queue_key,
    replies_key,
    severity_queue_key,
    signed_request_key,
    site_queue_key,
    taken_key,
)

RISK_MAX = 100
DECIDED = ("approved", "rejected")  # the desk's views of decided comments
AUTHOR_HISTORY_KEEP = 200
ADDRESS_WINDOW_MS = 7 * 24 * 3600 * 1000
# A signed request's record outlives the time its signature is accepted in (300 s old to 30 s ahead).
SIGNED_REQUEST_TTL = 400


VIEW_STATUSES = {"pending": {policy.PENDING_REVIEW}, "approved": {policy.PUBLISHED, policy.APPROVED},
                 "rejected": {policy.REJECTED}}


def matching(statuses: set[str], sites: tuple[str, ...] | None, site: str | None, article_id: str | None,
              flag: str | None, severity: str | None, language: str | None) -> Callable[[Comment], bool]:
    """Whether a comment read from an index still belongs in the page the filters describe."""
    def keep(c: Comment) -> bool:
        return (c.status in statuses
                and (sites is None or c.site in sites)
                and (not site or c.site == site)
                and (not article_id or c.article_id == article_id)
                and (not flag or any(f["code"] == flag for f in c.flags))
                and (not severity or c.top_severity == severity)
                and (not language or c.language == language))
    return keep


def of_site(redis: Redis, site: str) -> Iterator[Comment]:
    """Every stored comment of one site: a scan of the keyspace, for exports and erasure, not for requests."""
    for key in redis.scan_iter(COMMENT_PATTERN, count=1000):
        record: dict[str, str] = redis.hgetall(key)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
        if record.get("site") == site:
            yield Comment.from_hash(record)


def now_ms() -> int:
    return int(time.time() * 1000)


def filter_keys(site: str | None = None, article_id: str | None = None, flag: str | None = None,
                severity: str | None = None, language: str | None = None) -> list[str]:
    """The pending indexes whose intersection is what the filters select, narrowest first."""
    keys = []
    if site and article_id:
        keys.append(article_queue_key(site, article_id))
    elif site:
        keys.append(site_queue_key(site))
    if flag:
        keys.append(flag_queue_key(flag))
    if severity:
        keys.append(severity_queue_key(severity))
    if language:
        keys.append(language_queue_key(language))
    return keys or [QUEUE_ALL]


def now_us() -> int:
    """Microseconds since the epoch: what a comment's id and creation time are read from."""
    return time.time_ns() // 1000


def new_comment_id(created_us: int) -> str:
    """A lowercase id that cannot be guessed and sorts by creation time to the microsecond: sorted sets scored in
    milliseconds order their ties by member, and one client's comments can come faster than one a millisecond."""
    return f"{created_us:013x}{secrets.token_hex(5)}"


def queue_score(risk: int, created_ms: int) -> int:
    """Lower scores come first: highest risk, then oldest. Exact in a double up to 2**53."""
    return (RISK_MAX - max(0, min(RISK_MAX, risk))) * 10**13 + created_ms


def _dt(ms: str | int | None) -> datetime | None:
    if ms in (None, ""):
        return None
    return datetime.fromtimestamp(int(ms) / 1000, tz=UTC)


@dataclass
class Comment:
    """One comment as stored; `views` below shape what each audience may see."""

    id: str
    site: str
    article_id: str
    article_url: str
    author_name: str
    author_email: str
    body: str
    status: str
    created_ms: int
    article_title: str | None = None
    parent_id: str | None = None
    language: str | None = None
    client_ip: str | None = None
    user_agent: str | None = None
    risk: int | None = None
    flags: list[dict[str, Any]] = field(default_factory=list)
    screened_ms: int | None = None
    decision: dict[str, Any] | None = None
    published_ms: int | None = None
    events: int = 0  # outgoing events so far; the next one's id is "<id>-<events + 1>"
    featured: bool = False  # a moderator's pick among the published comments
    author_ref: str | None = None  # kept once the email is erased (retention), so the author's keys still resolve
    erased_ms: int | None = None  # when the personal data was erased

    _OPTIONAL_STR = ("article_title", "parent_id", "language", "client_ip", "user_agent", "author_ref")
    # Every field the hash may hold.
    FIELDS = ("id", "site", "article_id", "article_url", "author_name", "author_email", "body", "status", "created_ms",
              *_OPTIONAL_STR, "risk", "flags", "screened_ms", "decision", "published_ms", "events", "featured",
              "erased_ms")

    @property
    def ref(self) -> str:
        """Who wrote it, without the email: what names the author's history and counts."""
        return self.author_ref or author_ref(self.author_email)

    def to_hash(self) -> dict[Any, Any]:
        """The Redis hash fields; absent optionals are left out rather than stored empty."""
        h: dict[Any, Any] = {
            "id": self.id, "site": self.site, "article_id": self.article_id, "article_url": self.article_url,
            "author_name": self.author_name, "author_email": self.author_email, "body": self.body,
            "status": self.status, "created_ms": str(self.created_ms),
        }
        for name in self._OPTIONAL_STR:
            value = getattr(self, name)
            if value is not None:
                h[name] = value
        return h

    @classmethod
    def from_hash(cls, h: dict[str, str]) -> Comment:
        return cls(
            id=h["id"], site=h["site"], article_id=h["article_id"], article_url=h.get("article_url", ""),
            author_name=h["author_name"], author_email=h.get("author_email", ""), body=h["body"],
            status=h["status"], created_ms=int(h["created_ms"]),
            **{name: h.get(name) for name in cls._OPTIONAL_STR},
            risk=int(h["risk"]) if "risk" in h else None,
            flags=json.loads(h["flags"]) if "flags" in h else [],
            screened_ms=int(h["screened_ms"]) if "screened_ms" in h else None,
            decision=json.loads(h["decision"]) if "decision" in h else None,
            published_ms=int(h["published_ms"]) if "published_ms" in h else None,
            events=int(h.get("events") or 0),
            featured=h.get("featured") == "1",
            erased_ms=int(h["erased_ms"]) if "erased_ms" in h else None,
        )

    def status_view(self) -> dict[str, Any]:
        """What the submitting site may see: no personal data."""
        return {
            "id": self.id, "site": self.site, "article_id": self.article_id, "status": self.status,
            "created_at": _dt(self.created_ms),
            "decided_at": _dt(self.decision["decided_ms"]) if self.decision else None,
        }

    def public_view(self) -> dict[str, Any]:
        """What readers see: name, body, parent and times; never an email or an address."""
        return {
            "id": self.id, "article_id": self.article_id, "parent_id": self.parent_id,
            "author": {"name": self.author_name}, "body": self.body, "language": self.language,
            "created_at": _dt(self.created_ms), "published_at": _dt(self.published_ms), "featured": self.featured,
        }

    def event_view(self) -> dict[str, Any]:
        """The public fields, as JSON text, for the site's outgoing event."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in self.public_view().items()}

    def moderator_view(self) -> dict[str, Any]:
        """Everything, for the moderation desk."""
        decision = None
        if self.decision:
            decision = {**self.decision, "decided_at": _dt(self.decision["decided_ms"])}
            decision.pop("decided_ms", None)
        return {
            "id": self.id, "site": self.site, "status": self.status,
            "article": {"id": self.article_id, "url": self.article_url, "title": self.article_title},
            "author": {"name": self.author_name, "email": self.author_email or None},
            "client": {"ip": self.client_ip, "user_agent": self.user_agent},
            "body": self.body, "parent_id": self.parent_id, "language": self.language,
            "risk": self.risk, "flags": self.flags, "created_at": _dt(self.created_ms),
            "screened_at": _dt(self.screened_ms), "decision": decision,
        }

    @property
    def top_severity(self) -> str:
        return max((f["severity"] for f in self.flags), key=policy.SEVERITY_RANK.__getitem__, default="none")

    def queue_keys(self) -> list[str]:
        """Every pending index this comment sits in while it waits for review."""
        keys = [QUEUE_ALL, site_queue_key(self.site), article_queue_key(self.site, self.article_id),
                severity_queue_key(self.top_severity)]
        keys += [flag_queue_key(code) for code in sorted({f["code"] for f in self.flags})]
        if self.language in policy.LANGUAGES:
            keys.append(language_queue_key(self.language))
        return keys

    def enqueue_for_review(self, pipe: Any) -> None:
        """Add to every pending index (inside the caller's transaction)."""
        score = queue_score(self.risk or 0, self.created_ms)
        for qkey in self.queue_keys():
            pipe.zadd(qkey, {self.id: score})
        pipe.zadd(age_key(self.site), {self.id: self.created_ms})
        pipe.zadd(age_key(), {self.id: self.created_ms})
        pipe.zadd(articles_key(self.site), {self.article_id: 0})

    def dequeue_from_review(self, pipe: Any) -> None:
        """Remove from every pending index (inside the caller's transaction)."""
        for qkey in self.queue_keys():
            pipe.zrem(qkey, self.id)
        pipe.zrem(age_key(self.site), self.id)
        pipe.zrem(age_key(), self.id)

    def file_as_decided(self, pipe: Any, view: str | None, at_ms: int) -> None:
        """Move into the `approved` or `rejected` view (None: out of both), inside the caller's transaction."""
        for other in DECIDED:
            if other != view:
                pipe.zrem(decided_key(other, self.site), self.id)
                pipe.zrem(decided_key(other), self.id)
        if view is not None:
            pipe.zadd(decided_key(view, self.site), {self.id: at_ms})
            pipe.zadd(decided_key(view), {self.id: at_ms})


@dataclass(frozen=True)
class Screened:
    """One comment's screening, to record: its flags, risk, the language found, and the seconds it took."""

    comment: Comment
    flags: list[dict[str, Any]]
    risk: int
    language: str | None
    seconds: float


@dataclass(frozen=True)
class Accepted:
    """The intake's answer: the comment id, and whether it replays an earlier request."""

    comment_id: str
    replayed: bool


def encode_cursor(score: float, member: str) -> str:
    return base64.urlsafe_b64encode(f"{int(score)}:{member}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, str]:
    """Parse a cursor made by encode_cursor; a tampered one is a validation error, not a crash."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        score, _, member = raw.partition(":")
        if not member:
            raise ValueError(cursor)
        return int(score), member
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed("The cursor is not valid.", fields={"cursor": ["Not a cursor this API returned."]}) \
            from None


class CommentStore:
    """All reads and writes of comments, their indexes and their intake; key names are keys.py's."""

    def __init__(self, redis: Redis, idempotency_ttl: int = Settings.idempotency_ttl, max_backlog: int = 0,
                 min_replicas: int = 0, replica_wait_ms: int = Settings.replica_wait_ms) -> None:
        self.redis = redis
        self.min_replicas, self.replica_wait_ms = min_replicas, replica_wait_ms
        self.idempotency_ttl = idempotency_ttl
        self.max_backlog = max_backlog
        self._jobs: dict[str, queues.ScreeningJobs] = {}
        self._accept = scripts.register(redis, "accept")
        self._screened = scripts.register(redis, "screened")
        self._take = scripts.register(redis, "take")

    def screening_jobs(self, site: str) -> queues.ScreeningJobs:
        """How the site's screening jobs are written (one prototype per site's queue, made once)."""
        jobs = self._jobs.get(site)
        if jobs is None:
            jobs = self._jobs[site] = queues.ScreeningJobs(queues.screening_queue(self.redis, site), site)
        return jobs

    # ---- intake ---------------------------------------------------------------------------

    def replay(self, site: str, key: str, body: bytes) -> Accepted | None:
        """The earlier answer to this Idempotency-Key, or None if the key is new."""
        record = self.redis.hgetall(idempotency_key(site, key))
        if not record:
            return None
        return self._replayed(str(record["comment_id"]), str(record["body_sha256"]), body)

    def _replicated(self) -> None:
        """With `min_replicas`, a 202 only once that many replicas hold the comment: a failover promotes one of
        them, and a comment only the old primary held would be lost with it. Short of them, a 503: the comment
        is kept, and the site's retry with the same Idempotency-Key gets its id."""
        if not self.min_replicas:
            return
        acked = int(self.redis.execute_command("WAIT", self.min_replicas, self.replica_wait_ms))
        if acked < self.min_replicas:
            raise Unavailable(f"{acked} of {self.min_replicas} replicas confirmed the comment in time; retry with the "
                              "same Idempotency-Key.", retry_after=1)

    @staticmethod
    def _replayed(comment_id: str, body_sha256: str, body: bytes) -> Accepted:
        if body_sha256 and body_sha256 != hashlib.sha256(body).hexdigest():
            raise IdempotencyConflict()
        return Accepted(comment_id, replayed=True)

    def create(self, site: str, data: dict[str, Any], *, raw_body: bytes, idem_key: str | None = None,
               signed_at: int | None = None, window_seconds: int = 600, per_author: int = 30,
               per_address: int = 100) -> Accepted:
        """Check and store a validated comment with its screening job: one script, so one round trip and
        all or nothing.

        Refused, in this order: an Idempotency-Key seen before replays its first answer; a screening
        backlog past its limit is a 503 (the whole service is behind); a banned author or address a 403;
        one past its limit of comments in the window a 429 saying when to come back; a parent that is
        not a comment of the same article a 422.
        """
        created_us = now_us()
        created = created_us // 1000
        comment = Comment(
            id=new_comment_id(created_us), site=site, article_id=data["article"]["id"],
            article_url=data["article"]["url"], article_title=data["article"].get("title"),
            author_name=data["author"]["name"], author_email=data["author"]["email"], body=data["body"],
            parent_id=data.get("parent_id"), language=data.get("language"),
            client_ip=str(data["client"]["ip"]) if data.get("client", {}).get("ip") else None,
            user_agent=data.get("client", {}).get("user_agent"),
            status=policy.RECEIVED, created_ms=created,
        )
        email, ip, parent = comment.author_email, comment.client_ip, comment.parent_id
        since = created - window_seconds * 1000
        jobs = self.screening_jobs(site)
        job = jobs.record()
        body_sha256 = hashlib.sha256(raw_body).hexdigest()
        if idem_key:
            record = idempotency_key(site, idem_key)
        elif signed_at is not None:
            record, body_sha256 = signed_request_key(site, signed_at, body_sha256), ""
        else:
            record = ""
        keys = [comment_key(comment.id), inbox_key(site), metrics.INTAKE, jobs.queue_key,
                author_comments_key(site, author_ref(email)), address_key(site, ip) if ip else "", record,
                comment_key(parent) if parent else "", replies_key(parent) if parent else "",
                job.key, jobs.queues_key, RETAIN_PII, batch_job_key(site), *Bans.check_keys(email, ip, site)]
        args = [comment.id, created, since, per_author, per_address, body_sha256, created - ADDRESS_WINDOW_MS, site,
                comment.article_id, job.id, json.dumps(comment.to_hash(), ensure_ascii=False),
                self.max_backlog, self.idempotency_ttl, SIGNED_REQUEST_TTL, AUTHOR_HISTORY_KEEP, ADDRESS_WINDOW_MS,
                *job.fields.values(), *jobs.constant_args]
        outcome, *detail = self._accept(keys=keys, args=args)
        if outcome == "ok":
            self._replicated()
            return Accepted(comment.id, replayed=False)
        if outcome == "replay":
            return self._replayed(detail[0], detail[1], raw_body)
        if outcome == "overloaded":
            # Grow no further: the workers are behind, and a site will retry what it is refused.
            raise Overloaded(f"The screening backlog holds {detail[0]} comments; try again shortly.", retry_after=30)
        if outcome == "banned":
            raise AuthorBanned()
        if outcome == "limited":
            # The comment that must leave the window before one more fits.
            free_at = int(float(detail[1])) + window_seconds * 1000 if detail[1] else created + window_seconds * 1000
            who = "this email" if detail[0] == "author" else "this address"
            raise RateLimited(f"Too many comments from {who}; try again later.",
                              retry_after=max(1, -(-(free_at - created) // 1000)))
        if outcome == "no_parent":
            raise ValidationFailed(fields={"parent_id": ["No such comment under this article."]})
        raise RuntimeError(f"The intake script answered {outcome!r}.")  # a script out of step with this code

    def screening_contexts(self, items: list[tuple[Comment, str]], *, window_seconds: int,
                           duplicate_seconds: int) -> list[dict[str, Any]]:
        """What the history and flood filters need for each (comment, text fingerprint), read in one round trip;
        claims each text's fingerprint, in the order given (a batch is oldest first).

        The author's and the address's sets are scored in ms, ties ordered by id, which sorts by creation: a
        comment's rank is the number of comments before it, so it never counts later ones, and those in the window
        are the ones up to it less those before the window. A comment gone from a set (trimmed as its author wrote
        hundreds more) counts none, as the set no longer holds any earlier one either."""
        with self.redis.pipeline(transaction=False) as pipe:
            for comment, fingerprint in items:
                since = comment.created_ms - window_seconds * 1000
                history = author_comments_key(comment.site, comment.ref)
                pipe.hmget(author_key(comment.site, comment.ref), ["approved", "rejected"])
                pipe.zrank(history, comment.id)
                pipe.zcount(history, "-inf", f"({since}")
                if comment.client_ip:
                    address = address_key(comment.site, comment.client_ip)
                    pipe.zrank(address, comment.id)
                    pipe.zcount(address, "-inf", f"({since}")
                if duplicate_seconds:  # the first comment with this text: an earlier one's id, or this one's
                    dup = duplicate_key(comment.site, fingerprint)
                    pipe.set(dup, comment.id, nx=True, ex=duplicate_seconds)  # not SET NX GET: Redis 7 only
                    pipe.get(dup)
            results = iter(pipe.execute())

        def up_to_it() -> tuple[int, int]:
            """Comments before this one, and those of them and it in the window, in the set just read."""
            rank, before_window = next(results), next(results)
            return (0, 0) if rank is None else (int(rank), int(rank) + 1 - int(before_window))

        contexts = []
        for comment, _ in items:
            approved, rejected = next(results)
            earlier, in_window = up_to_it()
            address_count = up_to_it()[1] if comment.client_ip else None
            first = (next(results), next(results))[1] if duplicate_seconds else None
            contexts.append({
                "earlier_comments": earlier, "approved": int(approved or 0), "rejected": int(rejected or 0),
                "author_in_window": in_window, "address_in_window": address_count,
                "duplicate_of": first if first and first != comment.id else None})
        return contexts

    # ---- reading --------------------------------------------------------------------------

    def get(self, comment_id: str) -> Comment:
        """The comment, or CommentNotFound."""
        h = self.redis.hgetall(comment_key(comment_id))
        if not h:
            raise CommentNotFound()
        return Comment.from_hash(h)  # type: ignore[arg-type]  # redis-py types each reply as sync-or-async

    def get_many(self, ids: Iterable[str]) -> list[Comment]:
        """The comments that still exist, in the order asked."""
        ids = list(ids)
        with self.redis.pipeline(transaction=False) as pipe:
            for cid in ids:
                pipe.hgetall(comment_key(cid))
            found = pipe.execute()
        return [Comment.from_hash(h) for h in found if h]

    def page(
        self, key: str, limit: int, cursor: str | None, *, reverse: bool = False,
        keep: Callable[[Comment], bool] | None = None, also_in: list[str] | None = None,
        scores: dict[str, int] | None = None,
    ) -> tuple[list[Comment], str | None]:
        """Walk a sorted set in (score, member) order after `cursor`; stable while members are added.

        Members must also be in every `also_in` set: checked with ZMSCORE before any comment is
        read, and the batch grows while few pass, so a narrow filter does not read the whole index.
        `scores`, if given, receives each returned comment's score (what pages of several Redis merge by).
        """
        after = decode_cursor(cursor) if cursor else None
        out: list[Comment] = []
        batch = limit + 1
        while True:
            rows: list[tuple[str, float]]
            if reverse:
                top = f"{after[0]}" if after else "+inf"
                rows = self.redis.zrevrangebyscore(key, top, "-inf", start=0, num=batch, withscores=True)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
                fresh = [(m, s) for m, s in rows if not after or (s, m) < after]
            else:
                low = f"{after[0]}" if after else "-inf"
                rows = self.redis.zrangebyscore(key, low, "+inf", start=0, num=batch, withscores=True)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
                fresh = [(m, s) for m, s in rows if not after or (s, m) > after]
            if not fresh:
                if len(rows) < batch:
                    return out, None
                batch *= 2  # a run of equal scores longer than the batch: widen and look again
                continue
            wanted = {m for m, _ in fresh}
            if also_in:
                with self.redis.pipeline(transaction=False) as pipe:
                    for other in also_in:
                        pipe.zmscore(other, [m for m, _ in fresh])
                    for present in pipe.execute():
                        wanted &= {m for (m, _), s in zip(fresh, present, strict=True) if s is not None}
            if len(wanted) < len(fresh) // 4:
                batch = min(batch * 4, 5000)  # a narrow filter: read further ahead
            comments = {c.id: c for c in self.get_many(m for m, _ in fresh if m in wanted)}
            for member, score in fresh:
                comment = comments.get(member)
                if comment is None or (keep and not keep(comment)):
                    after = (int(score), member)
                    continue
                if len(out) == limit:
                    return out, encode_cursor(*after) if after else None
                out.append(comment)
                after = (int(score), member)
                if scores is not None:
                    scores[member] = int(score)
            if len(rows) < batch:
                return out, None

    def queue_page(
        self, *, limit: int, cursor: str | None = None, site: str | None = None,
        article_id: str | None = None, flag: str | None = None, severity: str | None = None,
        sites: tuple[str, ...] | None = None, language: str | None = None, scores: dict[str, int] | None = None,
    ) -> tuple[list[Comment], str | None]:
        """Pending comments, highest risk then oldest, walked through the first index the filters name; with
        `sites` (a scoped moderator's), only comments of those sites."""
        if site is None and sites is not None and len(sites) == 1:
            site = sites[0]
        keys = filter_keys(site, article_id, flag, severity, language)
        keep = matching({policy.PENDING_REVIEW}, sites, site, article_id, flag, severity, language)
        walk = keys[0]
        if len(keys) > 1:  # walk the smallest index, check the others
            with self.redis.pipeline(transaction=False) as pipe:
                for k in keys:
                    pipe.zcard(k)
                sizes = pipe.execute()
            walk = keys[sizes.index(min(sizes))]
        return self.page(walk, limit, cursor, keep=keep, also_in=[k for k in keys if k != walk], scores=scores)

    def review_page(
        self, *, view: str, sort: str, limit: int, cursor: str | None = None, site: str | None = None,
        article_id: str | None = None, flag: str | None = None, severity: str | None = None,
        sites: tuple[str, ...] | None = None, language: str | None = None, scores: dict[str, int] | None = None,
    ) -> tuple[list[Comment], str | None]:
        """The desk's views: pending by risk (`queue_page`), or pending by age, or decided comments (newest decision
        first, or oldest), with the same filters."""
        if view == "pending" and sort == "risk":
            return self.queue_page(limit=limit, cursor=cursor, site=site, article_id=article_id, flag=flag,
                                   severity=severity, sites=sites, language=language, scores=scores)
        if site is None and sites is not None and len(sites) == 1:
            site = sites[0]
        keep = matching(VIEW_STATUSES[view], sites, site, article_id, flag, severity, language)
        key = age_key(site) if view == "pending" else decided_key(view, site)
        newest = self.newest_first(view, sort)
        return self.page(key, limit, cursor, reverse=newest, keep=keep, scores=scores)

    @staticmethod
    def newest_first(view: str, sort: str) -> bool:
        """Whether `review_page` walks its index from the highest score down (the review queue, pending by risk,
        walks up: its score puts the riskiest lowest)."""
        return sort == "newest" or (view != "pending" and sort == "risk")

    def author_comments(self, email: str, sites: list[str]) -> list[Comment]:
        """An author's latest comments (up to AUTHOR_HISTORY_KEEP a site) on `sites`, newest first."""
        with self.redis.pipeline(transaction=False) as pipe:
            for site in sites:
                pipe.zrevrange(author_comments_key(site, author_ref(email)), 0, -1)
            found = pipe.execute()
        return sorted(self.get_many(cid for ids in found for cid in ids), key=lambda c: -c.created_ms)

    def view_counts(self, sites: list[str]) -> dict[str, int]:
        """How many comments each desk view holds on `sites`."""
        with self.redis.pipeline(transaction=False) as pipe:
            for site in sites:
                pipe.zcard(site_queue_key(site))
                for view in DECIDED:
                    pipe.zcard(decided_key(view, site))
            found = pipe.execute()
        width = 1 + len(DECIDED)
        return {view: sum(found[i::width]) for i, view in enumerate(("pending", *DECIDED))}

    def articles(self, site: str, prefix: str, limit: int = 20) -> list[str]:
        """Article ids of `site` that start with `prefix` (the desk's search), in order."""
        low = f"[{prefix}" if prefix else "-"
        high = f"[{prefix}\U0010ffff" if prefix else "+"
        return cast(list[str], self.redis.zrangebylex(articles_key(site), low, high, start=0, num=limit))

    # ---- screening (workers) ----------------------------------------------------------------

    def take(self, site: str, job_id: str, next_job_id: str, size: int, keep_seconds: int) -> tuple[bool, list[str]]:
        """The batch of comment ids the site's batch job `job_id` screens (the same again if RQ runs it again), and
        whether the caller must queue `next_job_id` for the comments that still wait."""
        next_job, *ids = self._take(keys=[inbox_key(site), taken_key(site), batch_job_key(site), batch_key(job_id)],
                                    args=[job_id, next_job_id, size, now_ms(), keep_seconds])
        return bool(next_job), [str(i) for i in ids]

    def batch_done(self, job_id: str) -> None:
        """The batch job recorded its batch: a run again would find nothing to take again."""
        self.redis.delete(batch_key(job_id))

    def record_screenings(self, results: list[Screened], *, own_job: bool = False) -> list[bool]:
        """Store the screenings of comments of one site, queue them for review and count them in the metrics, in
        one script (all or nothing, and each index written once for the whole batch); False for a comment that
        was gone or screened already. With `own_job`, comments screened by a job of their own (`hand_over`)."""
        if not results:
            return []
        site = results[0].comment.site
        keys = [taken_key(site), RECEIVED if own_job else "", metrics.SCREENING, age_key(site), age_key(),
                articles_key(site)]
        position: dict[str, int] = {}

        def at(key: str) -> int:
            """The key's position in KEYS (Lua counts from 1), added once."""
            if key not in position:
                keys.append(key)
                position[key] = len(keys)
            return position[key]

        batch = []
        for r in results:
            comment = r.comment
            comment.flags, comment.risk, comment.language = r.flags, r.risk, r.language
            fields = {"status": policy.PENDING_REVIEW, "flags": json.dumps(r.flags, ensure_ascii=False),
                      "risk": str(r.risk), "screened_ms": str(now_ms())}
            if r.language:
                fields["language"] = r.language
            batch.append({"id": comment.id, "hash": at(comment_key(comment.id)),
                          "indexes": [at(k) for k in comment.queue_keys()],
                          # As strings: Lua would print a number of 16 digits in 14.
                          "score": str(queue_score(r.risk, comment.created_ms)), "created": str(comment.created_ms),
                          "article": comment.article_id, "fields": fields, "drop_language": not r.language,
                          "us": int(r.seconds * 1_000_000), "buckets": metrics.buckets(r.seconds)})
        done = self._screened(keys=keys, args=[policy.RECEIVED, json.dumps(batch, ensure_ascii=False)])
        return [bool(n) for n in done]

    def hand_over(self, comment: Comment) -> None:
        """Take a comment out of its site's batch, to be screened by a job of its own (one whose failure RQ's
        failed registry shows, without holding up the site's other comments); the reaper watches it there."""
        with self.redis.pipeline() as pipe:
            pipe.zrem(taken_key(comment.site), comment.id)
            pipe.zadd(RECEIVED, {comment.id: comment.created_ms})
            pipe.execute()

    def drop_taken(self, site: str, comment_ids: Iterable[str]) -> None:
        """Forget taken comments that need no screening: gone (erased, deleted by hand) or screened already."""
        comment_ids = list(comment_ids)
        if comment_ids:
            self.redis.zrem(taken_key(site), *comment_ids)
