"""Values a client sends cannot name another key: article ids end in every suffix the layout uses, and hold
`:`, `{`, `}`, `*`, `%`, spaces and Arabic (issue 13, finding 4)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from flask.testing import FlaskClient
from redis import Redis

from moderation.store.keys import part
from tests.conftest import ADMIN_HEADERS, payload, submit

SUFFIXES = [":version", ":comments", ":site:demo", ":all"]
ODD_IDS = ["A" + s for s in SUFFIXES] + ["A:{x}", "{A}", "A*", "*", "A%3Aversion", "مقال:version", "مقال"]


def _article(client: FlaskClient, article_id: str) -> str:
    return f"/v1/sites/demo/articles/{quote(article_id, safe='')}/comments"


def _approve(client: FlaskClient, cid: str) -> None:
    r = client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    assert r.status_code == 200, r.json
    assert r.json["status"] == "published"


def test_part_keeps_plain_ids_and_never_maps_two_values_to_one() -> None:
    assert part("article-1") == "article-1" and part("a.b_c~d@e") == "a.b_c~d@e"
    encoded = [part(v) for v in ["A", *ODD_IDS]]
    assert len(set(encoded)) == len(encoded)
    assert not any(c in e for e in encoded for c in ":{}* ")


@pytest.mark.parametrize("odd", ODD_IDS)
def test_an_article_id_with_a_key_suffix_or_pattern_leaves_other_articles_alone(
        client: FlaskClient, redis: Redis, work: Any, odd: str) -> None:
    plain = submit(client, payload("on article A", article={"id": "A", "url": "https://n.example/a"})).json["id"]
    work()
    _approve(client, plain)
    r = submit(client, payload("on the odd article", article={"id": odd, "url": "https://n.example/b"}))
    assert r.status_code == 202, r.json
    odd_id = r.json["id"]
    work()
    # The odd article's comment waits in its own article's queue, not in A's.
    queue = client.get("/v1/moderation/queue", query_string={"site": "demo", "article_id": odd}, headers=ADMIN_HEADERS)
    assert [c["id"] for c in queue.json["items"]] == [odd_id]
    assert client.get("/v1/moderation/queue", query_string={"site": "demo", "article_id": "A"},
                      headers=ADMIN_HEADERS).json["items"] == []
    _approve(client, odd_id)
    # Article A's public list, count and ETag still answer, with only its own comment.
    listed = client.get(_article(client, "A"))
    assert listed.status_code == 200 and [c["id"] for c in listed.json["comments"]] == [plain]
    assert client.get(_article(client, "A") + "/count").json == {"count": 1}
    odd_list = client.get(_article(client, odd))
    assert odd_list.status_code == 200 and [c["id"] for c in odd_list.json["comments"]] == [odd_id]
    assert client.get(_article(client, odd) + "/count").json == {"count": 1}
    # A later decision on A still applies whole.
    again = submit(client, payload("second on A", article={"id": "A", "url": "https://n.example/a"})).json["id"]
    work()
    _approve(client, again)
    assert client.get(_article(client, "A") + "/count").json == {"count": 2}
    assert [c["id"] for c in client.get(_article(client, "A")).json["comments"]] == [plain, again]


ODD_COMMENT_IDS = ["x:version", "{x}", "*", "x y", "تعليق", "x%2A", "x:comments"]


@pytest.mark.parametrize("odd", ODD_COMMENT_IDS)
def test_odd_comment_ids_in_urls_are_a_404_and_touch_nothing(client: FlaskClient, redis: Redis, odd: str) -> None:
    cid = submit(client, payload("a comment")).json["id"]
    before = sorted(redis.scan_iter("*"))
    path = quote(odd, safe="")
    for method, url, body in (
            ("get", f"/v1/moderation/comments/{path}", None),
            ("post", f"/v1/moderation/comments/{path}/decision", {"action": "approve"}),
            ("get", f"/v1/sites/demo/comments/{path}", None)):
        r = getattr(client, method)(url, headers=ADMIN_HEADERS, json=body)
        assert r.status_code == 404 and r.json["error"] in ("comment_not_found", "not_found"), (url, r.json)
    bulk = client.post("/v1/moderation/decisions", headers=ADMIN_HEADERS,
                       json={"ids": [odd, cid + "*"], "action": "reject"})
    assert bulk.status_code < 500, bulk.json
    assert [k for k in redis.scan_iter("*") if k not in before] == []
    assert redis.hget(f"mod:comment:{cid}", "status") == "received"
