"""Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, current_app, jsonify, request
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from moderation.errors import Unauthorized, Unavailable
from moderation.store.connections import accepts_writes
from moderation.store.shards import Shard
from service.extensions import settings, shards
from service.openapi import spec_dict

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers: nothing else is checked."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready only when REDIS_URL answers as a primary, so a load balancer sends no comment we could not store.

    Another Redis of MODERATION_SHARDS that is down or read-only leaves the API ready, since every API process
    shares it and the other sites' comments are still taken: the answer says `degraded` and names its sites, whose
    comments get 503 meanwhile."""
    home, *others = shards()
    state = _state(home)
    if state != "ready":
        raise Unavailable(_REFUSALS[state])
    down = sorted(site for shard in others if _state(shard) != "ready" for site in shard.sites)
    if down:
        return jsonify({"status": "degraded", "sites_unavailable": down})
    return jsonify({"status": "ready"})


_REFUSALS = {"unreachable": "Redis is unreachable.",
             "read-only": "Redis is a read-only replica: no comment can be stored until a primary answers."}


def _state(shard: Shard) -> str:
    """ready, read-only or unreachable: one ROLE, answered within a moment (a hung Redis is unreachable)."""
    try:
        return "ready" if accepts_writes(shard.probe) else "read-only"
    except Exception:  # noqa: BLE001 - any fault reaching it means it cannot take a comment
        return "unreachable"


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
