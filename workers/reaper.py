"""Our own safety net under RQ's abandoned-job handling: no comment may stay unscreened because its job vanished.

RQ retries a job whose worker died while it ran. A worker killed in the instant between
taking a job and marking it started leaves a job that is in no queue and no registry
(`tests/workers/test_chaos.py` causes it). Once per maintenance period, one worker (whichever takes the
lock first) looks for comments still `received` after the screening timeout whose job is not
waiting, scheduled, running or failed, and queues their screening again; screening is safe to
run twice.
"""

from __future__ import annotations

import logging
import time

from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry, StartedJobRegistry

from moderation.store import queues
from moderation.store.comments import RECEIVED
from moderation.store.connections import text_twin

log = logging.getLogger(__name__)


LOCK = "mod:reaper:lock"


def requeue_lost(conn: Redis, *, older_than_seconds: float, limit: int = 500, every_seconds: int = 0) -> list[str]:
    """Queue again the screening of comments whose job was lost; returns their ids.

    With `every_seconds`, only one worker in that period does the work (the others return at once).
    """
    if every_seconds and not conn.set(LOCK, "1", nx=True, ex=every_seconds):
        return []
    text = text_twin(conn)
    cutoff = int((time.time() - older_than_seconds) * 1000)
    stale: list[str] = text.zrangebyscore(RECEIVED, "-inf", cutoff, start=0, num=limit)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
    if not stale:
        return []
    queue = Queue(queues.SCREENING_QUEUE, connection=conn)
    started = StartedJobRegistry(queues.SCREENING_QUEUE, connection=conn)
    scheduled = ScheduledJobRegistry(queues.SCREENING_QUEUE, connection=conn)
    lost = []
    for comment_id in stale:
        job_id = queues.screening_job_id(comment_id)
        try:
            status = Job.fetch(job_id, connection=conn).get_status()
        except NoSuchJobError:
            status = None
        if status == JobStatus.FAILED:
            continue  # visible in the failed registry: ops decide
        if status == JobStatus.QUEUED and conn.lpos(queue.key, job_id) is not None:
            continue  # waiting its turn in a backlog
        if job_id in started or job_id in scheduled:
            continue
        queues.enqueue_screening(queue, comment_id)
        lost.append(comment_id)
    if lost:
        log.warning("requeued the screening of %d comment(s) whose job was lost: %s", len(lost), lost)
    return lost
