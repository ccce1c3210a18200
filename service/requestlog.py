"""A request id on every request and response, and one JSON access line per request (no client address).

WSGI middleware rather than Flask hooks: it reads the environ directly, so it costs the intake's hot path
almost nothing, and it sees every response, the error handlers' included.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask

from moderation.logs import new_request_id

log = logging.getLogger("moderation.access")

StartResponse = Callable[..., Any]


class RequestLog:
    """Gives each request an id (a sane X-Request-Id the caller sent, else a new one), returns it in the
    X-Request-Id header and logs the request's method, path, status and duration."""

    def __init__(self, app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        rid = new_request_id(environ.get("HTTP_X_REQUEST_ID"))
        started = time.perf_counter()

        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append(("X-Request-Id", rid))
            if log.isEnabledFor(logging.INFO):
                method, path, code = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""), int(status[:3])
                log.info("%s %s %s", method, path, code,
                         extra={"method": method, "path": path, "status": code,
                                "duration_ms": round((time.perf_counter() - started) * 1000, 2)})
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


def init_app(app: Flask) -> None:
    app.wsgi_app = RequestLog(app.wsgi_app)  # type: ignore[method-assign]  # wrapping wsgi_app is Flask's documented middleware hook
