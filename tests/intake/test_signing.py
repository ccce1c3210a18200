"""The signature scheme on its own: what it accepts and refuses."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from redis import Redis

from moderation.errors import BadSignature
from moderation.signing import sign, signature, verify
from tests.redis_server import RedisServer


def test_signature_is_hmac_sha256_of_timestamp_dot_body() -> None:
    body = "{\"body\": \"مرحبا\"}".encode()
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert signature("s3cret", 1700000000, body) == expected
    assert sign("s3cret", body, 1700000000) == f"t=1700000000,v1={expected}"


def test_verify_accepts_a_fresh_signature_and_returns_its_time() -> None:
    header = sign("k", b"x", 1_000_000)
    assert verify(header, "k", b"x", now=1_000_000 + 299) == 1_000_000


def test_verify_accepts_any_of_several_signatures_for_rotation() -> None:
    good = sign("new", b"x", 1000).split("v1=")[1]
    assert verify(f"t=1000,v1={'0' * 64},v1={good}", "new", b"x", now=1000) == 1000


@pytest.mark.parametrize("header", [None, "", "t=1000", "v1=ab", "t=-5,v1=ab", "t=10000000000000,v1=ab",
                                    "t=1000,v1=zz", "t=1000,v1=é"])
def test_verify_refuses_malformed_headers(header: str | None) -> None:
    with pytest.raises(BadSignature):
        verify(header, "k", b"x", now=1000)


def test_verify_refuses_outside_the_window() -> None:
    with pytest.raises(BadSignature, match="300 seconds"):
        verify(sign("k", b"x", 1000), "k", b"x", now=1301)
    with pytest.raises(BadSignature):
        verify(sign("k", b"x", 1031), "k", b"x", now=1000)
    assert verify(sign("k", b"x", 1030), "k", b"x", now=1000) == 1030


def test_two_secrets_during_a_rotation() -> None:
    body = b"{}"
    for secret in ("new-secret", "old-secret"):
        assert verify(sign(secret, body, 1000), ["new-secret", "old-secret"], body, now=1000) == 1000
    with pytest.raises(BadSignature):
        verify(sign("retired", body, 1000), ["new-secret", "old-secret"], body, now=1000)


def test_rotation_through_the_environment(redis_server: RedisServer, redis: Redis) -> None:
    import json

    from moderation.settings import Settings
    from service import create_app

    env_value = "demo:new-one|old-one,other:solo"
    settings = Settings.load({"MODERATION_SITES": env_value})
    assert settings.sites == {"demo": "new-one", "other": "solo"}
    assert settings.site_secrets == {"demo": ("new-one", "old-one"), "other": ("solo",)}
    client = create_app({"REDIS_URL": redis_server.url, "SITES": env_value, "TESTING": True}).test_client()
    body = json.dumps({"article": {"id": "a", "url": "https://n.example/a"},
                       "author": {"name": "N", "email": "n@example.com"}, "body": "hi"}).encode()
    for secret, status in (("new-one", 202), ("old-one", 202), ("solo", 401)):
        r = client.post("/v1/sites/demo/comments", data=body,
                        headers={"Content-Type": "application/json", "X-Signature": sign(secret, body)})
        assert r.status_code == status, secret
