"""The `moderation` command: run the service locally, run workers, post a signed comment."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from moderation.settings import ConfigError, current, parse_site_secrets


@click.group()
def main() -> None:
    """Comment moderation service."""
    try:
        current()  # every variable read and checked before any command runs; a bad one is named here
    except ConfigError as err:
        raise click.ClickException(str(err)) from None


@main.command()
def dev() -> None:
    """Run Redis (unless REDIS_URL is set), the API and WORKERS workers in the foreground; Ctrl-C stops all."""
    from moderation.cli.devrun import main as run_dev

    sys.exit(run_dev())


@main.command()
@click.option("--burst", is_flag=True, help="Stop once the queue is empty.")
@click.option("--worker-class", type=click.Choice(["simple", "fork"]), default="simple", show_default=True)
@click.option("--queue", "role", type=click.Choice(["screening", "webhooks"]), default="screening", show_default=True,
              help="screening: screen comments; webhooks: deliver decision events to the sites.")
@click.option("--redis", "redis_url", default=None, show_default="REDIS_URL",
              help="The Redis whose comments to work: REDIS_URL or one of MODERATION_SHARDS's.")
def worker(burst: bool, worker_class: str, role: str, redis_url: str | None) -> None:
    """Run one worker against REDIS_URL (or --redis): screening, or (--queue webhooks) deliveries to the sites."""
    if redis_url is not None and redis_url not in current().shard_urls:
        raise click.UsageError("--redis must be REDIS_URL or a URL of MODERATION_SHARDS.")
    # The worker is the RQ side (workers.run), which the core does not import: this process becomes it.
    command = [sys.executable, "-m", "workers.run", role, "--worker-class", worker_class, *(["--burst"] * burst),
               *(["--redis", redis_url] if redis_url else [])]
    os.execv(command[0], command)


def _default_site_secret(site: str | None) -> tuple[str, str]:
    sites = dict(current().site_secrets)
    if not sites:
        creds = Path(current().var_dir) / "dev-credentials.json"
        if creds.exists():
            sites = parse_site_secrets(json.loads(creds.read_text())["MODERATION_SITES"])
    if not sites:
        raise click.UsageError("No site secret: pass --site and --secret, or set MODERATION_SITES.")
    name = site or next(iter(sites))
    if name not in sites:
        raise click.UsageError(f"No secret known for site {name!r}; pass --secret.")
    return name, sites[name][0]  # the current secret


@main.command("post-comment")
@click.option("--url", default=lambda: f"http://127.0.0.1:{current().port}", show_default="local")
@click.option("--site", help="Site name (default: the first in MODERATION_SITES or the local run's demo site).")
@click.option("--secret", help="The site's webhook secret (default: from MODERATION_SITES or the local run).")
@click.option("--article", default="welcome", show_default=True, help="Article id.")
@click.option("--article-url", default=None, help="Article URL (default: made from the id).")
@click.option("--name", default="Reader", show_default=True)
@click.option("--email", default="reader@example.com", show_default=True)
@click.option("--body", required=True, help="The comment text, Arabic or English.")
@click.option("--parent", "parent_id", default=None, help="Id of the comment this replies to.")
@click.option("--idempotency-key", default=None)
def post_comment_cmd(url: str, site: str | None, secret: str | None, article: str, article_url: str | None,
                     name: str, email: str, body: str, parent_id: str | None, idempotency_key: str | None) -> None:
    """Sign and POST one comment as an article page's backend does; print the answer."""
    from moderation.cli.client import post_comment

    if not (site and secret):
        site, found = _default_site_secret(site)
        secret = secret or found
    payload = {"article": {"id": article, "url": article_url or f"https://news.example/{article}"},
               "author": {"name": name, "email": email}, "body": body}
    if parent_id:
        payload["parent_id"] = parent_id
    status, answer = post_comment(url, site, secret, payload, idempotency_key=idempotency_key)
    click.echo(f"{status} {json.dumps(answer, ensure_ascii=False)}")
    sys.exit(0 if status < 400 else 1)


@main.command("check-policy")
@click.argument("path", type=click.Path(dir_okay=False))
def check_policy(path: str) -> None:
    """Validate a screening policy file; print what each site gets, or the first problem found."""
    from moderation.sitepolicy import Policies

    try:
        policies = Policies.load(path)
    except ConfigError as err:
        click.echo(str(err), err=True)
        sys.exit(1)
    click.echo(f"{path}: valid; sites with their own section: {', '.join(sorted(policies.sites)) or 'none'}")


def _redis(site: str | None = None) -> Any:
    """A client of REDIS_URL, or of the Redis that holds `site` (MODERATION_SHARDS)."""
    from moderation.store.connections import rq_connection, text_twin

    settings = current()
    return text_twin(rq_connection(settings.shard_url(site) if site else settings.redis_url))


def _shards() -> list[Any]:
    """Every Redis that holds comments, REDIS_URL's first."""
    from moderation.store.shards import open_shards

    return open_shards(current())


@main.group()
def moderators() -> None:
    """Manage moderators and their tokens (talks to REDIS_URL directly; recorded in the audit log as 'cli')."""


@moderators.command("create")
@click.argument("name")
@click.option("--role", type=click.Choice(["moderator", "admin"]), default="moderator", show_default=True)
@click.option("--site", "sites", multiple=True, help="A site this moderator works on (repeat; none: every site).")
def create_moderator(name: str, role: str, sites: tuple[str, ...]) -> None:
    """Create a moderator and print their token, once."""
    from moderation.accounts import Accounts
    from moderation.errors import ModerationError

    try:
        moderator, token = Accounts(_redis()).create(name, role, actor="cli", sites=list(sites) or None,
                                                     known_sites=current().sites)
    except ModerationError as err:
        raise click.ClickException(f"{err.message} {err.fields or ''}".strip()) from None
    click.echo(f"created {moderator.role} {moderator.name}; token (shown once): {token}")


@moderators.command("list")
def list_moderators() -> None:
    """List moderators (never their tokens)."""
    from moderation.accounts import Accounts

    for m in Accounts(_redis()).all():
        click.echo(f"{m['name']}\t{m['role']}\tcreated by {m['created_by']}")


@moderators.command("revoke")
@click.argument("name")
def revoke_moderator(name: str) -> None:
    """Revoke a moderator's token; it stops working at once."""
    from moderation.accounts import Accounts
    from moderation.errors import ModerationError

    try:
        Accounts(_redis()).revoke(name, actor="cli")
    except ModerationError as err:
        raise click.ClickException(err.message) from None
    click.echo(f"revoked {name}")


@main.group()
def webhooks() -> None:
    """Outgoing events that could not be delivered."""


@webhooks.command("dead")
def dead() -> None:
    """List events whose last delivery try failed."""
    from moderation import notify

    for ev in (ev for shard in _shards() for ev in notify.dead_letters(shard.text)):
        click.echo(f"{ev['id']}\t{ev['site']}\t{ev['event']}\t{ev['attempts']} tries\t{ev['last_error']}")


@webhooks.command("replay")
@click.argument("event_ids", nargs=-1)
@click.option("--all", "replay_all", is_flag=True, help="Replay every dead event.")
def replay(event_ids: tuple[str, ...], replay_all: bool) -> None:
    """Queue dead events for delivery again, with their original event ids."""
    from rq import Queue

    from moderation import notify
    from moderation.store.keys import WEBHOOK_QUEUE

    settings = current()
    shards = _shards()
    ids = [e["id"] for s in shards for e in notify.dead_letters(s.text, limit=10_000)] if replay_all \
        else list(event_ids)
    if not ids:
        if replay_all:
            click.echo("no dead events")
            return
        raise click.UsageError("Name event ids or pass --all.")
    for event_id in ids:
        ok = any(notify.replay(s.text, Queue(WEBHOOK_QUEUE, connection=s.raw), event_id,
                               settings.webhook_retry_intervals) for s in shards)
        click.echo(f"{event_id}\t{'queued' if ok else 'not dead: skipped'}")


@main.command()
@click.option("--bind", default=lambda: f"{current().host}:{current().port}", show_default="HOST:PORT")
@click.option("--workers", "api_workers", type=int, default=lambda: current().api_workers,
              show_default="API_WORKERS")
@click.option("--connections", "api_connections", type=int, default=lambda: current().api_connections,
              show_default="API_CONNECTIONS", help="Connections each process serves at once (gevent).")
def api(bind: str, api_workers: int, api_connections: int) -> None:
    """Run the API under gunicorn (no access log: it would hold client addresses; the app logs requests)."""
    from dataclasses import replace

    from moderation.settings import gunicorn_command

    settings = replace(current(), api_workers=api_workers, api_connections=api_connections)
    command = gunicorn_command("service.wsgi:app", bind, settings)
    os.execvp(command[0], command)


@main.command()
def stats() -> None:
    """Print the desk's numbers as JSON: queue depth and oldest pending per site, decisions, time to decision."""
    from rq import Queue

    from moderation.review.desk import Desk, stats_summary
    from moderation.store.keys import WEBHOOK_QUEUE

    desks = [(Desk(s.text, webhook_queue=Queue(WEBHOOK_QUEUE, connection=s.raw)), s.sites) for s in _shards()]
    click.echo(json.dumps(stats_summary(desk.stats_parts(sites) for desk, sites in desks), indent=2))


@main.group()
def failed() -> None:
    """Jobs in RQ's failed-job registries (screening and webhooks)."""


def _registries() -> list[Any]:
    from rq.registry import FailedJobRegistry

    from moderation.store.queues import known_queue_names

    return [FailedJobRegistry(q, connection=s.raw) for s in _shards() for q in known_queue_names(s.raw, s.sites)]


@failed.command("list")
def failed_list() -> None:
    """One line per failed job: queue, id, when, the last line of its error."""
    for registry in _registries():
        for job in registry.get_job_ids():
            fetched = registry.job_class.fetch(job, connection=registry.connection)
            last = (fetched.latest_result().exc_string or "").strip().splitlines() if fetched.latest_result() else []
            click.echo(f"{registry.name}\t{job}\t{fetched.ended_at}\t{last[-1] if last else ''}")


@failed.command("requeue")
@click.argument("job_ids", nargs=-1)
@click.option("--all", "requeue_all", is_flag=True)
def failed_requeue(job_ids: tuple[str, ...], requeue_all: bool) -> None:
    """Put failed jobs back on their queue (after fixing what made them fail)."""
    if not job_ids and not requeue_all:
        raise click.UsageError("Name job ids or pass --all.")
    done = 0
    for registry in _registries():
        for job_id in registry.get_job_ids():
            if requeue_all or job_id in job_ids:
                registry.requeue(job_id)
                done += 1
                click.echo(f"requeued {job_id} on {registry.name}")
    if not done:
        if requeue_all:
            click.echo("no failed jobs")
            return
        raise click.ClickException("No such failed job.")


@main.command()
@click.argument("site")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
def export(site: str, output: Any) -> None:
    """Write every comment of SITE as JSON lines (everything moderators see, so keep the file safe)."""
    count = 0
    for comment in _site_comments(site):
        output.write(json.dumps(comment.moderator_view(), default=str, ensure_ascii=False) + "\n")
        count += 1
    click.echo(f"exported {count} comments of {site}", err=True)


def _site_comments(site: str) -> Any:
    """Every stored comment of one site (a scan of the keyspace: for exports, not for requests)."""
    from moderation.store.comments import of_site

    return of_site(_redis(site), site)


@main.command()
@click.option("--site", required=True, help="The site the author wrote on.")
@click.option("--email", required=True, help="The author's email, as the site sent it.")
def forget(site: str, email: str) -> None:
    """Erase one author's data on SITE: email, address, user agent and name of each comment, their history and
    counts, and the email in bans (which still hold by its hash). Audited, without the email."""
    from moderation import retention
    from moderation.review.bans import Bans

    count = retention.forget(_redis(site), site=site, email=email, actor="cli")
    for shard in _shards():  # a ban on every site has a copy on each Redis (MODERATION_SHARDS)
        if shard.url != current().shard_url(site):
            with shard.text.pipeline() as pipe:
                Bans(shard.text).forget_email(pipe, email, site)
                pipe.execute()
    click.echo(f"forgot the author of {count} comments on {site}")


@main.command("retention")
def retention_now() -> None:
    """Erase and delete now what MODERATION_PII_DAYS and MODERATION_RETENTION_DAYS say (workers do it hourly)."""
    from moderation import retention

    settings = current()
    erased = deleted = 0
    for shard in _shards():
        swept = retention.sweep(shard.text, pii_days=settings.pii_days, retention_days=settings.retention_days)
        erased, deleted = erased + swept.erased, deleted + swept.deleted
    click.echo(f"erased the personal data of {erased} comments; deleted {deleted} rejected comments")


@main.command("export-labels")
@click.option("--site", required=True, help="The site whose decisions become labels.")
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Decided on or after DATE.")
@click.option("--output", type=click.File("w", encoding="utf-8"), default="-")
def export_labels(site: str, since: Any, output: Any) -> None:
    """Write SITE's decided comments as text<TAB>label (clean, toxic, spam) for `make train`."""
    from datetime import UTC

    from moderation.review import labels

    since_ms = int(since.replace(tzinfo=UTC).timestamp() * 1000) if since else 0
    count = 0
    for line in labels.rows(_site_comments(site), since_ms):
        output.write(line + "\n")
        count += 1
    click.echo(f"exported {count} labelled comments of {site}", err=True)
