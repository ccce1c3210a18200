"""What one comment costs Redis: commands and CPU for the intake and for screening, against RQ's own no-op job
(enqueued and worked) in the same run, with a backlog (comments screened a batch of 100 per job) and one at a
time (a batch of one each); and Redis bytes per comment at steady state with retention on.

Each side runs against a Redis of its own, read through INFO commandstats (calls) and INFO cpu (used_cpu_sys +
used_cpu_user) before and after. `python -m bench.redis_cost`.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from redis import Redis
from rq import Queue

from bench import corpus
from moderation import retention
from moderation.accounts import Moderator
from moderation.cli.redisproc import RedisServer
from moderation.review.desk import Desk
from moderation.store.comments import CommentStore
from moderation.store.connections import rq_connection, text_twin
from moderation.store.keys import QUEUE_ALL, WEBHOOK_QUEUE, screening_queue_name
from workers.run import ScreeningWorker

SITE = "demo"


def _reading(conn: Redis) -> tuple[int, float]:
    """Commands Redis has run (INFO itself aside) and the CPU seconds it has used."""
    stats: dict[str, Any] = conn.info("commandstats")
    calls = sum(int(v["calls"]) for k, v in stats.items() if k != "cmdstat_info")
    cpu: dict[str, Any] = conn.info("cpu")
    return calls, float(cpu["used_cpu_sys"]) + float(cpu["used_cpu_user"])


class _Meter:
    """Commands and CPU microseconds per item between `start` and `stop`."""

    def __init__(self, conn: Redis) -> None:
        self.conn = conn
        conn.config_resetstat()
        self.calls, self.cpu = _reading(conn)

    def per(self, n: int) -> dict[str, float]:
        calls, cpu = _reading(self.conn)
        return {"commands": (calls - self.calls) / n, "cpu_us": (cpu - self.cpu) * 1e6 / n}


def _noop(url: str, n: int) -> dict[str, dict[str, float]]:
    conn = rq_connection(url)
    queue = Queue("noop", connection=conn)
    meter = _Meter(conn)
    for _ in range(n):
        queue.enqueue("tests.jobs.noop")
    enqueue = meter.per(n)
    meter = _Meter(conn)
    ScreeningWorker(["noop"], connection=conn).work(burst=True)
    return {"enqueue": enqueue, "work": meter.per(n)}


def _ours(url: str, n: int) -> tuple[dict[str, dict[str, float]], CommentStore, list[str]]:
    conn = rq_connection(url)
    store = CommentStore(text_twin(conn))
    bodies = corpus.english(n // 2) + corpus.arabic(n - n // 2)
    meter = _Meter(conn)
    ids = [store.create(SITE, {"article": {"id": f"a{i % 50}", "url": "https://n.example/a"},
                               "author": {"name": "R", "email": f"r{i}@example.com"}, "body": body,
                               "client": {"ip": f"198.51.{i // 250 % 250}.{i % 250}", "user_agent": "UA/1"}},
                        raw_body=body.encode()).comment_id for i, body in enumerate(bodies)]
    intake = meter.per(n)
    meter = _Meter(conn)
    ScreeningWorker([screening_queue_name(SITE)], connection=conn).work(burst=True)
    return {"intake": intake, "screening": meter.per(n)}, store, ids


def _trickle(url: str, n: int = 100, per_second: float = 20) -> dict[str, float]:
    """Commands and CPU per comment when comments come one at a time (`per_second`) to a running `moderation
    worker`, so each is a batch of one: what a quiet site costs. The worker's idle cost, measured for as long
    again afterwards, is taken out."""
    conn = rq_connection(url)
    store = CommentStore(text_twin(conn))
    env = {**os.environ, "REDIS_URL": url, "MODERATION_SITES": f"{SITE}:bench-secret-0123456789"}
    worker = subprocess.Popen([str(Path(sys.executable).parent / "moderation"), "worker"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not conn.smembers("rq:workers"):
            time.sleep(0.1)
        calls, cpu = _reading(conn)
        started = time.monotonic()
        for i in range(n):
            store.create(SITE, {"article": {"id": "a1", "url": "https://n.example/a"},
                                "author": {"name": "R", "email": f"q{i}@example.com"}, "body": f"a calm remark {i}"},
                         raw_body=b"{}")
            time.sleep(1 / per_second)
        while conn.zcard(QUEUE_ALL) < n:
            time.sleep(0.05)
        busy_calls, busy_cpu = _reading(conn)
        time.sleep(time.monotonic() - started)
        idle_calls, idle_cpu = _reading(conn)
    finally:
        worker.terminate()
        worker.wait(60)
    return {"commands": ((busy_calls - calls) - (idle_calls - busy_calls)) / n,
            "cpu_us": ((busy_cpu - cpu) - (idle_cpu - busy_cpu)) * 1e6 / n}


def _bytes_per_comment(url: str, store: CommentStore, ids: list[str]) -> dict[str, float]:
    """Memory per comment once decided (7 in 10 published, 3 rejected) and what expires has expired, then after
    retention: at 31 days (personal data erased) and at 91 (rejected ones deleted)."""
    conn = rq_connection(url)
    text = text_twin(conn)
    desk = Desk(text, webhook_queue=Queue(WEBHOOK_QUEUE, connection=conn))
    admin = Moderator("bench", "admin")
    for i, cid in enumerate(ids):
        desk.decide(cid, action="reject" if i % 10 < 3 else "approve", reason="abuse" if i % 10 < 3 else None,
                    moderator=admin)

    def used() -> float:
        """Memory once what expires has: RQ's job records and results (kept 500 s), and our keys with a TTL
        (duplicate fingerprints, address windows, request records), which the rate bounds, not the comments kept."""
        doomed = [k for k in conn.scan_iter("rq:*", count=1000)]
        doomed += [k for k in conn.scan_iter("mod:*", count=1000) if conn.ttl(k) > 0]
        for start in range(0, len(doomed), 1000):
            conn.delete(*doomed[start:start + 1000])
        return float(sum(conn.memory_usage(k) or 0 for k in conn.scan_iter(count=1000)))  # MEMORY USAGE, per key

    decided = used()
    now = time.time()
    retention.sweep(text, pii_days=30, retention_days=90, now_ms=int((now + 31 * 86400) * 1000))
    erased = used()
    retention.sweep(text, pii_days=30, retention_days=90, now_ms=int((now + 91 * 86400) * 1000))
    kept = used()
    return {"decided": decided, "after_pii_days": erased, "after_retention_days": kept}


def run(n: int = 2000) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        base_server = RedisServer(Path(tmp) / "noop").start()
        ours_server = RedisServer(Path(tmp) / "ours").start()
        quiet_server = RedisServer(Path(tmp) / "quiet").start()
        try:
            noop = _noop(base_server.url, n)
            ours, store, ids = _ours(ours_server.url, n)
            memory = {k: v / n for k, v in _bytes_per_comment(ours_server.url, store, ids).items()}
            trickle = _trickle(quiet_server.url)
        finally:
            base_server.stop()
            ours_server.stop()
            quiet_server.stop()
    rq_total = {k: noop["enqueue"][k] + noop["work"][k] for k in ("commands", "cpu_us")}
    ours_total = {k: ours["intake"][k] + ours["screening"][k] for k in ("commands", "cpu_us")}
    return {"n": n, "rq_noop": noop, "ours": ours, "rq_noop_total": rq_total, "ours_total": ours_total,
            "one_at_a_time": trickle, "bytes_per_comment": memory}


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
