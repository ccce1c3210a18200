"""Counters kept in Redis, so every gunicorn process and every worker adds to the same numbers."""

from __future__ import annotations

from redis import Redis
from redis.client import Pipeline

INTAKE = "mod:metrics:intake"  # hash: HTTP status -> responses
DECISIONS = "mod:metrics:decisions"  # hash: action -> decisions
SCREENING = "mod:metrics:screening"  # hash: count, sum_us, le_<seconds> buckets
WEBHOOKS = "mod:metrics:webhooks"  # hash: delivered, retried, dead -> count
SCREENING_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)


def count_intake(redis: Redis, status: int) -> None:
    """Count one intake response by status code."""
    redis.hincrby(INTAKE, str(status), 1)


def observe_screening(pipe: Pipeline, seconds: float) -> None:
    """Add one screening duration to the histogram, inside the caller's transaction."""
    pipe.hincrby(SCREENING, "count", 1)
    pipe.hincrby(SCREENING, "sum_us", int(seconds * 1_000_000))
    for bound in SCREENING_BUCKETS:
        if seconds <= bound:
            pipe.hincrby(SCREENING, f"le_{bound}", 1)


def count_decision(pipe: Pipeline, action: str) -> None:
    """Count one moderator decision, inside the caller's transaction."""
    pipe.hincrby(DECISIONS, action, 1)
