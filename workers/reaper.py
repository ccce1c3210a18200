"""Our own safety net under RQ's abandoned-job handling: no comment may stay unscreened because a job vanished.

RQ retries a job whose worker died while it ran. A worker killed in the instant between taking a job and
marking it started leaves a job that is in no queue and no registry (`tests/workers/test_chaos.py` causes it), and
one killed between naming a site's next batch job and queueing it leaves the site's next comments without a job.
Once per maintenance period, one worker (whichever takes the lock first) looks for:

- comments a batch job took longer ago than the screening timeout and has not recorded (its job died and was not
  retried, or failed), and puts them back in their site's inbox;
- sites whose oldest waiting comment is older than the screening timeout while their batch job is not waiting,
  scheduled or running (or has failed: a batch job fails only on faults that outlast its retries), and queues a
  new batch job for them;
- comments screened by a job of their own (one that failed in its batch), still `received` after the timeout,
  whose job is not waiting, scheduled, running or failed, and queues that job again.

Screening is safe to run twice.
"""

from __future__ import annotations

import logging
import time

from redis import Redis
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus

from moderation import policy
from moderation.settings import current
from moderation.store import queues
from moderation.store.connections import text_twin
from moderation.store.keys import REAPER_LOCK as LOCK
from moderation.store.keys import RECEIVED, batch_job_key, comment_key, inbox_key, screening_job_id, taken_key

log = logging.getLogger(__name__)


def requeue_lost(conn: Redis, *, older_than_seconds: float, limit: int = 500, every_seconds: int = 0) -> list[str]:
    """Queue again the screening jobs that were lost; returns the ids of the jobs queued.

    With `every_seconds`, only one worker in that period does the work (the others return at once).
    """
    if every_seconds and not conn.set(LOCK, "1", nx=True, ex=every_seconds):
        return []
    cutoff = int((time.time() - older_than_seconds) * 1000)
    sites = [queues.site_of(name) for name in queues.known_queue_names(conn, current().sites, "screening")]
    for site in sites:
        _return_stale_taken(conn, site, cutoff, limit)
    requeued = _lost_batches(conn, sites, cutoff) + _lost_own_jobs(conn, cutoff, limit)
    if requeued:
        log.warning("requeued %d screening job(s) that were lost: %s", len(requeued), requeued)
    return requeued


def _status(conn: Redis, queue: Queue, job_id: str) -> str | None:
    """Where the job is: None if lost (in no queue or registry that will run it), else its status."""
    try:
        status = Job.fetch(job_id, connection=conn).get_status()
    except NoSuchJobError:
        return None
    if status == JobStatus.FAILED:
        return status
    if status == JobStatus.QUEUED and conn.lpos(queue.key, job_id) is not None:
        return status  # waiting its turn
    if job_id in queue.started_job_registry or job_id in queue.scheduled_job_registry:
        return status
    return None


def _return_stale_taken(conn: Redis, site: str, cutoff: int, limit: int) -> None:
    """Put back in the site's inbox the comments taken before `cutoff` and still not screened."""
    text = text_twin(conn)
    stale: list[str] = text.zrangebyscore(taken_key(site), "-inf", cutoff, start=0, num=limit)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
    if not stale:
        return
    with text.pipeline(transaction=False) as pipe:
        for comment_id in stale:
            pipe.hmget(comment_key(comment_id), ["status", "created_ms"])
        found = pipe.execute()
    back = {cid: int(created) for cid, (status, created) in zip(stale, found, strict=True)
            if status == policy.RECEIVED}
    with text.pipeline() as pipe:
        if back:
            pipe.zadd(inbox_key(site), back)
        pipe.zrem(taken_key(site), *stale)
        pipe.execute()
    if back:
        log.warning("put back %d comment(s) of %s whose batch job died before recording them", len(back), site)


def _lost_batches(conn: Redis, sites: list[str], cutoff: int) -> list[str]:
    """Sites with comments waiting too long and no job queued for them: each gets a new one."""
    text = text_twin(conn)
    requeued = []
    for site in sites:
        oldest: list[tuple[str, float]] = text.zrange(inbox_key(site), 0, 0, withscores=True)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
        if not oldest or oldest[0][1] > cutoff:
            continue
        queue = queues.screening_queue(conn, site)
        current_id: str | None = text.get(batch_job_key(site))  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
        if current_id and _status(conn, queue, current_id) not in (None, JobStatus.FAILED):
            continue
        job_id = queues.new_batch_job_id()
        # Only if the job is still the one found lost: a batch job taking its batch meanwhile named its successor.
        with text.pipeline() as pipe:
            pipe.watch(batch_job_key(site))
            if pipe.get(batch_job_key(site)) != current_id:
                continue
            pipe.multi()
            pipe.set(batch_job_key(site), job_id)
            pipe.execute()
        queues.enqueue_batch(queue, site, job_id)
        requeued.append(job_id)
    return requeued


def _lost_own_jobs(conn: Redis, cutoff: int, limit: int) -> list[str]:
    """Comments screened by a job of their own whose job was lost: the job is queued again."""
    text = text_twin(conn)
    stale: list[str] = text.zrangebyscore(RECEIVED, "-inf", cutoff, start=0, num=limit)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
    if not stale:
        return []
    with text.pipeline(transaction=False) as pipe:
        for comment_id in stale:
            pipe.hmget(comment_key(comment_id), ["site", "status"])
        found = pipe.execute()
    requeued = []
    for comment_id, (site, status) in zip(stale, found, strict=True):
        if site is None or status != policy.RECEIVED:
            if site is None:
                log.warning("comment %s waited for screening but is gone: dropped from the waiting list", comment_id)
            text.zrem(RECEIVED, comment_id)
            continue
        queue = queues.screening_queue(conn, site)
        job_id = screening_job_id(comment_id)
        if _status(conn, queue, job_id) is not None:
            continue  # waiting, scheduled, running, or failed (visible in the failed registry: ops decide)
        queues.enqueue_screening(queue, comment_id)
        requeued.append(job_id)
    return requeued
