"""Marshmallow schemas: the comment policy for input, and the shapes of every response (also the OpenAPI source)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any, cast

from marshmallow import EXCLUDE, Schema, ValidationError, fields, post_load, validate, validates_schema

from moderation import policy
from moderation.errors import ValidationFailed

# Lone surrogates cannot be stored as UTF-8; C0/C1 controls other than tab and
# newlines only ever hide text from a moderator.
_FORBIDDEN = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Bidi embeddings, overrides and isolates are removed: they reverse or hide text on screen (`Admin\u202egnp.exe`
# shows as "Adminexe.png") and from the filters, and nothing a reader writes needs them (marks such as U+200F stay).
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069]")
# What a reader cannot see: whitespace, format characters (zero-width spaces, joiners, marks), variation
# selectors, combining marks alone and the Hangul fillers. A text made only of these is empty.
_INVISIBLE_CATEGORIES = ("Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Me")
_FILLERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def visible(text: str) -> bool:
    """Whether `text` has a character a reader can see."""
    return any(not ch.isspace() and ch not in _FILLERS and unicodedata.category(ch) not in _INVISIBLE_CATEGORIES
               for ch in text)


class SafeURL(fields.URL):
    """A URL without control characters or lone surrogates (NUL passed fields.URL)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        if isinstance(value, str) and _FORBIDDEN.search(value):
            raise ValidationError("Contains characters that are not allowed (control characters or invalid Unicode).")
        return str(super()._deserialize(value, attr, data, **kwargs))


class Text(fields.String):
    """A string normalised to NFC, refusing characters that cannot be stored or shown honestly."""

    def __init__(self, *, max_chars: int, min_chars: int = 1, strip: bool = True, **kwargs: Any) -> None:
        # Shown in /openapi.json; the checks themselves are below, after NFC.
        kwargs["metadata"] = {"minLength": min_chars, "maxLength": max_chars, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)
        self.max_chars = max_chars
        self.min_chars = min_chars
        self.strip = strip

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _FORBIDDEN.search(text):
            raise ValidationError("Contains characters that are not allowed (control characters or invalid Unicode).")
        text = unicodedata.normalize("NFC", _BIDI_CONTROLS.sub("", text))
        # Counted as the reader's counter counts: code points after NFC, before trimming.
        if len(text) > self.max_chars:
            raise ValidationError(f"Must be at most {self.max_chars} characters (got {len(text)}).")
        stripped = text.strip()
        if self.min_chars and not visible(stripped):
            raise ValidationError("Must not be empty (it has no visible character)." if stripped
                                  else "Must not be empty.")
        if len(stripped) < self.min_chars:
            raise ValidationError(f"Must be at least {self.min_chars} characters.")
        return stripped if self.strip else text


ARTICLE_ID = validate.Regexp(r"^[^\s/?#\\]+$", error="Must not contain spaces, '/', '?', '#' or '\\'.")


class ArticleIn(Schema):
    id = Text(required=True, max_chars=policy.ARTICLE_ID_MAX_CHARS, validate=ARTICLE_ID)
    url = SafeURL(required=True, schemes={"http", "https"}, validate=validate.Length(max=2000))
    title = Text(max_chars=policy.TITLE_MAX_CHARS)


class AuthorIn(Schema):
    name = Text(required=True, max_chars=policy.NAME_MAX_CHARS)
    email = fields.Email(required=True, validate=validate.Length(max=254))


class ClientIn(Schema):
    ip = fields.IP()
    user_agent = Text(max_chars=policy.USER_AGENT_MAX_CHARS)


class CommentIn(Schema):
    """A comment as an article page's backend submits it."""

    article = fields.Nested(ArticleIn, required=True)
    author = fields.Nested(AuthorIn, required=True)
    body = Text(required=True, max_chars=policy.BODY_MAX_CHARS)
    parent_id = fields.String(validate=validate.Regexp(r"^[0-9a-z]{1,40}$", error="Not a comment id."))
    language = fields.String(validate=validate.Regexp(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$",
                                                      error="Must be a language tag such as 'ar' or 'en'."))
    client = fields.Nested(ClientIn)


class DecisionIn(Schema):
    """A moderator's decision on one comment."""

    action = fields.String(required=True, validate=validate.OneOf(["approve", "reject"]))
    reason = fields.String(validate=validate.OneOf(policy.REJECT_REASONS))
    note = Text(max_chars=policy.NOTE_MAX_CHARS)

    @validates_schema
    def _reason_only_for_reject(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("action") == "approve" and "reason" in data:
            raise ValidationError("A reason is given only when rejecting.", "reason")


class ReporterIn(Schema):
    id = Text(required=True, max_chars=200)


class ReportIn(Schema):
    """A reader's report of a published comment, as the site's backend sends it (signed like a comment)."""

    reason = fields.String(required=True, validate=validate.OneOf(policy.REPORT_REASONS))
    reporter = fields.Nested(ReporterIn, required=True)


class ReportOut(Schema):
    comment_id = fields.String(required=True)
    reports = fields.Integer(required=True, metadata={"description": "Readers who have reported it"})
    counted = fields.Boolean(required=True, metadata={"description": "False: this reader had reported it already"})


class QueueQuery(Schema):
    site = fields.String()
    article_id = fields.String()
    flag = fields.String()
    severity = fields.String(validate=validate.OneOf([*policy.SEVERITIES, "none"]))
    language = fields.String(validate=validate.OneOf(policy.LANGUAGES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String()


class PublicListQuery(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String()
    order = fields.String(load_default="oldest", validate=validate.OneOf(["oldest", "newest"]))
    featured = fields.Boolean(metadata={"description": "true: only the comments moderators featured"})


# ---- responses -------------------------------------------------------------------------------


class ErrorOut(Schema):
    error = fields.String(required=True)
    message = fields.String(required=True)
    fields_ = fields.Dict(keys=fields.String(), data_key="fields")


class AcceptedOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)


class CommentStatusOut(Schema):
    """What a site may see of a comment it submitted: no personal data."""

    id = fields.String(required=True)
    site = fields.String(required=True)
    article_id = fields.String(required=True)
    status = fields.String(required=True, validate=validate.OneOf(policy.STATUSES))
    created_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)


class PublicAuthorOut(Schema):
    name = fields.String(required=True)


class PublicCommentOut(Schema):
    """A published comment as readers see it: never an email or an address."""

    id = fields.String(required=True)
    article_id = fields.String(required=True)
    parent_id = fields.String(allow_none=True)
    author = fields.Nested(PublicAuthorOut, required=True)
    body = fields.String(required=True)
    language = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    published_at = fields.DateTime(required=True)
    featured = fields.Boolean(required=True, metadata={"description": "A moderator featured it"})


class PublicPageOut(Schema):
    comments = fields.List(fields.Nested(PublicCommentOut), required=True)
    next_cursor = fields.String(allow_none=True)


class CountOut(Schema):
    count = fields.Integer(required=True)


class EvidenceOut(Schema):
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    text = fields.String(required=True)


class FlagOut(Schema):
    code = fields.String(required=True)
    severity = fields.String(required=True, validate=validate.OneOf(["low", "medium", "high"]))
    message = fields.String(required=True)
    evidence = fields.List(fields.Nested(EvidenceOut), required=True)
    score = fields.Float(metadata={"description": "The model's calibrated probability (toxicity and spam flags)."})


class _AttributeOptions(Schema):
    class Meta:
        unknown = EXCLUDE

    scoreType = fields.String(validate=validate.OneOf(["PROBABILITY"]))  # noqa: N815 - Perspective's names
    scoreThreshold = fields.Float(validate=validate.Range(min=0.0, max=1.0))  # noqa: N815


class _AnalyzeText(Schema):
    class Meta:
        unknown = EXCLUDE

    text = fields.String(required=True, validate=validate.Length(max=20480))
    type = fields.String(validate=validate.OneOf(["PLAIN_TEXT"]))


class AnalyzeIn(Schema):
    """Perspective API's AnalyzeCommentRequest; fields we have no use for (context, sessionId ...) are ignored."""

    class Meta:
        unknown = EXCLUDE

    comment = fields.Nested(_AnalyzeText, required=True)
    requestedAttributes = fields.Dict(  # noqa: N815
        keys=fields.String(), values=fields.Nested(_AttributeOptions), required=True,
        validate=validate.Length(min=1, error="Ask for at least one attribute."))
    languages = fields.List(fields.String(validate=validate.Length(min=2, max=12)), load_default=list)
    spanAnnotations = fields.Boolean(load_default=False)  # noqa: N815
    doNotStore = fields.Boolean()  # noqa: N815 - we never store what is analyzed
    clientToken = fields.String(validate=validate.Length(max=256))  # noqa: N815


class AnalyzeOut(Schema):
    """Perspective API's AnalyzeCommentResponse."""

    attributeScores = fields.Dict(keys=fields.String(), values=fields.Dict(), required=True)  # noqa: N815
    languages = fields.List(fields.String(), required=True)
    detectedLanguages = fields.List(fields.String(), required=True)  # noqa: N815
    clientToken = fields.String()  # noqa: N815


class ModAuthorOut(Schema):
    name = fields.String(required=True)
    email = fields.String(required=True)


class ModArticleOut(Schema):
    id = fields.String(required=True)
    url = fields.String(required=True)
    title = fields.String(allow_none=True)


class ModClientOut(Schema):
    ip = fields.String(allow_none=True)
    user_agent = fields.String(allow_none=True)


class DecisionOut(Schema):
    action = fields.String(required=True)
    reason = fields.String(allow_none=True)
    note = fields.String(allow_none=True)
    moderator = fields.String(required=True)
    decided_at = fields.DateTime(required=True)


class ModCommentOut(Schema):
    """Everything a moderator needs to decide, with each flag's evidence."""

    id = fields.String(required=True)
    site = fields.String(required=True)
    status = fields.String(required=True)
    article = fields.Nested(ModArticleOut, required=True)
    author = fields.Nested(ModAuthorOut, required=True)
    client = fields.Nested(ModClientOut, required=True)
    body = fields.String(required=True)
    parent_id = fields.String(allow_none=True)
    language = fields.String(allow_none=True)
    risk = fields.Integer(allow_none=True)
    flags = fields.List(fields.Nested(FlagOut), required=True)
    created_at = fields.DateTime(required=True)
    screened_at = fields.DateTime(allow_none=True)
    decision = fields.Nested(DecisionOut, allow_none=True)


class QueuePageOut(Schema):
    items = fields.List(fields.Nested(ModCommentOut), required=True)
    next_cursor = fields.String(allow_none=True)


# ---- the moderation desk ---------------------------------------------------------------------

class ClaimIn(Schema):
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    site = fields.String()
    article_id = fields.String()
    flag = fields.String()
    severity = fields.String(validate=validate.OneOf([*policy.SEVERITIES, "none"]))


class BulkDecisionIn(DecisionIn):
    ids = fields.List(fields.String(validate=validate.Length(min=1, max=40)), required=True,
                      validate=validate.Length(min=1, max=100))


class ReversalIn(Schema):
    note = Text(max_chars=policy.NOTE_MAX_CHARS)


class FeatureIn(Schema):
    """Feature a published comment (true) or stop (false)."""

    featured = fields.Boolean(load_default=True)


class ReportedIn(Schema):
    """What to do with a reported comment: take it down (with a reason) or keep it and dismiss its reports."""

    action = fields.String(required=True, validate=validate.OneOf(["unpublish", "dismiss"]))
    reason = fields.String(validate=validate.OneOf(policy.REJECT_REASONS))
    note = Text(max_chars=policy.NOTE_MAX_CHARS)


class DeskFilters(Schema):
    """The desk's queue filters (query string or the page's poll); an author is matched by lower-case email."""

    site = fields.String(validate=validate.Length(min=1, max=100))
    article_id = fields.String(validate=validate.Length(min=1, max=200))
    flag = fields.String(validate=validate.Length(min=1, max=40))
    severity = fields.String(validate=validate.OneOf([*policy.SEVERITIES, "none"]))
    language = fields.String(validate=validate.OneOf(policy.LANGUAGES))
    author = fields.String(validate=validate.Length(min=1, max=320))

    @post_load
    def _author_as_stored(self, data: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if "author" in data:
            data["author"] = data["author"].strip().lower()
        return data


BAN_DAYS = (1, 7, 30, 0)  # 0: for good


class AuthorBanIn(Schema):
    """Ban a comment's author on its site for a number of days (0: for good) and reject their pending comments."""

    days = fields.Integer(required=True, validate=validate.OneOf(BAN_DAYS, error="Choose 1, 7 or 30 days, or 0 "
                                                                               "(for good)."))
    reason = Text(max_chars=200)


class ModeratorIn(Schema):
    name = fields.String(required=True, validate=validate.Regexp(
        r"^[a-z0-9][a-z0-9_.-]{0,39}$", error="1-40 lowercase letters, digits, '.', '_' or '-'."))
    role = fields.String(load_default="moderator", validate=validate.OneOf(["moderator", "admin"]))
    # The sites this moderator works on; left out, every site (which only an admin may grant: this endpoint is
    # an admin's). Admins always see every site.
    sites = fields.List(fields.String(validate=validate.Length(min=1, max=100)), validate=validate.Length(min=1,
                                                                                                          max=100))


class BanIn(Schema):
    email = fields.Email()
    ip = fields.IP()
    # The site the ban holds on; left out, every site (a moderator scoped to one site bans there by default).
    site = fields.String(validate=validate.Length(min=1, max=100))
    until = fields.AwareDateTime(format="iso", default_timezone=None)
    reason = Text(max_chars=500)

    @validates_schema
    def _one_target(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("email" in data) == ("ip" in data):
            raise ValidationError("Give either email or ip.", "_schema")


class AuditQuery(Schema):
    comment_id = fields.String()
    moderator = fields.String()
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=500))
    cursor = fields.String(validate=validate.Regexp(r"^\d+-\d+$", error="Not a cursor this API returned."))


class ClaimInfoOut(Schema):
    moderator = fields.String(required=True)
    expires_at = fields.DateTime(required=True)


class RecentCommentOut(Schema):
    id = fields.String(required=True)
    status = fields.String(required=True)
    article_id = fields.String()
    created_at = fields.String(required=True)
    body = fields.String(required=True)


class AuthorHistoryOut(Schema):
    approved = fields.Integer(required=True)
    rejected = fields.Integer(required=True)
    comments = fields.Integer(required=True)
    recent = fields.List(fields.Nested(RecentCommentOut), required=True)


class DeskCommentOut(ModCommentOut):
    """A comment on the desk: what the moderation API shows, with its claim and the author's history."""

    claim = fields.Nested(ClaimInfoOut, allow_none=True)
    author_history = fields.Nested(AuthorHistoryOut)


class DeskPageOut(Schema):
    items = fields.List(fields.Nested(DeskCommentOut), required=True)
    next_cursor = fields.String(allow_none=True)
    # Sites on a Redis (MODERATION_SHARDS) that could not be read: the page holds the other sites' comments.
    unavailable_sites = fields.List(fields.String(), load_default=list)


class ClaimOut(Schema):
    items = fields.List(fields.Nested(DeskCommentOut), required=True)
    lease_seconds = fields.Integer(required=True)


class BulkResultOut(Schema):
    id = fields.String(required=True)
    status = fields.String()
    error = fields.String()
    message = fields.String()


class BulkOut(Schema):
    results = fields.List(fields.Nested(BulkResultOut), required=True)


class ModeratorOut(Schema):
    name = fields.String(required=True)
    role = fields.String(required=True)
    sites = fields.List(fields.String(), allow_none=True, metadata={"description": "None: every site."})
    created_by = fields.String()
    created_ms = fields.Integer()


class ModeratorCreatedOut(ModeratorOut):
    token = fields.String(required=True, metadata={"description": "Shown this once; only its hash is stored."})


class ModeratorListOut(Schema):
    moderators = fields.List(fields.Nested(ModeratorOut), required=True)


class BanOut(Schema):
    id = fields.String(required=True)
    kind = fields.String(required=True)
    value = fields.String(required=True)
    site = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)
    until_ms = fields.Integer(allow_none=True)
    created_ms = fields.Integer(required=True)
    created_by = fields.String(required=True)


class BanListOut(Schema):
    bans = fields.List(fields.Nested(BanOut), required=True)


class AuditEntryOut(Schema):
    id = fields.String(required=True)
    actor = fields.String(required=True)
    action = fields.String(required=True)
    target = fields.String(required=True)
    comment_id = fields.String(allow_none=True)
    site = fields.String(allow_none=True)
    at_ms = fields.Integer(required=True)
    details = fields.Dict(required=True)


class AuditPageOut(Schema):
    entries = fields.List(fields.Nested(AuditEntryOut), required=True)
    next_cursor = fields.String(allow_none=True)


class SiteStatsOut(Schema):
    pending = fields.Integer(required=True)
    oldest_pending_seconds = fields.Float(allow_none=True)


class StatsOut(Schema):
    sites = fields.Dict(keys=fields.String(), values=fields.Nested(SiteStatsOut), required=True)
    decisions_by_moderator = fields.Dict(keys=fields.String(), values=fields.Dict(keys=fields.String(),
                                                                                  values=fields.Integer()))
    median_seconds_to_decision = fields.Float(allow_none=True)
    decisions_measured = fields.Integer(required=True)


class DeadLetterOut(Schema):
    id = fields.String(required=True)
    site = fields.String(required=True)
    url = fields.String(required=True)
    event = fields.String(required=True)
    attempts = fields.Integer(required=True)
    last_error = fields.String(allow_none=True)


class DeadLetterListOut(Schema):
    events = fields.List(fields.Nested(DeadLetterOut), required=True)


def validated(schema: Schema, data: Any, message: str | None = None) -> dict[str, Any]:
    """The one validation path of every command, JSON API and desk form alike: the schema's values, or
    ValidationFailed (422) with a message per field."""
    try:
        return cast(dict[str, Any], schema.load(data))
    except ValidationError as err:
        raise ValidationFailed(message, fields=err.messages_dict) from None
