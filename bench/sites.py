"""What many sites cost: one worker reading 100, 1,000 or 5,000 site queues screens 3,000 comments spread over 100
of them: comments per second, Redis commands and CPU per comment, and apart, RQ's maintenance over every queue's
registries (run as a worker starts, then once a maintenance period). `python -m bench.sites`."""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path
from typing import Any

from rq.worker import DequeueStrategy

from bench import corpus
from bench.redis_cost import _reading
from moderation.cli.redisproc import RedisServer
from moderation.store.comments import CommentStore
from moderation.store.connections import rq_connection, text_twin
from moderation.store.keys import QUEUE_ALL, screening_queue_name
from workers.run import ScreeningWorker


def measure(n_sites: int, n: int = 3000, busy_sites: int = 100) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp)).start()
        try:
            conn = rq_connection(server.url)
            store = CommentStore(text_twin(conn))
            sites = [f"s{i}" for i in range(n_sites)]
            bodies = corpus.english(n // 2) + corpus.arabic(n - n // 2)
            for i, body in enumerate(bodies):
                store.create(sites[i % min(busy_sites, n_sites)],
                             {"article": {"id": "a1", "url": "https://n.example/a"},
                              "author": {"name": "R", "email": f"r{i}@example.com"}, "body": body},
                             raw_body=b"{}")
            worker = ScreeningWorker([screening_queue_name(s) for s in sites], connection=conn)
            # RQ's maintenance, which a worker runs as it starts and then once a maintenance period, apart.
            calls, cpu = _reading(conn)
            started = time.perf_counter()
            worker.clean_registries()
            maintenance = time.perf_counter() - started
            cleaned_calls, cleaned_cpu = _reading(conn)
            started = time.perf_counter()
            worker.work(burst=True, dequeue_strategy=DequeueStrategy.ROUND_ROBIN)
            seconds = time.perf_counter() - started
            after_calls, after_cpu = _reading(conn)
            assert conn.zcard(QUEUE_ALL) == n, "not every comment was screened"
            return {"sites": n_sites, "per_second": n / seconds, "commands": (after_calls - cleaned_calls) / n,
                    "cpu_us": (after_cpu - cleaned_cpu) * 1e6 / n, "maintenance_seconds": maintenance,
                    "maintenance_commands": cleaned_calls - calls, "maintenance_cpu_s": cleaned_cpu - cpu}
        finally:
            server.stop()


def run() -> list[dict[str, Any]]:
    return [measure(n) for n in (100, 1000, 5000)]


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    print(json.dumps(run(), indent=2))
