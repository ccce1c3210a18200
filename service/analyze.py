"""Perspective-compatible analysis: `POST /v1alpha1/comments:analyze?key=KEY`, scored by our own models."""

from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request

from moderation.errors import Forbidden
from moderation.intake import load_json
from moderation.schemas import AnalyzeIn
from moderation.screening import perspective
from moderation.screening.screener import screener_for
from moderation.store import ratelimit
from service.body import read_body
from service.extensions import policies, settings

bp = Blueprint("analyze", __name__)
_IN = AnalyzeIn()


class InvalidKey(Forbidden):
    code, message = "invalid_api_key", "API key not valid: pass one of MODERATION_ANALYZE_KEYS as ?key=."


@bp.post("/v1alpha1/comments:analyze")
def analyze() -> Response:
    """Perspective's AnalyzeComment: TOXICITY, SEVERE_TOXICITY, INSULT, PROFANITY and SPAM, with spans."""
    # The key comes in the query string as Perspective's does (or its header); the request log writes the path only.
    key = request.args.get("key") or request.headers.get("X-Goog-Api-Key") or ""
    site = settings().analyze_keys.get(key)
    if site is None:
        raise InvalidKey()
    ratelimit.take(current_app.extensions["moderation.redis"], "analyze", key, settings().analyze_rate)
    data = load_json(_IN, read_body())
    result = perspective.analyze(screener_for(policies().for_site(site)), data["comment"]["text"],
                                 data["requestedAttributes"], data["languages"], data["spanAnnotations"])
    if "clientToken" in data:
        result["clientToken"] = data["clientToken"]
    return jsonify(result)
