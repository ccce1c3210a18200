"""Fixtures: a real redis-server per test session, the Flask app on it, and real RQ workers in burst mode."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from moderation.settings import current
from moderation.signing import sign
from service import create_app
from tests.redis_server import RedisServer
from workers.run import run

SECRET = "demo-secret-Δ"
OTHER_SECRET = "other-secret"
ADMIN = "admin-token-of-the-tests-0123456789"
ADMIN_HEADERS = {"Authorization": f"Bearer {ADMIN}"}


# Modules that start servers, browsers or processes, or wait on timers and retries: `make check` leaves them out
# (with the tests marked slow one by one); `make test` and CI run everything.
SLOW_MODULES = {"test_browser", "test_make_run", "test_installed", "test_runbook", "test_worker_process",
                "test_server", "test_ops_cli", "test_schemathesis", "test_desk_scale", "test_delivery_deadline",
                "test_compose", "test_resilience", "test_sentinel", "test_idempotency_and_outage", "test_callbacks",
                "test_chaos"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def settings_of_this_test() -> Iterator[None]:
    """Workers in the test process read their settings once per process (settings.current); a test that changes
    the environment gets them read again, and the next test starts from the real environment."""
    current.cache_clear()
    yield
    current.cache_clear()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture()
def redis(redis_server: RedisServer) -> Iterator[Redis]:
    client = Redis.from_url(redis_server.url, decode_responses=True)
    client.flushall()
    yield client
    client.close()


def make_app(redis_url: str, **overrides: Any) -> Flask:
    return create_app({"REDIS_URL": redis_url, "SITES": {"demo": SECRET, "other": OTHER_SECRET},
                       "ADMIN_TOKEN": ADMIN, "TESTING": True, **overrides})


@pytest.fixture()
def app(redis: Redis, redis_server: RedisServer) -> Flask:
    return make_app(redis_server.url)


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture()
def work(redis_server: RedisServer) -> Any:
    """Run a real RQ worker in burst mode until the screening queue is empty."""

    def _work() -> None:
        run(burst=True, redis_url=redis_server.url)

    return _work


def payload(body: str = "A thoughtful comment about the article.", **changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "article": {"id": "article-1", "url": "https://news.example/article-1", "title": "Budget 2027"},
        "author": {"name": "Layla", "email": "layla@example.com"},
        "body": body,
        "client": {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"},
    }
    data.update(changes)
    return data


def submit(client: FlaskClient, data: Any = None, *, site: str = "demo", secret: str = SECRET,
           raw: bytes | None = None, timestamp: int | None = None, headers: dict[str, str] | None = None,
           idempotency_key: str | None = None) -> Any:
    """POST a comment signed the way a site's backend signs it."""
    body = raw if raw is not None else json.dumps(data if data is not None else payload()).encode()
    h = {"Content-Type": "application/json", "X-Signature": sign(secret, body, timestamp)}
    if idempotency_key:
        h["Idempotency-Key"] = idempotency_key
    h.update(headers or {})
    return client.post(f"/v1/sites/{site}/comments", data=body, headers=h)


def wait_for(predicate: Any, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def ready(port: int) -> bool:
    """Whether an API on this port answers /readyz with 200."""
    import urllib.request

    try:
        return bool(urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=1).status == 200)
    except OSError:
        return False


ROOT = Path(__file__).resolve().parent.parent
