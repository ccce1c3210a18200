"""Operations endpoints: liveness, readiness, Prometheus metrics and the OpenAPI document."""

from __future__ import annotations

import hmac
import time

from flask import Blueprint, Response, current_app, jsonify, request
from rq.registry import FailedJobRegistry

from moderation import metrics
from moderation import store as data
from moderation.errors import Unauthorized, Unavailable
from moderation.events import WEBHOOK_QUEUE
from moderation.queues import SCREENING_QUEUE
from service.extensions import desk, settings
from service.openapi import spec_dict

bp = Blueprint("ops", __name__)


@bp.get("/healthz")
def healthz() -> Response:
    """The process answers: nothing else is checked."""
    return jsonify({"status": "ok"})


@bp.get("/readyz")
def readyz() -> Response:
    """Ready only when Redis answers, so a load balancer sends no comment we could not store."""
    try:
        current_app.extensions["moderation.redis"].ping()
    except Exception:
        raise Unavailable("Redis is unreachable.") from None
    return jsonify({"status": "ready"})


def _line(name: str, value: float, **labels: str) -> str:
    if labels:
        inner = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        return f"{name}{{{inner}}} {value}"
    return f"{name} {value}"


@bp.get("/metrics")
def prometheus() -> Response:
    """Counters kept in Redis, so every API process and worker reports the same totals; behind
    MODERATION_METRICS_TOKEN when it is set (the numbers name every site)."""
    token = settings().metrics_token
    if token:
        sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(sent.encode(), token.encode()):
            raise Unauthorized("GET /metrics needs the metrics bearer token.")
    redis = current_app.extensions["moderation.redis"]
    raw = current_app.extensions["moderation.rq_redis"]
    sites = sorted(settings().sites)
    with redis.pipeline(transaction=False) as pipe:
        pipe.hgetall(metrics.INTAKE)
        pipe.hgetall(metrics.DECISIONS)
        pipe.hgetall(metrics.SCREENING)
        pipe.hgetall(metrics.WEBHOOKS)
        for site in sites:
            pipe.zcard(data.site_queue_key(site))
            pipe.zrange(data.age_key(site), 0, 0, withscores=True)
        intake, decisions, screening, webhooks, *per_site = pipe.execute()
    depths, oldest = per_site[0::2], per_site[1::2]
    now = time.time()
    ages = [round(now - o[0][1] / 1000, 3) if o else 0 for o in oldest]
    queues = (SCREENING_QUEUE, WEBHOOK_QUEUE)
    failed = [FailedJobRegistry(q, connection=raw).count for q in queues]
    waiting = [raw.llen(f"rq:queue:{q}") for q in queues]
    desk().sample_depth()
    out = [
        "# HELP moderation_intake_responses_total Intake responses by HTTP status.",
        "# TYPE moderation_intake_responses_total counter",
        *(_line("moderation_intake_responses_total", int(n), status=s) for s, n in sorted(intake.items())),
        "# HELP moderation_decisions_total Moderator decisions by action.",
        "# TYPE moderation_decisions_total counter",
        *(_line("moderation_decisions_total", int(n), action=a) for a, n in sorted(decisions.items())),
        "# HELP moderation_screening_seconds Time to screen one comment, Redis aside.",
        "# TYPE moderation_screening_seconds histogram",
        *(_line("moderation_screening_seconds_bucket", int(screening.get(f"le_{b}", 0)), le=str(b))
          for b in metrics.SCREENING_BUCKETS),
        _line("moderation_screening_seconds_bucket", int(screening.get("count", 0)), le="+Inf"),
        _line("moderation_screening_seconds_sum", int(screening.get("sum_us", 0)) / 1_000_000),
        _line("moderation_screening_seconds_count", int(screening.get("count", 0))),
        "# HELP moderation_webhook_deliveries_total Outgoing event delivery tries by outcome.",
        "# TYPE moderation_webhook_deliveries_total counter",
        *(_line("moderation_webhook_deliveries_total", int(n), outcome=o) for o, n in sorted(webhooks.items())),
        "# HELP moderation_pending_review Comments waiting for a moderator, per site.",
        "# TYPE moderation_pending_review gauge",
        *(_line("moderation_pending_review", int(d), site=s) for s, d in zip(sites, depths, strict=True)),
        "# HELP moderation_oldest_pending_seconds Age of the oldest comment waiting for a moderator, per site.",
        "# TYPE moderation_oldest_pending_seconds gauge",
        *(_line("moderation_oldest_pending_seconds", a, site=s) for s, a in zip(sites, ages, strict=True)),
        "# HELP moderation_jobs_waiting Jobs not yet picked up by a worker, per queue.",
        "# TYPE moderation_jobs_waiting gauge",
        *(_line("moderation_jobs_waiting", int(n), queue=q) for q, n in zip(queues, waiting, strict=True)),
        "# HELP moderation_failed_jobs Jobs in RQ's failed-job registry, per queue.",
        "# TYPE moderation_failed_jobs gauge",
        *(_line("moderation_failed_jobs", int(n), queue=q) for q, n in zip(queues, failed, strict=True)),
    ]
    return Response("\n".join(out) + "\n", mimetype="text/plain; version=0.0.4")


@bp.get("/openapi.json")
def openapi() -> Response:
    """The v1 contract, generated from the marshmallow schemas the code validates with."""
    return jsonify(spec_dict())
