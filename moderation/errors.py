"""Every error the domain can raise, each carrying the HTTP status and code the contract names."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class ModerationError(Exception):
    """Base of all domain errors; the API turns each into `{"error", "message", "fields"?}`."""

    status = 400
    code = "bad_request"
    message = "The request cannot be processed."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or type(self).message
        self.fields = dict(fields) if fields else None
        self.headers = dict(headers) if headers else {}
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        """The JSON body of the error response."""
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.fields:
            body["fields"] = self.fields
        return body


class MalformedJSON(ModerationError):
    status, code, message = 400, "malformed_json", "The request body is not valid JSON."


class InvalidHeader(ModerationError):
    status, code, message = 400, "invalid_header", "A request header is not valid."


class BadSignature(ModerationError):
    status, code, message = 401, "invalid_signature", "The X-Signature header is missing, stale or wrong."


class Unauthorized(ModerationError):
    status, code, message = 401, "unauthorized", "A valid bearer token is required."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer realm="moderation"'})


class Forbidden(ModerationError):
    status, code, message = 403, "forbidden", "Your role does not allow this."


class NotFound(ModerationError):
    status, code, message = 404, "not_found", "No such resource."


class UnknownSite(NotFound):
    code, message = "unknown_site", "No such site is configured."


class CommentNotFound(NotFound):
    code, message = "comment_not_found", "No such comment."


class Conflict(ModerationError):
    status, code = 409, "conflict"


class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"
    message = "This Idempotency-Key was already used with a different body."


class NotPending(Conflict):
    code, message = "not_pending", "The comment is not pending review."


class TooLarge(ModerationError):
    status, code, message = 413, "too_large", "The request body is too large."


class NotJSON(ModerationError):
    status, code, message = 415, "unsupported_media_type", "Send the body as application/json."


class ValidationFailed(ModerationError):
    status, code, message = 422, "validation_failed", "The request does not meet the comment policy."


class RateLimited(ModerationError):
    status, code, message = 429, "rate_limited", "Too many comments; try again later."

    def __init__(self, message: str | None = None, retry_after: int = 60) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class Unavailable(ModerationError):
    status, code, message = 503, "unavailable", "The service cannot reach its store; try again shortly."

    def __init__(self, message: str | None = None, retry_after: int = 5) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class Overloaded(Unavailable):
    code, message = "overloaded", "The service is behind on screening; try again shortly."
