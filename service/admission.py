"""Refusing work fast once a process has as much as it can do: a 503 in milliseconds, not a timeout.

Past capacity, requests used to wait (for a thread, a Redis connection, the CPU) until their client gave up, and
many were stored after it had. Now each API process lets a bounded number of comments in at once; one that cannot
get in within a short wait, or that is still not ready to store after its deadline, is refused with 503
`overloaded` and `Retry-After`, before anything is written.
"""

from __future__ import annotations

import json
import threading  # gevent's workers patch it: a waiting request yields, it does not block the process
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from moderation.errors import Overloaded
from service.gunicorn_worker import arrived as _arrived

StartResponse = Callable[..., Any]
_OVERLOADED = json.dumps({"error": "overloaded", "message": "The service is at capacity; try again in a moment."}
                         ).encode()


def arrival() -> float:
    """When the current request reached this process: noted by our gunicorn worker, else now (tests, other
    servers)."""
    return _arrived() or time.monotonic()


class Shed:
    """WSGI middleware: a request that already waited `after` seconds to be served is answered 503 at once, with
    nothing read or written (the cheapest answer there is, so a process under a burst keeps up with refusing)."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]], after: float) -> None:
        self.app, self.after = app, after

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        came, now = arrival(), time.monotonic()
        environ["moderation.arrived"], environ["moderation.started"] = came, now
        if now - came > self.after:
            start_response("503 Service Unavailable", [("Content-Type", "application/json"), ("Retry-After", "1"),
                                                       ("Content-Length", str(len(_OVERLOADED)))])
            return [_OVERLOADED]
        return self.app(environ, start_response)


class Admission:
    """At most `limit` requests inside at once; a request waits at most `wait` seconds to get in."""

    def __init__(self, limit: int, wait: float, deadline: float) -> None:
        self.slots = threading.BoundedSemaphore(limit)
        self.wait = wait
        self.deadline = deadline

    @contextmanager
    def enter(self, arrived: float | None = None) -> Iterator[float]:
        """Hold a slot; yields the monotonic time by which the request (arrived then) must be stored, or be
        refused."""
        started = arrived if arrived is not None else time.monotonic()
        if not self.slots.acquire(timeout=self.wait):
            raise Overloaded("The service is at capacity; try again in a moment.", retry_after=1)
        try:
            yield started + self.deadline
        finally:
            self.slots.release()
