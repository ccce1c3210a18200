"""The intake writes a site's batch screening job itself, in its script: Redis must then hold what RQ's enqueue
writes (the call compressed with a smaller window: the same once decompressed, as RQ reads it)."""

from __future__ import annotations

import pickle
import zlib
from typing import Any, cast

from flask.testing import FlaskClient
from redis import Redis
from rq.job import Job, JobStatus
from rq.utils import utcparse

from moderation.store import keys, queues
from moderation.store.connections import rq_connection
from tests.conftest import OTHER_SECRET, SECRET, make_app, payload, submit
from tests.redis_server import RedisServer
from workers.jobs import BATCH_SIZE, retry_only_transient

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
    job_id = str(redis.get(keys.batch_job_key("demo")))
    assert job_id.startswith("screen-batch-")
    ours = rq_state(raw)
    job_hash = raw.hgetall(f"rq:job:{job_id}")
    # A second comment while the site's job waits: it joins the site's inbox, and RQ's keys stay as they are.
    submit(client, payload("a second one", author={"name": "S", "email": "s@example.com"}))
    assert rq_state(raw) == ours and redis.zcard(keys.inbox_key("demo")) == 2
    assert redis.zrange(keys.inbox_key("demo"), 0, 0) == [cid]
    raw.delete(*raw.keys("rq:*"))
    queues.enqueue_batch(queues.screening_queue(raw, "demo"), "demo", job_id)
    assert ours == rq_state(raw)
    assert set(ours) == {b"rq:queues", b"rq:queue:screening:demo", f"rq:job:{job_id}".encode()}
    for name in TIMES:
        assert abs((utcparse(job_hash[name.encode()].decode()) - utcparse(
            raw.hget(f"rq:job:{job_id}", name).decode())).total_seconds()) < 5
    assert set(pickle.loads(cast(bytes, job_hash[b"meta"]))) == {"request_id"}


def test_the_intakes_job_reads_back_as_the_sites_batch_job(client: FlaskClient, redis: Redis,
                                                           redis_server: RedisServer) -> None:
    submit(client, payload(), headers={"X-Request-Id": "req-42"})
    job = Job.fetch(str(redis.get(keys.batch_job_key("demo"))), connection=rq_connection(redis_server.url))
    assert (job.func_name, job.args, job.kwargs) == (queues.SCREEN_BATCH_JOB, ("demo",), {})
    assert job.get_status() == JobStatus.QUEUED and job.origin == "screening:demo"
    assert job.timeout == queues.screen_timeout()
    assert job.retries_left == len(queues.SCREEN_RETRY_INTERVALS)
    assert job.retry_intervals == list(queues.SCREEN_RETRY_INTERVALS)
    assert job.failure_callback is retry_only_transient
    assert job.meta == {"request_id": "req-42"}
    assert job.description == f"{queues.SCREEN_BATCH_JOB}('demo')"


def test_the_intake_reloads_its_script_after_redis_forgets_it(client: FlaskClient, redis: Redis) -> None:
    # A Redis restart or an operator's SCRIPT FLUSH empties the script cache; the next comment loads it again.
    redis.script_flush()
    first = submit(client, payload("after a flush"))
    assert first.status_code == 202
    assert redis.hget(f"mod:comment:{first.json['id']}", "body") == "after a flush"
    assert redis.lrange("rq:queue:screening:demo", 0, -1) == [redis.get(keys.batch_job_key("demo"))]


def _flood(client: FlaskClient, n: int, site: str = "other") -> list[str]:
    """`n` comments on `site` from as many authors and addresses, so no rate limit refuses them."""
    ids = []
    for i in range(n):
        r = submit(client, payload(f"flood {i}", author={"name": "F", "email": f"f{i}@example.com"},
                                   client={"ip": f"198.51.{i // 250}.{i % 250}"}), site=site,
                   secret=OTHER_SECRET if site == "other" else SECRET)
        assert r.status_code == 202, r.json
        ids.append(r.json["id"])
    return ids


def test_a_flood_on_one_site_does_not_delay_another_sites_comments(client: FlaskClient, redis: Redis,
                                                                   redis_server: RedisServer, work: Any) -> None:
    # demo's queue comes first in a worker's turn: a worker that emptied it before looking at other's would
    # screen all of the flood before the ordinary comment.
    flood = _flood(client, 3 * BATCH_SIZE, site="demo")
    ours = submit(client, payload("an ordinary comment on other"), site="other", secret=OTHER_SECRET).json["id"]
    work()
    screened = {cid: int(redis.hget(keys.comment_key(cid), "screened_ms") or 0) for cid in [*flood, ours]}
    assert all(screened.values())
    # The sites' queues take turns, a batch at a time: other's comment waits behind one batch of the flood.
    assert sum(1 for cid in flood if screened[cid] < screened[ours]) <= BATCH_SIZE


def test_the_backlog_limit_is_each_sites_own(redis: Redis, redis_server: RedisServer) -> None:
    client = make_app(redis_server.url, MAX_BACKLOG=3).test_client()
    _flood(client, 3)
    r = submit(client, payload("one more"), site="other", secret=OTHER_SECRET)
    assert (r.status_code, r.json["error"]) == (503, "overloaded")
    assert submit(client, payload("demo is not behind")).status_code == 202
