"""Moderation endpoints: authentication, the comment detail, decisions and their errors."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ADMIN_HEADERS, payload, submit


@pytest.mark.parametrize("url", ["/v1/moderation/queue", "/v1/moderation/comments/abc"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic YWRtaW4="},
                                     {"Authorization": "Bearer "}, {"Authorization": "admin-token-123"}])
def test_without_a_valid_bearer_token_is_401(client: FlaskClient, url: str, headers: dict[str, str]) -> None:
    r = client.get(url, headers=headers)
    assert r.status_code == 401
    assert r.json["error"] == "unauthorized"
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


def test_decision_without_token_is_401_and_changes_nothing(client: FlaskClient, work: Any) -> None:
    cid = submit(client).json["id"]
    work()
    r = client.post(f"/v1/moderation/comments/{cid}/decision", json={"action": "approve"})
    assert r.status_code == 401
    assert client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "pending_review"


def test_unknown_comment_is_404(client: FlaskClient) -> None:
    r = client.get("/v1/moderation/comments/doesnotexist", headers=ADMIN_HEADERS)
    assert (r.status_code, r.json["error"]) == (404, "comment_not_found")
    r = client.post("/v1/moderation/comments/doesnotexist/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    assert (r.status_code, r.json["error"]) == (404, "comment_not_found")


def test_status_of_a_comment_from_another_site_is_404(client: FlaskClient) -> None:
    cid = submit(client).json["id"]
    assert client.get(f"/v1/sites/other/comments/{cid}").status_code == 404
    assert client.get(f"/v1/sites/nosuch/comments/{cid}").json["error"] == "unknown_site"


def test_deciding_a_decided_comment_is_409(client: FlaskClient, work: Any) -> None:
    cid = submit(client).json["id"]
    work()
    ok = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    assert ok.status_code == 200
    for action in ("approve", "reject"):
        r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": action})
        assert (r.status_code, r.json["error"]) == (409, "not_pending")
        assert "published" in r.json["message"]
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 1}


def test_deciding_an_unscreened_comment_is_409(client: FlaskClient) -> None:
    cid = submit(client).json["id"]
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    assert (r.status_code, r.json["error"]) == (409, "not_pending")


@pytest.mark.parametrize("body,field", [
    ({"action": "delete"}, "action"),
    ({}, "action"),
    ({"action": "reject", "reason": "because"}, "reason"),
    ({"action": "approve", "reason": "spam"}, "reason"),
    ({"action": "reject", "note": "x" * 2001}, "note"),
    ({"action": "approve", "extra": 1}, "extra"),
])
def test_invalid_decision_is_422(client: FlaskClient, work: Any, body: dict[str, Any], field: str) -> None:
    cid = submit(client).json["id"]
    work()
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json=body)
    assert r.status_code == 422
    assert field in r.json["fields"]
    assert client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "pending_review"


def test_malformed_decision_json_is_400(client: FlaskClient) -> None:
    cid = submit(client).json["id"]
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers={**ADMIN_HEADERS,
                    "Content-Type": "application/json"}, data=b"{oops")
    assert (r.status_code, r.json["error"]) == (400, "malformed_json")


@pytest.mark.parametrize("query,field", [("limit=0", "limit"), ("limit=1000", "limit"), ("limit=x", "limit"),
                                         ("cursor=%%%", "cursor"), ("cursor=Zm9v", "cursor")])
def test_bad_queue_query_is_422(client: FlaskClient, query: str, field: str) -> None:
    r = client.get(f"/v1/moderation/queue?{query}", headers=ADMIN_HEADERS)
    assert r.status_code == 422
    assert field in r.json["fields"]


def test_bad_public_query_is_422(client: FlaskClient) -> None:
    r = client.get("/v1/sites/demo/articles/a/comments?order=random")
    assert r.status_code == 422 and "order" in r.json["fields"]
    r = client.get("/v1/sites/demo/articles/a/comments?cursor=bm90OmE6Y3Vyc29y!")
    assert r.status_code == 422 and "cursor" in r.json["fields"]


def test_public_endpoints_of_unknown_site_are_404(client: FlaskClient) -> None:
    assert client.get("/v1/sites/nosuch/articles/a/comments").json["error"] == "unknown_site"
    assert client.get("/v1/sites/nosuch/articles/a/comments/count").status_code == 404


def test_detail_shows_everything_a_moderator_needs(client: FlaskClient, work: Any) -> None:
    cid = submit(client, payload("Call me at www.example.com", language="en")).json["id"]
    work()
    d = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
    assert d["article"] == {"id": "article-1", "url": "https://news.example/article-1", "title": "Budget 2027"}
    assert d["author"] == {"name": "Layla", "email": "layla@example.com"}
    assert d["client"] == {"ip": "203.0.113.7", "user_agent": "Mozilla/5.0"}
    assert d["status"] == "pending_review" and d["screened_at"] and d["language"] == "en"
    assert d["flags"][0]["code"] == "link" and d["flags"][0]["severity"] == "medium"
