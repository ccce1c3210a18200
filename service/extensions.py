"""Resources the app holds for its lifetime, kept in `app.extensions`."""

from __future__ import annotations

from flask import Flask, current_app

from moderation.config import Settings
from moderation.connections import rq_connection, text_twin
from moderation.queues import screening_queue
from moderation.sitepolicy import Policies
from moderation.store import CommentStore


def init_app(app: Flask) -> None:
    """Open the Redis clients and the comment store for this app."""
    settings: Settings = app.extensions["moderation.settings"]
    raw = rq_connection(settings.redis_url)
    app.extensions["moderation.rq_redis"] = raw
    app.extensions["moderation.redis"] = text_twin(raw)
    app.extensions["moderation.store"] = CommentStore(
        app.extensions["moderation.redis"], screening_queue(raw), idempotency_ttl=settings.idempotency_ttl
    )


def store() -> CommentStore:
    return current_app.extensions["moderation.store"]  # type: ignore[no-any-return]


def settings() -> Settings:
    return current_app.extensions["moderation.settings"]  # type: ignore[no-any-return]


def policies() -> Policies:
    return current_app.extensions["moderation.policies"]  # type: ignore[no-any-return]
