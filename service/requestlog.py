"""A request id on every request and response, and one JSON access line per request (no client address)."""

from __future__ import annotations

import logging
import time

from flask import Flask, Response, g, request

from moderation.logs import new_request_id

log = logging.getLogger("moderation.access")


def init_app(app: Flask) -> None:
    @app.before_request
    def start() -> None:
        g.request_id = new_request_id(request.headers.get("X-Request-Id"))
        g.started = time.perf_counter()

    @app.after_request
    def finish(response: Response) -> Response:
        rid = g.get("request_id")
        if rid:
            response.headers["X-Request-Id"] = rid
        if rid and log.isEnabledFor(logging.INFO):
            log.info("%s %s %s", request.method, request.path, response.status_code,
                     extra={"method": request.method, "path": request.path, "status": response.status_code,
                            "duration_ms": round((time.perf_counter() - g.started) * 1000, 2)})
        return response
