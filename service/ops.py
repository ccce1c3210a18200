"""Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from moderation.errors import Unauthorized, Unavailable
from moderation.store.connections import accepts_writes
from service.extensions import settings
from service.openapi import spec_dict

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers: nothing else is checked."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready only when Redis answers as a primary, so a load balancer sends no comment we could not store."""
    try:
        writable = accepts_writes(current_app.extensions["moderation.redis"])
    except Exception:
        raise Unavailable("Redis is unreachable.") from None
    if not writable:
        raise Unavailable("Redis is a read-only replica: no comment can be stored until a primary answers.")
    return jsonify({"status": "ready"})


@bp.get("/metrics")
def prometheus() -> Response:
    """Counters kept in Redis, so every API process and worker reports the same totals, rendered by
    prometheus-client; behind MODERATION_METRICS_TOKEN when it is set (the numbers name every site)."""
    token = settings().metrics_token
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise Unauthorized("GET /metrics needs the metrics bearer token.")
    return Response(generate_latest(current_app.extensions["moderation.metrics"]), mimetype=CONTENT_TYPE_LATEST)


@bp.get("/openapi.json")
def openapi() -> Response:
    """The v1 contract, generated from the marshmallow schemas the code validates with."""
    return jsonify(spec_dict())
