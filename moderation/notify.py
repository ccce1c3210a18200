"""Outgoing events: each decision is told to the site's callback URL by an RQ job, with a stable event id."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from redis.client import Pipeline
from rq import Callback, Queue, Retry

from moderation.logs import current_request_id
from moderation.settings import ConfigError, entries
from moderation.store.keys import part

WEBHOOK_QUEUE = "webhooks"  # its own queue, so a slow site cannot hold up screening
DELIVER_JOB = "workers.webhooks.deliver_event"
DELIVERY_FAILURE = "workers.webhooks.on_delivery_failure"
DEFAULT_RETRY_INTERVALS = (10, 30, 60, 300, 900, 3600, 3600, 3600)  # exponential-ish, then hourly
DEAD_LETTERS = "mod:webhooks:dead"  # list of event ids whose last try failed
DELIVERY_JOB_TIMEOUT = 60  # RQ's limit on one try; the delivery's own deadline (10 s) comes well before


def event_key(event_id: str) -> str:
    return f"mod:event:{part(event_id)}"


def parse_callbacks(raw: str | None) -> dict[str, str]:
    """`site=url[,site=url]` into a mapping; only http(s) URLs."""
    out: dict[str, str] = {}
    for entry in entries(raw):
        site, sep, url = entry.partition("=")
        if not sep or not site.strip() or not url.strip().startswith(("http://", "https://")):
            raise ConfigError(f"MODERATION_SITE_CALLBACKS: entry {entry!r} is not of the form site=http(s)://...")
        out[site.strip()] = url.strip()
    return out


def parse_intervals(raw: str | None) -> tuple[int, ...]:
    """Seconds between delivery tries, e.g. `10,30,60`; the number of values is the number of retries."""
    if not raw:
        return DEFAULT_RETRY_INTERVALS
    try:
        values = tuple(int(v) for v in raw.split(","))
    except ValueError:
        raise ConfigError(f"MODERATION_WEBHOOK_RETRY_INTERVALS: {raw!r} is not a list of seconds") from None
    if not values or any(v < 0 for v in values):
        raise ConfigError(f"MODERATION_WEBHOOK_RETRY_INTERVALS: {raw!r} must be non-negative seconds")
    return values


def queue_event(pipe: Pipeline, queue: Queue, *, event_id: str, site: str, url: str, payload: dict[str, Any],
                intervals: tuple[int, ...]) -> None:
    """Store the event and queue its delivery, inside the caller's transaction (MULTI already open)."""
    pipe.hset(event_key(event_id), mapping={
        "id": event_id, "site": site, "url": url, "status": "pending", "attempts": "0",
        "payload": json.dumps(payload, ensure_ascii=False), "created_ms": str(int(time.time() * 1000)),
    })
    _enqueue_delivery(pipe, queue, event_id, f"deliver-{event_id}", intervals)


def _enqueue_delivery(pipe: Pipeline, queue: Queue, event_id: str, job_id: str, intervals: tuple[int, ...]) -> None:
    """The delivery job: retried at `intervals`, dead-lettered by its failure callback after the last try."""
    queue.enqueue(DELIVER_JOB, event_id, job_id=job_id, pipeline=pipe, job_timeout=DELIVERY_JOB_TIMEOUT,
                  meta={"request_id": current_request_id()},
                  retry=Retry(max=len(intervals), interval=list(intervals)) if intervals else None,
                  on_failure=Callback(DELIVERY_FAILURE))


def payload(event: str, event_id: str, comment: Mapping[str, Any], reason: str | None = None) -> dict[str, Any]:
    """The body the site receives: the event, its stable id and the comment's public fields."""
    body: dict[str, Any] = {"event": event, "event_id": event_id, "id": comment["id"], "comment": dict(comment),
                            "occurred_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    if reason:
        body["reason"] = reason
    return body


def dead_letters(redis: Any, limit: int = 100) -> list[dict[str, Any]]:
    """Events whose last delivery try failed, newest first, with their last error."""
    ids = redis.lrange(DEAD_LETTERS, 0, limit - 1)
    out = []
    for event_id in ids:
        ev = redis.hgetall(event_key(event_id))
        if ev:
            out.append({"id": event_id, "site": ev["site"], "url": ev["url"], "attempts": int(ev["attempts"]),
                        "last_error": ev.get("last_error"), "event": json.loads(ev["payload"])["event"]})
    return out


def replay(redis: Any, queue: Queue, event_id: str, intervals: tuple[int, ...]) -> bool:
    """Queue a dead event for delivery again, with the same event id; False if it is not dead."""
    key = event_key(event_id)
    if redis.hget(key, "status") != "dead":
        return False
    attempt = int(redis.hget(key, "attempts") or 0)
    with redis.pipeline() as pipe:
        pipe.multi()
        _enqueue_delivery(pipe, queue, event_id, f"deliver-{event_id}-replay{attempt}", intervals)
        pipe.hset(key, "status", "pending")
        pipe.lrem(DEAD_LETTERS, 0, event_id)
        pipe.execute()
    return True
