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
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from moderation.store import queues
from moderation.store.connections import text_twin
from moderation.store.keys import REAPER_LOCK as LOCK
from moderation.store.keys import RECEIVED, comment_key, screening_job_id

log = logging.getLogger(__name__)


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
    with text.pipeline(transaction=False) as pipe:
        for comment_id in stale:
            pipe.hget(comment_key(comment_id), "site")
        sites = pipe.execute()
    lost = []
    for comment_id, site in zip(stale, sites, strict=True):
        if site is None:
            log.warning("comment %s waited for screening but is gone: dropped from the waiting list", comment_id)
            text.zrem(RECEIVED, comment_id)
            continue
        queue = queues.screening_queue(conn, site)
        job_id = screening_job_id(comment_id)
        try:
            status = Job.fetch(job_id, connection=conn).get_status()
        except NoSuchJobError:
            status = None
        if status == JobStatus.FAILED:
            continue  # visible in the failed registry: ops decide
        if status == JobStatus.QUEUED and conn.lpos(queue.key, job_id) is not None:
            continue  # waiting its turn in a backlog
        if job_id in queue.started_job_registry or job_id in queue.scheduled_job_registry:
            continue
        queues.enqueue_screening(queue, comment_id)
        lost.append(comment_id)
    if lost:
        log.warning("requeued the screening of %d comment(s) whose job was lost: %s", len(lost), lost)
    return lost
