"""Operations endpoints: health, readiness, metrics and the generated OpenAPI document."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from moderation.schemas import CommentIn, DecisionIn
from moderation.store.keys import depth_series_key
from tests.conftest import ADMIN_HEADERS, make_app, payload, submit
from tests.redis_server import RedisServer


def test_healthz_and_readyz(client: FlaskClient) -> None:
    assert client.get("/healthz").json == {"status": "ok"}
    assert client.get("/readyz").json == {"status": "ready"}


def test_readyz_is_not_ready_on_a_read_only_replica_and_the_intake_answers_503(
        redis: Redis, redis_server: RedisServer, tmp_path: Path) -> None:
    replica = RedisServer(tmp_path / "replica").start()
    try:
        Redis.from_url(replica.url).execute_command("REPLICAOF", "127.0.0.1", str(redis_server.port))
        client = make_app(replica.url).test_client()
        r = client.get("/readyz")
        assert (r.status_code, r.json["error"]) == (503, "unavailable") and "replica" in r.json["message"]
        refused = submit(client, payload("to a replica"))
        assert refused.status_code == 503 and "Retry-After" in refused.headers
        Redis.from_url(replica.url).execute_command("REPLICAOF", "NO", "ONE")  # promoted
        assert client.get("/readyz").status_code == 200
        assert submit(client, payload("to the new primary")).status_code == 202
    finally:
        replica.kill()


def _metric(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{line_start} not in metrics")


def test_metrics_count_intake_screening_and_decisions(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"comment {i}")).json["id"] for i in range(3)]
    submit(client, site="demo", secret="wrong")
    before = client.get("/metrics").get_data(as_text=True)
    assert _metric(before, 'moderation_screening_waiting{site="demo"}') == 3
    assert _metric(before, 'moderation_jobs_waiting{queue="screening:demo"}') == 1  # one batch job for all three
    work()
    client.post(f"/v1/moderation/comments/{ids[0]}/decision", headers=ADMIN_HEADERS, json={"action": "reject"})
    r = client.get("/metrics")
    assert r.mimetype == "text/plain"
    text = r.get_data(as_text=True)
    assert _metric(text, 'moderation_intake_responses_total{status="202"}') == 3
    assert _metric(text, 'moderation_intake_responses_total{status="401"}') == 1
    assert _metric(text, "moderation_screening_seconds_count") == 3
    assert _metric(text, 'moderation_screening_seconds_bucket{le="+Inf"}') == 3
    assert _metric(text, 'moderation_decisions_total{action="reject"}') == 1
    assert _metric(text, 'moderation_pending_review{site="demo"}') == 2
    assert _metric(text, 'moderation_pending_review{site="other"}') == 0
    assert _metric(text, 'moderation_failed_jobs{queue="screening:demo"}') == 0
    assert _metric(text, 'moderation_failed_jobs{queue="webhooks"}') == 0
    assert _metric(text, 'moderation_jobs_waiting{queue="screening:demo"}') == 0
    assert _metric(text, 'moderation_screening_waiting{site="demo"}') == 0
    assert 0 < _metric(text, 'moderation_oldest_pending_seconds{site="demo"}') < 60
    assert _metric(text, 'moderation_oldest_pending_seconds{site="other"}') == 0


def test_openapi_is_generated_from_the_schemas(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json
    assert spec["openapi"].startswith("3.")
    schemas = spec["components"]["schemas"]
    assert set(schemas["CommentIn"]["properties"]) == set(CommentIn().fields)
    assert set(schemas["DecisionIn"]["properties"]) == set(DecisionIn().fields)
    assert schemas["CommentIn"]["additionalProperties"] is False
    assert schemas["AuthorIn"]["properties"]["name"]["maxLength"] == 50
    assert schemas["CommentIn"]["properties"]["body"]["maxLength"] == 1500
    intake = spec["paths"]["/v1/sites/{site}/comments"]["post"]
    assert set(intake["responses"]) >= {"202", "400", "401", "404", "409", "413", "415", "422", "503"}
    assert {p["name"] for p in intake["parameters"]} >= {"site", "X-Signature", "Idempotency-Key"}
    queue = spec["paths"]["/v1/moderation/queue"]["get"]
    assert queue["security"] == [{"bearer": []}]
    assert {p["name"] for p in queue["parameters"]} >= {"site", "article_id", "flag", "limit", "cursor"}


def test_every_route_is_in_the_openapi_document(app: Flask, client: FlaskClient) -> None:
    import re

    spec_paths = client.get("/openapi.json").json["paths"]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.startswith("desk."):
            continue  # the desk's HTML pages are not part of the JSON API
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}:
            assert method.lower() in spec_paths.get(path, {}), f"{method} {path} is not documented"


def test_every_intake_refusal_is_counted_with_the_status_the_site_received(client: FlaskClient) -> None:
    answers = [
        submit(client, idempotency_key="k1").status_code,  # 202, counted with its comment
        submit(client, idempotency_key="k1").status_code,  # 202 again: a replay
        submit(client, site="nosuch").status_code,  # 404
        submit(client, payload("")).status_code,  # 422
        submit(client, raw=b"{not json").status_code,  # 400
        submit(client, raw=b"x" * (65 * 1024)).status_code,  # 413
        client.post("/v1/sites/demo/comments", data="body", content_type="text/plain").status_code,  # 415
    ]
    assert answers == [202, 202, 404, 422, 400, 413, 415]
    text = client.get("/metrics").get_data(as_text=True)
    for status, count in {202: 2, 404: 1, 422: 1, 400: 1, 413: 1, 415: 1}.items():
        assert _metric(text, f'moderation_intake_responses_total{{status="{status}"}}') == count, status


@pytest.mark.parametrize("token", ["x", "a" * 31])
def test_start_up_refuses_a_short_admin_token(redis_server: Any, token: str) -> None:
    """Issue 13, finding 13: a one-character admin token was accepted."""
    from moderation.settings import ConfigError, Settings
    from service import create_app

    with pytest.raises(ConfigError, match="MODERATION_ADMIN_TOKEN must be at least 32"):
        create_app({"REDIS_URL": redis_server.url, "ADMIN_TOKEN": token, "TESTING": True})
    with pytest.raises(ConfigError, match="MODERATION_ADMIN_TOKEN"):
        Settings.load({"MODERATION_ADMIN_TOKEN": token})
    assert Settings.load({"MODERATION_ADMIN_TOKEN": "a" * 32}).admin_token == "a" * 32


def test_metrics_can_require_a_token(redis_server: Any, redis: Any) -> None:
    """Issue 13, finding 13: /metrics was public and named every site."""
    from tests.conftest import make_app

    client = make_app(redis_server.url, METRICS_TOKEN="m" * 32).test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, ADMIN_HEADERS):
        r = client.get("/metrics", headers=headers)
        assert r.status_code == 401 and r.json["error"] == "unauthorized"
    r = client.get("/metrics", headers={"Authorization": f"Bearer {'m' * 32}"})
    assert r.status_code == 200 and "moderation_pending_review" in r.get_data(as_text=True)


def test_reading_metrics_writes_nothing(client: FlaskClient, redis: Redis) -> None:
    """Issue 16: GET /metrics wrote the desk's depth sample to Redis on every scrape."""
    submit(client)
    minute = int(time.time()) // 60
    redis.delete(depth_series_key(minute), depth_series_key(minute + 1))  # as at a minute's start: nothing sampled
    before = redis.info("persistence")["rdb_changes_since_last_save"]
    text = client.get("/metrics").get_data(as_text=True)
    assert "# TYPE moderation_intake_responses_total counter" in text
    assert redis.info("persistence")["rdb_changes_since_last_save"] == before
