"""The intake writes each screening job itself, in its script: Redis must then hold what RQ's enqueue writes
(the call compressed with a smaller window: the same once decompressed, as RQ reads it)."""

from __future__ import annotations

import pickle
import zlib
from typing import Any, cast

from flask.testing import FlaskClient
from redis import Redis
from rq.job import Job, JobStatus
from rq.utils import utcparse

from moderation.store import queues
from moderation.store.connections import rq_connection
from tests.conftest import OTHER_SECRET, make_app, payload, submit
from tests.redis_server import RedisServer
from workers.jobs import retry_only_transient

TIMES = ("created_at", "enqueued_at")


def rq_state(raw: Redis) -> dict[str, Any]:
    """Every RQ key with its contents; the job's times and request id are checked apart, being of their moment."""
    state: dict[str, Any] = {}
    for key in sorted(raw.scan_iter("rq:*")):
        kind = raw.type(key)
        if kind == b"hash":
            fields = raw.hgetall(key)
            for name in (*TIMES, "meta"):
                fields.pop(name.encode(), None)
            if b"data" in fields:  # the call, compressed; RQ reads it with zlib.decompress
                fields[b"data"] = zlib.decompress(cast(bytes, fields[b"data"]))
            state[key] = fields
        elif kind == b"list":
            state[key] = raw.lrange(key, 0, -1)
        elif kind == b"set":
            state[key] = raw.smembers(key)
        elif kind == b"zset":
            state[key] = raw.zrange(key, 0, -1)
        else:
            state[key] = raw.get(key)
    return state


def test_the_intake_leaves_in_redis_what_rqs_enqueue_leaves(client: FlaskClient, redis: Redis,
                                                             redis_server: RedisServer) -> None:
    raw = rq_connection(redis_server.url)
    cid = submit(client).json["id"]
    ours = rq_state(raw)
    job_hash = raw.hgetall(f"rq:job:screen-{cid}")
    raw.delete(*raw.keys("rq:*"))
    queues.enqueue_screening(queues.screening_queue(raw, "demo"), cid)
    assert ours == rq_state(raw)
    assert set(ours) == {b"rq:queues", b"rq:queue:screening:demo", f"rq:job:screen-{cid}".encode()}
    for name in TIMES:
        assert abs((utcparse(job_hash[name.encode()].decode()) - utcparse(
            raw.hget(f"rq:job:screen-{cid}", name).decode())).total_seconds()) < 5
    assert set(pickle.loads(cast(bytes, job_hash[b"meta"]))) == {"request_id"}


def test_the_intakes_job_reads_back_as_the_screening_job(client: FlaskClient, redis: Redis,
                                                          redis_server: RedisServer) -> None:
    response = submit(client, payload(), headers={"X-Request-Id": "req-42"})
    cid = response.json["id"]
    job = Job.fetch(f"screen-{cid}", connection=rq_connection(redis_server.url))
    assert (job.func_name, job.args, job.kwargs) == (queues.SCREEN_JOB, (cid,), {})
    assert job.get_status() == JobStatus.QUEUED and job.origin == "screening:demo"
    assert job.timeout == queues.screen_timeout()
    assert job.retries_left == len(queues.SCREEN_RETRY_INTERVALS)
    assert job.retry_intervals == list(queues.SCREEN_RETRY_INTERVALS)
    assert job.failure_callback is retry_only_transient
    assert job.meta == {"request_id": "req-42"}
    assert job.description == f"{queues.SCREEN_JOB}('{cid}')"


def test_the_intake_reloads_its_script_after_redis_forgets_it(client: FlaskClient, redis: Redis) -> None:
    # A Redis restart or an operator's SCRIPT FLUSH empties the script cache; the next comment loads it again.
    redis.script_flush()
    first = submit(client, payload("after a flush"))
    assert first.status_code == 202
    assert redis.hget(f"mod:comment:{first.json['id']}", "body") == "after a flush"
    assert redis.lrange("rq:queue:screening:demo", 0, -1) == [f"screen-{first.json['id']}"]


def _flood(client: FlaskClient, n: int, site: str = "other") -> list[str]:
    """`n` comments on `site` from as many authors and addresses, so no rate limit refuses them."""
    ids = []
    for i in range(n):
        r = submit(client, payload(f"flood {i}", author={"name": "F", "email": f"f{i}@example.com"},
                                   client={"ip": f"198.51.{i // 250}.{i % 250}"}), site=site, secret=OTHER_SECRET)
        assert r.status_code == 202, r.json
        ids.append(r.json["id"])
    return ids


def _start_order(raw: Redis, comment_ids: list[str]) -> list[str]:
    jobs = Job.fetch_many([f"screen-{cid}" for cid in comment_ids], connection=raw)
    started = {j.args[0]: j.started_at for j in jobs if j and j.started_at}
    return sorted(started, key=started.__getitem__)


def test_a_flood_on_one_site_does_not_delay_another_sites_comments(client: FlaskClient, redis: Redis,
                                                                   redis_server: RedisServer, work: Any) -> None:
    flood = _flood(client, 200)
    ours = submit(client, payload("an ordinary comment on demo")).json["id"]
    assert redis.llen("rq:queue:screening:other") == 200 and redis.llen("rq:queue:screening:demo") == 1
    work()
    order = _start_order(rq_connection(redis_server.url), [*flood, ours])
    assert len(order) == 201
    # The sites' queues take turns: demo's comment waits behind at most one of the flood's 200, as without it.
    assert order.index(ours) <= 1


def test_the_backlog_limit_is_each_sites_own(redis: Redis, redis_server: RedisServer) -> None:
    client = make_app(redis_server.url, MAX_BACKLOG=3).test_client()
    _flood(client, 3)
    r = submit(client, payload("one more"), site="other", secret=OTHER_SECRET)
    assert (r.status_code, r.json["error"]) == (503, "overloaded")
    assert submit(client, payload("demo is not behind")).status_code == 202
