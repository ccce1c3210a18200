"""Delivering decision events to the sites' callback URLs: signed, retried with backoff, dead-lettered last."""

from __future__ import annotations

import logging
import time
import urllib.error
import urllib.request
from types import TracebackType
from typing import Any

from redis import Redis
from rq import get_current_job
from rq.job import Job

from moderation import events, metrics
from moderation.config import Settings
from moderation.connections import text_twin
from moderation.signing import sign

log = logging.getLogger(__name__)
WEBHOOK_METRICS = metrics.WEBHOOKS
TIMEOUT_SECONDS = 10


class DeliveryFailed(Exception):
    """The site answered an error or did not answer; RQ retries the job."""


class NotDeliverable(Exception):
    """No such event, or no secret to sign it with: another try cannot help."""


def deliver_event(event_id: str) -> str:
    """POST one stored event to its site; a delivered event is never sent again."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("deliver_event runs inside an RQ worker")
    redis = text_twin(job.connection)
    key = events.event_key(event_id)
    event: dict[str, str] = redis.hgetall(key)  # type: ignore[assignment]
    if not event:
        raise NotDeliverable(f"No event {event_id}.")
    if event["status"] == "delivered":
        return "already delivered"
    secret = Settings.from_env().sites.get(event["site"])
    if not secret:
        raise NotDeliverable(f"No secret for site {event['site']!r} in MODERATION_SITES to sign with.")
    body = event["payload"].encode("utf-8")
    request = urllib.request.Request(event["url"], data=body, method="POST", headers={
        "Content-Type": "application/json", "X-Signature": sign(secret, body), "X-Event-Id": event_id,
        "User-Agent": "comment-moderation/1"})
    redis.hincrby(key, "attempts", 1)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            status = response.status
    except urllib.error.HTTPError as err:
        status = err.code
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        redis.hset(key, "last_error", f"no answer: {err}"[:300])
        raise DeliveryFailed(f"{event['url']} did not answer: {err}") from None
    if not 200 <= status < 300:
        redis.hset(key, "last_error", f"HTTP {status}")
        raise DeliveryFailed(f"{event['url']} answered {status}")
    with redis.pipeline() as pipe:
        pipe.hset(key, mapping={"status": "delivered", "delivered_ms": str(int(time.time() * 1000))})
        pipe.hdel(key, "last_error")
        pipe.hincrby(WEBHOOK_METRICS, "delivered", 1)
        pipe.execute()
    log.info("delivered event=%s site=%s status=%s", event_id, event["site"], status)
    return "delivered"


def on_delivery_failure(
    job: Job, connection: Redis, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
    *_: Any,
) -> None:
    """Count the failure; after the last try (or one that cannot succeed) put the event on the dead-letter list."""
    redis = text_twin(connection)
    event_id = job.args[0] if job.args else None
    if issubclass(exc_type, NotDeliverable):
        job.retries_left = 0
    if job.retries_left:
        redis.hincrby(WEBHOOK_METRICS, "retried", 1)
        return
    redis.hincrby(WEBHOOK_METRICS, "dead", 1)
    if event_id and redis.exists(events.event_key(event_id)):
        with redis.pipeline() as pipe:
            pipe.hset(events.event_key(event_id), "status", "dead")
            pipe.lrem(events.DEAD_LETTERS, 0, event_id)
            pipe.lpush(events.DEAD_LETTERS, event_id)
            pipe.execute()
    log.warning("event %s is dead after its last try: %s", event_id, exc)
