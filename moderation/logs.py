"""Structured logs: one JSON object a line, with the request id that follows a comment from the API into its jobs.

No log line may carry an email address, a client address or a token: the formatter replaces
any it finds with a short hash (the same value always gives the same hash, so lines can
still be correlated).
"""

from __future__ import annotations

import contextvars
import ipaddress
import json
import logging
import re
import secrets
import sys
import time
from typing import Any

from moderation.pseudonyms import pseudonym

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_IPV4 = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
_IPV6 = re.compile(r"(?<![\w:])[0-9a-fA-F:]*:[0-9a-fA-F:]*:[0-9a-fA-F:.]*(?![\w:])")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")


def new_request_id(offered: str | None = None) -> str:
    """The id a proxy or site sent (when it is sane), else a fresh one; it becomes the current one."""
    rid = offered if offered and _SAFE_ID.match(offered) else secrets.token_hex(16)  # as random as a uuid4
    _request_id.set(rid)
    return rid


def current_request_id() -> str | None:
    """The request id of this job or request, to log and to hand on to the jobs it queues."""
    try:
        from rq import get_current_job

        job = get_current_job()
    except Exception:  # noqa: BLE001 - logging must never fail
        job = None
    if job is not None:
        return job.meta.get("request_id")
    return _request_id.get()


_base_factory = logging.getLogRecordFactory()


def _stamped_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    """Every record learns its request id when it is made, not when (or where) it is written."""
    record = _base_factory(*args, **kwargs)
    if not hasattr(record, "request_id"):
        record.request_id = current_request_id()
    return record


if getattr(logging.getLogRecordFactory(), "__name__", "") != "_stamped_record":
    logging.setLogRecordFactory(_stamped_record)


def _hash(kind: str, value: str) -> str:
    return f"<{kind}:{pseudonym(value)[:10]}>"


def redact(text: str) -> str:
    """Replace emails, addresses and bearer tokens with hashes."""
    text = _BEARER.sub(lambda m: m.group(1) + "<redacted>", text)
    text = _EMAIL.sub(lambda m: _hash("email", m.group()), text)
    text = _IPV4.sub(lambda m: _hash("ip", m.group()), text)
    return _IPV6.sub(lambda m: _hash("ip", m.group()) if _is_ipv6(m.group()) else m.group(), text)


def _is_ipv6(candidate: str) -> bool:
    try:
        ipaddress.IPv6Address(candidate)
    except ValueError:
        return False  # a time such as 12:30:05, or a ratio
    return True


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON, redacted."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(), "logger": record.name, "message": redact(record.getMessage()),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            entry["request_id"] = rid
        for key in ("method", "path", "status", "duration_ms", "job_id"):
            if hasattr(record, key):
                entry[key] = getattr(record, key)
        if record.exc_info:
            entry["error"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure(level: str = "INFO") -> None:
    """Send every logger's records to stderr as JSON lines (the API, the workers, RQ, gunicorn's errors)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("rq.worker", "rq.scheduler", "gunicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
