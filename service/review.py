"""The moderation API: queue, claims, decisions, reversals, moderators, bans, audit, stats, dead letters."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, g, jsonify, request
from marshmallow import Schema

from moderation.errors import CommentNotFound, NotFound, UnknownSite
from moderation.intake import load_json
from moderation.review.bans import ban_site
from moderation.review.desk import check_ids
from moderation.schemas import (
    AuditPageOut,
    AuditQuery,
    BanIn,
    BanListOut,
    BanOut,
    BulkDecisionIn,
    BulkOut,
    ClaimIn,
    ClaimOut,
    DeadLetterListOut,
    DecisionIn,
    DeskCommentOut,
    DeskPageOut,
    ModeratorCreatedOut,
    ModeratorIn,
    ModeratorListOut,
    QueueQuery,
    ReversalIn,
    StatsOut,
)
from moderation.store.comments import Comment
from service.auth import require
from service.body import read_body
from service.extensions import accounts, bans, desk, settings, store
from service.query import load_query

bp = Blueprint("moderation", __name__, url_prefix="/v1/moderation")
_DESK_COMMENT, _DESK_PAGE = DeskCommentOut(), DeskPageOut()


def load_body(schema: Schema) -> dict[str, Any]:
    """Parse and validate a JSON body: 400 if it is not JSON, 422 with per-field messages if it is wrong."""
    return load_json(schema, read_body(), "The request is not valid.")


def desk_views(comments: list[Comment], *, history: bool = False) -> list[dict[str, Any]]:
    """Moderator views with each comment's current claim (and, for details, the author's history)."""
    claims = desk().claims(c.id for c in comments)
    histories = desk().author_histories(comments) if history else {}
    out = []
    for c in comments:
        view = c.moderator_view()
        claim = claims.get(c.id)
        view["claim"] = ({"moderator": claim.moderator, "expires_at": datetime.fromtimestamp(claim.expires_ms / 1000,
                                                                                              tz=UTC)}
                         if claim else None)
        if history:
            view["author_history"] = histories[c.id]
        out.append(view)
    return out


def scoped_site(site: str | None) -> str | None:
    """A site filter the caller may use: another site than theirs is a 404, as if it did not exist."""
    if site is not None and not g.moderator.sees(site):
        raise UnknownSite(f"No site {site!r} among yours.")
    return site


def visible(comment: Comment) -> Comment:
    """The comment, if the caller may see its site; another site's comment is a 404."""
    if not g.moderator.sees(comment.site):
        raise CommentNotFound()
    return comment


@bp.get("/queue")
@require("moderator")
def queue() -> Response:
    """Pending comments, highest risk first, then oldest; each with who holds it."""
    q = load_query(QueueQuery(), request.args)
    unavailable: list[str] = []
    comments, cursor = store().queue_page(limit=q["limit"], cursor=q.get("cursor"), site=scoped_site(q.get("site")),
                                          article_id=q.get("article_id"), flag=q.get("flag"),
                                          severity=q.get("severity"), sites=g.moderator.sites,
                                          language=q.get("language"), unavailable=unavailable)
    return jsonify(_DESK_PAGE.dump({"items": desk_views(comments), "next_cursor": cursor,
                                    "unavailable_sites": sorted(set(unavailable))}))


@bp.post("/claims")
@require("moderator")
def claim() -> Response:
    """Lease the next N pending comments to the caller; nobody else is offered them until the lease ends."""
    data = load_body(ClaimIn())
    ids = desk().claim(g.moderator, data["limit"], site=scoped_site(data.get("site")),
                       article_id=data.get("article_id"),
                       flag=data.get("flag"), severity=data.get("severity"))
    return jsonify(ClaimOut().dump({"items": desk_views(store().get_many(ids)),
                                    "lease_seconds": settings().lease_seconds}))


@bp.delete("/claims/<comment_id>")
@require("moderator")
def release(comment_id: str) -> tuple[str, int]:
    """Hand a claimed comment back to the queue."""
    desk().release(g.moderator, [comment_id])
    return "", 204


@bp.get("/comments/<comment_id>")
@require("moderator")
def detail(comment_id: str) -> Response:
    """Everything about one comment: flags with evidence, its claim, the author's history."""
    return jsonify(_DESK_COMMENT.dump(desk_views([visible(store().get(comment_id))], history=True)[0]))


@bp.post("/comments/<comment_id>/decision")
@require("moderator")
def decide(comment_id: str) -> Response:
    """Approve or reject a pending comment; 409 if it is not pending or someone else holds it."""
    data = load_body(DecisionIn())
    comment = desk().decide(comment_id, action=data["action"], reason=data.get("reason"), note=data.get("note"),
                            moderator=g.moderator)
    return jsonify(_DESK_COMMENT.dump(desk_views([comment])[0]))


@bp.post("/comments/<comment_id>/reversal")
@require("moderator")
def reverse(comment_id: str) -> Response:
    """Undo a decision (one's own of the last 24 h; an admin's, any): back to pending review, off the public list."""
    data = load_body(ReversalIn())
    comment = desk().reverse(comment_id, moderator=g.moderator, note=data.get("note"))
    return jsonify(_DESK_COMMENT.dump(desk_views([comment])[0]))


@bp.post("/decisions")
@require("moderator")
def decide_many() -> Response:
    """Decide up to 100 comments at once, with a result per id."""
    data = load_body(BulkDecisionIn())
    results = desk().decide_many(check_ids(data["ids"]), action=data["action"], reason=data.get("reason"),
                                 note=data.get("note"), moderator=g.moderator)
    return jsonify(BulkOut().dump({"results": results}))


@bp.post("/moderators")
@require("admin")
def create_moderator() -> tuple[Response, int]:
    """Admin: a new moderator; the response holds their token, shown this once."""
    data = load_body(ModeratorIn())
    moderator, token = accounts().create(data["name"], data["role"], actor=g.moderator.name,
                                         sites=data.get("sites"), known_sites=settings().sites)
    return jsonify(ModeratorCreatedOut().dump({"name": moderator.name, "role": moderator.role,
                                               "sites": moderator.sites, "token": token})), 201


@bp.get("/moderators")
@require("admin")
def list_moderators() -> Response:
    return jsonify(ModeratorListOut().dump({"moderators": accounts().all()}))


@bp.delete("/moderators/<name>")
@require("admin")
def revoke_moderator(name: str) -> tuple[str, int]:
    """Admin: revoke a moderator's token; it stops working at once."""
    accounts().revoke(name, actor=g.moderator.name)
    return "", 204


@bp.post("/bans")
@require("moderator")
def create_ban() -> tuple[Response, int]:
    """Ban an email or an address, until a time or for good; their next submission is a 403."""
    data = load_body(BanIn())
    until = data.get("until")
    record = bans().create(email=data.get("email"), ip=str(data["ip"]) if data.get("ip") else None,
                           until_ms=int(until.timestamp() * 1000) if until else None, reason=data.get("reason"),
                           actor=g.moderator.name, site=ban_site(g.moderator, data.get("site"), settings().sites))
    return jsonify(BanOut().dump(record)), 201


@bp.get("/bans")
@require("moderator")
def list_bans() -> Response:
    return jsonify(BanListOut().dump({"bans": bans().all(sites=g.moderator.sites)}))


@bp.delete("/bans/<ban_id>")
@require("moderator")
def lift_ban(ban_id: str) -> tuple[str, int]:
    bans().lift(ban_id, actor=g.moderator.name, sites=g.moderator.sites)
    return "", 204


@bp.get("/audit")
@require("moderator")
def read_audit() -> Response:
    """The audit log, newest first, by comment or by moderator; read-only."""
    q = load_query(AuditQuery(), request.args)
    entries, cursor = desk().audit(comment_id=q.get("comment_id"), actor=q.get("moderator"), limit=q["limit"],
                                   before=q.get("cursor"), sites=g.moderator.sites)
    return jsonify(AuditPageOut().dump({"entries": entries, "next_cursor": cursor}))


@bp.get("/stats")
@require("moderator")
def stats() -> Response:
    """For the desk: queue depth and oldest pending age per site, decisions per moderator, time to decision."""
    return jsonify(StatsOut().dump(desk().stats(settings().sites, g.moderator)))


@bp.get("/webhooks/dead")
@require("admin")
def dead_letters() -> Response:
    """Events whose last delivery try failed."""
    dead = desk().dead_letters()
    return jsonify(DeadLetterListOut().dump({"events": dead}))


@bp.post("/webhooks/dead/<event_id>/replay")
@require("admin")
def replay(event_id: str) -> tuple[Response, int]:
    """Queue a dead event for delivery again, under the same event id."""
    if not desk().replay(event_id, settings().webhook_retry_intervals):
        raise NotFound(f"No dead event {event_id!r}.")
    return jsonify({"id": event_id, "status": "pending"}), 202
