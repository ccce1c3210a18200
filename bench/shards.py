"""What spreading sites over N Redis (MODERATION_SHARDS) buys and costs: 8 sites, 2,000 comments, spread over 1, 2
and 4 Redis servers, each screened by its own worker. Reported per N: the busiest Redis's share of all Redis CPU
(intake and screening; 1.0 with one Redis: what one primary must carry), and the desk's reads that span every
Redis (a queue page of 50 over all sites; a claim of 10), each against the same with one Redis.
`python -m bench.shards`."""

from __future__ import annotations

import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rq import Queue
from rq.worker import DequeueStrategy

from bench import corpus
from bench.redis_cost import _reading
from moderation.accounts import Moderator
from moderation.cli.redisproc import RedisServer
from moderation.review.desk import Desk
from moderation.review.spread import ShardedDesk
from moderation.settings import Settings
from moderation.store.comments import CommentStore
from moderation.store.keys import WEBHOOK_QUEUE, screening_queue_name
from moderation.store.shards import ShardedStore, open_shards
from workers.run import ScreeningWorker

SITES = [f"s{i}" for i in range(8)]


def _timed(call: Any, rounds: int = 30) -> float:
    """Median seconds of `call`."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure(n_redis: int, n: int = 2000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        servers = [RedisServer(Path(tmp) / str(i)).start() for i in range(n_redis)]
        try:
            settings = Settings.load({}, overrides={
                "REDIS_URL": servers[0].url, "SITES": {s: "secret" for s in SITES},
                "SHARDS": {s: servers[i % n_redis].url for i, s in enumerate(SITES) if i % n_redis}})
            shards = open_shards(settings)
            store = ShardedStore(shards, lambda s: CommentStore(s.text), settings.shard_url)
            desk = ShardedDesk(shards, lambda s: Desk(s.text, webhook_queue=Queue(WEBHOOK_QUEUE, connection=s.raw)),
                               settings.shard_url)
            before = [_reading(s.raw) for s in shards]
            bodies = corpus.english(n // 2) + corpus.arabic(n - n // 2)
            for i, body in enumerate(bodies):
                site = SITES[i % len(SITES)]
                store.for_site(site).create(site, {"article": {"id": "a1", "url": "https://n.example/a"},
                                                   "author": {"name": "R", "email": f"r{i}@example.com"},
                                                   "body": body}, raw_body=b"{}")
            for shard in shards:
                ScreeningWorker([screening_queue_name(s) for s in shard.sites], connection=shard.raw).work(
                    burst=True, dequeue_strategy=DequeueStrategy.ROUND_ROBIN)
            cpu = [after[1] - start[1] for after, start in zip((_reading(s.raw) for s in shards), before,
                                                               strict=True)]
            assert len(store.queue_page(limit=n)[0]) == n, "not every comment was screened"
            page = _timed(lambda: store.queue_page(limit=50))
            admin = Moderator("bench", "admin")

            def claim() -> None:
                desk.release(admin, desk.claim(admin, 10))

            return {"redis": n_redis, "busiest_cpu_share": max(cpu) / sum(cpu), "page_ms": page * 1000,
                    "claim_ms": _timed(claim) * 1000}
        finally:
            for server in servers:
                server.stop()


def run() -> list[dict[str, Any]]:
    return [measure(n) for n in (1, 2, 4)]


if __name__ == "__main__":
    import logging

    logging.disable(logging.INFO)
    print(json.dumps(run(), indent=2))
