"""Names of the RQ queues and jobs, shared so the API can enqueue without importing the workers."""

from __future__ import annotations

import os

from redis import Redis
from redis.client import Pipeline
from rq import Callback, Queue, Retry
from rq.job import Job

from moderation.logs import current_request_id

SCREENING_QUEUE = "screening"
SCREEN_JOB = "workers.jobs.screen_comment"
# Runs when a job raises: turns off retries for faults that another try cannot mend.
SCREEN_FAILURE_CALLBACK = "workers.jobs.retry_only_transient"
SCREEN_RETRY_INTERVALS = (1, 2, 5, 10, 30, 60)


def screen_timeout() -> int:
    """Screening takes milliseconds; a job still running after this is stuck. A worker killed mid-job is
    noticed (and its job retried) this long plus 60 s after it died, by any worker's maintenance."""
    return int(os.environ.get("MODERATION_SCREEN_TIMEOUT", "30"))


def screening_job_id(comment_id: str) -> str:
    """One screening job per comment, named after it, so a comment and its job are findable from each other."""
    return f"screen-{comment_id}"


def screening_queue(connection: Redis) -> Queue:
    """The queue the intake writes to and the screening workers read."""
    return Queue(SCREENING_QUEUE, connection=connection)


def enqueue_screening(queue: Queue, comment_id: str, *, pipeline: Pipeline | None = None,
                      job_id: str | None = None) -> Job:
    """Queue the screening of one comment, retried with backoff on transient faults only.

    With a pipeline, RQ opens the MULTI itself, so this must be the first command queued on it.
    """
    return queue.enqueue(
        SCREEN_JOB, comment_id, job_id=job_id or screening_job_id(comment_id),
        meta={"request_id": current_request_id()}, job_timeout=screen_timeout(),
        retry=Retry(max=len(SCREEN_RETRY_INTERVALS), interval=list(SCREEN_RETRY_INTERVALS)),
        on_failure=Callback(SCREEN_FAILURE_CALLBACK), pipeline=pipeline,
    )
