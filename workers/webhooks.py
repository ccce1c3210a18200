"""The RQ side of notifying sites: the delivery job and its failure callback, over moderation.notify."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from redis import Redis
from rq import get_current_job
from rq.job import Job

from moderation import notify
from moderation.settings import current
from moderation.store.connections import text_twin


def deliver_event(event_id: str) -> str:
    """POST one stored event to its site (the job `notify` queues); RQ retries it when it raises."""
    job = get_current_job()
    if job is None:
        raise RuntimeError("deliver_event runs inside an RQ worker")
    settings = current()  # this worker process's: its site secrets sign the request
    return notify.deliver(text_twin(job.connection), event_id, settings.sites,
                          deadline_seconds=settings.webhook_deadline)


def on_delivery_failure(
    job: Job, connection: Redis, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
    *_: Any,
) -> None:
    """RQ's failure callback: the try that cannot succeed, or the last one, dead-letters the event."""
    if issubclass(exc_type, notify.NotDeliverable):
        job.retries_left = 0
    notify.failed(text_twin(connection), job.args[0] if job.args else None, exc, last=not job.retries_left)
