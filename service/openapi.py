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
    "DeskComment": s.DeskCommentOut, "DeskPage": s.DeskPageOut, "ClaimIn": s.ClaimIn, "Claim": s.ClaimOut,
    "BulkDecisionIn": s.BulkDecisionIn, "Bulk": s.BulkOut, "ReversalIn": s.ReversalIn, "ModeratorIn": s.ModeratorIn,
    "ModeratorCreated": s.ModeratorCreatedOut, "ModeratorList": s.ModeratorListOut, "BanIn": s.BanIn,
    "Ban": s.BanOut, "BanList": s.BanListOut, "AuditPage": s.AuditPageOut, "Stats": s.StatsOut,
    "DeadLetterList": s.DeadLetterListOut, "AnalyzeIn": s.AnalyzeIn, "Analyze": s.AnalyzeOut,
    "ReportIn": s.ReportIn, "Report": s.ReportOut,
}
_M = "/v1/moderation"
_AUTH = (401, 403, 503)

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
    ("/v1/sites/{site}/comments/{comment_id}/reports", "post",
     "A reader reports a published comment (signed webhook; 201 counted, 200 already reported by this reader)",
     _path_params("site", "comment_id") + _SIGNED[:1], "ReportIn", 201, "Report",
     (400, 401, 404, 409, 413, 415, 422, 503), False),
    ("/v1/sites/{site}/articles/{article_id}/comments", "get", "Published comments of an article",
     _path_params("site", "article_id") + [{"in": "query", "schema": s.PublicListQuery}],
     None, 200, "PublicPage", (404, 422, 503), False),
    ("/v1/sites/{site}/articles/{article_id}/comments/count", "get", "Number of published comments",
     _path_params("site", "article_id"), None, 200, "Count", (404, 503), False),
    (f"{_M}/queue", "get", "Pending comments, highest risk then oldest, with who holds each",
     [{"in": "query", "schema": s.QueueQuery}], None, 200, "DeskPage", (*_AUTH, 422), True),
    (f"{_M}/claims", "post", "Lease the next N pending comments to the caller", [], "ClaimIn", 200, "Claim",
     (*_AUTH, 400, 422), True),
    (f"{_M}/claims/{{comment_id}}", "delete", "Hand a claimed comment back", _path_params("comment_id"), None,
     204, None, _AUTH, True),
    (f"{_M}/comments/{{comment_id}}", "get", "Everything about a comment, with the author's history",
     _path_params("comment_id"), None, 200, "DeskComment", (*_AUTH, 404), True),
    (f"{_M}/comments/{{comment_id}}/decision", "post", "Approve or reject a pending comment",
     _path_params("comment_id"), "DecisionIn", 200, "DeskComment", (*_AUTH, 400, 404, 409, 422), True),
    (f"{_M}/comments/{{comment_id}}/reversal", "post", "Undo a decision: one's own of the last 24 h (admins: any)",
     _path_params("comment_id"),
     "ReversalIn", 200, "DeskComment", (*_AUTH, 400, 404, 409, 422), True),
    (f"{_M}/decisions", "post", "Decide up to 100 comments, a result per id", [], "BulkDecisionIn", 200, "Bulk",
     (*_AUTH, 400, 422), True),
    (f"{_M}/moderators", "post", "Admin: create a moderator (the token is shown once)", [], "ModeratorIn", 201,
     "ModeratorCreated", (*_AUTH, 400, 409, 422), True),
    (f"{_M}/moderators", "get", "Admin: list moderators", [], None, 200, "ModeratorList", _AUTH, True),
    (f"{_M}/moderators/{{name}}", "delete", "Admin: revoke a moderator's token", _path_params("name"), None, 204,
     None, (*_AUTH, 404), True),
    (f"{_M}/bans", "post", "Ban an email or an address", [], "BanIn", 201, "Ban", (*_AUTH, 400, 422), True),
    (f"{_M}/bans", "get", "Bans in force", [], None, 200, "BanList", _AUTH, True),
    (f"{_M}/bans/{{ban_id}}", "delete", "Lift a ban", _path_params("ban_id"), None, 204, None, (*_AUTH, 404), True),
    (f"{_M}/audit", "get", "The audit log, by comment or moderator",
     [{"in": "query", "schema": s.AuditQuery}], None, 200, "AuditPage", (*_AUTH, 422), True),
    (f"{_M}/stats", "get", "Queue depth, oldest pending, decisions", [], None, 200, "Stats", _AUTH, True),
    (f"{_M}/webhooks/dead", "get", "Admin: events whose last delivery failed", [], None, 200, "DeadLetterList",
     _AUTH, True),
    (f"{_M}/webhooks/dead/{{event_id}}/replay", "post", "Admin: deliver a dead event again",
     _path_params("event_id"), None, 202, None, (*_AUTH, 404), True),
    ("/v1alpha1/comments:analyze", "post",
     "Perspective API's AnalyzeComment (TOXICITY, SEVERE_TOXICITY, INSULT, PROFANITY, SPAM), scored by our models",
     [{"name": "key", "in": "query", "required": True, "schema": {"type": "string"},
       "description": "A key of MODERATION_ANALYZE_KEYS (site:key,...)"}],
     "AnalyzeIn", 200, "Analyze", (400, 403, 413, 415, 422, 429, 503), False),
    ("/healthz", "get", "Liveness", [], None, 200, None, (), False),
    ("/readyz", "get", "Readiness: Redis reachable", [], None, 200, None, (503,), False),
    ("/metrics", "get", "Prometheus metrics", [], None, 200, None, (), False),
    ("/openapi.json", "get", "This document", [], None, 200, None, (), False),
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
