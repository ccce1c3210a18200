"""The moderators' workflow: accounts, claims, decisions, reversals, bans, audit and stats."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from redis import Redis

from moderation.store.keys import comment_key
from tests.conftest import ADMIN, ADMIN_HEADERS, make_app, payload, submit
from tests.redis_server import RedisServer


def new_moderator(client: FlaskClient, name: str, role: str = "moderator") -> dict[str, str]:
    r = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": name, "role": role})
    assert r.status_code == 201, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


def author(i: int) -> dict[str, str]:
    return {"name": f"Reader {i}", "email": f"reader{i}@example.com"}


def pending(client: FlaskClient, work: Any, n: int, **kw: Any) -> list[str]:
    ids = [submit(client, payload(f"A reader's view, number {i}, on the budget", author=author(i), **kw)).json["id"]
           for i in range(n)]
    work()
    return ids


# ---- moderators and roles ----------------------------------------------------------------------

def test_admin_creates_a_moderator_whose_token_works_and_is_stored_only_hashed(client: FlaskClient,
                                                                               redis: Redis) -> None:
    r = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": "sara"})
    assert r.status_code == 201
    token = r.json["token"]
    assert r.json["role"] == "moderator"
    assert client.get("/v1/moderation/queue", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    listed = client.get("/v1/moderation/moderators", headers=ADMIN_HEADERS).json["moderators"]
    assert [m["name"] for m in listed] == ["sara"] and "token" not in listed[0]
    for key in redis.scan_iter("*"):
        if redis.type(key) == "hash":
            assert token not in json.dumps(redis.hgetall(key))
        elif redis.type(key) == "string":
            assert token not in (redis.get(key) or "")


def test_a_moderator_cannot_manage_moderators(client: FlaskClient) -> None:
    mod = new_moderator(client, "omar")
    assert client.post("/v1/moderation/moderators", headers=mod, json={"name": "x"}).status_code == 403
    assert client.delete("/v1/moderation/moderators/omar", headers=mod).json["error"] == "forbidden"
    assert client.get("/v1/moderation/moderators", headers=mod).status_code == 403


def test_revocation_takes_effect_at_once(client: FlaskClient) -> None:
    mod = new_moderator(client, "leila")
    assert client.get("/v1/moderation/queue", headers=mod).status_code == 200
    assert client.delete("/v1/moderation/moderators/leila", headers=ADMIN_HEADERS).status_code == 204
    r = client.get("/v1/moderation/queue", headers=mod)
    assert (r.status_code, r.json["error"]) == (401, "unauthorized")
    assert client.delete("/v1/moderation/moderators/leila", headers=ADMIN_HEADERS).status_code == 404


@pytest.mark.parametrize("body,field", [({"name": "Bad Name"}, "name"), ({"name": "admin"}, "name"),
                                        ({"name": "x", "role": "owner"}, "role"), ({}, "name")])
def test_invalid_moderator_is_422(client: FlaskClient, body: dict[str, str], field: str) -> None:
    r = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json=body)
    assert r.status_code == 422 and field in r.json["fields"]


def test_duplicate_moderator_is_409(client: FlaskClient) -> None:
    new_moderator(client, "nadia")
    assert client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": "nadia"}).status_code == 409


def test_cli_creates_lists_and_revokes_moderators(app: Flask, redis_server: RedisServer) -> None:
    cli = str(Path(sys.prefix) / "bin" / "moderation")
    env = {"REDIS_URL": redis_server.url, "PATH": "/usr/bin:/bin"}
    out = subprocess.run([cli, "moderators", "create", "desk-lead", "--role", "admin"], env=env,
                         capture_output=True, text=True, check=True).stdout
    token = out.rsplit(": ", 1)[1].strip()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/moderation/moderators", headers=headers).status_code == 200  # an admin
    assert "desk-lead\tadmin" in subprocess.run([cli, "moderators", "list"], env=env, capture_output=True,
                                                text=True, check=True).stdout
    subprocess.run([cli, "moderators", "revoke", "desk-lead"], env=env, check=True, capture_output=True)
    assert client.get("/v1/moderation/queue", headers=headers).status_code == 401


# ---- the queue under several moderators -------------------------------------------------------

def test_two_moderators_claiming_at_once_never_get_the_same_comment(client: FlaskClient, work: Any,
                                                                   app: Flask) -> None:
    ids = pending(client, work, 12)
    heads = [new_moderator(client, f"m{i}") for i in range(2)]
    got: dict[int, list[str]] = {}
    barrier = threading.Barrier(2)

    def grab(i: int) -> None:
        c = app.test_client()
        barrier.wait()
        got[i] = [x["id"] for x in c.post("/v1/moderation/claims", headers=heads[i], json={"limit": 8}).json["items"]]

    threads = [threading.Thread(target=grab, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not set(got[0]) & set(got[1])
    assert sorted(got[0] + got[1]) == sorted(ids)
    assert {len(got[0]), len(got[1])} == {8, 4}


def test_a_claim_shows_in_the_queue_and_blocks_other_moderators(client: FlaskClient, work: Any) -> None:
    a, b = new_moderator(client, "ana"), new_moderator(client, "ben")
    ids = pending(client, work, 2)
    claimed = client.post("/v1/moderation/claims", headers=a, json={"limit": 1}).json
    cid = claimed["items"][0]["id"]
    assert claimed["items"][0]["claim"]["moderator"] == "ana"
    queue = {x["id"]: x for x in client.get("/v1/moderation/queue", headers=b).json["items"]}
    assert queue[cid]["claim"]["moderator"] == "ana"
    assert queue[next(i for i in ids if i != cid)]["claim"] is None
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=b, json={"action": "approve"})
    assert (r.status_code, r.json["error"], r.json["fields"]["claimed_by"]) == (409, "conflict", "ana")
    assert [x["id"] for x in client.post("/v1/moderation/claims", headers=b, json={"limit": 5}).json["items"]] == \
        [i for i in ids if i != cid]
    # The holder decides; an admin may decide over anyone's claim.
    assert client.post(f"/v1/moderation/comments/{cid}/decision", headers=a,
                       json={"action": "approve"}).status_code == 200
    other = next(i for i in ids if i != cid)
    assert client.post(f"/v1/moderation/comments/{other}/decision", headers=ADMIN_HEADERS,
                       json={"action": "reject", "reason": "spam"}).status_code == 200


def test_a_lease_expires_so_nothing_stays_stuck(redis_server: RedisServer, redis: Redis, work: Any) -> None:
    client = make_app(redis_server.url, LEASE_SECONDS=1).test_client()
    a, b = new_moderator(client, "ann"), new_moderator(client, "bob")
    [cid] = pending(client, work, 1)
    assert [x["id"] for x in client.post("/v1/moderation/claims", headers=a, json={"limit": 1}).json["items"]] == [cid]
    assert client.post("/v1/moderation/claims", headers=b, json={"limit": 1}).json["items"] == []
    time.sleep(1.2)
    assert [x["id"] for x in client.post("/v1/moderation/claims", headers=b, json={"limit": 1}).json["items"]] == [cid]
    assert client.post(f"/v1/moderation/comments/{cid}/decision", headers=a,
                       json={"action": "approve"}).status_code == 409


def claim_holder(client: FlaskClient, cid: str) -> str | None:
    claim = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json["claim"]
    return claim["moderator"] if claim else None


def test_only_the_holder_or_an_admin_releases_a_claim(redis_server: RedisServer, redis: Redis, work: Any) -> None:
    client = make_app(redis_server.url, LEASE_SECONDS=1).test_client()
    a, b = new_moderator(client, "ann"), new_moderator(client, "bob")
    [cid] = pending(client, work, 1)
    client.post("/v1/moderation/claims", headers=a, json={"limit": 1})
    assert client.delete(f"/v1/moderation/claims/{cid}", headers=b).status_code == 204  # not bob's to give back
    assert claim_holder(client, cid) == "ann"
    time.sleep(1.2)  # ann's lease runs out and bob takes the comment: ann's late release must not free bob's
    client.post("/v1/moderation/claims", headers=b, json={"limit": 1})
    assert client.delete(f"/v1/moderation/claims/{cid}", headers=a).status_code == 204
    assert claim_holder(client, cid) == "bob"
    assert client.delete(f"/v1/moderation/claims/{cid}", headers=ADMIN_HEADERS).status_code == 204
    assert claim_holder(client, cid) is None
    assert client.delete(f"/v1/moderation/claims/{cid}", headers=b).status_code == 204  # nothing held: still done


def test_claims_follow_filters_and_can_be_released(client: FlaskClient, work: Any) -> None:
    mod = new_moderator(client, "fay")
    plain = pending(client, work, 2)
    linky = submit(client, payload("Check out my channel and subscribe! www.spam.com", author=author(50))).json["id"]
    work()
    items = client.post("/v1/moderation/claims", headers=mod, json={"limit": 5, "flag": "link"}).json["items"]
    assert [x["id"] for x in items] == [linky]
    items = client.post("/v1/moderation/claims", headers=mod, json={"limit": 5, "severity": "low"}).json["items"]
    assert sorted(x["id"] for x in items) == sorted(plain)  # new_author is their strongest flag
    assert client.delete(f"/v1/moderation/claims/{linky}", headers=mod).status_code == 204
    queue = {x["id"]: x for x in client.get("/v1/moderation/queue?severity=high", headers=mod).json["items"]}
    assert list(queue) == [linky] and queue[linky]["claim"] is None


def test_paging_neither_skips_nor_repeats_while_comments_arrive(client: FlaskClient, work: Any) -> None:
    first = pending(client, work, 9)
    seen: list[str] = []
    cursor = None
    i = 100
    while True:
        page = client.get("/v1/moderation/queue?limit=3" + (f"&cursor={cursor}" if cursor else ""),
                          headers=ADMIN_HEADERS).json
        seen += [x["id"] for x in page["items"]]
        submit(client, payload(f"late arrival {i}", author=author(i)))  # arrives between pages
        i += 1
        work()
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen))
    assert set(first) <= set(seen)


# ---- decisions ---------------------------------------------------------------------------------

def test_bulk_decisions_give_a_result_per_id(client: FlaskClient, work: Any) -> None:
    a, b, c = pending(client, work, 3)
    client.post(f"/v1/moderation/comments/{c}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    r = client.post("/v1/moderation/decisions", headers=ADMIN_HEADERS,
                    json={"ids": [a, b, c, "nosuch"], "action": "reject", "reason": "spam", "note": "ring"})
    assert r.status_code == 200
    assert r.json["results"] == [
        {"id": a, "status": "rejected"}, {"id": b, "status": "rejected"},
        {"id": c, "error": "not_pending", "message": "The comment is published, not pending review."},
        {"id": "nosuch", "error": "comment_not_found", "message": "No such comment."},
    ]


@pytest.mark.parametrize("body,field", [({"ids": [], "action": "approve"}, "ids"),
                                        ({"ids": [f"x{i}" for i in range(101)], "action": "approve"}, "ids"),
                                        ({"ids": ["a"], "action": "reject", "reason": "ugly"}, "reason"),
                                        ({"ids": "a", "action": "approve"}, "ids")])
def test_invalid_bulk_decision_is_422(client: FlaskClient, body: dict[str, Any], field: str) -> None:
    r = client.post("/v1/moderation/decisions", headers=ADMIN_HEADERS, json=body)
    assert r.status_code == 422 and field in r.json["fields"]


def test_a_moderator_reverses_their_own_decision_and_keeps_the_comment(client: FlaskClient, work: Any) -> None:
    mod, other = new_moderator(client, "rea"), new_moderator(client, "reb")
    [cid] = pending(client, work, 1)
    client.post(f"/v1/moderation/comments/{cid}/decision", headers=mod, json={"action": "approve"})
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 1}
    denied = client.post(f"/v1/moderation/comments/{cid}/reversal", headers=other, json={})
    assert (denied.status_code, denied.json["error"]) == (403, "forbidden")
    assert "another moderator" in denied.json["message"]
    r = client.post(f"/v1/moderation/comments/{cid}/reversal", headers=mod, json={"note": "misread"})
    assert r.status_code == 200 and r.json["status"] == "pending_review" and r.json["decision"] is None
    assert client.get("/v1/sites/demo/articles/article-1/comments").json["comments"] == []
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 0}
    assert claim_holder(client, cid) == "rea"  # still on the desk of whoever reversed it
    again = client.post(f"/v1/moderation/comments/{cid}/reversal", headers=mod, json={})
    assert again.status_code == 409
    assert client.post(f"/v1/moderation/comments/{cid}/decision", headers=mod,
                       json={"action": "reject", "reason": "abuse"}).json["status"] == "rejected"


def test_after_a_day_only_an_admin_reverses(client: FlaskClient, work: Any, redis: Redis) -> None:
    mod = new_moderator(client, "rec")
    [cid] = pending(client, work, 1)
    client.post(f"/v1/moderation/comments/{cid}/decision", headers=mod, json={"action": "reject", "reason": "spam"})
    key = comment_key(cid)
    decision = json.loads(redis.hget(key, "decision") or "{}")
    decision["decided_ms"] -= 25 * 3600 * 1000
    redis.hset(key, "decision", json.dumps(decision))
    late = client.post(f"/v1/moderation/comments/{cid}/reversal", headers=mod, json={})
    assert late.status_code == 403 and "24 hours" in late.json["message"]
    r = client.post(f"/v1/moderation/comments/{cid}/reversal", headers=ADMIN_HEADERS, json={"note": "appeal"})
    assert r.status_code == 200 and r.json["status"] == "pending_review"


# ---- authors -----------------------------------------------------------------------------------

def test_a_banned_email_gets_403_and_the_ban_can_be_lifted(client: FlaskClient, redis: Redis) -> None:
    mod = new_moderator(client, "bea")
    r = client.post("/v1/moderation/bans", headers=mod, json={"email": "troll@example.com", "reason": "abuse"})
    assert r.status_code == 201 and r.json["kind"] == "email" and r.json["until_ms"] is None
    banned = submit(client, payload("hello again", author={"name": "T", "email": "Troll@Example.com"}))
    assert (banned.status_code, banned.json["error"]) == (403, "author_banned")
    assert list(redis.scan_iter("mod:comment:*")) == []
    assert [b["value"] for b in client.get("/v1/moderation/bans", headers=mod).json["bans"]] == ["troll@example.com"]
    assert client.delete(f"/v1/moderation/bans/{r.json['id']}", headers=mod).status_code == 204
    assert submit(client, payload("hello again", author={"name": "T", "email": "troll@example.com"})).status_code == 202
    assert client.delete(f"/v1/moderation/bans/{r.json['id']}", headers=mod).status_code == 404


def test_a_temporary_ban_on_an_address_ends_by_itself(client: FlaskClient) -> None:
    until = (datetime.now(UTC) + timedelta(seconds=1)).isoformat()
    assert client.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"ip": "192.0.2.50", "until": until,
                                                                          "reason": "flood"}).status_code == 201
    body = payload("hi", client={"ip": "192.0.2.50"})
    assert submit(client, body).status_code == 403
    time.sleep(1.3)
    assert submit(client, body).status_code == 202


@pytest.mark.parametrize("body", [{}, {"email": "a@b.co", "ip": "192.0.2.1"}, {"email": "nope"},
                                  {"ip": "192.0.2.1", "until": "2001-01-01T00:00:00+00:00"},
                                  {"ip": "192.0.2.1", "until": "tomorrow"}])
def test_invalid_ban_is_422(client: FlaskClient, body: dict[str, str]) -> None:
    assert client.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json=body).status_code == 422


def test_detail_shows_the_authors_history(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"take {i}", author=author(9))).json["id"] for i in range(3)]
    work()
    client.post(f"/v1/moderation/comments/{ids[0]}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    client.post(f"/v1/moderation/comments/{ids[1]}/decision", headers=ADMIN_HEADERS,
                json={"action": "reject", "reason": "off_topic"})
    history = client.get(f"/v1/moderation/comments/{ids[2]}", headers=ADMIN_HEADERS).json["author_history"]
    assert (history["approved"], history["rejected"], history["comments"]) == (1, 1, 3)
    assert [(c["id"], c["status"]) for c in history["recent"]] == [(ids[1], "rejected"), (ids[0], "published")]


# ---- audit -------------------------------------------------------------------------------------

def test_every_change_is_in_the_audit_log_by_comment_and_by_moderator(client: FlaskClient, work: Any) -> None:
    mod = new_moderator(client, "aud")
    [cid] = pending(client, work, 1)
    client.post(f"/v1/moderation/comments/{cid}/decision", headers=mod, json={"action": "approve", "note": "ok"})
    client.post(f"/v1/moderation/comments/{cid}/reversal", headers=ADMIN_HEADERS, json={})
    client.post("/v1/moderation/bans", headers=mod, json={"email": "x@example.com"})
    client.delete("/v1/moderation/moderators/aud", headers=ADMIN_HEADERS)
    by_comment = client.get(f"/v1/moderation/audit?comment_id={cid}", headers=ADMIN_HEADERS).json["entries"]
    assert [(e["actor"], e["action"]) for e in by_comment] == [("admin", "decision.reverse"),
                                                               ("aud", "decision.approve")]
    assert by_comment[1]["details"]["note"] == "ok" and by_comment[1]["target"] == f"comment:{cid}"
    by_mod = client.get("/v1/moderation/audit?moderator=aud", headers=ADMIN_HEADERS).json["entries"]
    assert [e["action"] for e in by_mod] == ["ban.create", "decision.approve"]
    everything = [e["action"] for e in client.get("/v1/moderation/audit", headers=ADMIN_HEADERS).json["entries"]]
    assert everything == ["moderator.revoke", "ban.create", "decision.reverse", "decision.approve", "moderator.create"]
    for method in ("post", "put", "patch", "delete"):
        assert getattr(client, method)("/v1/moderation/audit", headers=ADMIN_HEADERS).status_code == 405


def test_audit_pages_with_a_cursor(client: FlaskClient) -> None:
    for i in range(5):
        client.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": f"p{i}@example.com"})
    page1 = client.get("/v1/moderation/audit?limit=3", headers=ADMIN_HEADERS).json
    page2 = client.get(f"/v1/moderation/audit?limit=3&cursor={page1['next_cursor']}", headers=ADMIN_HEADERS).json
    assert len(page1["entries"]) == 3 and len(page2["entries"]) == 2 and page2["next_cursor"] is None
    assert not {e["id"] for e in page1["entries"]} & {e["id"] for e in page2["entries"]}


# ---- stats -------------------------------------------------------------------------------------

def test_stats_for_the_desk(client: FlaskClient, work: Any) -> None:
    mod = new_moderator(client, "sam")
    ids = pending(client, work, 3)
    submit(client, payload("elsewhere"), site="other", secret="other-secret")
    work()
    time.sleep(0.2)
    client.post(f"/v1/moderation/comments/{ids[0]}/decision", headers=mod, json={"action": "approve"})
    client.post(f"/v1/moderation/comments/{ids[1]}/decision", headers=ADMIN_HEADERS, json={"action": "reject"})
    stats = client.get("/v1/moderation/stats", headers=mod).json
    assert stats["sites"]["demo"]["pending"] == 1 and stats["sites"]["other"]["pending"] == 1
    assert stats["sites"]["demo"]["oldest_pending_seconds"] >= 0.2
    assert stats["decisions_by_moderator"] == {"sam": {"approve": 1}, "admin": {"reject": 1}}
    assert stats["decisions_measured"] == 2 and stats["median_seconds_to_decision"] >= 0.2


def test_unknown_token_header_forms_are_401(client: FlaskClient) -> None:
    assert client.get("/v1/moderation/stats", headers={"Authorization": f"Token {ADMIN}"}).status_code == 401


@pytest.mark.parametrize("cursor", ["0-0", "99999999999999999999-0"])
def test_an_audit_cursor_naming_nothing_is_422(client: FlaskClient, cursor: str) -> None:
    # Found by schemathesis: XREVRANGE refuses an exclusive end before the stream's start.
    r = client.get(f"/v1/moderation/audit?cursor={cursor}", headers=ADMIN_HEADERS)
    assert (r.status_code, list(r.json["fields"])) == (422, ["cursor"])
