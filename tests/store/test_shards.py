"""Sites spread over two independent Redis servers (MODERATION_SHARDS, issue 17 item 3): each site's comments, queues
and bans live on its own Redis, workers per Redis screen them, and the desk reads and decides across both as if
they were one."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from redis import Redis
from rq import Queue

from moderation.cli.main import main as cli
from moderation.store.keys import WEBHOOK_QUEUE
from tests.conftest import ADMIN_HEADERS, OTHER_SECRET, SECRET, make_app, payload, submit, wait_for
from tests.redis_server import RedisServer
from workers.run import run

ARTICLE = "article-1"


@pytest.fixture()
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RedisServer, RedisServer]]:
    """REDIS_URL (home, and site `demo`) and a second Redis holding site `other`, both named in the environment
    as production names them, so workers and the CLI read the same layout as the API."""
    home = RedisServer(tmp_path / "home").start()
    second = RedisServer(tmp_path / "second").start()
    monkeypatch.setenv("REDIS_URL", home.url)
    monkeypatch.setenv("MODERATION_SITES", f"demo:{SECRET},other:{OTHER_SECRET}")
    monkeypatch.setenv("MODERATION_SHARDS", f"other={second.url}")
    monkeypatch.setenv("MODERATION_SITE_CALLBACKS", "other=http://127.0.0.1:9/hook,demo=http://127.0.0.1:9/hook")
    yield home, second
    home.stop()
    second.stop()


@pytest.fixture()
def api(two: tuple[RedisServer, RedisServer]) -> FlaskClient:
    home, second = two
    return make_app(home.url, SHARDS={"other": second.url},
                    SITE_CALLBACKS={"demo": "http://127.0.0.1:9/hook", "other": "http://127.0.0.1:9/hook"}
                    ).test_client()


def work(*servers: RedisServer) -> None:
    """A burst of real RQ workers on each Redis, as `moderation worker --redis URL` runs them."""
    for server in servers:
        run(burst=True, redis_url=server.url, role="screening")


def comment_keys(server: RedisServer) -> set[str]:
    return {k.removeprefix("mod:comment:") for k in Redis(port=server.port, decode_responses=True)
            .scan_iter("mod:comment:*")}


def post(api: FlaskClient, site: str, body: str, email: str = "layla@example.com") -> str:
    data = payload(body, author={"name": "Layla", "email": email})
    r = submit(api, data, site=site, secret=SECRET if site == "demo" else OTHER_SECRET)
    assert r.status_code == 202, r.json
    return str(r.json["id"])


def queue_ids(api: FlaskClient, limit: int = 2, **filters: str) -> list[str]:
    """Every pending comment the desk's queue lists, page by page."""
    seen: list[str] = []
    cursor = None
    while True:
        query = {"limit": str(limit), **filters, **({"cursor": cursor} if cursor else {})}
        r = api.get("/v1/moderation/queue", query_string=query, headers=ADMIN_HEADERS)
        assert r.status_code == 200, r.json
        seen += [item["id"] for item in r.json["items"]]
        cursor = r.json["next_cursor"]
        if not cursor:
            return seen


def test_each_site_lives_on_its_own_redis_through_its_whole_life(api: FlaskClient,
                                                                  two: tuple[RedisServer, RedisServer]) -> None:
    home, second = two
    demo = [post(api, "demo", f"Comment {i} on the budget, calmly argued.") for i in range(3)]
    other = [post(api, "other", f"تعليق رقم {i} على الميزانية، بهدوء.") for i in range(3)]
    assert comment_keys(home) == set(demo)
    assert comment_keys(second) == set(other)
    assert api.get(f"/v1/sites/other/comments/{other[0]}").json["status"] == "received"

    work(home, second)
    assert all(api.get(f"/v1/sites/{s}/comments/{c}").json["status"] == "pending_review"
               for s, ids in (("demo", demo), ("other", other)) for c in ids)

    # One queue over both: pages of two walk all six, each once, in the order one Redis would give them.
    listed = queue_ids(api, limit=2)
    assert sorted(listed) == sorted(demo + other)
    whole = [item["id"] for item in api.get("/v1/moderation/queue", query_string={"limit": "50"},
                                            headers=ADMIN_HEADERS).json["items"]]
    assert listed == whole
    assert queue_ids(api, site="other") == [c for c in whole if c in other]

    # Decisions by id find the comment's Redis; the event waits in that Redis's webhook queue.
    r = api.post("/v1/moderation/decisions", headers=ADMIN_HEADERS,
                 json={"ids": [other[0], demo[0], "nosuchcomment"], "action": "approve"})
    assert [(x["id"], x.get("status") or x["error"]) for x in r.json["results"]] == [
        (other[0], "published"), (demo[0], "published"), ("nosuchcomment", "comment_not_found")]
    r = api.post(f"/v1/moderation/comments/{other[1]}/decision", headers=ADMIN_HEADERS,
                 json={"action": "reject", "reason": "spam"})
    assert r.status_code == 200 and r.json["status"] == "rejected"
    assert Queue(WEBHOOK_QUEUE, connection=Redis(port=second.port)).count == 2
    assert Queue(WEBHOOK_QUEUE, connection=Redis(port=home.port)).count == 1
    for site, cid in (("other", other[0]), ("demo", demo[0])):
        listing = api.get(f"/v1/sites/{site}/articles/{ARTICLE}/comments").json
        assert [c["id"] for c in listing["comments"]] == [cid]
        assert api.get(f"/v1/sites/{site}/articles/{ARTICLE}/comments/count").json == {"count": 1}
    assert sorted(queue_ids(api)) == sorted([*demo[1:], other[2]])

    # The comment's detail, its audit trail and the statistics come from wherever they live.
    detail = api.get(f"/v1/moderation/comments/{other[1]}", headers=ADMIN_HEADERS).json
    assert (detail["status"], detail["author_history"]["rejected"]) == ("rejected", 1)
    trail = api.get("/v1/moderation/audit", query_string={"comment_id": other[1]}, headers=ADMIN_HEADERS).json
    assert [e["action"] for e in trail["entries"]] == ["decision.reject"]
    stats = api.get("/v1/moderation/stats", headers=ADMIN_HEADERS).json
    assert {s: v["pending"] for s, v in stats["sites"].items()} == {"demo": 2, "other": 1}
    assert stats["decisions_measured"] == 3
    assert stats["decisions_by_moderator"]["admin"] == {"approve": 2, "reject": 1}
    metrics = api.get("/metrics").get_data(as_text=True)
    assert 'moderation_pending_review{site="other"} 1.0' in metrics
    assert 'moderation_decisions_total{action="approve"} 2.0' in metrics


def test_the_audit_log_pages_over_both_newest_first_none_twice(api: FlaskClient,
                                                               two: tuple[RedisServer, RedisServer]) -> None:
    ids = [post(api, site, f"Comment {i} about the match, nothing more.") for i in range(4)
           for site in ("demo", "other")]
    work(*two)
    for cid in ids:
        assert api.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS,
                        json={"action": "approve"}).status_code == 200
    entries, cursor = [], None
    while True:
        query = {"limit": "3", **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/moderation/audit", query_string=query, headers=ADMIN_HEADERS).json
        entries += page["entries"]
        cursor = page["next_cursor"]
        if not cursor:
            break
    decided = [e["comment_id"] for e in entries if e["action"] == "decision.approve"]
    assert decided == list(reversed(ids))

    # A moderator of `other` alone pages through its entries only, none lost where the other Redis's are skipped.
    made = api.post("/v1/moderation/moderators", headers=ADMIN_HEADERS,
                    json={"name": "nadia", "role": "moderator", "sites": ["other"]})
    assert made.status_code == 201, made.json
    mine = {"Authorization": f"Bearer {made.json['token']}"}
    seen, cursor = [], None
    while True:
        query = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        page = api.get("/v1/moderation/audit", query_string=query, headers=mine).json
        seen += [e["comment_id"] for e in page["entries"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [cid for cid in reversed(ids) if cid in ids[1::2]]  # other's, newest first


def test_a_claim_takes_the_riskiest_of_both_and_leaves_the_rest(api: FlaskClient,
                                                                two: tuple[RedisServer, RedisServer]) -> None:
    post(api, "demo", "A calm comment on the budget.")
    risky = post(api, "other", "You idiot, this is stupid crap. Buy now at http://spam.example", "a@example.com")
    post(api, "other", "Another calm comment.", "b@example.com")
    post(api, "demo", "You are a moron and an idiot, shut up.", "c@example.com")
    work(*two)
    order = queue_ids(api, limit=50)
    r = api.post("/v1/moderation/claims", headers=ADMIN_HEADERS, json={"limit": 2})
    claimed = [item["id"] for item in r.json["items"]]
    assert claimed == order[:2] and risky in claimed
    held = [item["id"] for item in api.get("/v1/moderation/queue", query_string={"limit": "50"},
                                           headers=ADMIN_HEADERS).json["items"] if item["claim"]]
    assert sorted(held) == sorted(claimed)  # the others each Redis leased were given back at once


def test_a_ban_on_every_site_holds_on_each_redis(api: FlaskClient, two: tuple[RedisServer, RedisServer]) -> None:
    r = api.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": "troll@example.com"})
    assert r.status_code == 201, r.json
    bid = r.json["id"]
    for site, secret in (("demo", SECRET), ("other", OTHER_SECRET)):
        refused = submit(api, payload(author={"name": "T", "email": "troll@example.com"}), site=site, secret=secret)
        assert (refused.status_code, refused.json["error"]) == (403, "author_banned")
    assert [b["id"] for b in api.get("/v1/moderation/bans", headers=ADMIN_HEADERS).json["bans"]] == [bid]
    audit = api.get("/v1/moderation/audit", headers=ADMIN_HEADERS).json["entries"]
    assert [e["action"] for e in audit] == ["ban.create"]
    assert api.delete(f"/v1/moderation/bans/{bid}", headers=ADMIN_HEADERS).status_code == 204
    audit = api.get("/v1/moderation/audit", headers=ADMIN_HEADERS).json["entries"]
    assert [e["action"] for e in audit] == ["ban.lift", "ban.create"]  # once each, whatever the copies
    assert submit(api, payload(author={"name": "T", "email": "troll@example.com"}), site="other",
                  secret=OTHER_SECRET).status_code == 202
    site_ban = api.post("/v1/moderation/bans", headers=ADMIN_HEADERS,
                        json={"email": "pest@example.com", "site": "other"})
    assert site_ban.status_code == 201
    assert submit(api, payload(author={"name": "P", "email": "pest@example.com"}), site="other",
                  secret=OTHER_SECRET).status_code == 403
    assert submit(api, payload(author={"name": "P", "email": "pest@example.com"})).status_code == 202


def test_a_ban_on_every_site_is_audited_only_once_every_redis_holds_it(
        api: FlaskClient, two: tuple[RedisServer, RedisServer]) -> None:
    _, second = two
    second.stop()
    r = api.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": "troll@example.com"})
    assert (r.status_code, r.json["error"]) == (503, "unavailable")
    assert api.get("/v1/moderation/audit", headers=ADMIN_HEADERS).status_code == 503
    second.start()
    assert api.get("/v1/moderation/audit", headers=ADMIN_HEADERS).json["entries"] == []
    assert api.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": "troll@example.com"}).status_code \
        == 201  # the site retries; the ban's id is its email's hash, so the copies are the same ban
    assert [e["action"] for e in api.get("/v1/moderation/audit", headers=ADMIN_HEADERS).json["entries"]] == [
        "ban.create"]
    assert submit(api, payload(author={"name": "T", "email": "troll@example.com"}), site="other",
                  secret=OTHER_SECRET).status_code == 403


def test_a_redis_that_stops_stops_only_its_sites(api: FlaskClient, two: tuple[RedisServer, RedisServer]) -> None:
    from tests.review.test_desk_pages import sign_in

    home, second = two
    demo = [post(api, "demo", f"Comment {i} on the first Redis.") for i in range(2)]
    other = post(api, "other", "تعليق على الخادم الثاني.")
    work(home, second)
    sign_in(api)
    second.stop()

    r = submit(api, payload(), site="other", secret=OTHER_SECRET)
    assert (r.status_code, r.json["error"]) == (503, "unavailable")
    assert submit(api, payload()).status_code == 202
    ready = api.get("/readyz")
    assert (ready.status_code, ready.json) == (200, {"status": "degraded", "sites_unavailable": ["other"]})

    # The desk goes on with the sites it can read, and says which it cannot.
    page = api.get("/v1/moderation/queue", headers=ADMIN_HEADERS)
    assert page.status_code == 200
    assert (sorted(i["id"] for i in page.json["items"]), page.json["unavailable_sites"]) == (sorted(demo), ["other"])
    assert api.get("/v1/moderation/queue", query_string={"site": "other"}, headers=ADMIN_HEADERS).status_code == 503
    html = api.get("/moderate")
    assert html.status_code == 200
    text = html.get_data(as_text=True)
    assert "The comments of other cannot be" in text and demo[0] in text
    claimed = api.post("/v1/moderation/claims", headers=ADMIN_HEADERS, json={"limit": 5})
    assert claimed.status_code == 200 and sorted(i["id"] for i in claimed.json["items"]) == sorted(demo)
    assert api.post(f"/v1/moderation/comments/{demo[0]}/decision", headers=ADMIN_HEADERS,
                    json={"action": "approve"}).status_code == 200
    # A comment the stopped Redis may hold is a 503 to retry, never "no such comment".
    r = api.post(f"/v1/moderation/comments/{other}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    assert (r.status_code, r.json["error"]) == (503, "unavailable")

    home.stop()
    assert api.get("/readyz").status_code == 503


@pytest.mark.slow
def test_a_hung_redis_is_passed_over_and_read_again_once_it_answers(api: FlaskClient,
                                                                      two: tuple[RedisServer, RedisServer]) -> None:
    """A Redis that accepts connections but never answers (SIGSTOP): each read waits out its socket timeout, so the
    desk rests it a few seconds rather than paying that on every read, and reads it again once it answers."""
    _, second = two
    demo = post(api, "demo", "On the Redis that answers.")
    other = post(api, "other", "على الخادم الذي توقف عن الرد.")
    work(*two)
    assert second.proc is not None
    second.proc.send_signal(signal.SIGSTOP)
    try:
        page = api.get("/v1/moderation/queue", headers=ADMIN_HEADERS)
        assert (page.status_code, [i["id"] for i in page.json["items"]], page.json["unavailable_sites"]) == (
            200, [demo], ["other"])
        again = api.get("/v1/moderation/queue", headers=ADMIN_HEADERS).json
        assert ([i["id"] for i in again["items"]], again["unavailable_sites"]) == ([demo], ["other"])
        # Its sites' comments are refused while it rests (at once: they would hold intake slots every site
        # shares), the other sites' taken.
        r = submit(api, payload(), site="other", secret=OTHER_SECRET)
        assert (r.status_code, r.json["error"]) == (503, "unavailable")
        assert submit(api, payload()).status_code == 202
        ready = api.get("/readyz")  # asked with a short timeout: a load balancer's check must not hang with it
        assert (ready.status_code, ready.json) == (200, {"status": "degraded", "sites_unavailable": ["other"]})
    finally:
        second.proc.send_signal(signal.SIGCONT)
    wait_for(lambda: not api.get("/v1/moderation/queue", headers=ADMIN_HEADERS).json["unavailable_sites"],
             timeout=30)
    assert sorted(i["id"] for i in api.get("/v1/moderation/queue", headers=ADMIN_HEADERS).json["items"]) == sorted(
        [demo, other])


def test_the_desk_pages_show_both_sites(api: FlaskClient, two: tuple[RedisServer, RedisServer]) -> None:
    from tests.review.test_desk_pages import sign_in

    demo = post(api, "demo", "A comment the desk shows from the first Redis.")
    other = post(api, "other", "تعليق تعرضه الطاولة من الخادم الثاني.")
    work(*two)
    assert api.post("/v1/moderation/bans", headers=ADMIN_HEADERS,  # the same author, banned on `other` only
                    json={"email": "layla@example.com", "site": "other"}).status_code == 201
    sign_in(api)
    page = api.get("/moderate").get_data(as_text=True)
    assert demo in page and other in page
    assert page.count("banned for good") == 1  # read from the Redis of `other`, where the ban lives
    assert api.get(f"/moderate/comments/{other}").status_code == 200
    assert api.get("/moderate/stats").status_code == 200


def test_the_cli_finds_each_sites_redis(api: FlaskClient, two: tuple[RedisServer, RedisServer]) -> None:
    home, second = two
    cid = post(api, "other", "A comment whose author asks to be forgotten.", "gone@example.com")
    runner = CliRunner()
    out = runner.invoke(cli, ["forget", "--site", "other", "--email", "gone@example.com"])
    assert out.exit_code == 0, out.output
    assert "forgot the author of 1 comments on other" in out.output
    assert Redis(port=second.port, decode_responses=True).hget(f"mod:comment:{cid}", "author_email") in ("", None)
    # A ban on every site is on each Redis: forgetting the author takes the email out of every copy.
    assert api.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": "gone2@example.com"}).status_code \
        == 201
    assert runner.invoke(cli, ["forget", "--site", "other", "--email", "gone2@example.com"]).exit_code == 0
    for server in two:
        kept = [json.loads(v) for k in Redis(port=server.port).scan_iter("mod:ban:*")
                if (v := Redis(port=server.port).get(k))]
        assert [b["value"] for b in kept] == ["(forgotten)"], server.url
    out = runner.invoke(cli, ["worker", "--burst", "--redis", "redis://127.0.0.1:1/0"])
    assert out.exit_code != 0 and "--redis must be REDIS_URL or a URL of MODERATION_SHARDS" in out.output
    work(home, second)
    stats = json.loads(runner.invoke(cli, ["stats"]).output)
    assert {s: v["pending"] for s, v in stats["sites"].items()} == {"demo": 0, "other": 1}


@pytest.mark.slow
def test_moderation_worker_redis_works_the_sites_of_that_redis(api: FlaskClient,
                                                               two: tuple[RedisServer, RedisServer]) -> None:
    _, second = two
    demo = post(api, "demo", "Waits for a worker on REDIS_URL.")
    other = post(api, "other", "ينتظر عاملاً على الخادم الثاني.")
    command = [str(Path(sys.prefix) / "bin" / "moderation"), "worker", "--burst"]
    done = subprocess.run([*command, "--redis", second.url], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "screening:other" in done.stderr and "screening:demo" not in done.stderr
    state = {cid: api.get(f"/v1/sites/{site}/comments/{cid}").json["status"] for site, cid in
             (("demo", demo), ("other", other))}
    assert state == {demo: "received", other: "pending_review"}
    assert subprocess.run(command, capture_output=True, text=True, timeout=120).returncode == 0
    assert api.get(f"/v1/sites/demo/comments/{demo}").json["status"] == "pending_review"


def test_settings_name_the_redis_of_each_site() -> None:
    from moderation.settings import ConfigError, Settings

    s = Settings.load({"REDIS_URL": "redis://a:6379/0", "MODERATION_SITES": "x:1,y:2,z:3",
                       "MODERATION_SHARDS": "y=redis://b:6379/0, z=redis+sentinel://s:26379/main"})
    assert (s.shard_url("x"), s.shard_url("y"), s.sites_on("redis://a:6379/0")) == (
        "redis://a:6379/0", "redis://b:6379/0", ["x"])
    assert s.shard_urls == ["redis://a:6379/0", "redis://b:6379/0", "redis+sentinel://s:26379/main"]
    for bad, says in (("y=http://b", "not of the form"), ("y=redis://b,y=redis://c", "listed twice"),
                      ("w=redis://b", "MODERATION_SITES does not: w")):
        with pytest.raises(ConfigError, match=says):
            Settings.load({"MODERATION_SITES": "x:1,y:2", "MODERATION_SHARDS": bad})

