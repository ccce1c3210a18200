"""Every Redis key the service uses, named in one place: nothing else formats a key.

Values from outside (article ids, comment ids, moderator names, sites) go in through `part`, percent-encoded, so
none can name another key: `A:version` as an article id would otherwise be the key of article A's version
counter, and `{`, `}` would pick a cluster hash slot. Plain ids (letters, digits, `-._~@`) are left as they are.
Emails and addresses appear only as their pseudonym. RQ names its own keys (`rq:...`) from the queue names below.

Keys, all under `mod:`:
  comment:{id}                          hash, the comment, its screening and decision
  inbox:{s}                             zset, a site's comments waiting for its batch screening, score = created ms
  screening:job:{s}                     string, the id of the batch job the site's next comments wait for
  taken:{s}                             zset, a site's comments taken by batch jobs, score = ms taken (the reaper's)
  batch:{job id}                        zset, the comments one batch job took, score = created ms (expires)
  received                              zset, comments screened by a job of their own (one that failed in a
                                        batch), score = created ms (the reaper's)
  queue:all / queue:site:{s} / queue:article:{s}:{a} / queue:flag:{code} / queue:severity:{sev} /
  queue:language:{lang}                 zsets of pending comments, score = queue_score()
  queue:age / queue:age:{s}             zsets of pending comments, score = created ms
  decided:{view} / decided:{view}:{s}   zsets of decided comments, score = decision ms
  articles:{s}                          zset of article ids with comments to review (by lex)
  replies:{id}                          set of a comment's replies
  lease:{id}                            string, the moderator holding a claim (expires)
  published:{s}:{a} / ...:version       zset of published comments; the list's version (ETag)
  author:{s}:{h} / ...:comments         hash of decided counts; zset of latest comments
  address:{s}:{h}                       zset of recent comments from one client address
  dup:{s}:{fingerprint}                 string, the first comment with this text (expires)
  idem:{s}:{sha256} / signed:{s}:...    hash, the first answer to a request (expires)
  reports:{id}:reasons / :by            hash of report reasons; set of hashed reporters
  reported:{s}                          zset of reported published comments
  bans / ban:{id}                       set of ban ids; hash, one ban (expires)
  event:{id} / webhooks:dead            hash, one outgoing event; list of dead letters
  audit / audit:comment:{id} / audit:actor:{name}   streams
  moderators / tokens / session:{sid}   accounts, token hashes, desk sessions
  stats:... / series:...                desk statistics
  metrics:{name}                        counters every process adds to
  rate:{scope}:{h}:{second}             fixed-window request counters
  reaper:lock / retention:lock          one reaper, one retention sweep at a time
  retain:pii / retain:expiry            zsets by created ms: comments still holding personal data; erased ones
"""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from moderation.pseudonyms import pseudonym

SAFE = "-._~@"  # with letters and digits: what stays as it is; ':' (our separator), '{}', '*', '%', spaces do not
P = "mod:"


def part(value: str) -> str:
    """`value` as one segment of a key name: the same value always gives the same segment, two values never one."""
    return quote(value, safe=SAFE)


def _hash(value: str) -> str:
    """Emails and addresses appear in key names only as their pseudonym."""
    return pseudonym(value)[:32]


# ---- RQ queues (RQ names their keys: rq:queue:<name>, its registries and jobs) ----------------------------------

SCREENING_QUEUE = "screening"  # the prefix of every site's screening queue
WEBHOOK_QUEUE = "webhooks"


def screening_queue_name(site: str) -> str:
    """Each site's comments wait in their own queue, so one site's flood cannot delay another's."""
    return f"{SCREENING_QUEUE}:{part(site)}"


def screening_job_id(comment_id: str) -> str:
    """The job of one comment screened on its own (one that failed in its site's batch), named after it, so a
    comment and its job are findable from each other."""
    return f"screen-{comment_id}"


def batch_job_id(token: str) -> str:
    """A site's batch screening job; the token (fresh for each job) keeps it apart from the site's earlier ones."""
    return f"screen-batch-{token}"


def inbox_key(site: str) -> str:
    """The site's comments waiting for screening, oldest first: what its batch job works through."""
    return f"{P}inbox:{part(site)}"


def batch_job_key(site: str) -> str:
    """The id of the batch job the site's next comments wait for, while one is queued: at most one per site."""
    return f"{P}screening:job:{part(site)}"


def taken_key(site: str) -> str:
    """The site's comments a batch job has taken and not yet recorded, scored by when (ms): the reaper's."""
    return f"{P}taken:{part(site)}"


def batch_key(job_id: str) -> str:
    """The comments one batch job took, so that it takes the same ones when RQ runs it again."""
    return f"{P}batch:{part(job_id)}"


# ---- comments and their indexes ------------------------------------------------------------------------------

COMMENT_PATTERN = P + "comment:*"
RECEIVED = P + "received"
QUEUE_ALL = P + "queue:all"


def comment_key(comment_id: str) -> str:
    return f"{P}comment:{part(comment_id)}"


def site_queue_key(site: str) -> str:
    return f"{P}queue:site:{part(site)}"


def article_queue_key(site: str, article_id: str) -> str:
    return f"{P}queue:article:{part(site)}:{part(article_id)}"


def flag_queue_key(code: str) -> str:
    return f"{P}queue:flag:{part(code)}"


def language_queue_key(language: str) -> str:
    """Pending comments by the language screening found: ar, en or mixed."""
    return f"{P}queue:language:{part(language)}"


def severity_queue_key(severity: str) -> str:
    """Pending comments by their strongest flag's severity ('none' for unflagged ones)."""
    return f"{P}queue:severity:{part(severity)}"


def age_key(site: str | None = None) -> str:
    """Pending comments by creation time, of a site or (without one) of every site."""
    return f"{P}queue:age:{part(site)}" if site is not None else f"{P}queue:age"


def decided_key(view: str, site: str | None = None) -> str:
    """Decided comments by decision time, `approved` or `rejected`, of a site or of every site."""
    return f"{P}decided:{view}:{part(site)}" if site is not None else f"{P}decided:{view}"


def articles_key(site: str) -> str:
    """A site's article ids that have had comments to review, for the desk's search by prefix (ZRANGEBYLEX)."""
    return f"{P}articles:{part(site)}"


def replies_key(parent_id: str) -> str:
    return f"{P}replies:{part(parent_id)}"


LEASE_PREFIX = P + "lease:"  # the claim scripts append a comment id they find in an index


def lease_key(comment_id: str) -> str:
    return f"{LEASE_PREFIX}{part(comment_id)}"


def published_key(site: str, article_id: str) -> str:
    return f"{P}published:{part(site)}:{part(article_id)}"


def published_version_key(site: str, article_id: str) -> str:
    """Bumped on every change to an article's published list: the public ETag."""
    return f"{P}published:{part(site)}:{part(article_id)}:version"


def author_ref(email: str) -> str:
    """Who wrote a comment, without the email: what names the author's keys, and what a comment keeps once its
    personal data is erased."""
    return _hash(email)


def author_key(site: str, ref: str) -> str:
    """Hash of the author's (author_ref's) decided counts on a site: approved, rejected."""
    return f"{P}author:{part(site)}:{part(ref)}"


def author_comments_key(site: str, ref: str) -> str:
    """Sorted set of the author's (author_ref's) latest comments on a site, score = created ms."""
    return f"{P}author:{part(site)}:{part(ref)}:comments"


def address_key(site: str, ip: str) -> str:
    """Sorted set of recent comments from one client address, score = created ms."""
    return f"{P}address:{part(site)}:{_hash(ip)}"


def duplicate_key(site: str, fingerprint: str) -> str:
    return f"{P}dup:{part(site)}:{part(fingerprint)}"


def idempotency_key(site: str, key: str) -> str:
    return f"{P}idem:{part(site)}:{hashlib.sha256(key.encode('utf-8')).hexdigest()}"


def signed_request_key(site: str, signed_at: int, body_sha256: str) -> str:
    """The record of a signed request sent without an Idempotency-Key: its signed time and body name it."""
    return f"{P}signed:{part(site)}:{signed_at}:{body_sha256}"


# ---- reader reports ------------------------------------------------------------------------------------------

def reasons_key(comment_id: str) -> str:
    """Hash: report reason -> how many readers gave it."""
    return f"{P}reports:{part(comment_id)}:reasons"


def reporters_key(comment_id: str) -> str:
    """Set of the hashed ids of the readers who reported the comment."""
    return f"{P}reports:{part(comment_id)}:by"


def reported_key(site: str) -> str:
    """Sorted set of a site's reported, still published comments, scored by their latest report (ms)."""
    return f"{P}reported:{part(site)}"


# ---- bans, events, audit -------------------------------------------------------------------------------------

BANS = P + "bans"  # set of ban ids, for listing


def ban_key(bid: str) -> str:
    return f"{P}ban:{part(bid)}"


DEAD_LETTERS = P + "webhooks:dead"  # list of event ids whose last try failed


def event_key(event_id: str) -> str:
    return f"{P}event:{part(event_id)}"


AUDIT = P + "audit"


def audit_stream_key(comment_id: str | None = None, actor: str | None = None) -> str:
    """The main audit stream, or one comment's, or one actor's."""
    if comment_id:
        return f"{AUDIT}:comment:{part(comment_id)}"
    if actor:
        return f"{AUDIT}:actor:{part(actor)}"
    return AUDIT


# ---- moderators, the desk's statistics -----------------------------------------------------------------------

MODERATORS = P + "moderators"  # hash: name -> JSON {name, role, sites?, created_ms, created_by}
TOKENS = P + "tokens"  # hash: sha256(token) -> name


def session_key(sid: str) -> str:
    return f"{P}session:{part(sid)}"


DECISION_TIMES = P + "stats:decision_seconds"  # list of recent submission-to-decision seconds
MODERATORS_WITH_STATS = P + "stats:moderators"  # set: who has decided anything


def moderator_stats_key(name: str) -> str:
    return f"{P}stats:moderator:{part(name)}"


def decisions_series_key(minute: int) -> str:
    """Decisions per minute, one hash per hour of minutes."""
    return f"{P}series:decisions:{minute // 60}"


def depth_series_key(minute: int) -> str:
    return f"{P}series:depth:{minute}"


# ---- operations ----------------------------------------------------------------------------------------------

METRICS_INTAKE = P + "metrics:intake"  # hash: HTTP status -> responses
METRICS_DECISIONS = P + "metrics:decisions"  # hash: action -> decisions
METRICS_SCREENING = P + "metrics:screening"  # hash: count, sum_us, le_<seconds> buckets
METRICS_WEBHOOKS = P + "metrics:webhooks"  # hash: delivered, retried, dead -> count
REAPER_LOCK = P + "reaper:lock"
RETENTION_LOCK = P + "retention:lock"
RETAIN_PII = P + "retain:pii"  # zset: comments whose personal data is still held, score = created ms
RETAIN_EXPIRY = P + "retain:expiry"  # zset: comments erased, to delete if rejected, score = created ms


def rate_key(scope: str, caller: str, window: int) -> str:
    """The counter of `caller` in `scope` for the window; the caller is hashed (an API key is a secret)."""
    digest = hashlib.sha256(caller.encode("utf-8")).hexdigest()[:24]
    return f"{P}rate:{scope}:{digest}:{window}"
