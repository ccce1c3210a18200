"""Jobs used only by the tests (importable by a worker process started with PYTHONPATH at the project root)."""

from __future__ import annotations

import time

from rq import get_current_job


def slow(key: str, seconds: float) -> str:
    """Sleep, then leave a mark: shows whether a stopping worker let the job finish."""
    time.sleep(seconds)
    job = get_current_job()
    assert job is not None
    job.connection.set(key, "finished")
    return "finished"


def noop() -> None:
    """The cheapest job there is: the baseline for worker throughput."""
