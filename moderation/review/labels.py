"""Moderators' decisions as training labels: `moderation export-labels`, read by `make train`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from moderation import policy
from moderation.store.comments import Comment

# A rejection's reason says which model it teaches; other reasons (off topic, duplicate ...) teach neither.
REASON_LABELS = {"profanity": "toxic", "abuse": "toxic", "spam": "spam"}


def label(comment: Comment) -> str | None:
    """clean for an approved or published comment, toxic or spam for one rejected as such; None otherwise."""
    decision = comment.decision or {}
    status = comment.status
    if status in (policy.APPROVED, policy.PUBLISHED) and decision.get("action") == "approve":
        return "clean"
    if status == policy.REJECTED and decision.get("action") == "reject":
        return REASON_LABELS.get(str(decision.get("reason")))
    return None


def one_line(text: str) -> str:
    """The text on one TSV line: tabs and line breaks become spaces."""
    return " ".join(text.replace("\t", " ").splitlines()).strip()


def rows(comments: Iterable[Comment], since_ms: int = 0) -> Iterator[str]:
    """`text<TAB>label` for each comment decided at or after `since_ms`."""
    for comment in comments:
        decided = (comment.decision or {}).get("decided_ms", 0)
        found = label(comment)
        if found is not None and int(decided) >= since_ms and one_line(comment.body):
            yield f"{one_line(comment.body)}\t{found}"
