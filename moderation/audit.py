"""The audit log: an append-only Redis stream of every decision, reversal, ban and token change.

Each entry goes to the main stream and to one stream per comment and per actor, in the
caller's transaction, so reading "everything about comment X" or "everything moderator Y
did" is one XREVRANGE. Nothing here edits or deletes an entry; nor does the API.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis import Redis
from redis.exceptions import ResponseError

from moderation.errors import ValidationFailed
from moderation.store.keys import audit_stream_key as stream_key

MAXLEN = 1_000_000  # approximate cap of the main stream; per-comment and per-actor streams are small


def append(pipe: Any, *, actor: str, action: str, target: str, comment_id: str | None = None,
           details: dict[str, Any] | None = None, site: str | None = None) -> None:
    """Queue one entry on `pipe` (inside the transaction that makes the change it records); `site` is the site
    the change belongs to, which decides who may read it."""
    entry = {"actor": actor, "action": action, "target": target, "at_ms": str(int(time.time() * 1000)),
             "details": json.dumps(details or {}, ensure_ascii=False)}
    if comment_id:
        entry["comment_id"] = comment_id
    if site:
        entry["site"] = site
    pipe.xadd(stream_key(), entry, maxlen=MAXLEN, approximate=True)
    pipe.xadd(stream_key(actor=actor), entry, maxlen=100_000, approximate=True)
    if comment_id:
        pipe.xadd(stream_key(comment_id=comment_id), entry)


def read(redis: Redis, *, comment_id: str | None = None, actor: str | None = None, limit: int = 50,
         before: str | None = None, sites: tuple[str, ...] | None = None) -> tuple[list[dict[str, Any]], str | None]:
    """Newest first; `before` is the cursor (an entry id) returned by the previous page. With `sites`, only the
    entries of those sites (a scoped moderator's view; a page may then hold fewer than `limit`)."""
    key = stream_key(comment_id, actor)
    top = f"({before}" if before else "+"
    try:
        rows: list[tuple[str, dict[str, str]]] = redis.xrevrange(key, max=top, min="-", count=limit + 1)  # type: ignore[assignment]  # redis-py types each reply as sync-or-async
    except ResponseError:  # a cursor that names no entry after the stream's start, such as 0-0
        raise ValidationFailed("A query parameter is not valid.",
                               fields={"cursor": ["Not a cursor this API returned."]}) from None
    entries = []
    for entry_id, fields in rows[:limit]:
        if comment_id and actor and fields.get("actor") != actor:
            continue
        if sites is not None and fields.get("site") not in sites:
            continue
        entries.append({"id": entry_id, "actor": fields["actor"], "action": fields["action"],
                        "target": fields["target"], "comment_id": fields.get("comment_id"), "site": fields.get("site"),
                        "at_ms": int(fields["at_ms"]), "details": json.loads(fields.get("details") or "{}")})
    cursor = rows[limit - 1][0] if len(rows) > limit else None
    return entries, cursor


def read_many(redises: list[Redis], *, limit: int = 50, before: str | None = None,
              **kwargs: Any) -> tuple[list[dict[str, Any]], str | None]:
    """`read` over the logs of several Redis (MODERATION_SHARDS), merged newest first by entry id (time, then
    sequence): a page stops where the first log with more to read stopped, so none of its entries is skipped."""
    pages = [read(r, limit=limit, before=before, **kwargs) for r in redises]
    if len(pages) == 1:
        return pages[0]
    unread = [cursor for _, cursor in pages if cursor is not None]
    floor = max(unread, key=_order) if unread else None
    entries = sorted((e for found, _ in pages for e in found if floor is None or _order(e["id"]) >= _order(floor)),
                     key=lambda e: _order(e["id"]), reverse=True)
    if len(entries) > limit:
        return entries[:limit], entries[limit - 1]["id"]
    return entries, floor


def _order(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)
