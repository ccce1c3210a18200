"""The one place where exceptions become HTTP error responses."""

from __future__ import annotations

import logging

from flask import Flask, Response, g, jsonify, render_template, request
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError
from werkzeug.exceptions import HTTPException

from moderation.errors import ModerationError, TooLarge, Unavailable

log = logging.getLogger(__name__)


def wants_json() -> bool:
    """The request came from a script (it sent or asks for JSON), not from a person's browser navigating."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _desk_page() -> bool:
    """A person in the desk, not its own script: they get a page, never raw JSON."""
    in_desk = request.blueprint == "desk" or request.path == "/moderate" or request.path.startswith("/moderate/")
    return in_desk and not wants_json()


def _page(status: int, message: str) -> Response:
    html = render_template("desk/error.html", status=status, message=message, session=g.get("session"))
    return Response(html, status=status, mimetype="text/html")


def _respond(err: ModerationError) -> tuple[Response, int]:
    response = _page(err.status, err.message) if _desk_page() else jsonify(err.to_dict())
    response.headers.update(err.headers)
    return response, err.status


def init_app(app: Flask) -> None:
    """Register JSON handlers for domain errors, HTTP errors, Redis outages and the unexpected."""

    @app.errorhandler(ModerationError)
    def domain_error(err: ModerationError) -> tuple[Response, int]:
        return _respond(err)

    @app.errorhandler(RedisConnectionError)
    @app.errorhandler(RedisTimeoutError)
    def redis_down(err: Exception) -> tuple[Response, int]:
        log.warning("redis unavailable: %s", err)
        return _respond(Unavailable())

    @app.errorhandler(OutOfMemoryError)
    def redis_full(err: Exception) -> tuple[Response, int]:
        log.error("redis refused a write, out of memory: %s", err)
        return _respond(Unavailable("The service's store is full; try again later.", retry_after=30))

    @app.errorhandler(ReadOnlyError)
    def redis_read_only(err: Exception) -> tuple[Response, int]:
        log.warning("redis is read-only (a replica, or a failover under way): %s", err)
        return _respond(Unavailable())

    @app.errorhandler(HTTPException)
    def http_error(err: HTTPException) -> tuple[Response, int]:
        if _desk_page():
            return _page(err.code or 500, err.description or err.name), err.code or 500
        if err.code == 413:
            return _respond(TooLarge())
        status = err.code or 500
        code = (err.name or "error").lower().replace(" ", "_")
        response = jsonify({"error": code, "message": err.description or err.name})
        if status == 405 and err.get_response().headers.get("Allow"):
            response.headers["Allow"] = err.get_response().headers["Allow"]
        return response, status

    @app.errorhandler(Exception)
    def unexpected(err: Exception) -> tuple[Response, int]:
        log.exception("unhandled error")
        if _desk_page():
            return _page(500, "Something went wrong on our side; try again, or reload the desk."), 500
        return jsonify({"error": "internal_error", "message": "Something went wrong on our side."}), 500
