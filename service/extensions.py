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
from moderation.settings import Settings
from moderation.sitepolicy import Policies
from moderation.store.comments import CommentStore
from moderation.store.connections import rq_connection, text_twin
from moderation.store.keys import WEBHOOK_QUEUE
from moderation.store.queues import queue_names
from service.admission import Admission

T = TypeVar("T")


def init_app(app: Flask) -> None:
    """Open the Redis clients and the comment store for this app."""
    settings: Settings = app.extensions["moderation.settings"]
    # Connections wait for each other past a bound, as requests do: gevent runs as many requests as arrive, and
    # redis-py's pool refused the 101st at once ("Too many connections").
    raw = rq_connection(settings.redis_url, max_connections=settings.redis_connections)
    app.extensions["moderation.rq_redis"] = raw
    app.extensions["moderation.redis"] = text_twin(raw)
    text = app.extensions["moderation.redis"]
    app.extensions["moderation.store"] = CommentStore(text, idempotency_ttl=settings.idempotency_ttl,
                                                      max_backlog=settings.max_backlog,
                                                      min_replicas=settings.min_replicas,
                                                      replica_wait_ms=settings.replica_wait_ms)
    app.extensions["moderation.public_lists"] = PublicLists(app.extensions["moderation.store"])
    app.extensions["moderation.desk"] = Desk(text, webhook_queue=Queue(WEBHOOK_QUEUE, connection=raw),
                                             callbacks=settings.callbacks, lease_seconds=settings.lease_seconds,
                                             retry_intervals=settings.webhook_retry_intervals)
    app.extensions["moderation.accounts"] = Accounts(text, settings.admin_token)
    app.extensions["moderation.bans"] = Bans(text)
    app.extensions["moderation.reports"] = Reports(text)
    # One registry per app, holding only our collector: /metrics reads Redis at each scrape and writes nothing.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(text, raw, lambda: settings.sites, queue_names(settings.sites)))
    app.extensions["moderation.metrics"] = registry
    app.extensions["moderation.admission"] = Admission(settings.intake_concurrency, settings.intake_wait,
                                                       settings.intake_deadline)


def _held(name: str, kind: type[T]) -> T:
    """What init_app stored under `name`, as the type it is (app.extensions holds Any)."""
    return cast(T, current_app.extensions[f"moderation.{name}"])


def store() -> CommentStore:
    return _held("store", CommentStore)


def public_lists() -> PublicLists:
    return _held("public_lists", PublicLists)


def desk() -> Desk:
    return _held("desk", Desk)


def accounts() -> Accounts:
    return _held("accounts", Accounts)


def bans() -> Bans:
    return _held("bans", Bans)


def reports() -> Reports:
    return _held("reports", Reports)


def admission() -> Admission:
    return _held("admission", Admission)


def settings() -> Settings:
    return _held("settings", Settings)


def policies() -> Policies:
    return _held("policies", Policies)
