"""The RQ side of screening: each site's queue, the job's options and its record as the intake writes it."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from redis import Redis
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.utils import now, utcformat

from moderation.logs import current_request_id
from moderation.settings import current
from moderation.store.keys import SCREENING_QUEUE, WEBHOOK_QUEUE, screening_job_id, screening_queue_name

SCREEN_JOB = "workers.jobs.screen_comment"
# Runs when a job raises: turns off retries for faults that another try cannot mend.
SCREEN_FAILURE_CALLBACK = "workers.jobs.retry_only_transient"
SCREEN_RETRY_INTERVALS = (1, 2, 5, 10, 30, 60)


def screen_timeout() -> int:
    """Screening takes milliseconds; a job still running after this is stuck. A worker killed mid-job is
    noticed (and its job retried) this long plus 60 s after it died, by any worker's maintenance."""
    return current().screen_timeout


def screening_queue(connection: Redis, site: str) -> Queue:
    """The site's screening queue: the intake writes to it; the screening workers read every site's in turn."""
    return Queue(screening_queue_name(site), connection=connection)


ROLES = ("screening", "webhooks", "all")


def queue_names(sites: Iterable[str], role: str = "all") -> tuple[str, ...]:
    """The queues a worker of `role` reads: every site's screening queue, or the deliveries, or both."""
    screening = tuple(screening_queue_name(site) for site in sorted(sites))
    return {"screening": screening, "webhooks": (WEBHOOK_QUEUE,), "all": (*screening, WEBHOOK_QUEUE)}[role]


def is_screening(queue_name: str) -> bool:
    """Whether an RQ queue is one of the sites' screening queues."""
    return queue_name.startswith(SCREENING_QUEUE + ":")


def known_queue_names(connection: Redis, sites: Iterable[str], role: str = "all") -> tuple[str, ...]:
    """`queue_names`, and every other site's screening queue RQ knows of (one a comment was queued in before its
    site left the configuration, say): what workers read and ops list."""
    names = queue_names(sites, role)
    if role != "webhooks":
        known = sorted(q.name for q in Queue.all(connection=connection) if is_screening(q.name))
        names = (*names, *(name for name in known if name not in names))
    return names


def _options() -> dict[str, Any]:
    """How every screening job runs: its timeout, retried with backoff on transient faults only."""
    return {"meta": {"request_id": current_request_id()}, "timeout": screen_timeout(),
            "retry": Retry(max=len(SCREEN_RETRY_INTERVALS), interval=list(SCREEN_RETRY_INTERVALS)),
            "on_failure": Callback(SCREEN_FAILURE_CALLBACK)}


def enqueue_screening(queue: Queue, comment_id: str, *, job_id: str | None = None) -> Job:
    """Queue the screening of one comment (again): the reaper's way; the intake writes its jobs with the comment."""
    options = _options()
    return queue.enqueue(SCREEN_JOB, comment_id, job_id=job_id or screening_job_id(comment_id),
                         job_timeout=options.pop("timeout"), **options)


def _compress(data: bytes) -> bytes:
    """A zlib stream, as RQ stores a job's call (it reads it with zlib.decompress), but stored, not deflated, in a
    512-byte window: the call is short, so deflating saves almost nothing, while zlib.compress sets up its full
    state on every call (docs/performance.md has the profile)."""
    compressor = zlib.compressobj(0, zlib.DEFLATED, 9, 1)
    return compressor.compress(data) + compressor.flush()


@dataclass(frozen=True)
class JobRecord:
    """What enqueueing one screening job writes that differs from job to job; the rest is `constant_fields`."""

    key: str
    id: str
    fields: dict[str, Any]  # VARYING, in that order


class ScreeningJobs:
    """Screening jobs' records, written by the intake's script in the transaction that stores the comment.

    RQ's enqueue builds and checks a whole job for every call, the intake's largest cost after its Redis round
    trip (docs/performance.md). Screening jobs differ only in their comment, time and request id, so each record is the
    hash RQ serialised for one prototype job (with the queue's own defaults), with those fields set the way RQ
    sets them: its serializer, its time format. tests/store/test_queues.py holds the result to what Queue.enqueue
    writes, so an RQ release that changes any of it fails there.
    """

    VARYING = ("created_at", "enqueued_at", "data", "description", "meta")

    def __init__(self, queue: Queue) -> None:
        prototype = queue.create_job(SCREEN_JOB, args=("",), job_id=screening_job_id("prototype"), **_options())
        self.constant_fields = {k: v for k, v in prototype.to_dict().items() if k not in self.VARYING}
        self.constant_args = [item for pair in self.constant_fields.items() for item in pair]
        self.queue_key, self.queues_key = queue.key, queue.redis_queues_keys
        self._dumps = queue.serializer.dumps

    def record(self, comment_id: str) -> JobRecord:
        """The fields of this comment's screening job that differ from the prototype's, as RQ would write them now."""
        job_id = screening_job_id(comment_id)
        stamp = utcformat(now())
        return JobRecord(Job.key_for(job_id), job_id, {
            "created_at": stamp, "enqueued_at": stamp,
            "data": _compress(self._dumps((SCREEN_JOB, None, (comment_id,), {}))),
            "description": f"{SCREEN_JOB}({comment_id!r})",
            "meta": self._dumps({"request_id": current_request_id()}),
        })
