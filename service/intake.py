"""Intake: article pages' backends submit comments here and may ask for their status."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Callable
from functools import wraps

from flask import Blueprint, Response, current_app, jsonify, request
from redis.exceptions import RedisError

from moderation import intake, metrics, signing
from moderation.errors import CommentNotFound, NotJSON, UnknownSite
from moderation.intake import load_json
from moderation.schemas import CommentStatusOut, ReportIn, ReportOut
from service.body import read_body
from service.extensions import admission, policies, reports, settings, store

bp = Blueprint("intake", __name__)
_STATUS = CommentStatusOut()


def site_secrets(site: str) -> tuple[str, ...]:
    """The webhook secrets the site may sign with (more than one while it rotates); unknown sites are a 404."""
    secrets = settings().site_secrets.get(site)
    if secrets is None:
        raise UnknownSite(f"No site named {site!r} is configured.")
    return secrets


def counted(view: Callable[[str], Response]) -> Callable[[str], Response]:
    """Count the intake's answers by status: a new comment's 202 is counted in the transaction that stores it,
    replays and refusals here. Refusals get their response from the app's error handlers, as Flask would give it,
    so the count is of what the site received. (A wrapper costs the hot path nothing; an after_request hook did.)"""

    @wraps(view)
    def wrapper(site: str) -> Response:
        try:
            response = view(site)
        except Exception as exc:  # noqa: BLE001 - every refusal is answered, then counted
            response = current_app.make_response(current_app.handle_user_exception(exc))
        if response.status_code != 202 or "Idempotent-Replayed" in response.headers:
            # Without Redis the count is lost; the 503 itself already tells the client.
            answering = store().answering(site) if site in settings().site_secrets else store().home
            with contextlib.suppress(RedisError):
                if answering is not None:
                    metrics.count_intake(answering.redis, response.status_code)
        return response

    return wrapper


@bp.post("/v1/sites/<site>/comments")
@counted
def submit(site: str) -> Response:
    """Accept a signed comment: 202 once it and its screening job are in Redis."""
    config = settings()
    secrets = site_secrets(site)
    if request.mimetype != "application/json":
        raise NotJSON()
    sent = request.headers
    raw = read_body()
    # The deadline counts the time this request waited for the process, not the time its client took to send it.
    environ = request.environ
    waited = environ.get("moderation.started", 0.0) - environ.get("moderation.arrived", 0.0)
    with store().taking(site) as site_store, admission().enter(time.monotonic() - waited) as deadline:
        accepted = intake.accept(
            site_store, site=site, secret=secrets, raw=raw,
            signature=sent.get("X-Signature"), idempotency_key=sent.get("Idempotency-Key"),
            window=config.signature_window, policy=policies().for_site(site), deadline=deadline,
        )
    # AcceptedOut's shape (the OpenAPI document's), serialised directly: this is the hottest path. The status
    # URL is this collection's URL plus the id: what url_for would build, for less.
    headers = {"Location": f"{request.script_root}{request.path}/{accepted.comment_id}"}
    if accepted.replayed:
        headers["Idempotent-Replayed"] = "true"
    return Response(json.dumps({"id": accepted.comment_id, "status": "received"}), 202, headers,
                    mimetype="application/json")


@bp.get("/v1/sites/<site>/comments/<comment_id>")
def status(site: str, comment_id: str) -> Response:
    """A comment's status, without personal data; only its own site may see it."""
    site_secrets(site)  # unknown sites are a 404
    comment = store().for_site(site).get(comment_id)
    if comment.site != site:
        raise CommentNotFound()
    return jsonify(_STATUS.dump(comment.status_view()))




_REPORT_IN, _REPORT_OUT = ReportIn(), ReportOut()


@bp.post("/v1/sites/<site>/comments/<comment_id>/reports")
def report(site: str, comment_id: str) -> Response:
    """A reader reports a published comment (signed by the site like a comment): 201 when counted, 200 when this
    reader had reported it already; it waits in the desk's reported queue."""
    config = settings()
    secrets = site_secrets(site)
    if request.mimetype != "application/json":
        raise NotJSON()
    raw = read_body()
    signing.verify(request.headers.get("X-Signature"), secrets, raw, window=config.signature_window)
    data = load_json(_REPORT_IN, raw)
    count, counted = reports().report(site, comment_id, reporter_id=data["reporter"]["id"], reason=data["reason"])
    return Response(json.dumps(_REPORT_OUT.dump({"comment_id": comment_id, "reports": count, "counted": counted})),
                    201 if counted else 200, mimetype="application/json")
