"""Start workers: `moderation worker`, `python -m workers.run`, or `rq worker -w workers.run.ScreeningWorker`."""

from __future__ import annotations

import logging
import signal
import time
from pathlib import Path
from types import FrameType
from typing import Any

from redis.exceptions import RedisError
from rq import Queue, SimpleWorker, Worker
from rq.worker import BaseWorker, DequeueStrategy

from moderation import logs, retention, sitepolicy
from moderation.screening.screener import screener_for
from moderation.settings import ConfigError, current
from moderation.store.connections import rq_connection, text_twin
from moderation.store.queues import ROLES, clean_worker_sets, known_queue_names, screen_timeout, with_registries
from workers.jobs import ColdShutdown
from workers.reaper import requeue_lost

log = logging.getLogger(__name__)
PUBSUB_WAKE_SECONDS = 1  # how often a worker's listener for RQ's commands (stop, kill) wakes
RETENTION_EVERY_SECONDS = 3600  # one worker an hour erases and deletes what the retention limits say
RECONNECT_WAITS = (1, 2, 5, 10, 30)  # seconds between tries to reach Redis again; the last repeats


def warm_up() -> None:
    """Validate the policy file and build every site's matcher now: a broken policy stops the worker here,
    and no job pays for building the word index (~0.3 s)."""
    try:
        policies = sitepolicy.from_file(current().policy_file)
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    for site_policy in (policies.defaults, *policies.sites.values()):
        screener_for(site_policy)


def maintenance_seconds() -> int:
    """How often a worker looks for jobs abandoned by a worker that died (RQ's default: 10 min)."""
    return current().maintenance_seconds


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

    def subscribe(self) -> None:
        """RQ's, with the listener of its commands channel waking every second instead of every minute: redis-py
        8 joins that thread when RQ stops it, and a thread that has seen the unsubscription waits its whole sleep
        for a new one, so a stop signal took up to a minute to end the worker."""
        self.log.info("Worker %s: subscribing to channel %s", self.name, self.pubsub_channel_name)  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        self.pubsub = self.connection.pubsub()  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        self.pubsub.subscribe(**{self.pubsub_channel_name: self.handle_payload})  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        self.pubsub_thread = self.pubsub.run_in_thread(
            sleep_time=PUBSUB_WAKE_SECONDS, daemon=True,
            exception_handler=self._pubsub_exception_handler)  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here

    def heartbeat(self, *args: Any, **kwargs: Any) -> None:
        """RQ's heartbeat, and a touch of MODERATION_WORKER_HEARTBEAT_FILE for a container's healthcheck."""
        super().heartbeat(*args, **kwargs)  # type: ignore[misc]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        beat = current().worker_heartbeat_file
        if beat:
            Path(beat).touch()

    stopping = False  # asked to stop by a signal (RQ's own flag is set only when a job is running)
    queues: list[Queue]  # RQ's: the queues the worker reads

    def request_stop(self, signum: int, frame: FrameType | None) -> None:
        self.stopping = True
        super().request_stop(signum, frame)  # type: ignore[misc]  # a mixin: RQ's worker class is the next base, unknown to mypy here

    def request_force_stop(self, signum: int, frame: FrameType | None) -> None:
        """A second stop signal: stop now, whenever it comes. RQ ignores one within a second of the first (meant
        for its worker pool, which we do not use), and fails the job it interrupts; ColdShutdown has the job's
        failure callback retry it instead."""
        self.log.warning("Worker %s: cold shut down", self.name)  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        if getattr(self, "horse_pid", 0):
            self.kill_horse()  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
            self.wait_for_horse()  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        raise ColdShutdown()

    def clean_registries(self) -> None:
        """RQ's maintenance over the queues that have jobs to clean, the others' worker sets apart (a worker reads
        every site's queue, and most are idle at any moment); then ours."""
        everything = self.queues
        active = with_registries(self.connection, everything)  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        self.queues = active
        try:
            super().clean_registries()  # type: ignore[misc]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        finally:
            self.queues = everything
        clean_worker_sets(self.connection, [q for q in everything if q not in active])  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
        requeue_lost(self.connection, older_than_seconds=screen_timeout(),  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
                     every_seconds=max(1, maintenance_seconds() - 1))
        settings = current()
        retention.sweep(text_twin(self.connection), pii_days=settings.pii_days,  # type: ignore[attr-defined]  # a mixin: RQ's worker class is the next base, unknown to mypy here
                        retention_days=settings.retention_days, every_seconds=RETENTION_EVERY_SECONDS)


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
        queues: tuple[str, ...] | None = None, role: str = "all") -> bool:
    """Work the queues until stopped, or in burst mode until they are empty, through Redis faults.

    Without `queues`, those of `role` on `redis_url` (REDIS_URL by default; a Redis of MODERATION_SHARDS is worked
    by workers of its own): every site's screening queue (the sites it holds, and any other a comment was queued
    in) and the deliveries. The queues take turns (RQ's round robin), so a flood on one site waits
    behind one job of each other site, never the other way round. RQ's loop ends on any error it does not expect,
    such as Redis going away while it records a job; then we wait for Redis and start a new worker, so a restart,
    a failover or a full memory never stops screening.
    """
    redis_url = redis_url or current().redis_url
    conn = rq_connection(redis_url)
    worked, faults = False, 0
    while True:
        worker, started, names = None, time.monotonic(), queues
        try:
            names = names if names is not None else known_queue_names(conn, current().sites_on(redis_url), role)
            worker = WORKER_CLASSES[worker_class](list(names), connection=conn)
            # The scheduler moves retries that wait (Retry intervals) back onto the queue.
            worked = worker.work(burst=burst, with_scheduler=True,
                                  dequeue_strategy=DequeueStrategy.ROUND_ROBIN) or worked
        except RedisError as err:  # before RQ's loop: naming the connection, registering the worker
            log.warning("worker could not start: %s", err)
        if getattr(worker, "stopping", False) or (burst and names is not None and _queues_empty(conn, names)):
            return worked
        # Until the next worker installs its own: a stop signal while we wait ends the process at once.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        faults = faults + 1 if time.monotonic() - started < 60 else 1  # back off while it keeps failing fast
        wait = RECONNECT_WAITS[min(faults, len(RECONNECT_WAITS)) - 1]
        log.warning("worker stopped on a fault; starting again in %s s", wait)
        time.sleep(wait)


def _queues_empty(conn: Any, queues: tuple[str, ...]) -> bool:
    """Whether a burst is done: nothing waits in any queue (unknown while Redis cannot be reached)."""
    try:
        return all(Queue(name, connection=conn).count == 0 for name in queues)
    except RedisError:
        return False


def main(*, burst: bool = False, worker_class: str = "simple", role: str = "screening",
         redis_url: str | None = None) -> None:
    """The worker command: JSON logs to stderr, then work until stopped.

    Screening and deliveries to the sites run in separate workers: a site whose endpoint hangs holds a delivery
    worker for one delivery's deadline, and never a screening worker.
    """
    try:
        settings = current()  # a bad variable stops the worker here, named
    except ConfigError as err:
        raise SystemExit(str(err)) from None
    logs.configure(settings.log_level)
    warm_up()  # a broken policy stops the worker here, before it waits for Redis
    run(burst=burst, worker_class=worker_class, role=role, redis_url=redis_url)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(prog="python -m workers.run", description="Run one worker against REDIS_URL.")
    parser.add_argument("role", nargs="?", choices=ROLES, default="screening")
    parser.add_argument("--burst", action="store_true", help="stop once the queue is empty")
    parser.add_argument("--worker-class", choices=["simple", "fork"], default="simple")
    parser.add_argument("--redis", help="the Redis to work (default REDIS_URL; or one of MODERATION_SHARDS)")
    args = parser.parse_args()
    main(role=args.role, burst=args.burst, worker_class=args.worker_class, redis_url=args.redis)
