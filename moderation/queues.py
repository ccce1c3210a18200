"""Names of the RQ queues and jobs, shared so the API can enqueue without importing the workers."""

from __future__ import annotations

from redis import Redis
from rq import Queue

SCREENING_QUEUE = "screening"
SCREEN_JOB = "workers.jobs.screen_comment"
# Runs when a job raises: turns off retries for faults that another try cannot mend.
SCREEN_FAILURE_CALLBACK = "workers.jobs.retry_only_transient"
SCREEN_RETRY_INTERVALS = (1, 2, 5, 10, 30, 60)


def screening_job_id(comment_id: str) -> str:
    """One screening job per comment, named after it, so a comment and its job are findable from each other."""
    return f"screen-{comment_id}"


def screening_queue(connection: Redis) -> Queue:
    """The queue the intake writes to and the screening workers read."""
    return Queue(SCREENING_QUEUE, connection=connection)
