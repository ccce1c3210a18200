"""The RQ side of screening: each site's queue, the job's options and its record as the intake writes it."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from redis import Redis
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.registry import ReadyJobRegistry
from rq.utils import now, utcformat
from rq.worker_registration import REDIS_WORKER_KEYS, WORKERS_BY_QUEUE_KEY

from moderation.logs import current_request_id
from moderation.settings import current
from moderation.store.keys import (
    SCREENING_QUEUE,
    WEBHOOK_QUEUE,
    batch_job_id,
    screening_job_id,
    screening_queue_name,
)

SCREEN_BATCH_JOB = "workers.jobs.screen_site"  # screens a site's waiting comments, a batch at a time
SCREEN_JOB = "workers.jobs.screen_comment"  # screens one comment that failed in its batch, on its own
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


def site_of(queue_name: str) -> str:
    """The site whose screening queue this is."""
    return unquote(queue_name.removeprefix(SCREENING_QUEUE + ":"))


def known_queue_names(connection: Redis, sites: Iterable[str], role: str = "all") -> tuple[str, ...]:
    """`queue_names`, and every other site's screening queue RQ knows of (one a comment was queued in before its
    site left the configuration, say): what workers read and ops list."""
    names = queue_names(sites, role)
    if role != "webhooks":
        known = sorted(q.name for q in Queue.all(connection=connection) if is_screening(q.name))
        names = (*names, *(name for name in known if name not in names))
    return names


def with_registries(connection: Redis, queues: list[Queue]) -> list[Queue]:
    """The queues RQ's maintenance has work in: a job in one of their registries or in flight. One round trip, where
    RQ's own pass spends ~9 commands on every queue, so a worker reading thousands of sites' queues spent seconds
    a period on queues that had nothing to clean (docs/performance.md)."""
    with connection.pipeline(transaction=False) as pipe:
        for queue in queues:
            pipe.exists(*_registry_keys(queue))
        found = pipe.execute()
    return [queue for queue, n in zip(queues, found, strict=True) if n]


def _registry_keys(queue: Queue) -> list[str]:
    return [queue.started_job_registry.key, queue.finished_job_registry.key, queue.failed_job_registry.key,
            queue.deferred_job_registry.key, ReadyJobRegistry(queue.name, connection=queue.connection).key,
            queue.intermediate_queue.key]


def clean_worker_sets(connection: Redis, queues: list[Queue]) -> None:
    """What RQ's maintenance does for each queue's set of workers, for many queues in three round trips: drop the
    workers that no longer exist (a worker that died without unregistering)."""
    if not queues:
        return
    names = [WORKERS_BY_QUEUE_KEY % queue.name for queue in queues]
    with connection.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.smembers(name)
        members = pipe.execute()
    workers = sorted(set().union(*members))
    with connection.pipeline(transaction=False) as pipe:
        for worker in workers:
            pipe.exists(worker)
        gone = {w for w, n in zip(workers, pipe.execute(), strict=True) if not n}
    if not gone:
        return
    with connection.pipeline(transaction=False) as pipe:
        for name, held in zip(names, members, strict=True):
            if held & gone:
                pipe.srem(name, *(held & gone))
        pipe.srem(REDIS_WORKER_KEYS, *gone)
        pipe.execute()


def _options() -> dict[str, Any]:
    """How every screening job runs: its timeout, retried with backoff on transient faults only."""
    return {"meta": {"request_id": current_request_id()}, "timeout": screen_timeout(),
            "retry": Retry(max=len(SCREEN_RETRY_INTERVALS), interval=list(SCREEN_RETRY_INTERVALS)),
            "on_failure": Callback(SCREEN_FAILURE_CALLBACK)}


def enqueue_screening(queue: Queue, comment_id: str, *, job_id: str | None = None) -> Job:
    """Queue the screening of one comment on its own: one that failed in its site's batch."""
    options = _options()
    return queue.enqueue(SCREEN_JOB, comment_id, job_id=job_id or screening_job_id(comment_id),
                         job_timeout=options.pop("timeout"), **options)


def new_batch_job_id() -> str:
    return batch_job_id(uuid.uuid4().hex)


def enqueue_batch(queue: Queue, site: str, job_id: str) -> Job:
    """Queue a site's batch screening job from Python: the next batch, or the reaper's replacement of a lost one
    (the intake writes the first with the comment that needs it)."""
    options = _options()
    return queue.enqueue(SCREEN_BATCH_JOB, site, job_id=job_id, job_timeout=options.pop("timeout"), **options)


def _compress(data: bytes) -> bytes:
    """A zlib stream, as RQ stores a job's call (it reads it with zlib.decompress), but stored, not deflated, in a
    512-byte window: the call is short, so deflating saves almost nothing, while zlib.compress sets up its full
    state on every call (docs/performance.md has the profile)."""
    compressor = zlib.compressobj(0, zlib.DEFLATED, 9, 1)
    return compressor.compress(data) + compressor.flush()


@dataclass(frozen=True)
class JobRecord:
    """What enqueueing one batch screening job writes that differs from job to job; the rest is
    `constant_fields`."""

    key: str
    id: str
    fields: dict[str, Any]  # VARYING, in that order


class ScreeningJobs:
    """A site's batch screening job's record, written by the intake's script in the transaction that stores the
    comment, when the site has no batch job queued or running.

    RQ's enqueue builds and checks a whole job for every call, the intake's largest cost after its Redis round
    trip (docs/performance.md). A site's batch jobs differ only in their id, time and request id, so each record is
    the hash RQ serialised for one prototype job (with the queue's own defaults), with those fields set the way RQ
    sets them: its serializer, its time format. tests/store/test_queues.py holds the result to what Queue.enqueue
    writes, so an RQ release that changes any of it fails there.
    """

    VARYING = ("created_at", "enqueued_at", "data", "description", "meta")

    def __init__(self, queue: Queue, site: str) -> None:
        prototype = queue.create_job(SCREEN_BATCH_JOB, args=(site,), job_id=batch_job_id("prototype"), **_options())
        self.constant_fields = {k: v for k, v in prototype.to_dict().items() if k not in self.VARYING}
        self.constant_args = [item for pair in self.constant_fields.items() for item in pair]
        self.queue_key, self.queues_key = queue.key, queue.redis_queues_keys
        self._dumps = queue.serializer.dumps
        self._data = _compress(self._dumps((SCREEN_BATCH_JOB, None, (site,), {})))
        self._description = f"{SCREEN_BATCH_JOB}({site!r})"

    def record(self) -> JobRecord:
        """The fields of a new batch job of the site that differ from the prototype's, as RQ would write them now
        (the intake's script writes them only if the site has no batch job)."""
        job_id = new_batch_job_id()
        stamp = utcformat(now())
        return JobRecord(Job.key_for(job_id), job_id, {
            "created_at": stamp, "enqueued_at": stamp, "data": self._data, "description": self._description,
            "meta": self._dumps({"request_id": current_request_id()}),
        })
