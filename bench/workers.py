"""Worker throughput: RQ's forking Worker, SimpleWorker and WorkerPool, screening comments and on no-op jobs.

Each row runs N jobs through one worker class in burst mode against a redis-server of its
own ("fork-cold" is RQ's plain forking Worker, whose children each build the word index);
screening rows use real comments stored through the API's store, screened a batch per job. The ratio
column is comments screened per second over no-op jobs/s for the same class: our rate against RQ's
own rate for jobs that do nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rq import Queue, Worker
from rq.job import Job
from rq.registry import FinishedJobRegistry
from rq.worker_pool import WorkerPool

from bench import corpus
from moderation.cli.redisproc import RedisServer
from moderation.store.comments import CommentStore
from moderation.store.connections import rq_connection, text_twin
from moderation.store.keys import QUEUE_ALL, screening_queue_name
from workers.run import ForkingScreeningWorker, ScreeningWorker

SCREENING_QUEUE = screening_queue_name("demo")


def _fill(url: str, n: int, kind: str) -> None:
    conn = rq_connection(url)
    if kind == "noop":
        queue = Queue(SCREENING_QUEUE, connection=conn)
        with conn.pipeline() as pipe:
            for _ in range(n):
                queue.enqueue("tests.jobs.noop", pipeline=pipe)
            pipe.execute()
        return
    store = CommentStore(text_twin(conn))
    bodies = corpus.english(n // 2) + corpus.arabic(n - n // 2)
    for i, body in enumerate(bodies):
        store.create("demo", {"article": {"id": "a1", "url": "https://n.example/a1"},
                              "author": {"name": "R", "email": f"r{i}@example.com"}, "body": body},
                     raw_body=body.encode())


def _run(cls: str, url: str) -> None:
    conn = rq_connection(url)
    if cls == "pool":
        WorkerPool([SCREENING_QUEUE], connection=conn, num_workers=2, worker_class=ScreeningWorker).start(burst=True)
        return
    worker_class: Any = {"simple": ScreeningWorker, "fork": ForkingScreeningWorker, "fork-cold": Worker}[cls]
    worker_class([SCREENING_QUEUE], connection=conn).work(burst=True)


def _run_processes(w: int, url: str) -> None:
    """`w` worker processes started with RQ's own command and our worker class, in burst mode."""
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": str(root)}
    rq_bin = str(Path(sys.executable).parent / "rq")
    procs = [subprocess.Popen([rq_bin, "worker", "-w", "workers.run.ScreeningWorker", "--burst", "--url", url,
                               "-q", SCREENING_QUEUE], cwd=root, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(w)]
    for p in procs:
        p.wait(600)


def _jobs_per_second(kind: str, n: int, work: Callable[[str], None]) -> float:
    """No-op jobs, or comments screened, per second, `n` of them worked off by `work(redis_url)` against a Redis of
    their own: from the first job's start to the last one's end by RQ's own timestamps, so a worker process's
    start-up (the same for both kinds, and a second or so of the run on a busy machine) does not count. Comments
    are screened a batch per job, so their jobs are fewer than they."""
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp)).start()
        try:
            _fill(server.url, n, kind)
            work(server.url)
            conn = rq_connection(server.url)
            left = conn.llen(f"rq:queue:{SCREENING_QUEUE}")
            assert left == 0, f"{left} jobs left"
            queue = Queue(SCREENING_QUEUE, connection=conn)
            jobs = [j for j in Job.fetch_many(FinishedJobRegistry(queue=queue).get_job_ids(), conn) if j]
            done = len(jobs) if kind == "noop" else conn.zcard(QUEUE_ALL)
            assert done == n, f"{n - done} {'jobs' if kind == 'noop' else 'comments'} not done"
            first = min(j.started_at for j in jobs if j.started_at)
            last = max(j.ended_at for j in jobs if j.ended_at)
            return n / (last - first).total_seconds()
        finally:
            server.stop()


def measure(cls: str, kind: str, n: int) -> float:
    """Jobs per second for `n` jobs of `kind` through worker class `cls`, in this process."""
    return _jobs_per_second(kind, n, lambda url: _run(cls, url))


def processes(w: int, kind: str, n: int = 600) -> float:
    """Jobs per second with `w` worker processes (RQ's own command, our worker class), burst mode."""
    return _jobs_per_second(kind, n, lambda url: _run_processes(w, url))


def run(n: int = 300) -> list[dict[str, Any]]:
    rows = []
    for cls in ("fork-cold", "fork", "simple", "pool"):
        noop = measure(cls, "noop", n)
        screening = measure(cls, "screening", n)
        rows.append({"worker": cls, "noop_jobs_per_s": noop, "comments_screened_per_s": screening,
                     "ratio": screening / noop})
    return rows


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.jobs holds the no-op job
    print(f"{'worker':<8} {'no-op jobs/s':>13} {'comments/s':>17} {'ratio':>6}")
    for r in run():
        print(f"{r['worker']:<8} {r['noop_jobs_per_s']:>13.0f} {r['comments_screened_per_s']:>17.0f} "
              f"{r['ratio']:>6.2f}")

