"""The moderation API: the review queue, a comment's detail and decisions."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, request
from marshmallow import ValidationError

from moderation.errors import ValidationFailed
from moderation.intake import parse_json
from moderation.schemas import DecisionIn, ModCommentOut, QueuePageOut, QueueQuery
from service.auth import require
from service.extensions import store
from service.query import load_query

bp = Blueprint("moderation", __name__, url_prefix="/v1/moderation")
_QUERY, _PAGE, _COMMENT, _DECISION = QueueQuery(), QueuePageOut(), ModCommentOut(), DecisionIn()


@bp.get("/queue")
@require("moderator")
def queue() -> Response:
    """Pending comments, highest risk first, then oldest."""
    q = load_query(_QUERY, request.args)
    comments, cursor = store().queue_page(limit=q["limit"], cursor=q.get("cursor"), site=q.get("site"),
                                          article_id=q.get("article_id"), flag=q.get("flag"))
    return jsonify(_PAGE.dump({"items": [c.moderator_view() for c in comments], "next_cursor": cursor}))


@bp.get("/comments/<comment_id>")
@require("moderator")
def detail(comment_id: str) -> Response:
    """Everything about one comment, with each flag's evidence."""
    return jsonify(_COMMENT.dump(store().get(comment_id).moderator_view()))


@bp.post("/comments/<comment_id>/decision")
@require("moderator")
def decide(comment_id: str) -> Response:
    """Approve (publish) or reject a pending comment; 409 if it is not pending."""
    try:
        data = _DECISION.load(parse_json(request.get_data(cache=True)))
    except ValidationError as err:
        raise ValidationFailed("The decision is not valid.", fields=err.messages_dict) from None
    comment = store().decide(comment_id, action=data["action"], reason=data.get("reason"),
                             note=data.get("note"), moderator=g.moderator.name)
    return jsonify(_COMMENT.dump(comment.moderator_view()))
