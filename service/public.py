"""Public reading: what an article page shows its readers. Published comments only, no personal data."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request

from moderation.schemas import CountOut, PublicListQuery, PublicPageOut
from service.extensions import public_lists
from service.intake import site_secrets
from service.query import load_query

bp = Blueprint("public", __name__)
_QUERY, _PAGE, _COUNT = PublicListQuery(), PublicPageOut(), CountOut()


def _etag(site: str, article_id: str) -> str:
    """Changes whenever the article's published list does: one Redis read answers a poll that finds nothing new."""
    version = public_lists(site).version(site, article_id)
    query = hashlib.sha256(request.full_path.encode("utf-8")).hexdigest()[:16]
    return f"{version}.{query}"


def _cached(etag: str, build: Callable[[], Response]) -> Response:
    response = Response(status=304) if request.if_none_match.contains(etag) else build()
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # may be stored, but revalidate: the ETag makes that cheap
    return response


@bp.get("/v1/sites/<site>/articles/<article_id>/comments")
def list_comments(site: str, article_id: str) -> Response:
    """Published comments of an article, oldest first unless `order=newest`; replies carry their parent_id."""
    site_secrets(site)  # unknown sites are a 404
    q = load_query(_QUERY, request.args)

    def build() -> Response:
        comments, cursor = public_lists(site).page(site, article_id, limit=q["limit"], cursor=q.get("cursor"),
                                               newest_first=q["order"] == "newest", featured=q.get("featured"))
        return jsonify(_PAGE.dump({"comments": [c.public_view() for c in comments], "next_cursor": cursor}))

    return _cached(_etag(site, article_id), build)


@bp.get("/v1/sites/<site>/articles/<article_id>/comments/count")
def count_comments(site: str, article_id: str) -> Response:
    """How many comments the article shows: always the length of its list."""
    site_secrets(site)  # unknown sites are a 404
    return _cached(_etag(site, article_id),
                   lambda: jsonify(_COUNT.dump({"count": public_lists(site).count(site, article_id)})))
