"""A fixed-window request counter in Redis: how many calls one caller made in the current second."""

from __future__ import annotations

import time

from redis import Redis

from moderation.errors import RateLimited
from moderation.store.keys import rate_key


def take(redis: Redis, scope: str, caller: str, per_second: int) -> None:
    """Count one call; past `per_second` calls in this second, a 429 with Retry-After: 1."""
    window = int(time.time())
    name = rate_key(scope, caller, window)
    pipe = redis.pipeline(transaction=False)
    pipe.incr(name)
    pipe.expire(name, 2)
    count, _ = pipe.execute()
    if int(count) > per_second:
        raise RateLimited(f"More than {per_second} requests a second with this key; slow down.", retry_after=1)
