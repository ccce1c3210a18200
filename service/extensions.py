"""Resources the app holds for its lifetime, kept in `app.extensions`."""

from __future__ import annotations

from flask import Flask, current_app
from prometheus_client import CollectorRegistry
from rq import Queue

from moderation.accounts import Accounts
from moderation.metrics import RedisCollector
from moderation.notify import WEBHOOK_QUEUE
from moderation.review.bans import Bans
from moderation.review.desk import Desk
from moderation.review.reports import Reports
from moderation.settings import Settings
from moderation.sitepolicy import Policies
from moderation.store.comments import CommentStore
from moderation.store.connections import rq_connection, text_twin
from moderation.store.queues import SCREENING_QUEUE, screening_queue
from service.admission import Admission


def init_app(app: Flask) -> None:
    """Open the Redis clients and the comment store for this app."""
    settings: Settings = app.extensions["moderation.settings"]
    # Connections wait for each other past a bound, as requests do: gevent runs as many requests as arrive, and
    # redis-py's pool refused the 101st at once ("Too many connections").
    raw = rq_connection(settings.redis_url, max_connections=settings.redis_connections)
    app.extensions["moderation.rq_redis"] = raw
    app.extensions["moderation.redis"] = text_twin(raw)
    text = app.extensions["moderation.redis"]
    app.extensions["moderation.store"] = CommentStore(text, screening_queue(raw),
                                                      idempotency_ttl=settings.idempotency_ttl,
                                                      max_backlog=settings.max_backlog)
    app.extensions["moderation.desk"] = Desk(text, webhook_queue=Queue(WEBHOOK_QUEUE, connection=raw),
                                             callbacks=settings.callbacks, lease_seconds=settings.lease_seconds,
                                             retry_intervals=settings.webhook_retry_intervals)
    app.extensions["moderation.accounts"] = Accounts(text, settings.admin_token)
    app.extensions["moderation.bans"] = Bans(text)
    app.extensions["moderation.reports"] = Reports(text)
    # One registry per app, holding only our collector: /metrics reads Redis at each scrape and writes nothing.
    registry = CollectorRegistry(auto_describe=False)
    registry.register(RedisCollector(text, raw, lambda: settings.sites, (SCREENING_QUEUE, WEBHOOK_QUEUE)))
    app.extensions["moderation.metrics"] = registry
    app.extensions["moderation.admission"] = Admission(settings.intake_concurrency, settings.intake_wait,
                                                       settings.intake_deadline)


def store() -> CommentStore:
    return current_app.extensions["moderation.store"]  # type: ignore[no-any-return]


def desk() -> Desk:
    return current_app.extensions["moderation.desk"]  # type: ignore[no-any-return]


def accounts() -> Accounts:
    return current_app.extensions["moderation.accounts"]  # type: ignore[no-any-return]


def bans() -> Bans:
    return current_app.extensions["moderation.bans"]  # type: ignore[no-any-return]


def reports() -> Reports:
    return current_app.extensions["moderation.reports"]  # type: ignore[no-any-return]


def admission() -> Admission:
    return current_app.extensions["moderation.admission"]  # type: ignore[no-any-return]


def settings() -> Settings:
    return current_app.extensions["moderation.settings"]  # type: ignore[no-any-return]


def policies() -> Policies:
    return current_app.extensions["moderation.policies"]  # type: ignore[no-any-return]
