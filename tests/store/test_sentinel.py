"""REDIS_URL through Sentinel: real sentinels promote the replica while comments arrive (issue 17, item 3). The
intake answers 202 or 503 (never a 500), every comment that got a 202 is on the new primary, and the workers,
also through Sentinel, screen them all."""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from redis.exceptions import ResponseError

from moderation.store.connections import accepts_writes
from tests.conftest import make_app, payload, submit, wait_for
from tests.redis_server import RedisServer, find_redis_server, free_port
from workers.run import run

SERVICE = "comments"


class Sentinels:
    """Three real sentinels watching one primary."""

    def __init__(self, folder: Path, primary_port: int) -> None:
        self.ports = [free_port() for _ in range(3)]
        self.procs = []
        for port in self.ports:
            conf = folder / f"sentinel-{port}.conf"
            conf.write_text(f"port {port}\nbind 127.0.0.1\ndir {folder}\n"
                            f"sentinel monitor {SERVICE} 127.0.0.1 {primary_port} 2\n"
                            f"sentinel down-after-milliseconds {SERVICE} 1000\n"
                            f"sentinel failover-timeout {SERVICE} 10000\n")
            self.procs.append(subprocess.Popen([find_redis_server(), str(conf), "--sentinel"],
                                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        self.client = Redis(port=self.ports[0], decode_responses=True)

    @property
    def url(self) -> str:
        return "redis+sentinel://" + ",".join(f"127.0.0.1:{p}" for p in self.ports) + f"/{SERVICE}"

    def primary_port(self) -> int:
        return int(self.client.execute_command("SENTINEL", "GET-MASTER-ADDR-BY-NAME", SERVICE)[1])

    def stop(self) -> None:
        for proc in self.procs:
            proc.kill()
            proc.wait(10)


@pytest.fixture()
def pair(tmp_path: Path) -> Iterator[tuple[RedisServer, RedisServer, Sentinels]]:
    primary = RedisServer(tmp_path / "primary", appendonly=True).start()
    replica = RedisServer(tmp_path / "replica", appendonly=True).start()
    Redis(port=replica.port).execute_command("REPLICAOF", "127.0.0.1", str(primary.port))
    wait_for(lambda: Redis(port=replica.port).info("replication").get("master_link_status") == "up", timeout=20)
    sentinels = Sentinels(tmp_path, primary.port)
    try:
        wait_for(lambda: _knows_replica(sentinels), timeout=30)
        yield primary, replica, sentinels
    finally:
        sentinels.stop()
        primary.kill()
        replica.kill()


def _knows_replica(sentinels: Sentinels) -> bool:
    """Whether the sentinel we ask to fail over sees a replica it may promote: linked to it, its link to the primary
    up, its INFO fresh (else SENTINEL FAILOVER answers NOGOODSLAVE)."""
    try:
        replicas = sentinels.client.sentinel_slaves(SERVICE)
    except Exception:
        return False
    return any(r.get("is_slave") and not r.get("is_sdown") and not r.get("is_disconnected")
               and r.get("master-link-status") == "ok" and int(r.get("info-refresh", 10**9)) < 5000 for r in replicas)


def _ask_failover(sentinels: Sentinels) -> bool:
    """SENTINEL FAILOVER; False while the sentinel has no replica it deems fit yet (asked again on the next comment)."""
    try:
        sentinels.client.execute_command("SENTINEL", "FAILOVER", SERVICE)
    except ResponseError as err:
        if "NOGOODSLAVE" not in str(err):
            raise
        return False
    return True


@pytest.mark.parametrize("as_shard", [False, True], ids=["REDIS_URL", "MODERATION_SHARDS"])
def test_a_sentinel_failover_while_comments_arrive_loses_nothing_that_got_a_202(
        pair: tuple[RedisServer, RedisServer, Sentinels], tmp_path: Path, as_shard: bool) -> None:
    """The Sentinel-watched primary as the one Redis, or as the Redis of site `demo` beside a plain REDIS_URL."""
    primary, replica, sentinels = pair
    home = RedisServer(tmp_path / "home").start() if as_shard else None
    config = {"SHARDS": {"demo": sentinels.url}} if home else {}
    client = make_app(home.url if home else sentinels.url, MIN_REPLICAS=1, REPLICA_WAIT_MS=500,
                      **config).test_client()
    accepted: dict[str, str] = {}
    statuses: list[int] = []
    i = after = 0
    asked = False
    deadline = time.monotonic() + 90
    while after < 30:
        i += 1
        r = submit(client, payload(f"comment {i}", author={"name": "R", "email": f"r{i}@example.com"},
                                   client={"ip": f"198.51.{i // 250 % 250}.{i % 250}"}),
                   idempotency_key=f"k{i}")
        statuses.append(r.status_code)
        if r.status_code == 202:
            accepted[f"k{i}"] = r.json["id"]
        if len(accepted) >= 30 and not asked and sentinels.primary_port() == primary.port:
            asked = _ask_failover(sentinels)
        if sentinels.primary_port() == replica.port:
            after += r.status_code == 202
        assert time.monotonic() < deadline, f"the failover never completed: {Counter(statuses)}"
    assert set(statuses) <= {202, 503}, statuses
    assert 503 in statuses  # the switch was seen, and answered as a retryable refusal
    promoted = Redis(port=replica.port, decode_responses=True)
    assert accepts_writes(promoted)
    assert all(promoted.exists(f"mod:comment:{cid}") for cid in accepted.values())
    run(burst=True, redis_url=sentinels.url, queues=("screening:demo",))
    states = [client.get(f"/v1/sites/demo/comments/{cid}").json["status"] for cid in accepted.values()]
    assert states == ["pending_review"] * len(accepted)
    if home:
        assert list(Redis(port=home.port).scan_iter("mod:comment:*")) == []
        home.stop()
