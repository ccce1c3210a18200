"""Telling the site: signed events delivered by RQ jobs, retried with backoff, dead-lettered, replayable."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from rq import Queue
from rq.job import Job

from moderation.signing import verify
from moderation.store.connections import rq_connection
from tests.conftest import ADMIN_HEADERS, OTHER_SECRET, SECRET, make_app, payload, submit
from tests.redis_server import RedisServer, free_port
from workers.run import run


class Site:
    """A site's callback endpoint on loopback: answers from a script of statuses, records what it got."""

    def __init__(self, statuses: list[int], port: int | None = None) -> None:
        self.statuses = list(statuses)
        self.received: list[dict[str, Any]] = []
        self.up = True
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                site.received.append({"headers": dict(self.headers), "body": body})
                status = site.statuses.pop(0) if site.statuses else 200
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.port = port or free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/comments"

    def events(self) -> list[dict[str, Any]]:
        return [json.loads(r["body"]) for r in self.received]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture()
def site(request: pytest.FixtureRequest) -> Iterator[Site]:
    s = Site(getattr(request, "param", []))
    yield s
    s.stop()


@pytest.fixture()
def client(site: Site, redis_server: RedisServer, redis: Any, monkeypatch: pytest.MonkeyPatch) -> FlaskClient:
    # The worker signs with the secrets it reads from the environment, as in production.
    monkeypatch.setenv("MODERATION_SITES", f"demo:{SECRET},other:{OTHER_SECRET}")
    return make_app(redis_server.url, SITE_CALLBACKS={"demo": site.url}, WEBHOOK_RETRY_INTERVALS=[1, 1]).test_client()


def work_until(redis_server: RedisServer, done: Any, timeout: float = 15) -> None:
    """Real workers in burst mode until `done()`; retries wait their interval in RQ's scheduler."""
    deadline = time.monotonic() + timeout
    while not done() and time.monotonic() < deadline:
        run(burst=True, redis_url=redis_server.url)
        time.sleep(0.2)
    assert done(), "condition not met in time"


def pending_comment(client: FlaskClient, redis_server: RedisServer, body: str) -> str:
    """Submit a comment and screen it with real workers, so a moderator can decide it."""
    cid: str = submit(client, payload(body)).json["id"]
    work_until(redis_server, lambda: client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "pending_review")
    return cid


def decide(client: FlaskClient, cid: str, action: str = "approve", **extra: Any) -> None:
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": action, **extra})
    assert r.status_code == 200, r.json


@pytest.mark.parametrize("site", [[500, 503]], indirect=True)
def test_an_event_reaches_the_site_after_two_failures(client: FlaskClient, site: Site,
                                                     redis_server: RedisServer) -> None:
    cid = pending_comment(client, redis_server, "a fine comment")
    decide(client, cid)
    work_until(redis_server, lambda: len(site.received) == 3)
    ids = {r["headers"]["X-Event-Id"] for r in site.received}
    assert ids == {f"{cid}-1"}  # one stable id across the three tries
    last = site.received[-1]
    verify(last["headers"]["X-Signature"], SECRET, last["body"])  # signed like the intake's webhooks
    event = json.loads(last["body"])
    assert (event["event"], event["event_id"], event["id"]) == ("comment.published", f"{cid}-1", cid)
    assert event["comment"]["author"] == {"name": "Layla"} and event["comment"]["body"] == "a fine comment"
    assert "layla@example.com" not in last["body"].decode()
    metrics = client.get("/metrics").get_data(as_text=True)
    assert 'moderation_webhook_deliveries_total{outcome="delivered"} 1' in metrics
    assert 'moderation_webhook_deliveries_total{outcome="retried"} 2' in metrics


def test_a_rejection_carries_its_reason_and_other_sites_get_nothing(client: FlaskClient, site: Site,
                                                                   redis_server: RedisServer) -> None:
    cid = submit(client, payload("meh")).json["id"]
    other = submit(client, payload("meh"), site="other", secret=OTHER_SECRET).json["id"]
    work_until(redis_server, lambda: client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "pending_review")
    decide(client, cid, "reject", reason="spam")
    decide(client, other, "approve")
    work_until(redis_server, lambda: len(site.received) == 1)
    run(burst=True, redis_url=redis_server.url)
    [event] = site.events()
    assert (event["event"], event["reason"], event["id"]) == ("comment.rejected", "spam", cid)


def test_the_event_reaches_the_site_once_even_when_the_job_runs_twice(client: FlaskClient, site: Site,
                                                                      redis_server: RedisServer) -> None:
    cid = pending_comment(client, redis_server, "hello")
    decide(client, cid)
    work_until(redis_server, lambda: len(site.received) == 1)
    # The same delivery once more, as a duplicate job or a retry after a lost acknowledgement would run it.
    Queue("webhooks", connection=rq_connection(redis_server.url)).enqueue("workers.webhooks.deliver_event",
                                                                          f"{cid}-1", job_id=f"again-{cid}")
    run(burst=True, redis_url=redis_server.url)
    assert Job.fetch(f"again-{cid}", connection=rq_connection(redis_server.url)).return_value() == "already delivered"
    assert len(site.received) == 1


@pytest.mark.parametrize("site", [[500, 500, 500]], indirect=True)
def test_after_the_last_try_the_event_is_dead_and_ops_can_replay_it(client: FlaskClient, site: Site,
                                                                    redis_server: RedisServer) -> None:
    cid = pending_comment(client, redis_server, "hello")
    decide(client, cid)

    def dead() -> list[dict[str, Any]]:
        return client.get("/v1/moderation/webhooks/dead", headers=ADMIN_HEADERS).json["events"]

    work_until(redis_server, lambda: bool(dead()))
    [event] = dead()
    assert (event["id"], event["attempts"], event["last_error"], event["event"]) == \
        (f"{cid}-1", 3, "HTTP 500", "comment.published")
    cli = str(Path(sys.prefix) / "bin" / "moderation")
    listed = subprocess.run([cli, "webhooks", "dead"], env={"REDIS_URL": redis_server.url}, capture_output=True,
                            text=True, check=True).stdout
    assert f"{cid}-1\tdemo\tcomment.published\t3 tries\tHTTP 500" in listed
    # The site is back: replay it (the API; `moderation webhooks replay` does the same).
    r = client.post(f"/v1/moderation/webhooks/dead/{cid}-1/replay", headers=ADMIN_HEADERS)
    assert r.status_code == 202
    assert client.post(f"/v1/moderation/webhooks/dead/{cid}-1/replay", headers=ADMIN_HEADERS).status_code == 404
    work_until(redis_server, lambda: len(site.received) == 4)
    assert dead() == []
    assert {r["headers"]["X-Event-Id"] for r in site.received} == {f"{cid}-1"}


def test_a_site_that_does_not_answer_is_retried_then_served(redis_server: RedisServer, redis: Any,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODERATION_SITES", f"demo:{SECRET}")
    port = free_port()
    client = make_app(redis_server.url, SITE_CALLBACKS={"demo": f"http://127.0.0.1:{port}/hook"},
                      WEBHOOK_RETRY_INTERVALS=[1, 1, 1, 1]).test_client()
    cid = pending_comment(client, redis_server, "hello")
    decide(client, cid)
    run(burst=True, redis_url=redis_server.url)  # nobody listens on the port yet
    assert redis.hget(f"mod:event:{cid}-1", "last_error").startswith("no answer")
    site = Site([], port=port)  # the site comes back on the address it was given
    try:
        work_until(redis_server, lambda: len(site.received) == 1)
        assert redis.hget(f"mod:event:{cid}-1", "status") == "delivered"
    finally:
        site.stop()


def test_reversal_tells_the_site_to_unpublish(client: FlaskClient, site: Site, redis_server: RedisServer) -> None:
    cid = pending_comment(client, redis_server, "hello")
    decide(client, cid)
    client.post(f"/v1/moderation/comments/{cid}/reversal", headers=ADMIN_HEADERS, json={})
    work_until(redis_server, lambda: len(site.received) == 2)
    assert sorted((e["event"], e["event_id"]) for e in site.events()) == [
        ("comment.published", f"{cid}-1"), ("comment.unpublished", f"{cid}-2")]


def test_unpublishing_a_reported_comment_tells_the_site(client: FlaskClient, site: Site,
                                                        redis_server: RedisServer) -> None:
    from tests.review.test_desk_pages import sign_in
    from tests.review.test_reports import report

    cid = pending_comment(client, redis_server, "hello")
    decide(client, cid)
    assert report(client, cid, "reader-1", "abuse").status_code == 201
    csrf = sign_in(client)
    r = client.post("/moderate/reported", json={"id": cid, "action": "unpublish"}, headers={"X-CSRF-Token": csrf})
    assert r.json == {"id": cid, "status": "rejected"}
    work_until(redis_server, lambda: len(site.received) == 2)
    events = sorted(site.events(), key=lambda e: e["event_id"])
    assert [(e["event"], e.get("reason")) for e in events] == [("comment.published", None),
                                                             ("comment.unpublished", "abuse")]
