"""Counters kept in Redis, so every gunicorn process and every worker adds to the same numbers."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from redis import Redis
from redis.client import Pipeline

from moderation.store import keys

INTAKE = keys.METRICS_INTAKE
DECISIONS = keys.METRICS_DECISIONS
SCREENING = keys.METRICS_SCREENING
WEBHOOKS = keys.METRICS_WEBHOOKS
SCREENING_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def count_intake(redis: Redis, status: int) -> None:
    """Count one intake response by status code."""
    redis.hincrby(INTAKE, str(status), 1)


def buckets(seconds: float) -> list[str]:
    """The screening histogram's fields one duration counts in (its buckets are cumulative)."""
    return [f"le_{bound}" for bound in SCREENING_BUCKETS if seconds <= bound]


def count_decision(pipe: Pipeline, action: str) -> None:
    """Count one moderator decision, inside the caller's transaction."""
    pipe.hincrby(DECISIONS, action, 1)


class RedisCollector:
    """The Prometheus collector over the counters above, the review queues and RQ's registries: each scrape reads
    the totals every process adds to, and writes nothing. With several Redis (MODERATION_SHARDS), counters and
    queues are summed over them, and each site's gauges read from its own."""

    def __init__(self, shards: Sequence[tuple[Redis, Redis, Iterable[str], tuple[str, ...]]]) -> None:
        """`shards`: each Redis's text client, RQ client, the sites it holds and the RQ queues to report."""
        self.shards = [(text, raw, tuple(sites), queues) for text, raw, sites, queues in shards]

    def collect(self) -> Iterator[Metric]:
        from rq import Queue
        from rq.registry import FailedJobRegistry

        totals: list[dict[str, int]] = [{}, {}, {}, {}]
        per_site: dict[str, list[Any]] = {}
        for text, _, sites, _ in self.shards:
            with text.pipeline(transaction=False) as pipe:
                for key in (INTAKE, DECISIONS, SCREENING, WEBHOOKS):
                    pipe.hgetall(key)
                for site in sites:
                    pipe.zcard(keys.site_queue_key(site))
                    pipe.zrange(keys.age_key(site), 0, 0, withscores=True)
                    pipe.zcard(keys.inbox_key(site))
                    pipe.zcard(keys.taken_key(site))
                *counters, found = _split(pipe.execute(), 4)
            for total, counts in zip(totals, counters, strict=True):
                for field, n in counts.items():
                    total[field] = total.get(field, 0) + int(n)
            for i, site in enumerate(sites):
                per_site[site] = found[4 * i:4 * i + 4]
        intake, decisions, screening, webhooks = totals
        yield _counter("moderation_intake_responses", "Intake responses by HTTP status.", "status", intake)
        yield _counter("moderation_decisions", "Moderator decisions by action.", "action", decisions)
        count = int(screening.get("count", 0))
        yield HistogramMetricFamily(
            "moderation_screening_seconds", "Time to screen one comment, Redis aside.",
            buckets=[*((str(b), int(screening.get(f"le_{b}", 0))) for b in SCREENING_BUCKETS), ("+Inf", count)],
            sum_value=int(screening.get("sum_us", 0)) / 1_000_000)
        yield _counter("moderation_webhook_deliveries", "Outgoing event delivery tries by outcome.", "outcome",
                       webhooks)
        now = time.time()
        depth = GaugeMetricFamily("moderation_pending_review", "Comments waiting for a moderator, per site.",
                                  labels=["site"])
        oldest = GaugeMetricFamily("moderation_oldest_pending_seconds",
                                   "Age of the oldest comment waiting for a moderator, per site.", labels=["site"])
        unscreened = GaugeMetricFamily("moderation_screening_waiting",
                                       "Comments waiting for screening, per site.", labels=["site"])
        for site in sorted(per_site):
            n, first, waiting_n, taken_n = per_site[site]
            depth.add_metric([site], int(n))
            oldest.add_metric([site], round(now - first[0][1] / 1000, 3) if first else 0)
            unscreened.add_metric([site], int(waiting_n) + int(taken_n))
        yield depth
        yield oldest
        yield unscreened
        waiting_jobs: dict[str, int] = {}
        failed_jobs: dict[str, int] = {}
        for _, raw, _, queues in self.shards:
            for queue in queues:
                waiting_jobs[queue] = waiting_jobs.get(queue, 0) + Queue(queue, connection=raw).count
                failed_jobs[queue] = failed_jobs.get(queue, 0) + FailedJobRegistry(queue, connection=raw).count
        waiting = GaugeMetricFamily("moderation_jobs_waiting", "Jobs not yet picked up by a worker, per queue.",
                                    labels=["queue"])
        failed = GaugeMetricFamily("moderation_failed_jobs", "Jobs in RQ's failed-job registry, per queue.",
                                   labels=["queue"])
        for queue in sorted(waiting_jobs):
            waiting.add_metric([queue], waiting_jobs[queue])
            failed.add_metric([queue], failed_jobs[queue])
        yield waiting
        yield failed


def _split(replies: list[Any], head: int) -> list[Any]:
    """The first `head` replies, then the rest as one list."""
    return [*replies[:head], replies[head:]]


def _counter(name: str, doc: str, label: str, counts: dict[str, int]) -> CounterMetricFamily:
    family = CounterMetricFamily(name, doc, labels=[label])
    for value, n in sorted(counts.items()):
        family.add_metric([value], int(n))
    return family
