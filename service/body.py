"""Reading a request's body whole, with the size limit enforced however the body is framed."""

from __future__ import annotations

from flask import request

from moderation.errors import TooLarge


def read_body() -> bytes:
    """The raw body, or TooLarge: Werkzeug cuts a chunked body at the limit without saying so (a signed prefix
    followed by junk was then accepted), so a body without Content-Length is read past the limit to know."""
    limit = request.max_content_length
    if request.content_length is not None or limit is None:
        return request.get_data(cache=True)
    stream = request.environ["wsgi.input"]  # the server ends it at the last chunk (wsgi.input_terminated)
    data = stream.read(limit + 1) if request.environ.get("wsgi.input_terminated") else b""
    if len(data) > limit:
        raise TooLarge()
    request._cached_data = data  # what get_data() answers from now on
    return data
