"""The moderation desk in the browser: server-rendered pages, a little JavaScript, safe by construction.

Every comment is rendered by Jinja's autoescaping as text; pages send a Content-Security-Policy
without inline scripts or styles; every request that changes state carries the session's CSRF
token; the session cookie is HttpOnly, SameSite=Strict, and Secure behind HTTPS.
"""

from __future__ import annotations

import gzip
import hmac
import secrets
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from functools import wraps
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from marshmallow import Schema, fields

from moderation import policy
from moderation.errors import CommentNotFound, ModerationError, Unauthorized, ValidationFailed
from moderation.review.bans import ban_site
from moderation.review.desk import UNDO_SECONDS, check_ids
from moderation.schemas import (
    BAN_DAYS,
    AuthorBanIn,
    BanIn,
    BulkDecisionIn,
    DeskFilters,
    FeatureIn,
    ModeratorIn,
    ReportedIn,
    ReversalIn,
    validated,
)
from moderation.sessions import Session, Sessions
from moderation.store.comments import Comment
from service.errors import wants_json
from service.extensions import accounts, bans, desk, reports, settings, store

bp = Blueprint("desk", __name__, url_prefix="/moderate", template_folder="templates",
               static_folder="static/desk", static_url_path="/static")
COOKIE = "desk_session"
F = TypeVar("F", bound=Callable[..., Any])
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")


def sessions() -> Sessions:
    return Sessions(current_app.extensions["moderation.redis"], accounts())


@bp.before_request
def start_clock() -> None:
    g.desk_started = time.perf_counter()


@bp.after_request
def security_headers(response: Response) -> Response:
    # How long the server took, for the browser's own timing (the shift test reads it per decision).
    started = g.get("desk_started")
    if started is not None:
        response.headers["Server-Timing"] = f"app;dur={(time.perf_counter() - started) * 1000:.2f}"
    response.headers["Content-Security-Policy"] = CSP
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Frame-Options"] = "DENY"
    if response.mimetype == "text/html":
        response.headers["Cache-Control"] = "no-store"
    return compressed(response)


COMPRESSIBLE = ("text/html", "text/css", "text/javascript", "application/javascript", "application/json")


def compressed(response: Response) -> Response:
    """Gzip the desk's pages, script, style and JSON for a browser that takes it (a phone on a slow line)."""
    if (response.status_code != 200 or response.mimetype not in COMPRESSIBLE
            or "Content-Encoding" in response.headers
            or "gzip" not in request.headers.get("Accept-Encoding", "")):
        return response
    response.direct_passthrough = False
    data = response.get_data()
    response.vary.add("Accept-Encoding")
    if len(data) < 512:
        return response
    response.set_data(gzip.compress(data, compresslevel=6))
    response.headers["Content-Encoding"] = "gzip"
    etag, weak = response.get_etag()
    if etag:
        response.set_etag(f"{etag}-gzip", bool(weak))
    return response


def signed_in(role: str = "moderator") -> Callable[[F], F]:
    """The view needs a desk session (and, for state changes, its CSRF token)."""

    def decorate(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            session = sessions().get(request.cookies.get(COOKIE))
            if session is None:
                if wants_json():
                    # The page's script shows a sign-in dialog and sends the action again.
                    return jsonify({"error": "session_expired",
                                    "message": "Your desk session has ended; sign in to carry on."}), 401
                return redirect(url_for("desk.login", next=request.full_path if request.method == "GET" else None))
            if role == "admin" and not session.moderator.is_admin:
                abort(403)
            if request.method != "GET":
                sent = request.headers.get("X-CSRF-Token") or request.form.get("csrf") or ""
                if not hmac.compare_digest(sent.encode(), session.csrf.encode()):
                    abort(403, "The form is out of date or did not come from the desk; reload the page.")
            g.session = session
            g.moderator = session.moderator
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]  # functools.wraps keeps the signature, which mypy cannot see

    return decorate


def sent() -> Mapping[str, Any]:
    """What the page sent: its script's JSON object or a form. JSON that is not an object is a 400, not a 500."""
    if not request.is_json:
        return request.form
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "Send a JSON object.")
    return data


def command(schema: Schema, *, drop: tuple[str, ...] = ()) -> tuple[str, dict[str, Any]]:
    """The page's command (a form, or its script's JSON): the target comment's id, and the rest validated by the
    same schema the JSON API uses, so a desk decision is checked by the API's rules. Empty fields (a form sends
    every field) and the form's CSRF token are left out, list fields take every repeated value, and `drop` names
    fields that belong to another button of the same form."""
    data = sent()
    target = str(data.get("id") or "")
    given = {k: (data.getlist(k) if hasattr(data, "getlist") and isinstance(schema.fields.get(k), fields.List)
                 else v) for k, v in data.items() if k not in ("id", "csrf", *drop) and v not in ("", None)}
    return target, checked(schema, given, "The desk sent what it cannot do.")


def checked(schema: Schema, data: Mapping[str, Any], message: str) -> dict[str, Any]:
    """`validated`, with each field's problem in the message: the page shows the message."""
    try:
        return validated(schema, data, message)
    except ValidationFailed as err:
        raise ValidationFailed(said(err), fields=err.fields) from None


def said(err: ModerationError) -> str:
    """An error as a page shows it: the message, then each field's problem."""
    return "; ".join([err.message, *(f"{k}: {' '.join(map(str, v)) if isinstance(v, list) else v}"
                                     for k, v in (err.fields or {}).items())])


def listed_ids(value: Any) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        abort(400, "ids must be a list of comment ids.")
    return value


def page(template: str, **context: Any) -> str:
    session: Session | None = g.get("session")
    return render_template(f"desk/{template}", session=session, reasons=policy.REJECT_REASONS,
                           suggested=policy.suggested_reason, **context)


# ---- sign-in -----------------------------------------------------------------------------------

LOGIN_CSRF_COOKIE = "desk_login_csrf"


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign in with a moderator token; the browser then holds only a session id.

    The form carries a token that must match a cookie set with it (double submit): another site cannot post a
    token of its own choosing here and sign a moderator into the attacker's session.
    """
    error, status = None, 200
    if request.method == "POST":
        sent, expected = request.form.get("csrf", ""), request.cookies.get(LOGIN_CSRF_COOKIE, "")
        if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
            error, status = "The sign-in form is out of date or did not come from the desk; try again.", 403
        else:
            try:
                session = sessions().open(request.form.get("token", "").strip())
            except Unauthorized:
                error, status = "That token is not valid.", 401
            else:
                target = request.args.get("next") or url_for("desk.queue")
                if not target.startswith("/moderate"):
                    target = url_for("desk.queue")  # never an open redirect
                response = redirect(target)
                response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Strict", secure=request.is_secure,
                                    path="/moderate", max_age=sessions().ttl)
                response.delete_cookie(LOGIN_CSRF_COOKIE, path="/moderate")
                return response
    csrf = secrets.token_urlsafe(32)
    response = Response(render_template("desk/login.html", error=error, session=None, csrf=csrf), status)
    response.set_cookie(LOGIN_CSRF_COOKIE, csrf, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/moderate", max_age=3600)
    return response


@bp.post("/session")
def sign_in_again() -> Any:
    """Sign in from the page's dialog after a session ended, without leaving the page.

    JSON only: another site cannot send JSON here without a CORS preflight, which this app never grants, so it
    cannot sign a moderator into a session of its choosing (the login form's double-submit token does this there).
    """
    if not request.is_json:
        abort(415, "Send the token as JSON.")
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        abort(403, "Sign in from the desk itself.")
    token = sent().get("token")
    try:
        session = sessions().open(str(token or "").strip())
    except Unauthorized:
        return jsonify({"error": "unauthorized", "message": "That token is not valid."}), 401
    response = jsonify({"csrf": session.csrf, "moderator": session.moderator.name})
    response.set_cookie(COOKIE, session.sid, httponly=True, samesite="Strict", secure=request.is_secure,
                        path="/moderate", max_age=sessions().ttl)
    return response


@bp.post("/logout")
@signed_in()
def logout() -> Any:
    sessions().close(g.session.sid)
    response = redirect(url_for("desk.login"))
    response.delete_cookie(COOKIE, path="/moderate")
    return response


# ---- the queue ---------------------------------------------------------------------------------

def segments(comment: Comment) -> list[dict[str, Any]]:
    """The body cut into plain and flagged pieces, so the template can mark evidence and escape everything."""
    marks: list[tuple[int, int, str]] = sorted(
        (e["start"], e["end"], f["code"]) for f in comment.flags for e in f["evidence"] if e["end"] > e["start"])
    out: list[dict[str, Any]] = []
    pos = 0
    for start, end, code in marks:
        if start < pos:
            if end > pos and out and out[-1]["mark"]:  # overlapping evidence: extend the mark
                out[-1]["text"] += comment.body[pos:end]
                out[-1]["codes"] += f" {code}"
                pos = end
            continue
        if start > pos:
            out.append({"text": comment.body[pos:start], "mark": False, "codes": ""})
        out.append({"text": comment.body[start:end], "mark": True, "codes": code})
        pos = end
    if pos < len(comment.body):
        out.append({"text": comment.body[pos:], "mark": False, "codes": ""})
    return out


def _age(ms: int) -> str:
    seconds = max(0, int(datetime.now(UTC).timestamp() - ms / 1000))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


SORTS = ("risk", "newest", "oldest")
_FILTERS = DeskFilters()


def queue_filters(source: Mapping[str, Any]) -> dict[str, str]:
    """The queue's filters from a query string or the page's poll, validated as every command is, and checked
    against this moderator's sites."""
    filters = checked(_FILTERS, {k: v for k, v in source.items() if k in _FILTERS.fields and v not in ("", None)},
                      "These filters cannot be used.")
    if "site" in filters and not (filters["site"] in settings().sites and g.moderator.sees(filters["site"])):
        raise ModerationError("That is not one of your sites.")
    return filters


def workable(filters: Mapping[str, str], cursor: str | None) -> tuple[list[Comment], str | None]:
    """A page of pending comments that are free or this moderator's (others' claims are skipped)."""
    return listed("pending", "risk", filters, cursor, skip_others=True)


def listed(view: str, sort: str, filters: Mapping[str, str], cursor: str | None, skip_others: bool = False,
           unavailable: list[str] | None = None) -> tuple[list[Comment], str | None]:
    return desk().listing(store(), g.moderator, view=view, sort=sort, filters=filters, cursor=cursor,
                          skip_others=skip_others, sites=my_sites(), unavailable=unavailable)


VIEWS = ("pending", "reported", "approved", "rejected")


def my_sites() -> list[str]:
    return sorted(s for s in settings().sites if g.moderator.sees(s))


@bp.get("")
@signed_in()
def queue() -> str:
    """Pending comments, highest risk first, with filters and paging; the page claims what it shows. The reported
    view: published comments readers reported, most recently reported first."""
    error = None
    view = request.args.get("view", "pending")
    if view not in VIEWS:
        view, error = "pending", "There is no such queue; here is the pending one."
    sort = request.args.get("sort", "risk")
    if sort not in SORTS:
        sort, error = "risk", "Sort by risk, newest or oldest."
    unavailable: list[str] = []  # sites on a Redis that cannot be read now: the page shows the others
    counts = {**store().view_counts(my_sites(), unavailable), "reported": reports().counts(my_sites(), unavailable)}
    report_summaries: dict[str, Any] = {}
    try:
        filters = queue_filters(request.args)
        if view == "reported":
            sites = [filters["site"]] if "site" in filters else my_sites()
            comments, cursor = store().get_many(reports().waiting(sites, 50, unavailable)), None
            report_summaries = reports().summaries(c.id for c in comments)
        elif view == "pending":
            comments, cursor = listed("pending", sort, filters, request.args.get("cursor"), skip_others=True,
                                      unavailable=unavailable)
        else:
            comments, cursor = listed(view, sort, filters, request.args.get("cursor"), unavailable=unavailable)
    except ModerationError as err:
        filters, comments, cursor, error = {}, [], None, err.message
    held = desk().claims(c.id for c in comments)
    histories = desk().author_histories(comments, recent=0)
    banned = bans().in_force_many([(c.author_email, c.client_ip, c.site) for c in comments])
    items = []
    for c, author_bans in zip(comments, banned, strict=True):
        claim = held.get(c.id)
        items.append({"c": c, "segments": segments(c), "age": _age(c.created_ms),
                      "claim": claim, "mine": bool(claim and claim.moderator == g.moderator.name),
                      "history": histories[c.id], "bans": author_bans, "reports": report_summaries.get(c.id)})
    autoclaim = view == "pending" and any(i["claim"] is None for i in items)
    return page("queue.html", items=items, filters=filters, next_cursor=cursor, autoclaim=autoclaim, error=error,
                unavailable=sorted(set(unavailable)),
                sites=my_sites(), done=request.args.get("done"), view=view, counts=counts, sort=sort,
                severities=(*policy.SEVERITIES, "none"),
                poll_seconds=settings().desk_poll_seconds if view == "pending" else 0)


@bp.get("/articles")
@signed_in()
def articles() -> Any:
    """Article ids that start with what the moderator typed, on their sites (the article filter's suggestions)."""
    prefix = request.args.get("prefix", "")[:200]
    site = request.args.get("site") or None
    sites = [site] if site and site in my_sites() else my_sites()
    found = sorted({a for s in sites for a in store().articles(s, prefix)})
    return jsonify({"articles": found[:20]})


@bp.post("/feature")
@signed_in()
def feature() -> Any:
    """Feature a published comment, or stop featuring it (`f`)."""
    target, data = command(FeatureIn())
    comment = desk().feature(target, moderator=g.moderator, featured=data["featured"])
    if request.is_json:
        return jsonify({"id": comment.id, "featured": comment.featured})
    return redirect(url_for("desk.queue", view="approved"))


@bp.post("/reported")
@signed_in()
def reported() -> Any:
    """Deal with a reported comment: unpublish it (the site gets `comment.unpublished`) or dismiss its reports."""
    target, data = command(ReportedIn())
    comment = visible_comment(target)
    if data["action"] == "unpublish":  # without a reason of the moderator's, the readers' most given one
        reason = data.get("reason") or reports().summaries([comment.id])[comment.id]["reject_as"]
        comment = desk().unpublish(comment.id, moderator=g.moderator, reason=reason, note=data.get("note"))
    else:
        reports().dismiss(comment, moderator=g.moderator)
    if request.is_json:
        return jsonify({"id": comment.id, "status": comment.status})
    return redirect(url_for("desk.queue", view="reported"))


def visible_comment(comment_id: str) -> Comment:
    comment = store().get(comment_id)
    if not g.moderator.sees(comment.site):
        raise CommentNotFound()
    return comment


def context(comment: Comment) -> dict[str, Any]:
    """What the author and context panel shows: the thread, the author (email and address, to moderators of the
    site only: the desk shows no other site's comments), their latest comments with decisions, their bans."""
    return {"c": comment, "thread": desk().thread(comment), "recent": desk().author_recent(comment),
            "history": desk().author_histories([comment], recent=0)[comment.id],
            "bans": bans().in_force(comment.author_email, comment.client_ip, comment.site),
            "ban_days": BAN_CHOICES}


BAN_CHOICES = [(d, {0: "for good", 1: "1 day"}.get(d, f"{d} days")) for d in BAN_DAYS]


@bp.get("/comments/<comment_id>")
@signed_in()
def comment_page(comment_id: str) -> str:
    """One comment with its author and context panel: the page behind `o` without script, and a link to share."""
    comment = visible_comment(comment_id)
    claim = desk().claims([comment.id]).get(comment.id)
    item = {"c": comment, "segments": segments(comment), "age": _age(comment.created_ms), "claim": claim,
            "mine": bool(claim and claim.moderator == g.moderator.name),
            "history": desk().author_histories([comment], recent=0)[comment.id]}
    return page("comment.html", item=item, **context(comment))


@bp.get("/comments/<comment_id>/panel")
@signed_in()
def panel(comment_id: str) -> str:
    """The author and context panel alone, for the queue page to show beside the comment (`o`)."""
    return render_template("desk/panel.html", session=g.session, **context(visible_comment(comment_id)))


@bp.post("/ban-author")
@signed_in()
def ban_author() -> Any:
    """Ban a comment's author (by email, on its site) and reject their pending comments there: one action (`b`)."""
    target, data = command(AuthorBanIn())
    comment = visible_comment(target)
    days, reason = data["days"], data.get("reason")
    until = int((datetime.now(UTC) + timedelta(days=days)).timestamp() * 1000) if days else None
    ban = bans().create(email=comment.author_email, ip=None, until_ms=until, reason=reason, actor=g.moderator.name,
                        site=comment.site)
    result = desk().reject_author_pending(comment, moderator=g.moderator, reason="abuse", note=reason)
    body = {"ban": {"until_ms": ban["until_ms"], "until": _when(ban["until_ms"])}, **result}
    if request.is_json:
        return jsonify(body)
    return redirect(url_for("desk.comment_page", comment_id=comment.id))


def _when(ms: int | None) -> str:
    """A time as a moderator reads it: a date and a time of day, in UTC."""
    if not ms:
        return "for good"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@bp.app_template_filter("when")
def when_filter(ms: int | None) -> str:
    return _when(ms)


@bp.post("/poll")
@signed_in()
def poll() -> Any:
    """What changed under the open page: its leases renewed, each shown comment's state (decided or taken
    elsewhere), and how many comments matching its filters wait that it does not show."""
    data = sent()
    ids = [str(i) for i in listed_ids(data.get("ids"))][:100]
    renewed = set(desk().claim_ids(g.moderator, ids))
    desk().sample_depth()  # the stats chart's depth, once a minute, while any desk is open
    held = desk().claims(ids)
    comments = {c.id: c for c in store().get_many(ids) if g.moderator.sees(c.site)}
    filters = data.get("filters")
    first, _ = workable(queue_filters(filters if isinstance(filters, dict) else {}), None)
    return jsonify({
        "comments": {cid: {"status": comments[cid].status if cid in comments else "gone",
                           "holder": held[cid].moderator if cid in held else None,
                           "mine": cid in renewed} for cid in ids},
        "new": len([c for c in first if c.id not in ids]),
    })


@bp.post("/claim")
@signed_in()
def claim() -> Any:
    """Lease the comments the page shows (those nobody else holds)."""
    ids = request.form.getlist("ids") or listed_ids(sent().get("ids"))
    claimed = desk().claim_ids(g.moderator, [str(i) for i in ids][:100])
    if request.accept_mimetypes.best == "application/json":
        return jsonify({"claimed": claimed})
    back = request.referrer if (request.referrer or "").startswith(request.host_url) else url_for("desk.queue")
    return redirect(back)


@bp.post("/decide")
@signed_in()
def decide() -> Any:
    """Approve or reject one or several comments (a form post, or a fetch from the keyboard shortcuts)."""
    # The queue's one form has Approve and Reject buttons beside one reason: the reason goes with Reject only.
    approving = sent().get("action") == "approve"
    _, data = command(BulkDecisionIn(), drop=("reason",) if approving else ())
    results = desk().decide_many(check_ids(data["ids"]), action=data["action"], reason=data.get("reason"),
                                 note=data.get("note"), moderator=g.moderator)
    if request.is_json:
        return jsonify({"results": results, "undo_seconds": UNDO_SECONDS})
    done = sum(1 for r in results if "status" in r)
    return redirect(url_for("desk.queue", done=done))


@bp.post("/reverse")
@signed_in()
def reverse() -> Any:
    """Undo a decision from the desk (its 10-second undo, or a reversal later): the comment is pending again
    and on this moderator's desk."""
    target, data = command(ReversalIn())
    comment = desk().reverse(target, moderator=g.moderator, note=data.get("note"))
    if request.is_json:
        return jsonify({"id": comment.id, "status": comment.status})
    return redirect(url_for("desk.queue"))


# ---- admin pages -------------------------------------------------------------------------------

@bp.route("/moderators", methods=["GET", "POST"])
@signed_in("admin")
def moderators() -> str:
    """Admin: moderators and their tokens (a new token is shown once, here)."""
    created = error = None
    if request.method == "POST":
        try:
            if request.form.get("revoke"):
                accounts().revoke(request.form["revoke"], actor=g.moderator.name)
            else:
                form = {k: v for k, v in request.form.items() if k in ("name", "role") and v}
                sites = [x.strip() for x in request.form.get("sites", "").split(",") if x.strip()]
                data = validated(ModeratorIn(), {**form, **({"sites": sites} if sites else {})})
                moderator, token = accounts().create(data["name"], data["role"], actor=g.moderator.name,
                                                     sites=data.get("sites"), known_sites=settings().sites)
                created = {"name": moderator.name, "token": token}
        except ModerationError as err:
            error = said(err)
    return page("moderators.html", moderators=accounts().all(), created=created, error=error)


@bp.route("/bans", methods=["GET", "POST"])
@signed_in()
def ban_list() -> str:
    """Bans in force; ban an email or an address; lift a ban."""
    error = None
    if request.method == "POST":
        try:
            if request.form.get("lift"):
                bans().lift(request.form["lift"], actor=g.moderator.name, sites=g.moderator.sites)
            else:
                form = {k: v for k, v in request.form.items() if k in ("email", "ip", "until", "reason", "site") and v}
                if "until" in form and len(form["until"]) == 16:  # <input type=datetime-local> has no zone
                    form["until"] += ":00+00:00"
                data = validated(BanIn(), form)
                until = data.get("until")
                bans().create(email=data.get("email"), ip=str(data["ip"]) if data.get("ip") else None,
                              until_ms=int(until.timestamp() * 1000) if until else None,
                              reason=data.get("reason"), actor=g.moderator.name,
                              site=ban_site(g.moderator, data.get("site"), settings().sites))
        except ModerationError as err:
            error = said(err)
    return page("bans.html", bans=bans().all(sites=g.moderator.sites), error=error,
                sites=my_sites())


@bp.get("/audit")
@signed_in()
def audit_log() -> str:
    """The audit log, by comment or by moderator."""
    comment_id = request.args.get("comment_id") or None
    actor = request.args.get("moderator") or None
    entries, cursor = desk().audit(comment_id=comment_id, actor=actor, limit=50,
                                   before=request.args.get("cursor") or None, sites=g.moderator.sites)
    for e in entries:
        e["at"] = datetime.fromtimestamp(e["at_ms"] / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    return page("audit.html", entries=entries, next_cursor=cursor, comment_id=comment_id or "", actor=actor or "")


def _polyline(points: list[tuple[int, int | None]], width: int, height: int) -> tuple[str, int]:
    values = [v for _, v in points if v is not None]
    top = max(values, default=0) or 1
    step = width / max(1, len(points) - 1)
    coords = [f"{i * step:.1f},{height - (v / top) * (height - 4) - 2:.1f}"
              for i, (_, v) in enumerate(points) if v is not None]
    return " ".join(coords), top


@bp.get("/stats")
@signed_in()
def stats() -> str:
    """Numbers for the desk, with the last hour of queue depth and decisions as small charts."""
    desk().sample_depth()
    series = desk().series(60)
    depth_line, depth_max = _polyline(series["depth"], 600, 120)
    decisions_line, decisions_max = _polyline(series["decisions"], 600, 120)
    return page("stats.html", stats=desk().stats(settings().sites, g.moderator), depth_line=depth_line,
                depth_max=depth_max, decisions_line=decisions_line, decisions_max=decisions_max)
