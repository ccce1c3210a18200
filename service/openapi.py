"""The OpenAPI document: components come from the marshmallow schemas, paths from the table below."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin

from moderation import schemas as s

_SCHEMAS = {
    "CommentIn": s.CommentIn, "DecisionIn": s.DecisionIn, "Error": s.ErrorOut, "Accepted": s.AcceptedOut,
    "CommentStatus": s.CommentStatusOut, "PublicPage": s.PublicPageOut, "Count": s.CountOut,
    "ModComment": s.ModCommentOut, "QueuePage": s.QueuePageOut,
}

_SIGNED = [
    {"name": "X-Signature", "in": "header", "required": True, "schema": {"type": "string"},
     "description": 't=<unix seconds>,v1=<hex HMAC-SHA256(site secret, "<t>." + raw body)>'},
    {"name": "Idempotency-Key", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 255}},
]


def _path_params(*names: str) -> list[dict[str, Any]]:
    return [{"name": n, "in": "path", "required": True, "schema": {"type": "string"}} for n in names]


def _json(schema: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(c): {"description": "Error", **_json("Error")} for c in codes}


_BEARER: list[dict[str, list[str]]] = [{"bearer": []}]

# (path, method, summary, parameters, request body schema, success code, success schema, error codes, secured)
_OPERATIONS: list[tuple[str, str, str, Any, str | None, int, str | None, tuple[int, ...], bool]] = [
    ("/v1/sites/{site}/comments", "post", "Submit a comment (signed webhook)",
     _path_params("site") + _SIGNED, "CommentIn", 202, "Accepted",
     (400, 401, 404, 409, 413, 415, 422, 503), False),
    ("/v1/sites/{site}/comments/{comment_id}", "get", "A comment's status",
     _path_params("site", "comment_id"), None, 200, "CommentStatus", (404, 503), False),
    ("/v1/sites/{site}/articles/{article_id}/comments", "get", "Published comments of an article",
     _path_params("site", "article_id") + [{"in": "query", "schema": s.PublicListQuery}],
     None, 200, "PublicPage", (404, 422, 503), False),
    ("/v1/sites/{site}/articles/{article_id}/comments/count", "get", "Number of published comments",
     _path_params("site", "article_id"), None, 200, "Count", (404, 503), False),
    ("/v1/moderation/queue", "get", "Pending comments, highest risk then oldest",
     [{"in": "query", "schema": s.QueueQuery}], None, 200, "QueuePage", (401, 403, 422, 503), True),
    ("/v1/moderation/comments/{comment_id}", "get", "Everything about a comment",
     _path_params("comment_id"), None, 200, "ModComment", (401, 403, 404, 503), True),
    ("/v1/moderation/comments/{comment_id}/decision", "post", "Approve or reject a pending comment",
     _path_params("comment_id"), "DecisionIn", 200, "ModComment", (400, 401, 403, 404, 409, 422, 503), True),
    ("/healthz", "get", "Liveness", [], None, 200, None, (), False),
    ("/readyz", "get", "Readiness: Redis reachable", [], None, 200, None, (503,), False),
    ("/metrics", "get", "Prometheus metrics", [], None, 200, None, (), False),
]


@lru_cache(maxsize=1)
def spec_dict() -> dict[str, Any]:
    """Build the document once per process."""
    spec = APISpec(title="Comment moderation", version="1.0.0", openapi_version="3.0.3",
                   plugins=[MarshmallowPlugin()])
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    for name, schema in _SCHEMAS.items():
        spec.components.schema(name, schema=schema)
    paths: dict[str, dict[str, Any]] = {}
    for path, method, summary, params, body, ok, ok_schema, errors, secured in _OPERATIONS:
        op: dict[str, Any] = {"summary": summary, "parameters": params,
                              "responses": {str(ok): {"description": "OK", **(_json(ok_schema) if ok_schema else {})},
                                            **_errors(*errors)}}
        if body:
            op["requestBody"] = {"required": True, **_json(body)}
        if secured:
            op["security"] = _BEARER
        paths.setdefault(path, {})[method] = op
    for path, ops in paths.items():
        spec.path(path=path, operations=ops)
    return spec.to_dict()
