"""Delivering decision events to the sites' callback URLs: signed, retried with backoff, dead-lettered last."""

from __future__ import annotations

import http.client
import logging
import os
import socket
import threading
import time
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from redis import Redis
from rq import get_current_job
from rq.job import Job

from moderation import metrics, notify
from moderation.settings import Settings
from moderation.signing import sign
from moderation.store.connections import text_twin

log = logging.getLogger(__name__)
WEBHOOK_METRICS = metrics.WEBHOOKS
CONNECT_SECONDS = 5  # to open the connection
DEADLINE_SECONDS = 10  # for the whole request, answer included: a site that trickles bytes is cut off here too


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


def deliver_event(event_id: str) -> str:
    """POST one stored event to its site; a delivered event is never sent again."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("deliver_event runs inside an RQ worker")
    redis = text_twin(job.connection)
    key = notify.event_key(event_id)
    event: dict[str, str] = redis.hgetall(key)  # type: ignore[assignment]
    if not event:
        raise NotDeliverable(f"No event {event_id}.")
    if event["status"] == "delivered":
        return "already delivered"
    secret = Settings.from_env().sites.get(event["site"])  # the environment of this worker process
    if not secret:
        raise NotDeliverable(f"No secret for site {event['site']!r} in MODERATION_SITES to sign with.")
    body = event["payload"].encode("utf-8")
    headers = {"Content-Type": "application/json", "X-Signature": sign(secret, body), "X-Event-Id": event_id,
               "User-Agent": "comment-moderation/1"}
    redis.hincrby(key, "attempts", 1)
    try:
        status = post(event["url"], body, headers,
                      deadline_seconds=float(os.environ.get("MODERATION_WEBHOOK_DEADLINE", DEADLINE_SECONDS)))
    except OSError as err:  # TimeoutError included
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
    if event_id and redis.exists(notify.event_key(event_id)):
        with redis.pipeline() as pipe:
            pipe.hset(notify.event_key(event_id), "status", "dead")
            pipe.lrem(notify.DEAD_LETTERS, 0, event_id)
            pipe.lpush(notify.DEAD_LETTERS, event_id)
            pipe.execute()
    log.warning("event %s is dead after its last try: %s", event_id, exc)
