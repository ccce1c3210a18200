"""Notifying sites: each decision becomes an event with a stable id, queued in the decision's transaction and
POSTed to the site's callback URL signed, with a deadline, retries and a dead-letter list."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import threading
import time
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from redis.client import Pipeline
from rq import Callback, Queue, Retry

from moderation import metrics
from moderation.logs import current_request_id
from moderation.settings import Settings
from moderation.signing import sign
from moderation.store.keys import DEAD_LETTERS, event_key

log = logging.getLogger(__name__)
DELIVER_JOB = "workers.webhooks.deliver_event"
DELIVERY_FAILURE = "workers.webhooks.on_delivery_failure"
DELIVERY_JOB_TIMEOUT = 60  # RQ's limit on one try; the delivery's own deadline (10 s) comes well before


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


CONNECT_SECONDS = 5  # to open the connection
DEADLINE_SECONDS = Settings.webhook_deadline  # the whole request, answer included (MODERATION_WEBHOOK_DEADLINE)


class DeliveryFailed(Exception):
    """The site answered an error or did not answer; RQ retries the job."""


class NotDeliverable(Exception):
    """No such event, or no secret to sign it with: another try cannot help."""


def post(url: str, body: bytes, headers: dict[str, str], *, connect_seconds: float = CONNECT_SECONDS,
         deadline_seconds: float = DEADLINE_SECONDS) -> int:
    """POST `body` and return the answer's status, or raise TimeoutError once `deadline_seconds` have passed.

    A socket timeout bounds each read, not the request: a site that sends a byte every few seconds would hold
    the worker for as long as it likes. A timer shuts the socket down at the deadline, which ends any read.
    """
    parts = urlsplit(url)
    connection_class = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    conn = connection_class(parts.hostname or "", parts.port, timeout=connect_seconds)
    cut = threading.Event()

    def cut_off() -> None:
        cut.set()
        if conn.sock is not None:
            conn.sock.shutdown(socket.SHUT_RDWR)

    timer = threading.Timer(deadline_seconds, cut_off)
    timer.start()
    try:
        conn.request("POST", (parts.path or "/") + (f"?{parts.query}" if parts.query else ""), body, headers)
        response = conn.getresponse()
        response.read(64 * 1024)  # what a site says back is not used; enough of it to end the exchange politely
        return response.status
    except (OSError, http.client.HTTPException) as err:
        if cut.is_set():  # whatever the cut made the read raise
            raise TimeoutError(f"no answer within {deadline_seconds:g} s") from None
        if isinstance(err, OSError):
            raise
        raise OSError(f"bad answer: {err!r}") from None
    finally:
        timer.cancel()
        conn.close()


def deliver(redis: Any, event_id: str, secret_of: Mapping[str, str], *,
            deadline_seconds: float = DEADLINE_SECONDS) -> str:
    """POST one stored event to its site, signed with the site's current secret; a delivered event is never
    sent again. Raises DeliveryFailed (worth another try) or NotDeliverable (no other try can help)."""
    key = event_key(event_id)
    event: dict[str, str] = redis.hgetall(key)
    if not event:
        raise NotDeliverable(f"No event {event_id}.")
    if event["status"] == "delivered":
        return "already delivered"
    secret = secret_of.get(event["site"])
    if not secret:
        raise NotDeliverable(f"No secret for site {event['site']!r} in MODERATION_SITES to sign with.")
    body = event["payload"].encode("utf-8")
    headers = {"Content-Type": "application/json", "X-Signature": sign(secret, body), "X-Event-Id": event_id,
               "User-Agent": "comment-moderation/1"}
    redis.hincrby(key, "attempts", 1)
    try:
        status = post(event["url"], body, headers, deadline_seconds=deadline_seconds)
    except OSError as err:  # TimeoutError included
        redis.hset(key, "last_error", f"no answer: {err}"[:300])
        raise DeliveryFailed(f"{event['url']} did not answer: {err}") from None
    if not 200 <= status < 300:
        redis.hset(key, "last_error", f"HTTP {status}")
        raise DeliveryFailed(f"{event['url']} answered {status}")
    with redis.pipeline() as pipe:
        pipe.hset(key, mapping={"status": "delivered", "delivered_ms": str(int(time.time() * 1000))})
        pipe.hdel(key, "last_error")
        pipe.hincrby(metrics.WEBHOOKS, "delivered", 1)
        pipe.execute()
    log.info("delivered event=%s site=%s status=%s", event_id, event["site"], status)
    return "delivered"




def failed(redis: Any, event_id: str | None, err: BaseException, *, last: bool) -> None:
    """Count a failed try; after the last one, put the event on the dead-letter list for an operator."""
    if not last:
        redis.hincrby(metrics.WEBHOOKS, "retried", 1)
        return
    redis.hincrby(metrics.WEBHOOKS, "dead", 1)
    if event_id and redis.exists(event_key(event_id)):
        with redis.pipeline() as pipe:
            pipe.hset(event_key(event_id), "status", "dead")
            pipe.lrem(DEAD_LETTERS, 0, event_id)
            pipe.lpush(DEAD_LETTERS, event_id)
            pipe.execute()
    log.warning("event %s is dead after its last try: %s", event_id, err)
