"""Every error the intake contract names, each with its JSON body, and no comment stored on any of them."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis

from moderation.signing import sign
from tests.conftest import ADMIN_HEADERS, OTHER_SECRET, SECRET, payload, submit


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.json["error"] == code
    assert response.json["message"]
    return response.json


@pytest.fixture(autouse=True)
def nothing_stored_on_error(redis: Redis) -> Any:
    """After each test here no comment and no job may be left: an error adds nothing.

    The few tests that store a comment on purpose clear Redis when done.
    """
    yield
    assert list(redis.scan_iter("mod:comment:*")) == []
    assert redis.llen("rq:queue:screening:demo") == 0 == redis.zcard("mod:inbox:demo")


def test_unknown_site_is_404(client: FlaskClient) -> None:
    assert_error(submit(client, site="nosuchsite"), 404, "unknown_site")


def test_not_json_is_415(client: FlaskClient) -> None:
    body = json.dumps(payload()).encode()
    r = client.post("/v1/sites/demo/comments", data=body,
                    headers={"Content-Type": "text/plain", "X-Signature": sign(SECRET, body)})
    assert_error(r, 415, "unsupported_media_type")
    r = client.post("/v1/sites/demo/comments", data=body, headers={"X-Signature": sign(SECRET, body)})
    assert_error(r, 415, "unsupported_media_type")


def test_too_large_is_413(client: FlaskClient) -> None:
    r = submit(client, raw=b'{"body": "' + b"x" * 70_000 + b'"}')
    assert_error(r, 413, "too_large")


@pytest.mark.parametrize("raw", [b"{not json", b"", b'{"body": "\xff\xfe"}', b"[" * 100_00 + b"]" * 100_00])
def test_malformed_json_is_400(client: FlaskClient, raw: bytes) -> None:
    assert_error(submit(client, raw=raw), 400, "malformed_json")


def test_missing_signature_is_401(client: FlaskClient) -> None:
    body = json.dumps(payload()).encode()
    r = client.post("/v1/sites/demo/comments", data=body, headers={"Content-Type": "application/json"})
    assert_error(r, 401, "invalid_signature")


@pytest.mark.parametrize("header", ["garbage", "t=abc,v1=00", "v1=deadbeef", "t=1700000000",
                                    # Issue 13, finding 8: '²' and Arabic-Indic digits pass str.isdigit(); were a 500.
                                    # (sent as the byte 0xB2, which the server reads as Latin-1)
                                    "t=\u00b2,v1=00", "t=17000000\u00b9\u00b3,v1=00"])
def test_malformed_signature_is_401(client: FlaskClient, header: str) -> None:
    assert_error(submit(client, headers={"X-Signature": header}), 401, "invalid_signature")


def test_a_non_ascii_digit_in_the_signature_time_is_a_401_not_a_500() -> None:
    from moderation.errors import BadSignature
    from moderation.signing import verify

    for digits in ("\u00b2", "\u0661\u0667\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660"):
        with pytest.raises(BadSignature):
            verify(f"t={digits},v1=00", SECRET, b"{}")


def test_wrong_secret_is_401(client: FlaskClient) -> None:
    assert_error(submit(client, secret="not-the-secret"), 401, "invalid_signature")


def test_signature_of_another_site_is_401(client: FlaskClient) -> None:
    assert_error(submit(client, site="demo", secret=OTHER_SECRET), 401, "invalid_signature")


def test_signature_over_a_different_body_is_401(client: FlaskClient) -> None:
    signed = json.dumps(payload("original")).encode()
    sent = json.dumps(payload("tampered")).encode()
    r = client.post("/v1/sites/demo/comments", data=sent,
                    headers={"Content-Type": "application/json", "X-Signature": sign(SECRET, signed)})
    assert_error(r, 401, "invalid_signature")


@pytest.mark.parametrize("offset", [-301, -3600])
def test_stale_signature_is_401(client: FlaskClient, offset: int) -> None:
    r = submit(client, timestamp=int(time.time()) + offset)
    assert "300 seconds" in assert_error(r, 401, "invalid_signature")["message"]


@pytest.mark.parametrize("offset", [32, 290, 301])
def test_signature_more_than_30_s_ahead_is_401(client: FlaskClient, offset: int) -> None:
    """Issue 13, finding 7: a time 290 s ahead kept one capture usable for ~590 s."""
    r = submit(client, timestamp=int(time.time()) + offset)
    assert "30 seconds ahead" in assert_error(r, 401, "invalid_signature")["message"]


@pytest.mark.parametrize("offset", [-290, 25])
def test_signature_inside_the_window_is_accepted(client: FlaskClient, redis: Redis, offset: int) -> None:
    assert submit(client, timestamp=int(time.time()) + offset).status_code == 202
    redis.flushall()


def test_idempotency_key_with_a_different_body_is_409(client: FlaskClient, redis: Redis) -> None:
    assert submit(client, payload("first"), idempotency_key="key-1").status_code == 202
    assert_error(submit(client, payload("second"), idempotency_key="key-1"), 409, "idempotency_conflict")
    assert len(list(redis.scan_iter("mod:comment:*"))) == 1
    redis.flushall()


def test_a_used_idempotency_key_with_an_invalid_body_is_409_not_422(client: FlaskClient, redis: Redis) -> None:
    assert submit(client, payload("first"), idempotency_key="key-2").status_code == 202
    assert_error(submit(client, payload(""), idempotency_key="key-2"), 409, "idempotency_conflict")
    assert_error(submit(client, payload(""), idempotency_key="key-3"), 422, "validation_failed")
    redis.flushall()


def test_a_replay_gets_its_first_answer_even_after_the_author_is_banned(client: FlaskClient, redis: Redis) -> None:
    first = submit(client, payload("before the ban"), idempotency_key="key-4")
    assert first.status_code == 202
    ban = client.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": "layla@example.com"})
    assert ban.status_code == 201
    again = submit(client, payload("before the ban"), idempotency_key="key-4")
    assert (again.status_code, again.json["id"], again.headers["Idempotent-Replayed"]) == (
        202, first.json["id"], "true")
    assert_error(submit(client, payload("after the ban")), 403, "author_banned")
    redis.flushall()


def test_bad_idempotency_key_is_400(client: FlaskClient) -> None:
    assert_error(submit(client, idempotency_key="x" * 300), 400, "invalid_header")


def _fields(response: Any) -> dict[str, Any]:
    return assert_error(response, 422, "validation_failed")["fields"]


@pytest.mark.parametrize("field", ["article", "author", "body"])
def test_missing_required_field_is_422(client: FlaskClient, field: str) -> None:
    data = payload()
    del data[field]
    assert field in _fields(submit(client, data))


@pytest.mark.parametrize("path", [("article", "id"), ("article", "url"), ("author", "name"), ("author", "email")])
def test_missing_nested_field_is_422(client: FlaskClient, path: tuple[str, str]) -> None:
    data = payload()
    del data[path[0]][path[1]]
    assert path[1] in _fields(submit(client, data))[path[0]]


def test_body_over_1500_code_points_is_422(client: FlaskClient) -> None:
    assert "1500" in _fields(submit(client, payload("ب" * 1501)))["body"][0]


def test_body_counts_nfc_code_points(client: FlaskClient, redis: Redis) -> None:
    # 1500 'é' written as e + combining acute: 3000 code points sent, 1500 after NFC, like the reader's counter.
    r = submit(client, payload("e\u0301" * 1500))
    assert r.status_code == 202
    assert redis.hget(f"mod:comment:{r.json['id']}", "body") == "\u00e9" * 1500
    redis.flushall()


@pytest.mark.parametrize("body", ["", "   ", "\n\t \u3000"])
def test_empty_or_whitespace_body_is_422(client: FlaskClient, body: str) -> None:
    assert _fields(submit(client, payload(body)))["body"] == ["Must not be empty."]


@pytest.mark.parametrize("email", ["not-an-email", "a@", "@b.com", "", "a b@c.com"])
def test_invalid_email_is_422(client: FlaskClient, email: str) -> None:
    assert "email" in _fields(submit(client, payload(author={"name": "N", "email": email})))["author"]


@pytest.mark.parametrize("name", ["", " ", "x" * 51])
def test_name_outside_1_to_50_is_422(client: FlaskClient, name: str) -> None:
    assert "name" in _fields(submit(client, payload(author={"name": name, "email": "a@b.co"})))["author"]


def test_unknown_fields_are_refused(client: FlaskClient) -> None:
    assert "score" in _fields(submit(client, payload(score=5)))
    data = payload()
    data["author"]["admin"] = True
    assert "admin" in _fields(submit(client, data))["author"]


@pytest.mark.parametrize("value", [1, None, ["a"], {"x": 1}])
def test_wrong_types_are_422(client: FlaskClient, value: object) -> None:
    assert "body" in _fields(submit(client, payload(body=value)))  # type: ignore[arg-type]  # the test sends what payload() does not allow


def test_a_json_array_is_422_not_500(client: FlaskClient) -> None:
    assert "_schema" in _fields(submit(client, raw=b"[1, 2]"))


def test_unknown_parent_is_422(client: FlaskClient) -> None:
    assert "parent_id" in _fields(submit(client, payload(parent_id="1a2b3c")))
    assert "parent_id" in _fields(submit(client, payload(parent_id="../../etc")))


def test_parent_from_another_article_is_422(client: FlaskClient, redis: Redis) -> None:
    parent = submit(client, payload(article={"id": "elsewhere", "url": "https://n.example/e"})).json["id"]
    assert "parent_id" in _fields(submit(client, payload(parent_id=parent)))
    redis.flushall()


def test_parent_from_another_site_is_422(client: FlaskClient, redis: Redis) -> None:
    parent = submit(client, payload(), site="other", secret=OTHER_SECRET).json["id"]
    assert "parent_id" in _fields(submit(client, payload(parent_id=parent)))
    redis.flushall()


@pytest.mark.parametrize("text", ["bad \ud800 surrogate", "nul \x00 byte", "escape \x1b[31m"])
def test_unstorable_characters_are_422_not_500(client: FlaskClient, text: str) -> None:
    raw = json.dumps(payload(text)).encode()  # json.dumps escapes the lone surrogate as \\ud800
    assert "body" in _fields(submit(client, raw=raw))


def test_invalid_article_url_and_ip_are_422(client: FlaskClient) -> None:
    fields = _fields(submit(client, payload(article={"id": "a", "url": "javascript:alert(1)"},
                                            client={"ip": "999.1.1.1"})))
    assert "url" in fields["article"]
    assert "ip" in fields["client"]


def test_article_id_with_a_slash_is_422(client: FlaskClient) -> None:
    assert "id" in _fields(submit(client, payload(article={"id": "2024/05/x", "url": "https://n.example/x"})))["article"]


def test_errors_answer_json_for_unknown_routes_and_methods(client: FlaskClient) -> None:
    assert_error(client.get("/v1/nothing-here"), 404, "not_found")
    r = client.get("/v1/sites/demo/comments")
    assert_error(r, 405, "method_not_allowed")
    assert "POST" in r.headers["Allow"]


# ---- issue 13, finding 8: bad bytes get a 4xx with our JSON body, never a 500 and never a stored comment ----------

def _raw(client: FlaskClient, raw: bytes, path: str = "/v1/sites/demo/comments") -> Any:
    return client.post(path, data=raw, headers={"Content-Type": "application/json", "X-Signature": sign(SECRET, raw)})


def test_a_utf16_body_is_400(client: FlaskClient, redis: Redis) -> None:
    raw = json.dumps(payload("hello")).encode("utf-16")
    assert "UTF-8" in assert_error(_raw(client, raw), 400, "malformed_json")["message"]
    assert list(redis.scan_iter("mod:comment:*")) == []


def test_duplicate_member_names_are_400(client: FlaskClient, redis: Redis) -> None:
    raw = json.dumps(payload("first")).encode()[:-1] + b', "body": "second"}'
    assert "twice" in assert_error(_raw(client, raw), 400, "malformed_json")["message"]
    assert list(redis.scan_iter("mod:comment:*")) == []


@pytest.mark.parametrize("raw", [
    b'{"\\ud800": 1}',  # a lone surrogate as a member name
    json.dumps(payload("x")).encode().replace(b'"title"', b'"ti\\udfffle"'),
])
def test_a_lone_surrogate_in_a_member_name_is_400(client: FlaskClient, raw: bytes) -> None:
    assert_error(_raw(client, raw), 400, "malformed_json")


@pytest.mark.parametrize(("field", "path"), [("url", ("article", "url")), ("id", ("article", "id")),
                                             ("name", ("author", "name"))])
@pytest.mark.parametrize("escape", ["\\ud800", "\\u0000"])
def test_a_lone_surrogate_or_nul_in_any_field_is_422(client: FlaskClient, redis: Redis, field: str,
                                                     path: tuple[str, str], escape: str) -> None:
    data = payload("fine")
    data[path[0]][path[1]] = "PLACEHOLDER"
    original = {"url": "https://n.example/a", "id": "a1", "name": "Layla"}[field]
    raw = json.dumps(data).encode().replace(b"PLACEHOLDER", (original + escape).encode())
    body = assert_error(_raw(client, raw), 422, "validation_failed")
    assert path[1] in body["fields"][path[0]]
    assert list(redis.scan_iter("mod:comment:*")) == []


@pytest.mark.parametrize("path", ["/v1/moderation/decisions", "/v1/moderation/claims", "/v1/moderation/bans",
                                  "/v1/moderation/moderators"])
def test_lone_surrogates_on_moderation_endpoints_are_4xx(client: FlaskClient, path: str) -> None:
    for raw in (b'{"ids": ["\\ud800"], "action": "approve"}', b'{"\\udc00": 1}', b'{"email": "a\\ud800@x.org"}'):
        r = client.post(path, data=raw, headers={**ADMIN_HEADERS, "Content-Type": "application/json"})
        assert 400 <= r.status_code < 500 and r.json["error"], (path, raw, r.status_code)


@pytest.mark.parametrize("text", ["\u200b\u200b", "\u2060\ufeff", "\u3164", "\u202e\u202d", "\u0301\u200d",
                                  "\u115f\u1160 \u00a0"])
def test_a_body_or_name_with_no_visible_character_is_422(client: FlaskClient, redis: Redis, text: str) -> None:
    assert "body" in assert_error(submit(client, payload(text)), 422, "validation_failed")["fields"]
    named = payload("fine", author={"name": text, "email": "x@example.com"})
    assert "name" in assert_error(submit(client, named), 422, "validation_failed")["fields"]["author"]
    assert list(redis.scan_iter("mod:comment:*")) == []


def test_bidi_overrides_are_removed_so_filters_and_moderators_see_what_readers_see(
        client: FlaskClient, redis: Redis, work: Any) -> None:
    data = payload("you are an \u202etoidi\u202c, see", author={"name": "Admin\u202egnp.exe", "email": "a@example.com"})
    cid = submit(client, data).json["id"]
    work()
    stored = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
    assert stored["author"]["name"] == "Admingnp.exe"
    assert stored["body"] == "you are an toidi, see"
    assert not any(ch in stored["body"] + stored["author"]["name"] for ch in "\u202a\u202b\u202c\u202d\u202e")
    # Arabic with the marks readers' text may need (RLM, ZWNJ) keeps them.
    marked = "\u0645\u0631\u062d\u0628\u0627\u200f \u0628\u200c\u0643\u0645"
    arabic = submit(client, payload(marked)).json["id"]
    assert redis.hget(f"mod:comment:{arabic}", "body") == marked
    redis.flushall()
