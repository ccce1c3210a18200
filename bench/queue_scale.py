"""The desk with a million pending comments: list a page, claim 20 (with filters too), decide one, count, the stats;
Redis memory per comment.

The comments are written straight into the data model in pipelined batches (the same hash and
indexes screening writes), so filling takes about a minute instead of an hour of HTTP.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rq import Queue

from moderation.accounts import Moderator
from moderation.cli.redisproc import RedisServer
from moderation.publishing import PublicLists
from moderation.review.desk import Desk
from moderation.store.comments import Comment, CommentStore, now_ms
from moderation.store.connections import rq_connection, text_twin
from moderation.store.keys import WEBHOOK_QUEUE, comment_key

FLAGS = [[], [{"code": "link", "severity": "medium", "message": "Contains 1 link(s).",
               "evidence": [{"start": 10, "end": 22, "text": "www.spam.com"}]}],
         [{"code": "profanity", "severity": "high", "message": "Offensive words (1): idiot.",
           "evidence": [{"start": 4, "end": 9, "text": "idiot"}]}]]


def fill(redis: Any, n: int, batch: int = 5000) -> None:
    import json

    base = now_ms() - n
    for start in range(0, n, batch):
        with redis.pipeline(transaction=False) as pipe:
            for i in range(start, min(n, start + batch)):
                flags = FLAGS[i % 3]
                c = Comment(id=f"{base + i:011x}{i:010x}", site=f"site{i % 4}", article_id=f"article-{i % 5000}",
                            article_url="https://news.example/a", author_name="Reader",
                            author_email=f"reader{i % 200000}@example.com",
                            body="A comment of ordinary length about the article, with an opinion or two. " * 3,
                            status="pending_review", created_ms=base + i, flags=flags, risk=[0, 27, 52][i % 3])
                h = c.to_hash()
                h.update({"flags": json.dumps(flags), "risk": str(c.risk), "screened_ms": str(base + i)})
                pipe.hset(comment_key(c.id), mapping=h)
                c.enqueue_for_review(pipe)
            pipe.execute()


def timed(fn: Any, repeat: int = 20) -> float:
    """Median milliseconds of `fn()`."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def run(n: int = 1_000_000) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        server = RedisServer(Path(tmp) / "redis").start()
        try:
            raw = rq_connection(server.url)
            redis = text_twin(raw)
            empty = int(redis.info("memory")["used_memory"])
            started = time.perf_counter()
            fill(redis, n)
            fill_s = time.perf_counter() - started
            per_comment = (int(redis.info("memory")["used_memory"]) - empty) / n
            store = CommentStore(redis)
            desk = Desk(redis, webhook_queue=Queue(WEBHOOK_QUEUE, connection=raw))
            who = Moderator("bench", "moderator")
            page = timed(lambda: store.queue_page(limit=50))
            site_page = timed(lambda: store.queue_page(limit=50, site="site1", flag="link"))
            claim = timed(lambda: desk.claim(who, 20), repeat=10)
            # Filtered: site1 with profanity is 1 comment in 12; site1 with no flag at all...: none has both.
            filtered_claim = timed(lambda: desk.claim(who, 20, site="site1", flag="profanity"), repeat=10)
            empty_claim = timed(lambda: desk.claim(who, 20, site="site1", flag="no-such-flag", severity="high"),
                                repeat=10)
            ids = iter(store.queue_page(limit=200)[0])
            decide = timed(lambda: desk.decide(next(ids).id, action="approve", moderator=Moderator("admin", "admin")))
            count = timed(lambda: PublicLists(store).count("site0", "article-0"))
            stats = timed(lambda: desk.stats([f"site{i}" for i in range(4)]), repeat=10)
            return {"pending": n, "fill_seconds": fill_s, "bytes_per_comment": per_comment,
                    "queue_page_50_ms": page, "filtered_page_50_ms": site_page, "claim_20_ms": claim,
                    "filtered_claim_20_ms": filtered_claim, "unmatched_claim_ms": empty_claim,
                    "decision_ms": decide, "public_count_ms": count, "stats_ms": stats}
        finally:
            server.stop()


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000), indent=2))
