"""Security properties: constant-time comparisons, and the schemas never failing on any input."""

from __future__ import annotations

import hmac
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError

from moderation import accounts, signing
from moderation.schemas import BanIn, CommentIn, DecisionIn
from moderation.signing import sign
from tests.conftest import ADMIN, SECRET, payload, submit


@pytest.fixture()
def spy(monkeypatch: pytest.MonkeyPatch) -> list[tuple[bytes, bytes]]:
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def compare(a: Any, b: Any) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(signing.hmac, "compare_digest", compare)
    return calls


def test_signatures_are_compared_in_constant_time_against_every_candidate(client: Any, spy: list[Any]) -> None:
    body = json.dumps(payload()).encode()
    good = sign(SECRET, body)
    ts = good.split(",")[0]
    r = client.post("/v1/sites/demo/comments", data=body, headers={
        "Content-Type": "application/json", "X-Signature": f"{ts},v1={'0' * 64},v1={'f' * 64}"})
    assert r.status_code == 401
    assert len(spy) == 2  # both candidates compared, no early exit on the first mismatch
    spy.clear()
    assert submit(client).status_code == 202
    assert len(spy) == 1


def test_bearer_tokens_are_compared_in_constant_time(client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = hmac.compare_digest

    def counted(a: Any, b: Any) -> bool:
        calls.append(1)
        return real(a, b)

    monkeypatch.setattr(accounts.hmac, "compare_digest", counted)
    almost = "Bearer " + ADMIN[:-1] + "x"
    assert client.get("/v1/moderation/queue", headers={"Authorization": almost}).status_code == 401
    assert calls  # the bootstrap token; moderators' tokens are looked up by their SHA-256, never compared


JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=30),
                       lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner,
                                                                                    max_size=5), max_leaves=20)
FIELDS = st.fixed_dictionaries({}, optional={
    "article": JSONISH | st.fixed_dictionaries({"id": st.text(max_size=20), "url": st.text(max_size=40)}),
    "author": JSONISH | st.fixed_dictionaries({"name": st.text(max_size=60), "email": st.emails() | st.text()}),
    "body": st.text(max_size=1600) | JSONISH, "parent_id": JSONISH, "language": JSONISH, "client": JSONISH,
    "extra": JSONISH})


@settings(max_examples=300, deadline=None)
@given(st.one_of(JSONISH, FIELDS))
def test_the_schemas_never_fail_on_any_json(data: Any) -> None:
    for schema in (CommentIn(), DecisionIn(), BanIn()):
        try:
            loaded = schema.load(data)
        except ValidationError as err:
            assert isinstance(err.messages, dict | list)
        else:
            assert isinstance(loaded, dict)
