"""Reader reports: signed like the intake, one per reader per comment, the reported queue, unpublish or dismiss."""

from __future__ import annotations

import json
import threading
from typing import Any

from flask.testing import FlaskClient
from werkzeug.serving import make_server

from moderation.signing import sign
from tests.conftest import ADMIN_HEADERS, SECRET, payload, submit
from tests.redis_server import free_port
from tests.review.test_desk_pages import sign_in


def report(client: FlaskClient, cid: str, reporter: str, reason: str, *, site: str = "demo",
           secret: str = SECRET, body: Any = None) -> Any:
    raw = json.dumps(body if body is not None else {"reason": reason, "reporter": {"id": reporter}}).encode()
    return client.post(f"/v1/sites/{site}/comments/{cid}/reports", data=raw,
                       headers={"Content-Type": "application/json", "X-Signature": sign(secret, raw)})


def published(client: FlaskClient, work: Any, body: str = "A published comment.") -> str:
    cid: str = submit(client, payload(body)).json["id"]
    work()
    client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    return cid


def test_one_report_per_reader_signed_like_a_comment(client: FlaskClient, work: Any) -> None:
    cid = published(client, work)
    first = report(client, cid, "reader-1", "abuse")
    assert first.status_code == 201 and first.json == {"comment_id": cid, "reports": 1, "counted": True}
    again = report(client, cid, "reader-1", "spam")
    assert again.status_code == 200 and again.json == {"comment_id": cid, "reports": 1, "counted": False}
    assert report(client, cid, "reader-2", "spam").json["reports"] == 2
    assert report(client, cid, "reader-3", "abuse", secret="wrong").status_code == 401
    assert report(client, cid, "reader-3", "abuse", site="other").status_code in (401, 404)
    bad = report(client, cid, "reader-3", "ugly")
    assert bad.status_code == 422 and "reason" in bad.json["fields"]
    assert report(client, cid, "", "abuse", body={"reason": "abuse"}).status_code == 422
    raw = b'{"reason": "abuse"'
    broken = client.post(f"/v1/sites/demo/comments/{cid}/reports", data=raw,
                         headers={"Content-Type": "application/json", "X-Signature": sign(SECRET, raw)})
    assert broken.status_code == 400 and broken.json["error"] == "malformed_json"
    assert report(client, "nosuch", "reader-1", "abuse").status_code == 404


def test_only_a_published_comment_can_be_reported(client: FlaskClient, work: Any) -> None:
    cid = submit(client).json["id"]
    work()
    r = report(client, cid, "reader-1", "abuse")
    assert r.status_code == 409 and r.json["fields"] == {"status": "pending_review"}


def test_the_reported_queue_unpublishes_or_dismisses(client: FlaskClient, work: Any) -> None:
    kept = published(client, work, "A sharp but fair comment.")
    taken = published(client, work, "A comment readers found abusive.")
    for reader, reason in (("r1", "abuse"), ("r2", "abuse"), ("r3", "spam")):
        report(client, taken, reader, reason)
    report(client, kept, "r1", "off_topic")
    csrf = sign_in(client)
    html = client.get("/moderate?view=reported").get_data(as_text=True)
    assert "Reported 3×: abuse 2, spam 1" in html and "Reported 1×: off topic 1" in html
    assert 'aria-current="page">Reported <span class="count">2</span>' in html
    headers = {"X-CSRF-Token": csrf}
    r = client.post("/moderate/reported", json={"id": taken, "action": "unpublish"}, headers=headers)
    assert r.json == {"id": taken, "status": "rejected"}
    detail = client.get(f"/v1/moderation/comments/{taken}", headers=ADMIN_HEADERS).json
    assert detail["decision"]["reason"] == "abuse"  # the readers' most given reason
    public = client.get("/v1/sites/demo/articles/article-1/comments").json["comments"]
    assert [c["id"] for c in public] == [kept]
    assert client.post("/moderate/reported", json={"id": kept, "action": "dismiss"}, headers=headers).json == {
        "id": kept, "status": "published"}
    assert "No reported comments." in client.get("/moderate?view=reported").get_data(as_text=True)
    trail = client.get("/v1/moderation/audit", headers=ADMIN_HEADERS).json["entries"]
    assert {"comment.unpublish", "reports.dismiss"} <= {e["action"] for e in trail}
    # A reader may report the kept comment again: dismissed reports are forgotten.
    assert report(client, kept, "r1", "abuse").status_code == 201
    odd = client.post("/moderate/reported", json={"id": kept, "action": "hide"}, headers=headers)
    assert odd.status_code == 422 and "action: Must be one of: unpublish, dismiss." in odd.json["message"]


def test_the_reference_client_reports(app: Any, work: Any) -> None:
    from moderation.cli.client import report_comment

    client = app.test_client()
    cid = published(client, work)
    server = make_server("127.0.0.1", free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        assert report_comment(base, "demo", SECRET, cid, reporter_id="u-9", reason="spam") == (
            201, {"comment_id": cid, "reports": 1, "counted": True})
        assert report_comment(base, "demo", "wrong", cid, reporter_id="u-9", reason="spam")[0] == 401
    finally:
        server.shutdown()


def test_a_reversed_comment_leaves_the_reported_queue(client: FlaskClient, work: Any) -> None:
    cid = published(client, work)
    report(client, cid, "r1", "abuse")
    client.post(f"/v1/moderation/comments/{cid}/reversal", headers=ADMIN_HEADERS, json={})
    sign_in(client)
    html = client.get("/moderate?view=reported").get_data(as_text=True)
    assert cid not in html and "No reported comments." in html
