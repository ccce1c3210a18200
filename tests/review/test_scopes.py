"""Moderators scoped to sites (issue 13, finding 9): another site's comments, bans and audit entries are not
theirs to read or touch, in the API and in the desk."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ADMIN_HEADERS, OTHER_SECRET, payload, submit


def moderator(client: FlaskClient, name: str, **extra: Any) -> dict[str, str]:
    r = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": name, **extra})
    assert r.status_code == 201, r.json
    return {"Authorization": f"Bearer {r.json['token']}"}


@pytest.fixture()
def two_sites(client: FlaskClient, work: Any) -> dict[str, Any]:
    demo = submit(client, payload("on demo", author={"name": "D", "email": "d@example.com"})).json["id"]
    other = submit(client, payload("on other", author={"name": "O", "email": "o@example.com"}), site="other",
                   secret=OTHER_SECRET).json["id"]
    work()
    return {"demo": demo, "other": other, "ann": moderator(client, "ann", sites=["demo"])}


def test_who_may_be_scoped_to_what(client: FlaskClient) -> None:
    for body, field in (({"name": "x", "role": "admin", "sites": ["demo"]}, "sites"),
                        ({"name": "x", "sites": ["nosuch"]}, "sites"), ({"name": "x", "sites": []}, "sites")):
        r = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json=body)
        assert r.status_code == 422 and field in r.json["fields"], r.json
    listed = client.get("/v1/moderation/moderators", headers=ADMIN_HEADERS)
    assert listed.json["moderators"] == []
    moderator(client, "ann", sites=["demo"])
    assert client.get("/v1/moderation/moderators", headers=ADMIN_HEADERS).json["moderators"][0]["sites"] == ["demo"]


def test_a_scoped_moderator_reads_and_decides_only_their_sites(client: FlaskClient, two_sites: Any) -> None:
    ann, demo, other = two_sites["ann"], two_sites["demo"], two_sites["other"]
    assert [c["id"] for c in client.get("/v1/moderation/queue", headers=ann).json["items"]] == [demo]
    assert client.get("/v1/moderation/queue?site=other", headers=ann).status_code == 404
    assert client.get(f"/v1/moderation/comments/{other}", headers=ann).status_code == 404
    r = client.post(f"/v1/moderation/comments/{other}/decision", headers=ann, json={"action": "approve"})
    assert r.status_code == 404 and r.json["error"] == "comment_not_found"
    bulk = client.post("/v1/moderation/decisions", headers=ann, json={"ids": [other, demo], "action": "reject"})
    assert [x.get("error") for x in bulk.json["results"]] == ["comment_not_found", None]
    # Nothing of the other site changed; the admin still sees and decides it.
    detail = client.get(f"/v1/moderation/comments/{other}", headers=ADMIN_HEADERS).json
    assert detail["status"] == "pending_review" and detail["author"]["email"] == "o@example.com"
    claimed = client.post("/v1/moderation/claims", headers=ann, json={"limit": 10}).json["items"]
    assert claimed == []  # demo's only comment is decided; the other site's is not offered
    assert client.post("/v1/moderation/claims", headers=ann, json={"limit": 10, "site": "other"}).status_code == 404
    assert [c["id"] for c in client.post("/v1/moderation/claims", headers=ADMIN_HEADERS,
                                         json={"limit": 10}).json["items"]] == [other]


def test_a_scoped_moderators_bans_hold_on_their_sites_and_they_cannot_lift_others(client: FlaskClient,
                                                                                 two_sites: Any) -> None:
    ann = two_sites["ann"]
    ban = client.post("/v1/moderation/bans", headers=ann, json={"email": "troll@example.com"})
    assert ban.status_code == 201 and ban.json["site"] == "demo"
    assert client.post("/v1/moderation/bans", headers=ann, json={"email": "t@example.com", "site": "other"}
                       ).status_code == 404
    troll = {"name": "T", "email": "troll@example.com"}
    assert submit(client, payload("banned here", author=troll)).status_code == 403
    assert submit(client, payload("not there", author=troll), site="other", secret=OTHER_SECRET).status_code == 202
    everywhere = client.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": "spam@example.com"}).json
    assert everywhere["site"] is None
    assert [b["id"] for b in client.get("/v1/moderation/bans", headers=ann).json["bans"]] == [ban.json["id"]]
    assert client.delete(f"/v1/moderation/bans/{everywhere['id']}", headers=ann).status_code == 404
    assert len(client.get("/v1/moderation/bans", headers=ADMIN_HEADERS).json["bans"]) == 2
    assert client.delete(f"/v1/moderation/bans/{ban.json['id']}", headers=ann).status_code == 204


def test_a_scoped_moderator_reads_only_their_sites_audit_and_stats(client: FlaskClient, two_sites: Any) -> None:
    ann, demo, other = two_sites["ann"], two_sites["demo"], two_sites["other"]
    for cid in (demo, other):
        client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    entries = client.get("/v1/moderation/audit", headers=ann).json["entries"]
    assert [e["comment_id"] for e in entries] == [demo] and {e["site"] for e in entries} == {"demo"}
    assert client.get(f"/v1/moderation/audit?comment_id={other}", headers=ann).json["entries"] == []
    assert len(client.get("/v1/moderation/audit", headers=ADMIN_HEADERS).json["entries"]) >= 3
    stats = client.get("/v1/moderation/stats", headers=ann).json
    assert set(stats["sites"]) == {"demo"} and stats["decisions_by_moderator"] == {}
    assert set(client.get("/v1/moderation/stats", headers=ADMIN_HEADERS).json["sites"]) == {"demo", "other"}


def test_a_scoped_moderator_sees_only_their_sites_in_the_desk(client: FlaskClient, two_sites: Any) -> None:
    from tests.review.test_desk_pages import login

    token = two_sites["ann"]["Authorization"].removeprefix("Bearer ")
    assert login(client, token).status_code == 302
    page = client.get("/moderate").get_data(as_text=True)
    assert "on demo" in page and "on other" not in page and "o@example.com" not in page
    assert "on other" not in client.get("/moderate?site=other").get_data(as_text=True)
    form = client.get("/moderate/bans").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    decided = client.post("/moderate/decide", json={"ids": [two_sites["other"]], "action": "approve"},
                          headers={"X-CSRF-Token": csrf.group(1)})
    assert decided.json["results"][0]["error"] == "comment_not_found"
    assert client.get(f"/v1/moderation/comments/{two_sites['other']}", headers=ADMIN_HEADERS
                      ).json["status"] == "pending_review"


def test_a_moderator_without_sites_sees_every_site(client: FlaskClient, two_sites: Any) -> None:
    bob = moderator(client, "bob")
    ids = {c["id"] for c in client.get("/v1/moderation/queue", headers=bob).json["items"]}
    assert ids == {two_sites["demo"], two_sites["other"]}
