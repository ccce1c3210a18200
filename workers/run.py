"""Start workers: `moderation worker`, `python -m workers.run`, or `rq worker -w workers.run.ScreeningWorker`."""

from __future__ import annotations

import os
from typing import Any

from rq import SimpleWorker, Worker
from rq.worker import BaseWorker

from moderation import logs, sitepolicy
from moderation.config import DEFAULT_REDIS_URL, ConfigError
from moderation.connections import rq_connection
from moderation.events import WEBHOOK_QUEUE
from moderation.queues import SCREENING_QUEUE, screen_timeout
from workers.reaper import requeue_lost
from workers.screening import screener_for


def warm_up() -> None:
    """Validate the policy file and build every site's matcher now: a broken policy stops the worker here,
    and no job pays for building the word index (~0.3 s)."""
    try:
        policies = sitepolicy.from_env()
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    for site_policy in (policies.defaults, *policies.sites.values()):
        screener_for(site_policy)


def maintenance_seconds() -> int:
    """How often a worker looks for jobs abandoned by a worker that died (RQ's default: 10 min)."""
    return int(os.environ.get("MODERATION_MAINTENANCE_SECONDS", "60"))


class _Screening:
    """What both worker classes add to RQ's: a warm word index and policy checked at start, maintenance
    often enough to notice a dead worker's job, and after RQ's registry maintenance, ours: re-queue the
    screening of comments whose job was lost."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        warm_up()
        kwargs.setdefault("maintenance_interval", maintenance_seconds())
        # An idle worker checks its maintenance only between blocking waits for a job (worker_ttl - 15 s).
        kwargs.setdefault("worker_ttl", max(20, maintenance_seconds() + 15))
        super().__init__(*args, **kwargs)

    def clean_registries(self) -> None:
        super().clean_registries()  # type: ignore[misc]
        requeue_lost(self.connection, older_than_seconds=screen_timeout(),  # type: ignore[attr-defined]
                     every_seconds=max(1, maintenance_seconds() - 1))


class ScreeningWorker(_Screening, SimpleWorker):
    """The default: jobs run in the worker's own process, on the word index it built at start.

    Measured on our jobs (`python -m bench.workers`, 2 cores): ~190 screening jobs/s against
    ~250 no-op jobs/s for this class, against ~75 no-op jobs/s for the forking Worker, whose
    fork per job costs more than our whole job. Run one per core (or `--scale worker=N`).
    """


class ForkingScreeningWorker(_Screening, Worker):
    """A fork per job, for ops who want that isolation; warmed before forking so children inherit the index."""


WORKER_CLASSES: dict[str, type[BaseWorker]] = {"simple": ScreeningWorker, "fork": ForkingScreeningWorker}


def run(*, burst: bool = False, redis_url: str | None = None, worker_class: str = "simple",
        queues: tuple[str, ...] = (SCREENING_QUEUE, WEBHOOK_QUEUE)) -> bool:
    """Work the queues, screening first, until stopped (or, in burst mode, until they are empty)."""
    conn = rq_connection(redis_url or os.environ.get("REDIS_URL") or DEFAULT_REDIS_URL)
    worker = WORKER_CLASSES[worker_class](list(queues), connection=conn)
    # The scheduler moves retries that wait (Retry intervals) back onto the queue.
    return worker.work(burst=burst, with_scheduler=True)


def main(*, burst: bool = False, worker_class: str = "simple") -> None:
    """The worker command: JSON logs to stderr, then work until stopped."""
    logs.configure(os.environ.get("MODERATION_LOG_LEVEL", "INFO"))
    run(burst=burst, worker_class=worker_class)


if __name__ == "__main__":
    main()
