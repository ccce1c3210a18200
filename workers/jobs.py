"""RQ jobs. Each takes ids, re-reads state from Redis and is safe to run twice."""

from __future__ import annotations

import logging
import time
from types import TracebackType
from typing import Any

from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import get_current_job
from rq.exceptions import AbandonedJobError
from rq.job import Job

from moderation import policy, sitepolicy
from moderation.screening.screener import Analysis, Context, screener_for
from moderation.settings import current
from moderation.store import queues
from moderation.store.comments import Comment, CommentStore, Screened
from moderation.store.connections import text_twin

log = logging.getLogger(__name__)

class ColdShutdown(SystemExit):
    """A worker told to stop twice stops at once; the job it interrupts is retried, not failed."""


# Faults that another try can mend: the server restarting, a failover, a network blip, a full memory, a
# worker stopped or killed in the middle of the job (RQ finds it abandoned and asks us whether to retry).
TRANSIENT = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OutOfMemoryError, AbandonedJobError,
             ColdShutdown)


# Comments one batch job screens; then the site's next job waits behind the other sites' jobs (RQ's round robin).
BATCH_SIZE = 100
# How long a batch job's list of what it took outlives the job, for RQ's retry of a job whose worker died: found
# abandoned after the job's timeout and a maintenance period, then retried after its interval.
BATCH_KEEP_SECONDS = 3600


def _job() -> Job:
    job = get_current_job()
    if job is None:
        raise RuntimeError("screening jobs run inside an RQ worker")
    return job


def _screen(store: CommentStore, comments: list[Comment], *, own_job: bool) -> list[str]:
    """Screen comments of one site, read their history and claim their texts in one round trip, record the results
    in another; the ids of those recorded (a comment screened already is not). A comment whose screening raises
    anything but a transient fault goes to a job of its own (`hand_over`) so it holds up no other; so do all of
    them if recording them raises."""
    if not comments:
        return []
    site_policy = sitepolicy.from_file(current().policy_file).for_site(comments[0].site)
    screener = screener_for(site_policy)
    t = site_policy.thresholds
    analysed: list[tuple[Comment, Analysis, float]] = []
    for comment in comments:
        try:
            started = time.perf_counter()
            analysis = screener.screen_text(comment.body)
            analysed.append((comment, analysis, time.perf_counter() - started))
        except TRANSIENT:
            raise
        except Exception:
            if own_job:
                raise  # the comment's own job fails, visibly
            log.exception("screening comment=%s failed: it goes to a job of its own", comment.id)
            _hand_over(store, comment)
    try:
        contexts = store.screening_contexts([(c, a.fingerprint) for c, a, _ in analysed],
                                            window_seconds=t.flood_window_seconds,
                                            duplicate_seconds=t.duplicate_window_seconds)
        results = []
        for (comment, analysis, seconds), context in zip(analysed, contexts, strict=True):
            result = screener.finish(analysis, Context(**context))
            results.append(Screened(comment, result.flag_dicts(), result.risk, result.language, seconds))
        done = store.record_screenings(results, own_job=own_job)
    except TRANSIENT:
        raise
    except Exception:
        if own_job:
            raise
        log.exception("recording the screening of %d comment(s) failed: each goes to a job of its own",
                      len(analysed))
        for comment, _, _ in analysed:
            _hand_over(store, comment)
        return []
    for r, ok in zip(results, done, strict=True):
        log.info("screened comment=%s risk=%s flags=%s%s", r.comment.id, r.risk, [f["code"] for f in r.flags],
                 "" if ok else " (screened already)")
    return [r.comment.id for r, ok in zip(results, done, strict=True) if ok]


def _hand_over(store: CommentStore, comment: Comment) -> None:
    """Out of the batch, into a job of its own."""
    store.hand_over(comment)
    queues.enqueue_screening(queues.screening_queue(_job().connection, comment.site), comment.id)


def screen_site(site: str) -> str:
    """Take a batch of the site's waiting comments, oldest first; queue the site's next batch job at once if
    comments still wait (another worker screens them meanwhile, after the other sites' turns); screen and record
    the batch in a few round trips. Run again by RQ, it takes the same batch: each comment is recorded once."""
    job = _job()
    store = CommentStore(text_twin(job.connection))
    next_id = queues.new_batch_job_id()
    next_job, ids = store.take(site, job.id, next_id, BATCH_SIZE, BATCH_KEEP_SECONDS)
    if next_job:
        queues.enqueue_batch(queues.screening_queue(job.connection, site), site, next_id)
    comments = store.get_many(ids)
    gone = set(ids) - {c.id for c in comments}
    for comment_id in gone:
        log.warning("comment %s waited for screening but is gone: dropped", comment_id)
    # Gone, or screened already: by a job of its own, or by this one's earlier run.
    store.drop_taken(site, [*gone, *(c.id for c in comments if c.status != policy.RECEIVED)])
    screened = _screen(store, [c for c in comments if c.status == policy.RECEIVED], own_job=False)
    store.batch_done(job.id)
    return f"screened {len(screened)}"


def screen_comment(comment_id: str) -> str:
    """Screen one comment on its own: one that failed in its site's batch. A second run finds it screened and
    does nothing; a comment that is gone is an error, for the failed registry."""
    store = CommentStore(text_twin(_job().connection))
    comment = store.get(comment_id)
    if comment.status != policy.RECEIVED:
        return "already screened"
    return "screened" if _screen(store, [comment], own_job=True) else "already screened"


def retry_only_transient(
    job: Job, connection: Redis, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
    *_: Any,
) -> None:
    """Failure callback: keep RQ's retries for transient Redis faults, send anything else to the failed registry."""
    if not issubclass(exc_type, TRANSIENT):
        job.retries_left = 0
