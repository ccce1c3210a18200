"""Bad input at volume: schemathesis generates requests from /openapi.json; none may get a 5xx, and every
response must match the document."""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from moderation.cli.redisproc import RedisServer
from tests.conftest import ADMIN, make_app

_server: RedisServer | None = None


def _app() -> Any:
    import tempfile
    from pathlib import Path

    global _server
    if _server is None:
        _server = RedisServer(Path(tempfile.mkdtemp()) / "redis").start()
    return make_app(_server.url)


schema = schemathesis.openapi.from_wsgi("/openapi.json", _app())


@schema.parametrize()
@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_no_5xx_and_every_response_matches_the_document(case: Any) -> None:
    response = case.call(headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code < 500, response.text
    case.validate_response(response, checks=(schemathesis.checks.not_a_server_error,
                                             schemathesis.checks.response_schema_conformance,
                                             schemathesis.checks.status_code_conformance))


@pytest.fixture(scope="module", autouse=True)
def _stop_server() -> Any:
    yield
    if _server is not None:
        _server.stop()
