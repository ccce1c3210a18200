"""Logs: JSON lines, a request id carried from the API into the job, and no personal data or token anywhere."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from flask.testing import FlaskClient

from moderation.logs import JsonFormatter, redact
from tests.conftest import ADMIN, ADMIN_HEADERS, payload, submit

EMAIL, IP = "private.person@example.org", "198.51.100.201"


def test_redact_hashes_emails_addresses_and_tokens() -> None:
    line = redact(f"from {EMAIL} at {IP} and 2001:db8::7 with Bearer abc.def-123 at 12:30:05")
    assert EMAIL not in line and IP not in line and "2001:db8::7" not in line and "abc.def-123" not in line
    assert "<email:" in line and "<ip:" in line and "Bearer <redacted>" in line and "12:30:05" in line
    assert redact(EMAIL) == redact(EMAIL.upper())  # one person, one hash: lines still correlate


def test_every_line_is_json_with_the_request_id_carried_into_the_job(client: FlaskClient, work: Any,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    r = submit(client, payload(f"mail me at {EMAIL} or call +44 7700 900123", author={"name": "P", "email": EMAIL},
                               client={"ip": IP, "user_agent": "UA/1"}), headers={"X-Request-Id": "req-abc.123"})
    assert r.headers["X-Request-Id"] == "req-abc.123"
    cid = r.json["id"]
    work()
    token = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": "logger"}).json["token"]
    client.post(f"/v1/moderation/comments/{cid}/decision", headers={"Authorization": f"Bearer {token}"},
                json={"action": "reject", "reason": "personal_data"})
    client.post("/v1/moderation/bans", headers=ADMIN_HEADERS, json={"email": EMAIL, "reason": "doxxing"})
    submit(client, payload("again", author={"name": "P", "email": EMAIL}, client={"ip": IP}))
    logging.getLogger("moderation.test").warning("a careless line with %s and %s", EMAIL, f"Bearer {ADMIN}")

    formatter = JsonFormatter()
    lines = [formatter.format(record) for record in caplog.records]
    entries = [json.loads(line) for line in lines]
    assert entries
    for line in lines:
        for secret in (EMAIL, IP, token, ADMIN, "7700 900123"):
            assert secret not in line, line
    screened = [e for e in entries if e["logger"] == "workers.jobs" and cid in e["message"]]
    assert screened and screened[0]["request_id"] == "req-abc.123"
    access = [e for e in entries if e["logger"] == "moderation.access" and e.get("status") == 202]
    assert access and access[0]["request_id"] == "req-abc.123" and access[0]["path"] == "/v1/sites/demo/comments"
