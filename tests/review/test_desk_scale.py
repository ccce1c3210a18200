"""The desk's calls that grew with the data (issue 13, finding 10): counted in Redis's own command statistics."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from redis import Redis

from bench.queue_scale import fill
from tests.conftest import ADMIN_HEADERS


def calls(redis: Redis) -> dict[str, int]:
    return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in redis.info("commandstats").items()}


def test_stats_scan_no_keys(client: FlaskClient, redis: Redis) -> None:
    fill(redis, 3000)
    redis.config_resetstat()
    assert client.get("/v1/moderation/stats", headers=ADMIN_HEADERS).status_code == 200
    used = calls(redis)
    assert not {"scan", "keys"} & set(used), used


def test_a_filtered_claim_that_matches_nothing_looks_at_a_bounded_part_of_the_queue(client: FlaskClient,
                                                                                    redis: Redis) -> Any:
    from moderation.review.desk import CLAIM_SCAN

    fill(redis, 40_000)  # four sites; a third flagged 'link' (medium), a third 'profanity' (high): never both
    redis.config_resetstat()
    r = client.post("/v1/moderation/claims", headers=ADMIN_HEADERS,
                    json={"limit": 20, "site": "site1", "flag": "link", "severity": "high"})
    assert r.status_code == 200 and r.json["items"] == []
    used = calls(redis)
    assert used.get("zscore", 0) <= 2 * CLAIM_SCAN, used  # not one per pending comment of the walked index
    assert used.get("zrange", 0) <= CLAIM_SCAN // 200 + 1, used
