"""Resources the app holds for its lifetime, kept in `app.extensions`."""

from __future__ import annotations

from typing import TypeVar, cast

from flask import Flask, current_app
from prometheus_client import CollectorRegistry
from rq import Queue

from moderation.accounts import Accounts
from moderation.metrics import RedisCollector
from moderation.publishing import PublicLists
from moderation.review.bans import Bans
from moderation.review.desk import Desk
from moderation.review.reports import Reports
from moderation.review.spread import ShardedBans, ShardedDesk, ShardedReports
from moderation.settings import Settings
from moderation.sitepolicy import Policies
from moderation.store.comments import CommentStore
from moderation.store.keys import WEBHOOK_QUEUE
from moderation.store.queues import queue_names
from moderation.store.shards import Shard, ShardedStore, Spread, open_shards
from service.admission import Admission

T = TypeVar("T")


def init_app(app: Flask) -> None:
    """Open the Redis clients (one pair per Redis of MODERATION_SHARDS, REDIS_URL's first) and the domain objects
    over them."""
    settings: Settings = app.extensions["moderation.settings"]
    # Connections wait for each other past a bound, as requests do: gevent runs as many requests as arrive, and
    # redis-py's pool refused the 101st at once ("Too many connections").
    shards = open_shards(settings, max_connections=settings.redis_connections)
    app.extensions["moderation.shards"] = shards
    app.extensions["moderation.rq_redis"] = shards[0].raw
    app.extensions["moderation.redis"] = text = shards[0].text  # accounts, sessions, rate limits
    home = settings.shard_url
    app.extensions["moderation.store"] = ShardedStore(shards, lambda s: CommentStore(
        s.text, idempotency_ttl=settings.idempotency_ttl, max_backlog=settings.max_backlog,
        min_replicas=settings.min_replicas, replica_wait_ms=settings.replica_wait_ms), home)
    app.extensions["moderation.public_lists"] = Spread(shards, lambda s: PublicLists(CommentStore(s.text)), home)
    app.extensions["moderation.desk"] = ShardedDesk(shards, lambda s: Desk(
        s.text, webhook_queue=Queue(WEBHOOK_QUEUE, connection=s.raw), callbacks=settings.callbacks,
        lease_seconds=settings.lease_seconds, retry_intervals=settings.webhook_retry_intervals), home)
    app.extensions["moderation.accounts"] = Accounts(text, settings.admin_token)
    app.extensions["moderation.bans"] = ShardedBans(shards, lambda s: Bans(s.text), home)
    app.extensions["moderation.reports"] = ShardedReports(shards, lambda s: Reports(s.text), home)
    # One registry per app, holding only our collector: /metrics reads Redis at each scrape and writes nothing.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector([(s.text, s.raw, s.sites, queue_names(s.sites)) for s in shards]))
    app.extensions["moderation.metrics"] = registry
    app.extensions["moderation.admission"] = Admission(settings.intake_concurrency, settings.intake_wait,
                                                       settings.intake_deadline)


def _held(name: str, kind: type[T]) -> T:
    """What init_app stored under `name`, as the type it is (app.extensions holds Any)."""
    return cast(T, current_app.extensions[f"moderation.{name}"])


def store() -> ShardedStore:
    return _held("store", ShardedStore)


def public_lists(site: str) -> PublicLists:
    """The published lists of `site`, on its shard."""
    return cast(PublicLists, _held("public_lists", Spread).for_site(site))


def desk() -> ShardedDesk:
    return _held("desk", ShardedDesk)


def shards() -> list[Shard]:
    """Every Redis of the deployment, REDIS_URL's first."""
    return cast(list[Shard], current_app.extensions["moderation.shards"])


def accounts() -> Accounts:
    return _held("accounts", Accounts)


def bans() -> ShardedBans:
    return _held("bans", ShardedBans)


def reports() -> ShardedReports:
    return _held("reports", ShardedReports)


def admission() -> Admission:
    return _held("admission", Admission)


def settings() -> Settings:
    return _held("settings", Settings)


def policies() -> Policies:
    return _held("policies", Policies)
