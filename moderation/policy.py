"""The default comment policy: limits a submission must meet and reasons a moderator may give."""

from __future__ import annotations

BODY_MAX_CHARS = 1500
NAME_MAX_CHARS = 50
TITLE_MAX_CHARS = 300
ARTICLE_ID_MAX_CHARS = 200
USER_AGENT_MAX_CHARS = 512
NOTE_MAX_CHARS = 2000

REJECT_REASONS = ("profanity", "abuse", "spam", "off_topic", "personal_data", "duplicate", "other")
DEFAULT_REJECT_REASON = "other"
REPORT_REASONS = ("abuse", "spam", "off_topic", "personal_data", "misinformation", "other")  # a reader's
# The reason a rejection takes by default, from the comment's most severe flag (the desk's `r`).
FLAG_REASONS = {"profanity": "profanity", "toxicity": "abuse", "shouting": "abuse", "author_history": "abuse",
                "spam": "spam", "link": "spam", "flood": "spam", "repetition": "spam",
                "personal_data": "personal_data", "duplicate": "duplicate"}


# Comment life cycle, as the product brief names it.
RECEIVED = "received"
PENDING_REVIEW = "pending_review"
PUBLISHED = "published"
REJECTED = "rejected"
# Approved, but a reply whose parent is not published yet: it is published with its parent.
APPROVED = "approved"
STATUSES = (RECEIVED, PENDING_REVIEW, APPROVED, PUBLISHED, REJECTED)
SEVERITIES = ("low", "medium", "high")
LANGUAGES = ("ar", "en", "mixed")  # what screening finds a comment is written in
SEVERITY_RANK = {s: rank for rank, s in enumerate(SEVERITIES, 1)}  # higher is worse


def suggested_reason(flags: list[dict[str, str]]) -> str:
    """The reject reason of the most severe flag that has one (ties: the first listed)."""
    ranked = sorted((f for f in flags if f["code"] in FLAG_REASONS), key=lambda f: -SEVERITY_RANK.get(f["severity"], 0))
    return FLAG_REASONS[ranked[0]["code"]] if ranked else DEFAULT_REJECT_REASON
