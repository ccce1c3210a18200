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
from moderation.screening.screener import Context, screener_for
from moderation.settings import current
from moderation.store.comments import CommentStore
from moderation.store.connections import text_twin

log = logging.getLogger(__name__)

class ColdShutdown(SystemExit):
    """A worker told to stop twice stops at once; the job it interrupts is retried, not failed."""


# Faults that another try can mend: the server restarting, a failover, a network blip, a full memory, a
# worker stopped or killed in the middle of the job (RQ finds it abandoned and asks us whether to retry).
TRANSIENT = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OutOfMemoryError, AbandonedJobError,
             ColdShutdown)


def _store() -> CommentStore:
    job = get_current_job()
    if job is None:
        raise RuntimeError("screen_comment runs inside an RQ worker")
    return CommentStore(text_twin(job.connection))


def screen_comment(comment_id: str) -> str:
    """Screen one comment and queue it for review; a second run finds it screened and does nothing."""
    store = _store()
    comment = store.get(comment_id)
    if comment.status != policy.RECEIVED:
        return "already screened"
    site_policy = sitepolicy.from_file(current().policy_file).for_site(comment.site)
    screener = screener_for(site_policy)
    started = time.perf_counter()
    analysis = screener.screen_text(comment.body)
    elapsed = time.perf_counter() - started
    t = site_policy.thresholds
    context = store.screening_context(comment, analysis.fingerprint, window_seconds=t.flood_window_seconds,
                                      duplicate_seconds=t.duplicate_window_seconds)
    result = screener.finish(analysis, Context(**context))
    done = store.record_screening(comment_id, flags=result.flag_dicts(), risk=result.risk,
                                  language=result.language, seconds=elapsed)
    log.info("screened comment=%s risk=%s flags=%s", comment_id, result.risk, [f.code for f in result.flags])
    return "screened" if done else "already screened"


def retry_only_transient(
    job: Job, connection: Redis, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None,
    *_: Any,
) -> None:
    """Failure callback: keep RQ's retries for transient Redis faults, send anything else to the failed registry."""
    if not issubclass(exc_type, TRANSIENT):
        job.retries_left = 0
