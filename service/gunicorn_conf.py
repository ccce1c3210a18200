"""gunicorn's settings module for the API (`gunicorn -c python:service.gunicorn_conf`): its own error pages as JSON.

gunicorn answers a request it cannot parse (a bad request line, a URL or headers too long) before the app sees it,
with an HTML page; clients of this API read `{"error", "message"}` everywhere. gunicorn has no setting for that
page, so each worker swaps the one function that writes it.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util


def write_json_error(sock: Any, status_int: int, reason: str, mesg: str) -> None:
    """What gunicorn's util.write_error sends, as our JSON error body."""
    code = reason.lower().replace(" ", "_") or "bad_request"
    body = json.dumps({"error": code, "message": mesg or reason}).encode("utf-8")
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode("latin-1")
    util.write_nonblock(sock, head + body)


def post_worker_init(worker: Any) -> None:
    util.write_error = write_json_error
