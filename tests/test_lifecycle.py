"""The whole life of a comment through HTTP: intake, screening by a real worker, review, publication."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis

from tests.conftest import ADMIN_HEADERS, payload, submit


def _all_text(response: Any) -> str:
    return response.get_data(as_text=True)


def test_a_comment_goes_from_article_page_to_publication(client: FlaskClient, work: Any) -> None:
    r = submit(client, payload("What a shitty decision, details at www.example-spam.com"))
    assert r.status_code == 202
    cid = r.json["id"]
    assert r.json == {"id": cid, "status": "received"}
    assert r.headers["Location"] == f"/v1/sites/demo/comments/{cid}"
    assert client.get(r.headers["Location"]).json["status"] == "received"

    work()

    status = client.get(r.headers["Location"]).json
    assert status["status"] == "pending_review"
    queue = client.get("/v1/moderation/queue", headers=ADMIN_HEADERS).json
    assert [c["id"] for c in queue["items"]] == [cid]
    detail = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
    assert detail["author"]["email"] == "layla@example.com"
    codes = {f["code"]: f for f in detail["flags"]}
    assert set(codes) == {"profanity", "link", "new_author"}
    # Evidence is what the reader wrote, where they wrote it: the desk highlights these spans of the body.
    spans = {code: [(ev["start"], ev["end"], ev["text"]) for ev in f["evidence"]] for code, f in codes.items()}
    assert spans["profanity"] == [(7, 13, "shitty")]
    assert spans["link"] == [(35, 55, "www.example-spam.com")]
    assert detail["risk"] > 0

    # Nothing is public before a moderator decides.
    assert client.get("/v1/sites/demo/articles/article-1/comments").json["comments"] == []
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 0}

    decided = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS,
                          json={"action": "approve", "note": "harsh but fair"})
    assert decided.status_code == 200
    assert decided.json["status"] == "published"
    assert decided.json["decision"]["moderator"] == "admin"

    public = client.get("/v1/sites/demo/articles/article-1/comments")
    assert [c["id"] for c in public.json["comments"]] == [cid]
    assert public.json["comments"][0]["author"] == {"name": "Layla"}
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 1}
    assert client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "published"
    assert client.get(f"/v1/sites/demo/comments/{cid}").json["decided_at"]


def test_rejected_comments_never_appear_publicly(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"Comment number {i}")).json["id"] for i in range(3)]
    work()
    client.post(f"/v1/moderation/comments/{ids[0]}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    rejected = client.post(f"/v1/moderation/comments/{ids[1]}/decision", headers=ADMIN_HEADERS,
                           json={"action": "reject", "reason": "spam", "note": "ad"})
    assert rejected.json["status"] == "rejected"
    assert rejected.json["decision"]["reason"] == "spam"
    listed = [c["id"] for c in client.get("/v1/sites/demo/articles/article-1/comments").json["comments"]]
    assert listed == [ids[0]]
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 1}
    queue = [c["id"] for c in client.get("/v1/moderation/queue", headers=ADMIN_HEADERS).json["items"]]
    assert queue == [ids[2]]


def test_a_reject_without_reason_is_recorded_as_other(client: FlaskClient, work: Any) -> None:
    cid = submit(client).json["id"]
    work()
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "reject"})
    assert r.json["decision"]["reason"] == "other"


def test_no_personal_data_in_any_public_response(client: FlaskClient, work: Any) -> None:
    r = submit(client, payload("تعليق مفيد عن المقال", author={"name": "سارة", "email": "sara.secret@example.org"},
                               client={"ip": "198.51.100.23", "user_agent": "Agent/7"}))
    cid = r.json["id"]
    work()
    client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    for url in (f"/v1/sites/demo/comments/{cid}", "/v1/sites/demo/articles/article-1/comments",
                "/v1/sites/demo/articles/article-1/comments/count"):
        text = _all_text(client.get(url))
        for secret in ("sara.secret", "198.51.100.23", "Agent/7", "email"):
            assert secret not in text, (url, secret)
    listed = client.get("/v1/sites/demo/articles/article-1/comments").json["comments"][0]
    assert listed["author"]["name"] == "سارة"
    assert listed["body"] == "تعليق مفيد عن المقال"
    assert listed["language"] == "ar"


def test_queue_orders_by_risk_then_age_and_pages_without_gaps(client: FlaskClient, work: Any) -> None:
    def by(i: int) -> dict[str, str]:
        return {"name": f"Reader {i}", "email": f"reader{i}@example.com"}

    clean = sorted(submit(client, payload(f"Clean comment {i}", author=by(i))).json["id"] for i in range(5))
    linky = submit(client, payload("see https://spam.example.com", author=by(5))).json["id"]
    rude = submit(client, payload("you bastard, www.spam.com", author=by(6))).json["id"]
    work()
    seen: list[str] = []
    cursor = None
    while True:
        url = "/v1/moderation/queue?limit=2" + (f"&cursor={cursor}" if cursor else "")
        page = client.get(url, headers=ADMIN_HEADERS).json
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [rude, linky, *clean]


def test_queue_filters_by_site_article_and_flag(client: FlaskClient, work: Any) -> None:
    a = submit(client, payload("plain words")).json["id"]
    b = submit(client, payload("go to www.spam.com", article={"id": "other-article", "url": "https://n.example/o"})).json["id"]
    from tests.conftest import OTHER_SECRET
    c = submit(client, payload("other site"), site="other", secret=OTHER_SECRET).json["id"]
    work()

    def ids(query: str) -> list[str]:
        return [x["id"] for x in client.get(f"/v1/moderation/queue?{query}", headers=ADMIN_HEADERS).json["items"]]

    assert ids("site=demo") == [b, a]
    assert ids("site=other") == [c]
    assert ids("site=demo&article_id=article-1") == [a]
    assert ids("flag=link") == [b]
    assert ids("site=demo&flag=link") == [b]
    assert ids("site=demo&article_id=article-1&flag=link") == []


def test_public_list_pages_oldest_or_newest_first(client: FlaskClient, work: Any) -> None:
    # Ids start with the creation time, so their order is the order written (ties in one ms by id).
    ids = sorted(submit(client, payload(f"Comment {i}")).json["id"] for i in range(5))
    work()
    for cid in ids:
        client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    for order, expected in (("oldest", ids), ("newest", ids[::-1])):
        seen, cursor = [], None
        while True:
            q = f"?limit=2&order={order}" + (f"&cursor={cursor}" if cursor else "")
            page = client.get(f"/v1/sites/demo/articles/article-1/comments{q}").json
            seen += [c["id"] for c in page["comments"]]
            cursor = page["next_cursor"]
            if not cursor:
                break
        assert seen == expected
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 5}


def test_a_reply_names_its_parent(client: FlaskClient, work: Any) -> None:
    parent = submit(client).json["id"]
    reply = submit(client, payload("I agree", parent_id=parent))
    assert reply.status_code == 202
    work()
    detail = client.get(f"/v1/moderation/comments/{reply.json['id']}", headers=ADMIN_HEADERS).json
    assert detail["parent_id"] == parent


def test_every_stored_comment_waits_for_its_sites_one_job(client: FlaskClient, redis: Redis, work: Any) -> None:
    ids = {submit(client, payload(f"c{i}")).json["id"] for i in range(20)}
    comment_keys = {k.split(":")[-1] for k in redis.scan_iter("mod:comment:*")}
    assert comment_keys == ids == set(redis.zrange("mod:inbox:demo", 0, -1))
    queued = redis.lrange("rq:queue:screening:demo", 0, -1)
    assert queued == [redis.get("mod:screening:job:demo")]
    assert redis.hget(f"rq:job:{queued[0]!s}", "status") == "queued"
    work()
    assert {client.get(f"/v1/sites/demo/comments/{cid}").json["status"] for cid in ids} == {"pending_review"}
    assert not redis.exists("mod:inbox:demo", "mod:screening:job:demo")


def test_every_text_field_is_stored_exactly_as_accepted(client: FlaskClient, redis: Redis) -> None:
    # The intake hands the comment to Redis as JSON inside a Lua script: quotes, backslashes, newlines, tabs,
    # Arabic with diacritics and bidi marks, emoji beyond the BMP and JSON-looking text must all come back as sent.
    body = 'قال: "لا\\n" \\ \u200f😀 {"a": [1]}\n\tend — ٣٤٥'
    data = payload(body, author={"name": 'سارة "S" \\ 😀', "email": "sara@example.org"},
                   article={"id": "a-1", "url": "https://news.example/a-1?x=\"y\"", "title": "عنوان\t😀"},
                   client={"ip": "2001:db8::1", "user_agent": 'UA/1 "quoted" \\ مرحبا'})
    cid = submit(client, data).json["id"]
    stored = redis.hgetall(f"mod:comment:{cid}")
    assert stored["body"] == body.strip()
    assert stored["author_name"] == 'سارة "S" \\ 😀'
    assert stored["article_url"] == 'https://news.example/a-1?x="y"'
    assert stored["article_title"] == "عنوان\t😀"
    assert stored["user_agent"] == 'UA/1 "quoted" \\ مرحبا'
    assert stored["client_ip"] == "2001:db8::1"
    assert stored["status"] == "received"


@pytest.mark.parametrize("words", ["The council's plan for the northern districts deserves a closer look ",
                                   "خطة المجلس للأحياء الشمالية تستحق نظرة أقرب "])
def test_a_full_length_comment_and_its_job_are_stored_compactly(client: FlaskClient, redis: Redis,
                                                                 work: Any, words: str) -> None:
    # Our own Redis keeps hashes with values up to 4 KB as listpacks (redisproc.TUNING): about a third less memory
    # per comment than Redis's default of 64 bytes, which turns a comment's hash into a hash table.
    body = (words * 40)[:1500]
    cid = submit(client, payload(body)).json["id"]
    assert redis.object("encoding", f"mod:comment:{cid}") == "listpack"
    assert redis.object("encoding", f"rq:job:{redis.get('mod:screening:job:demo')!s}") == "listpack"
    work()
    assert client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "pending_review"
    assert redis.object("encoding", f"mod:comment:{cid}") == "listpack"
