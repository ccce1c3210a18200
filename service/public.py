"""Public reading: what an article page shows its readers. Published comments only, no personal data."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, request

from moderation.schemas import CountOut, PublicListQuery, PublicPageOut
from service.extensions import store
from service.intake import site_secret
from service.query import load_query

bp = Blueprint("public", __name__)
_QUERY, _PAGE, _COUNT = PublicListQuery(), PublicPageOut(), CountOut()


@bp.get("/v1/sites/<site>/articles/<article_id>/comments")
def list_comments(site: str, article_id: str) -> Response:
    """Published comments of an article, oldest first unless `order=newest`."""
    site_secret(site)
    q = load_query(_QUERY, request.args)
    comments, cursor = store().public_page(site, article_id, limit=q["limit"], cursor=q.get("cursor"),
                                           newest_first=q["order"] == "newest")
    return jsonify(_PAGE.dump({"comments": [c.public_view() for c in comments], "next_cursor": cursor}))


@bp.get("/v1/sites/<site>/articles/<article_id>/comments/count")
def count_comments(site: str, article_id: str) -> Response:
    """How many comments the article shows: always the length of its list."""
    site_secret(site)
    return jsonify(_COUNT.dump({"count": store().public_count(site, article_id)}))
