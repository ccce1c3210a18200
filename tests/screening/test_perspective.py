"""The Perspective-compatible endpoint: Perspective's own example request, its response shape, keys and limits."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from flask.testing import FlaskClient
from redis import Redis

from moderation.settings import ConfigError, parse_analyze_keys
from tests.conftest import make_app
from tests.redis_server import RedisServer

KEY = "demo-analyze-key-0123456789abcdef"
URL = f"/v1alpha1/comments:analyze?key={KEY}"


@pytest.fixture()
def api(redis: Redis, redis_server: RedisServer) -> FlaskClient:
    return make_app(redis_server.url, ANALYZE_KEYS=f"demo:{KEY}", ANALYZE_RATE=5).test_client()


def analyze(api: FlaskClient, body: dict[str, Any], url: str = URL) -> Any:
    return api.post(url, json=body)


def test_perspectives_documented_example_gets_perspectives_response_shape(api: FlaskClient) -> None:
    # The request of Perspective's "Methods: AnalyzeComment" guide, as written there.
    r = analyze(api, {"comment": {"text": "What kind of idiot name is foo?"}, "languages": ["en"],
                      "requestedAttributes": {"TOXICITY": {}}})
    assert r.status_code == 200, r.get_json()
    data = r.get_json()
    summary = data["attributeScores"]["TOXICITY"]["summaryScore"]
    assert summary["type"] == "PROBABILITY" and 0.5 < summary["value"] <= 1.0
    assert data["languages"] == ["en"] and data["detectedLanguages"] == ["en"]
    assert "spanScores" not in data["attributeScores"]["TOXICITY"]


def test_every_attribute_with_spans_in_utf16_offsets(api: FlaskClient) -> None:
    text = "😀 you stupid idiot, subscribe to my channel http://spam.example"
    r = analyze(api, {"comment": {"text": text}, "spanAnnotations": True, "clientToken": "t-1",
                      "requestedAttributes": {a: {} for a in ("TOXICITY", "SEVERE_TOXICITY", "INSULT", "PROFANITY",
                                                              "SPAM")}})
    data = r.get_json()
    assert r.status_code == 200, data
    scores = data["attributeScores"]
    assert set(scores) == {"TOXICITY", "SEVERE_TOXICITY", "INSULT", "PROFANITY", "SPAM"}
    assert scores["PROFANITY"]["summaryScore"]["value"] >= 0.6
    utf16 = text.encode("utf-16-le")
    shown = [utf16[s["begin"] * 2:s["end"] * 2].decode("utf-16-le") for s in scores["PROFANITY"]["spanScores"]]
    assert "idiot" in shown
    assert data["clientToken"] == "t-1"


def test_arabic_is_scored_by_the_arabic_model(api: FlaskClient) -> None:
    rude = analyze(api, {"comment": {"text": "انت حمار وغبي يا كلب"}, "requestedAttributes": {"TOXICITY": {}}})
    kind = analyze(api, {"comment": {"text": "شكرا على التقرير المفيد"}, "requestedAttributes": {"TOXICITY": {}}})
    value = [r.get_json()["attributeScores"]["TOXICITY"]["summaryScore"]["value"] for r in (rude, kind)]
    assert value[0] > 0.8 > value[1]
    assert rude.get_json()["detectedLanguages"] == ["ar"]


def test_score_threshold_leaves_low_attributes_out(api: FlaskClient) -> None:
    r = analyze(api, {"comment": {"text": "A calm note on the budget."},
                      "requestedAttributes": {"TOXICITY": {"scoreThreshold": 0.9}, "SPAM": {}}})
    assert set(r.get_json()["attributeScores"]) == {"SPAM"}


@pytest.mark.parametrize("body,status,code", [
    ({"comment": {"text": "hi"}, "requestedAttributes": {"THREAT": {}}}, 400, "unsupported_attribute"),
    ({"comment": {"text": "hi"}, "languages": ["fr"], "requestedAttributes": {"TOXICITY": {}}}, 400,
     "unsupported_language"),
    ({"comment": {"text": "hi"}, "requestedAttributes": {}}, 422, "validation_failed"),
    ({"requestedAttributes": {"TOXICITY": {}}}, 422, "validation_failed"),
])
def test_what_perspective_refuses_we_refuse_with_our_error_body(api: FlaskClient, body: dict[str, Any],
                                                                 status: int, code: str) -> None:
    r = analyze(api, body)
    assert r.status_code == status
    assert r.get_json()["error"] == code and r.get_json()["message"]


def test_a_wrong_or_missing_key_is_refused_and_no_key_is_ever_logged(api: FlaskClient,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
    caplog.set_level(logging.DEBUG)
    assert analyze(api, body, "/v1alpha1/comments:analyze?key=wrong-key-000000000000").status_code == 403
    assert analyze(api, body, "/v1alpha1/comments:analyze").status_code == 403
    assert analyze(api, body).status_code == 200
    assert caplog.records, "the request log wrote nothing to check"
    assert all(KEY not in r.getMessage() and KEY not in str(r.__dict__) for r in caplog.records)


def test_each_key_is_rate_limited(api: FlaskClient) -> None:
    body = {"comment": {"text": "hello"}, "requestedAttributes": {"TOXICITY": {}}}
    codes = [analyze(api, body).status_code for _ in range(12)]
    assert 429 in codes and codes.count(200) <= 10  # 5 a second: at most two windows' worth, however timed
    limited = next(r for r in (analyze(api, body) for _ in range(3)) if r.status_code == 429)
    assert limited.headers["Retry-After"] == "1" and limited.get_json()["error"] == "rate_limited"


def test_analyze_keys_setting_is_validated() -> None:
    assert parse_analyze_keys(f"demo:{KEY}, other:{KEY}x") == {KEY: "demo", KEY + "x": "other"}
    for bad in ("demo", f"demo:{KEY},other:{KEY}", "demo:short"):
        with pytest.raises(ConfigError, match="MODERATION_ANALYZE_KEYS"):
            parse_analyze_keys(bad)
