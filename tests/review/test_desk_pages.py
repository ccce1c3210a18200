"""The desk's pages over HTTP (no browser): sign-in, cookies, CSRF, escaping, CSP, admin pages."""

from __future__ import annotations

import re
import time
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.conftest import ADMIN, ADMIN_HEADERS, payload, submit

XSS = "<img src=x onerror=alert(1)> & <script>alert(2)</script>"


def login(client: FlaskClient, token: str, path: str = "/moderate/login", **kwargs: Any) -> Any:
    """Post the sign-in form as the browser does: with the CSRF token the form page gave, and its cookie."""
    form = client.get("/moderate/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    assert csrf
    return client.post(path, data={"token": token, "csrf": csrf.group(1)}, **kwargs)


def sign_in(client: FlaskClient, token: str = ADMIN) -> str:
    r = login(client, token, "/moderate/login")
    assert r.status_code == 302, r.data
    page = client.get("/moderate").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match
    return match.group(1)


def test_sign_in_sets_a_strict_httponly_cookie_and_sign_out_ends_the_session(client: FlaskClient) -> None:
    assert client.get("/moderate").status_code == 302  # to the sign-in page
    bad = login(client, "nope", "/moderate/login")
    assert bad.status_code == 401 and "not valid" in bad.get_data(as_text=True)
    r = login(client, ADMIN, "/moderate/login")
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/moderate" in cookie
    assert "Secure" not in cookie  # plain HTTP here
    assert ADMIN not in cookie
    csrf = re.search(r'content="([^"]+)"', client.get("/moderate").get_data(as_text=True).split("csrf-token")[1])
    assert csrf
    assert client.post("/moderate/logout", data={"csrf": csrf.group(1)}).status_code == 302
    assert client.get("/moderate").status_code == 302


def test_the_cookie_is_secure_behind_https(redis_server: Any, redis: Any) -> None:
    from tests.conftest import make_app

    client = make_app(redis_server.url, TRUST_PROXY="1").test_client()
    r = login(client, ADMIN, "/moderate/login", headers={"X-Forwarded-Proto": "https"})
    assert "Secure" in r.headers["Set-Cookie"]


def test_every_state_change_needs_the_csrf_token(client: FlaskClient, work: Any) -> None:
    cid = submit(client).json["id"]
    work()
    csrf = sign_in(client)
    for url, data in (("/moderate/decide", {"ids": cid, "action": "approve"}), ("/moderate/claim", {"ids": cid}),
                      ("/moderate/logout", {}), ("/moderate/bans", {"email": "a@b.co"}),
                      ("/moderate/moderators", {"name": "eve"})):
        assert client.post(url, data=data).status_code == 403, url
        assert client.post(url, data={**data, "csrf": "forged"}).status_code == 403, url
    assert client.get(f"/v1/sites/demo/comments/{cid}").json["status"] == "pending_review"
    r = client.post("/moderate/decide", json={"ids": [cid], "action": "approve"}, headers={"X-CSRF-Token": csrf})
    assert r.json["results"] == [{"id": cid, "status": "published"}]


def test_comments_render_as_text_with_evidence_marked_and_a_strict_csp(client: FlaskClient, work: Any) -> None:
    submit(client, payload(XSS + " you idiot", author={"name": "<b>bold</b>", "email": "x@example.com"}))
    submit(client, payload("مقال ممتاز يا حقير", author={"name": "سارة", "email": "s@example.com"}))
    work()
    sign_in(client)
    r = client.get("/moderate")
    html = r.get_data(as_text=True)
    assert "<img src=x" not in html and "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert '<mark class="profanity" title="profanity">idiot</mark>' in html
    assert '<mark class="profanity" title="profanity">حقير</mark>' in html
    # Names and bodies are isolated for direction: an Arabic name or a stray control cannot reorder the line.
    assert '<bdi>سارة</bdi>' in html and '<bdi>&lt;b&gt;bold&lt;/b&gt;</bdi>' in html
    assert html.count('<p class="body" dir="auto"') == 2
    csp = r.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert "<script>" not in html.replace("<script src=", "")  # no inline script at all
    assert ' style="' not in html


def test_the_page_claims_what_it_shows_and_leaves_out_what_others_hold(client: FlaskClient, app: Any,
                                                                       work: Any) -> None:
    ids = [submit(client, payload(f"c{i}", author={"name": "N", "email": f"n{i}@example.com"})).json["id"]
           for i in range(3)]
    work()
    other = app.test_client()
    r = other.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": "zed"})
    other.post("/v1/moderation/claims", headers={"Authorization": f"Bearer {r.json['token']}"}, json={"limit": 1})
    csrf = sign_in(client)
    page = client.get("/moderate").get_data(as_text=True)
    assert 'data-autoclaim="1"' in page and "held by zed" not in page  # a second moderator gets free comments
    assert [cid in page for cid in ids] == [False, True, True]
    claimed = client.post("/moderate/claim", data={"ids": ids, "csrf": csrf}, headers={"Accept": "application/json"})
    assert sorted(claimed.json["claimed"]) == sorted(ids[1:])  # not the one zed holds
    page = client.get("/moderate").get_data(as_text=True)
    assert 'data-autoclaim="1"' not in page and page.count(">yours<") == 2


def test_bulk_decision_form(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"c{i}", author={"name": "N", "email": f"m{i}@example.com"})).json["id"]
           for i in range(2)]
    work()
    csrf = sign_in(client)
    r = client.post("/moderate/decide", data={"ids": ids, "action": "reject", "reason": "spam", "csrf": csrf})
    assert r.status_code == 302 and "done=2" in r.headers["Location"]
    assert {client.get(f"/v1/sites/demo/comments/{i}").json["status"] for i in ids} == {"rejected"}


def test_admin_pages(client: FlaskClient, work: Any) -> None:
    [cid] = [submit(client).json["id"]]
    work()
    csrf = sign_in(client)
    created = client.post("/moderate/moderators", data={"name": "kim", "role": "moderator", "csrf": csrf})
    token = re.search(r'<code id="new-token">([^<]+)</code>', created.get_data(as_text=True))
    assert token
    assert client.get("/v1/moderation/queue", headers={"Authorization": f"Bearer {token.group(1)}"}).status_code == 200
    page = client.post("/moderate/bans", data={"email": "troll@example.com", "reason": "abuse", "csrf": csrf})
    assert "troll@example.com" in page.get_data(as_text=True)
    bad = client.post("/moderate/bans", data={"email": "nope", "csrf": csrf}).get_data(as_text=True)
    assert "email: Not a valid email address." in bad
    client.post("/moderate/decide", data={"ids": cid, "action": "approve", "csrf": csrf})
    audit = client.get(f"/moderate/audit?comment_id={cid}").get_data(as_text=True)
    assert "decision.approve" in audit
    stats = client.get("/moderate/stats").get_data(as_text=True)
    assert "<polyline" in stats and "Median time from submission to decision" in stats
    # A moderator (not admin) cannot open the moderators page.
    mod = client.application.test_client()
    login(mod, token.group(1), "/moderate/login")
    assert mod.get("/moderate/moderators").status_code == 403
    assert mod.get("/moderate/bans").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example", "/v1/moderation/queue"])
def test_sign_in_never_redirects_off_the_desk(client: FlaskClient, target: str) -> None:
    r = login(client, ADMIN, f"/moderate/login?next={target}")
    assert r.headers["Location"] == "/moderate"


def test_a_revoked_token_ends_its_desk_sessions(client: FlaskClient, app: Any) -> None:
    r = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": "tmp"})
    desk = app.test_client()
    login(desk, r.json["token"], "/moderate/login")
    assert desk.get("/moderate").status_code == 200
    client.delete("/v1/moderation/moderators/tmp", headers=ADMIN_HEADERS)
    assert desk.get("/moderate").status_code == 302


def test_each_comment_on_the_page_shows_its_own_authors_history(client: FlaskClient, work: Any) -> None:
    # The page reads every author's counts in one round trip; each row must still get its own author's.
    first = submit(client, payload("an older comment", author={"name": "Old", "email": "old@example.com"})).json["id"]
    for i in range(2):
        submit(client, payload(f"comment {i}", author={"name": "Old", "email": "old@example.com"}))
    submit(client, payload("a newcomer's comment", author={"name": "New", "email": "new@example.com"}))
    work()
    client.post(f"/v1/moderation/comments/{first}/decision", headers=ADMIN_HEADERS, json={"action": "reject"})
    sign_in(client)
    html = client.get("/moderate").get_data(as_text=True)
    rows = re.findall(r'<strong class="author"><bdi>(Old|New)</bdi></strong>\s*<span class="history">([^<]*)</span>',
                      html)
    assert sorted(rows) == [("New", "0 approved · 0 rejected · 1 comment"),
                            ("Old", "0 approved · 1 rejected · 3 comments"),
                            ("Old", "0 approved · 1 rejected · 3 comments")]


def test_the_sign_in_form_checks_its_csrf_token(client: FlaskClient) -> None:
    """Issue 13, finding 13: the sign-in form had no CSRF token (login CSRF: another site signs you in as it)."""
    for data in ({"token": ADMIN}, {"token": ADMIN, "csrf": "made-up"}):
        r = client.post("/moderate/login", data=data)
        assert r.status_code == 403 and "desk_session" not in r.headers.get("Set-Cookie", "")
        assert client.get("/moderate").status_code == 302  # still signed out
    assert login(client, ADMIN).status_code == 302
    assert client.get("/moderate").status_code == 200


def test_the_desk_shows_each_comments_language_and_filters_by_it(client: FlaskClient, work: Any) -> None:
    submit(client, payload("مقال ممتاز وتحليل دقيق", author={"name": "سارة", "email": "s@example.com"}))
    submit(client, payload("A careful and fair report", author={"name": "Sam", "email": "sam@example.com"}))
    work()
    sign_in(client)
    html = client.get("/moderate").get_data(as_text=True)
    assert '<p class="body" dir="auto" lang="ar">مقال ممتاز وتحليل دقيق</p>' in html
    assert '<p class="body" dir="auto" lang="en">A careful and fair report</p>' in html
    assert '<span class="lang" title="Language found by screening">ar</span>' in html
    arabic = client.get("/moderate?language=ar").get_data(as_text=True)
    assert "مقال ممتاز" in arabic and "A careful and fair report" not in arabic
    assert '<option value="ar" selected>' in arabic
    empty = client.get("/moderate?language=mixed").get_data(as_text=True)
    assert "No pending comment matches" in empty and "Nothing waiting" not in empty


# ---- errors, sessions that end, undo, compression ----------------------------------------------

def test_an_ended_session_answers_the_pages_script_with_json_and_a_dialog_signs_back_in(
        client: FlaskClient, work: Any) -> None:
    cid = submit(client).json["id"]
    work()
    csrf = sign_in(client)
    client.post("/moderate/logout", data={"csrf": csrf})
    body = {"ids": [cid], "action": "approve"}
    r = client.post("/moderate/decide", json=body, headers={"X-CSRF-Token": csrf, "Accept": "application/json"})
    assert r.status_code == 401 and r.json["error"] == "session_expired" and "sign in" in r.json["message"]
    assert client.post("/moderate/session", json={"token": "nope"}).status_code == 401
    assert client.post("/moderate/session", data={"token": ADMIN}).status_code == 415  # a form from anywhere: no
    assert client.post("/moderate/session", json={"token": ADMIN},
                       headers={"Origin": "https://evil.example"}).status_code == 403
    again = client.post("/moderate/session", json={"token": ADMIN}, headers={"Origin": "http://localhost"})
    assert again.status_code == 200 and again.json["moderator"] == "admin"
    assert "HttpOnly" in again.headers["Set-Cookie"]
    retried = client.post("/moderate/decide", json=body, headers={"X-CSRF-Token": again.json["csrf"]})
    assert retried.json["results"] == [{"id": cid, "status": "published"}]


def test_desk_errors_are_desk_pages_for_people_and_json_for_its_script(client: FlaskClient) -> None:
    csrf = sign_in(client)
    page = client.get("/moderate/nosuch")
    html = page.get_data(as_text=True)
    assert page.status_code == 404 and page.mimetype == "text/html"
    assert 'class="problem" role="alert"' in html and "Back to the queue" in html
    stale = client.post("/moderate/decide", data={"ids": "x", "action": "approve", "csrf": "old"})
    assert stale.status_code == 403 and "reload the page" in stale.get_data(as_text=True)
    assert stale.mimetype == "text/html"
    fetch = client.post("/moderate/reverse", json={"id": "nosuch"}, headers={"X-CSRF-Token": csrf})
    assert fetch.status_code == 404 and fetch.json == {"error": "comment_not_found", "message": "No such comment."}


def test_the_desk_undoes_its_own_decision(client: FlaskClient, work: Any) -> None:
    cid = submit(client).json["id"]
    work()
    csrf = sign_in(client)
    decided = client.post("/moderate/decide", json={"ids": [cid], "action": "approve"}, headers={"X-CSRF-Token": csrf})
    assert decided.json["undo_seconds"] == 10
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 1}
    r = client.post("/moderate/reverse", json={"id": cid}, headers={"X-CSRF-Token": csrf})
    assert r.json == {"id": cid, "status": "pending_review"}
    assert client.get("/v1/sites/demo/articles/article-1/comments/count").json == {"count": 0}
    assert cid in client.get("/moderate").get_data(as_text=True)


def test_pages_and_the_script_are_compressed_for_browsers_that_take_gzip(client: FlaskClient) -> None:
    import gzip

    sign_in(client)
    for path in ("/moderate", "/moderate/static/desk.js", "/moderate/static/desk.css"):
        r = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert r.status_code == 200 and r.headers["Content-Encoding"] == "gzip", path
        assert "Accept-Encoding" in r.headers["Vary"]
        plain = client.get(path).get_data()
        assert gzip.decompress(r.get_data()) == plain and len(r.get_data()) < len(plain) / 2


@pytest.mark.slow
def test_the_pages_poll_renews_its_claims_and_reports_what_changed(redis_server: Any, redis: Any, work: Any) -> None:
    from tests.conftest import make_app

    client = make_app(redis_server.url, LEASE_SECONDS=2).test_client()
    ids = [submit(client, payload(f"c{i}", author={"name": "N", "email": f"p{i}@example.com"})).json["id"]
           for i in range(3)]
    work()
    csrf = sign_in(client)
    headers = {"X-CSRF-Token": csrf, "Accept": "application/json"}
    assert sorted(client.post("/moderate/claim", json={"ids": ids}, headers=headers).json["claimed"]) == sorted(ids)
    client.post(f"/v1/moderation/comments/{ids[0]}/decision", headers=ADMIN_HEADERS,
                json={"action": "reject", "reason": "spam"})
    fresh = submit(client, payload("a late comment", author={"name": "L", "email": "late@example.com"})).json["id"]
    work()
    time.sleep(1.5)  # most of the 2 s lease gone
    r = client.post("/moderate/poll", json={"ids": ids, "filters": {}}, headers=headers)
    assert r.json["comments"][ids[0]] == {"status": "rejected", "holder": None, "mine": False}
    assert r.json["comments"][ids[1]] == {"status": "pending_review", "holder": "admin", "mine": True}
    assert r.json["new"] == 1
    time.sleep(1.0)  # past the first lease's end: still held, because the poll renewed it
    held = client.get(f"/v1/moderation/comments/{ids[1]}", headers=ADMIN_HEADERS).json["claim"]
    assert held and held["moderator"] == "admin"
    assert fresh not in ids
    bad = client.post("/moderate/poll", json={"ids": ids, "filters": {"language": "fr"}}, headers=headers)
    assert bad.status_code == 422 and "language: Must be one of: ar, en, mixed." in bad.json["message"]


def test_a_mistyped_filter_says_so(client: FlaskClient, work: Any) -> None:
    submit(client)
    work()
    sign_in(client)
    html = client.get("/moderate?article_id=artcle-1").get_data(as_text=True)
    assert "No pending comment matches" in html and "article id “<bdi>artcle-1</bdi>”" in html
    assert "Good work" not in html
    wrong = client.get("/moderate?site=nosuch").get_data(as_text=True)
    assert 'role="alert">That is not one of your sites.' in wrong


# ---- the author and context panel, and banning from it -----------------------------------------

def test_the_panel_shows_the_thread_the_author_and_their_decided_comments(client: FlaskClient, work: Any) -> None:
    troll = {"name": "Troll \u202eenoyna", "email": "troll@example.com"}
    parent = submit(client, payload("The parent comment.", author={"name": "P", "email": "p@example.com"})).json["id"]
    earlier = submit(client, payload("An earlier rude one", author=troll)).json["id"]
    reply = submit(client, payload("A reply from the troll", author=troll, parent_id=parent)).json["id"]
    answer = submit(client, payload("An answer to the troll", parent_id=reply)).json["id"]
    work()
    client.post(f"/v1/moderation/comments/{parent}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    client.post(f"/v1/moderation/comments/{earlier}/decision", headers=ADMIN_HEADERS,
                json={"action": "reject", "reason": "abuse", "note": "second warning"})
    sign_in(client)
    html = client.get(f"/moderate/comments/{reply}/panel").get_data(as_text=True)
    assert "<bdi>troll@example.com</bdi>" in html and "203.0.113.7" in html and "Not banned" in html
    thread = html[html.index('<ol class="thread">'):html.index("</ol>")]
    assert thread.index("The parent comment.") < thread.index("A reply from the troll") < thread.index(
        "An answer to the troll")
    assert '<li class="state-published"><span class="state">published</span>' in thread
    assert '<li class="reply state-pending_review"><span class="state">pending review</span>' in thread
    recent = html[html.index('<ul class="recent">'):]
    assert "rejected</span> by admin (abuse) · note: “<bdi>second warning</bdi>”" in recent
    assert "An earlier rude one" in recent and answer not in recent
    page = client.get(f"/moderate/comments/{reply}").get_data(as_text=True)
    assert 'class="panel"' in page and f'data-id="{reply}"' in page and "Back to the queue" in page


def test_ban_and_reject_pending_in_one_action(client: FlaskClient, app: Any, work: Any) -> None:
    troll = {"name": "T", "email": "troll@example.com"}
    ids = [submit(client, payload(f"rude {i}", author=troll)).json["id"] for i in range(3)]
    bystander = submit(client, payload("a fair comment", author={"name": "F", "email": "f@example.com"})).json["id"]
    work()
    zed = app.test_client()
    token = zed.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": "zed"}).json["token"]
    zed.post("/moderate/claim", json={"ids": [ids[1]]},
             headers={"X-CSRF-Token": sign_in(zed, token), "Accept": "application/json"})
    mia = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": "mia"}).json["token"]
    csrf = sign_in(client, mia)  # not an admin: another moderator's claim holds against her
    zeds = [cid for cid in ids if (client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json["claim"]
                                   or {}).get("moderator") == "zed"]
    r = client.post("/moderate/ban-author", json={"id": ids[0], "days": 7, "reason": "threats"},
                    headers={"X-CSRF-Token": csrf})
    assert r.status_code == 200 and re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", r.json["ban"]["until"])
    assert sorted(r.json["rejected"] + r.json["held_by_others"]) == sorted(ids)
    assert r.json["held_by_others"] == zeds == [ids[1]]
    for cid in r.json["rejected"]:
        detail = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json
        assert detail["status"] == "rejected" and detail["decision"]["note"] == "threats"
    assert client.get(f"/v1/sites/demo/comments/{bystander}").json["status"] == "pending_review"
    refused = submit(client, payload("let me back in", author=troll))
    assert (refused.status_code, refused.json["error"]) == (403, "author_banned")
    bans_page = client.get("/moderate/bans").get_data(as_text=True)
    assert r.json["ban"]["until"] in bans_page
    panel = client.get(f"/moderate/comments/{ids[0]}/panel").get_data(as_text=True)
    assert f"Banned (email) until {r.json['ban']['until']}" in panel and "“<bdi>threats</bdi>”" in panel
    bad = client.post("/moderate/ban-author", json={"id": ids[0], "days": 3}, headers={"X-CSRF-Token": csrf})
    assert (bad.status_code, bad.json["error"]) == (422, "validation_failed")
    assert "days: Choose 1, 7 or 30 days, or 0 (for good)." in bad.json["message"]


def test_another_sites_comment_has_no_panel(client: FlaskClient, work: Any) -> None:
    cid = submit(client).json["id"]
    work()
    r = client.post("/v1/moderation/moderators", headers=ADMIN_HEADERS, json={"name": "ola", "sites": ["other"]})
    sign_in(client, r.json["token"])
    assert client.get(f"/moderate/comments/{cid}/panel").status_code == 404
    assert client.get(f"/moderate/comments/{cid}").status_code == 404


# ---- queues, sorting and filters ----------------------------------------------------------------

def test_views_of_decided_comments_with_counts_sorting_and_reversal(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"comment {i}", author={"name": "N", "email": f"v{i}@example.com"})).json["id"]
           for i in range(4)]
    work()
    for cid, action in zip(ids[:3], ("approve", "reject", "approve"), strict=True):
        body = {"action": action, **({"reason": "spam"} if action == "reject" else {})}
        client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json=body)
        time.sleep(0.002)  # distinct decision times
    csrf = sign_in(client)
    html = client.get("/moderate?view=approved").get_data(as_text=True)
    for label, n in (("Pending", 1), ("Reported", 0), ("Approved", 2), ("Rejected", 1)):
        assert f'>{label} <span class="count">{n}</span>' in html, label
    shown = re.findall(r'data-id="([0-9a-f]+)"', html)
    assert shown == [ids[2], ids[0]]  # latest decision first
    oldest = re.findall(r'data-id="([0-9a-f]+)"', client.get("/moderate?view=approved&sort=oldest").get_data(
        as_text=True))
    assert oldest == [ids[0], ids[2]]
    rejected = client.get("/moderate?view=rejected").get_data(as_text=True)
    assert re.findall(r'data-id="([0-9a-f]+)"', rejected) == [ids[1]] and "rejected (spam) by admin" in rejected
    assert client.post("/moderate/reverse", json={"id": ids[2]}, headers={"X-CSRF-Token": csrf}).status_code == 200
    after = client.get("/moderate?view=approved").get_data(as_text=True)
    assert re.findall(r'data-id="([0-9a-f]+)"', after) == [ids[0]]
    assert '>Pending <span class="count">2</span>' in after
    assert "Sort by risk" in client.get("/moderate?sort=sideways").get_data(as_text=True)


def test_pending_sorted_by_age_and_filtered_by_severity_author_and_article_prefix(client: FlaskClient,
                                                                                  work: Any) -> None:
    calm = submit(client, payload("A calm remark.", author={"name": "A", "email": "Amal@Example.com"})).json["id"]
    rude = submit(client, payload("You idiot, you moron.", author={"name": "B", "email": "b@example.com"},
                                  article={"id": "article-22", "url": "https://news.example/a22"})).json["id"]
    work()
    sign_in(client)

    def shown(query: str) -> list[str]:
        return re.findall(r'data-id="([0-9a-f]+)"', client.get(f"/moderate?{query}").get_data(as_text=True))

    assert shown("sort=oldest") == [calm, rude] and shown("sort=newest") == [rude, calm]
    assert shown("") == [rude, calm]  # riskiest first
    ranks = {"none": 0, "low": 1, "medium": 2, "high": 3}

    def severity(cid: str) -> str:
        flags = client.get(f"/v1/moderation/comments/{cid}", headers=ADMIN_HEADERS).json["flags"]
        return max((f["severity"] for f in flags), key=ranks.__getitem__, default="none")

    assert severity(calm) != severity(rude)
    assert shown(f"severity={severity(calm)}") == [calm] and shown(f"severity={severity(rude)}") == [rude]
    assert shown("author=amal@example.com") == [calm]
    assert shown("article_id=article-22") == [rude]
    assert client.get("/moderate/articles?prefix=article-2").json == {"articles": ["article-22"]}
    assert client.get("/moderate/articles?prefix=art").json == {"articles": ["article-1", "article-22"]}
    assert "severity: Must be one of: low, medium, high, none." in client.get("/moderate?severity=loud").get_data(
        as_text=True)


def test_a_featured_comment_is_marked_and_filterable_in_the_public_list(client: FlaskClient, work: Any) -> None:
    ids = [submit(client, payload(f"comment {i}", author={"name": "N", "email": f"f{i}@example.com"})).json["id"]
           for i in range(3)]
    work()
    for cid in ids[:2]:
        client.post(f"/v1/moderation/comments/{cid}/decision", headers=ADMIN_HEADERS, json={"action": "approve"})
    csrf = sign_in(client)
    r = client.post("/moderate/feature", json={"id": ids[1], "featured": True}, headers={"X-CSRF-Token": csrf})
    assert r.json == {"id": ids[1], "featured": True}
    listed = client.get("/v1/sites/demo/articles/article-1/comments").json["comments"]
    assert [(c["id"], c["featured"]) for c in listed] == [(ids[0], False), (ids[1], True)]
    only = client.get("/v1/sites/demo/articles/article-1/comments?featured=true").json["comments"]
    assert [c["id"] for c in only] == [ids[1]]
    pending = client.post("/moderate/feature", json={"id": ids[2], "featured": True}, headers={"X-CSRF-Token": csrf})
    assert pending.status_code == 409 and "Only a published comment" in pending.json["message"]
    client.post("/moderate/feature", json={"id": ids[1], "featured": False}, headers={"X-CSRF-Token": csrf})
    assert client.get("/v1/sites/demo/articles/article-1/comments?featured=true").json["comments"] == []


@pytest.mark.parametrize("path", ["/moderate/decide", "/moderate/poll", "/moderate/reverse", "/moderate/ban-author",
                                  "/moderate/feature", "/moderate/reported", "/moderate/claim", "/moderate/session"])
@pytest.mark.parametrize("body", [[1, 2], "text", {"ids": "abc", "filters": [], "days": "soon", "id": "x"}])
def test_odd_json_from_the_page_is_a_4xx_never_a_500(client: FlaskClient, path: str, body: Any) -> None:
    csrf = sign_in(client)
    r = client.post(path, json=body, headers={"X-CSRF-Token": csrf})
    assert 400 <= r.status_code < 500, (path, body, r.status_code, r.data[:200])
    assert r.is_json and "message" in (r.json or {})


@pytest.mark.parametrize(("path", "body", "field"), [
    ("/v1/moderation/decisions", {"action": "reject", "reason": "rude", "ids": ["x"]}, "reason"),
    ("/v1/moderation/decisions", {"action": "approve", "note": "n" * 2001, "ids": ["x"]}, "note"),
    ("/v1/moderation/decisions", {"action": "approve", "ids": [f"c{i}" for i in range(101)]}, "ids"),
    ("/v1/moderation/decisions", {"action": "publish", "ids": ["x"]}, "action"),
])
def test_the_desk_and_the_api_refuse_a_decision_by_the_same_rules(client: FlaskClient, path: str,
                                                                   body: dict[str, Any], field: str) -> None:
    api = client.post(path, json=body, headers=ADMIN_HEADERS)
    csrf = sign_in(client)
    from_page = client.post("/moderate/decide", json=body, headers={"X-CSRF-Token": csrf})
    form = client.post("/moderate/decide", data={**body, "csrf": csrf})
    assert api.status_code == from_page.status_code == form.status_code == 422
    assert api.json["fields"][field] == from_page.json["fields"][field]
    assert f"{field}: {api.json['fields'][field][0]}" in form.get_data(as_text=True)
