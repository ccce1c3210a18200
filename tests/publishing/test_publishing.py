"""Publishing as an article page sees it: threads, pages, a count equal to the list, cheap polling with ETag."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient

from tests.conftest import ADMIN_HEADERS, payload, submit

LIST = "/v1/sites/demo/articles/article-1/comments"
COUNT = LIST + "/count"


def approve(client: FlaskClient, cid: str) -> dict[str, Any]:
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    assert r.status_code == 200 and r.json, r.json
    return r.json


def public_ids(client: FlaskClient) -> list[str]:
    return [c["id"] for c in client.get(LIST).json["comments"]]


def test_a_reply_waits_for_its_parent(client: FlaskClient, work: Any) -> None:
    parent = submit(client, payload("the parent")).json["id"]
    reply = submit(client, payload("a reply", parent_id=parent)).json["id"]
    grandchild = submit(client, payload("a reply to the reply", parent_id=reply)).json["id"]
    work()
    assert approve(client, grandchild)["status"] == "approved"
    assert approve(client, reply)["status"] == "approved"
    assert public_ids(client) == [] and client.get(COUNT).json == {"count": 0}
    assert approve(client, parent)["status"] == "published"
    listed = client.get(LIST).json["comments"]
    assert [(c["id"], c["parent_id"]) for c in listed] == [(parent, None), (reply, parent), (grandchild, reply)]
    assert client.get(COUNT).json == {"count": 3}
    assert client.get(f"/v1/sites/demo/comments/{grandchild}").json["status"] == "published"


def test_a_rejected_parent_keeps_its_replies_out(client: FlaskClient, work: Any) -> None:
    parent = submit(client, payload("the parent")).json["id"]
    reply = submit(client, payload("a reply", parent_id=parent)).json["id"]
    work()
    approve(client, reply)
    client.post(f"/v1/moderation/comments/{parent}/decision", headers=ADMIN_HEADERS,
                json={"action": "reject", "reason": "abuse"})
    assert public_ids(client) == [] and client.get(COUNT).json == {"count": 0}
    # The reply, approved while it waited, is not left approved and never published: it is back in review.
    reopened = client.get(f"/v1/moderation/comments/{reply}", headers=ADMIN_HEADERS).json
    assert reopened["status"] == "pending_review" and reopened["decision"] is None
    assert reply in [c["id"] for c in client.get("/v1/moderation/queue", headers=ADMIN_HEADERS).json["items"]]
    trail = client.get("/v1/moderation/audit", headers=ADMIN_HEADERS, query_string={"comment_id": reply}).json
    assert [e["action"] for e in trail["entries"]][:2] == ["decision.reopen", "decision.approve"]


def test_reversing_a_parent_takes_its_replies_out_and_republishing_brings_them_back(client: FlaskClient,
                                                                                    work: Any) -> None:
    parent = submit(client, payload("the parent")).json["id"]
    reply = submit(client, payload("a reply", parent_id=parent)).json["id"]
    work()
    approve(client, parent)
    approve(client, reply)
    assert public_ids(client) == [parent, reply]
    client.post(f"/v1/moderation/comments/{parent}/reversal", headers=ADMIN_HEADERS, json={})
    assert public_ids(client) == [] and client.get(COUNT).json == {"count": 0}
    assert client.get(f"/v1/sites/demo/comments/{reply}").json["status"] == "approved"
    approve(client, parent)
    assert public_ids(client) == [parent, reply] and client.get(COUNT).json == {"count": 2}


def test_count_always_equals_the_list(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"c{i}", author={"name": "N", "email": f"n{i}@example.com"})).json["id"]
           for i in range(6)]
    work()
    for i, cid in enumerate(ids):
        if i % 3 == 2:
            client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "reject"})
        else:
            approve(client, cid)
        everything, cursor = [], None
        while True:
            page = client.get(LIST + "?limit=2" + (f"&cursor={cursor}" if cursor else "")).json
            everything += page["comments"]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert client.get(COUNT).json["count"] == len(everything)
    assert client.get(COUNT).json == {"count": 4}


def test_etag_lets_a_page_poll_cheaply(client: FlaskClient, work: Any) -> None:
    first = submit(client, payload("one")).json["id"]
    second = submit(client, payload("two", author={"name": "B", "email": "b@example.com"})).json["id"]
    work()
    approve(client, first)
    r = client.get(LIST)
    etag = r.headers["ETag"]
    assert r.headers["Cache-Control"] == "no-cache"
    again = client.get(LIST, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b"" and again.headers["ETag"] == etag
    count = client.get(COUNT)
    assert client.get(COUNT, headers={"If-None-Match": count.headers["ETag"]}).status_code == 304
    assert count.headers["ETag"] != etag  # different resources, different tags
    newest = client.get(LIST + "?order=newest")
    assert newest.headers["ETag"] != etag
    approve(client, second)
    changed = client.get(LIST, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert [c["id"] for c in changed.json["comments"]] == [first, second]
    assert [c["id"] for c in client.get(LIST + "?order=newest").json["comments"]] == [second, first]
