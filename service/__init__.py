"""The Flask application: intake, public reading, moderation and operations endpoints."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from flask import Flask

from moderation import logs
from moderation.notify import parse_callbacks, parse_intervals
from moderation.settings import DEFAULT_REDIS_URL, Settings, parse_analyze_keys, parse_site_secrets
from moderation.sitepolicy import Policies
from service.admission import Shed

DEFAULTS: dict[str, Any] = {
    "REDIS_URL": DEFAULT_REDIS_URL,
    "SITES": "",
    "ADMIN_TOKEN": "",
    "SIGNATURE_WINDOW": 300,
    "IDEMPOTENCY_TTL": 24 * 3600,
    "MAX_REQUEST_BYTES": 64 * 1024,
    "POLICY_FILE": "",
    "SITE_CALLBACKS": "",
    "LEASE_SECONDS": 300,
    "DESK_POLL_SECONDS": 15,  # how often an open desk page renews its claims and looks for changes
    "WEBHOOK_RETRY_INTERVALS": "",
    "MAX_BACKLOG": 100_000,
    # Defaults written once, in Settings.
    "METRICS_TOKEN": Settings.metrics_token,
    "INTAKE_CONCURRENCY": Settings.intake_concurrency,
    "INTAKE_WAIT": Settings.intake_wait,
    "INTAKE_DEADLINE": Settings.intake_deadline,
    "REDIS_CONNECTIONS": Settings.redis_connections,
    "ANALYZE_KEYS": "",
    "ANALYZE_RATE": Settings.analyze_rate,
}


def _settings(config: Mapping[str, Any]) -> Settings:
    sites, callbacks, intervals = config["SITES"], config["SITE_CALLBACKS"], config["WEBHOOK_RETRY_INTERVALS"]
    return Settings(
        redis_url=config["REDIS_URL"],
        site_secrets=({site: (secret,) for site, secret in sites.items()} if isinstance(sites, Mapping)
                      else parse_site_secrets(sites)),
        admin_token=str(config["ADMIN_TOKEN"]),
        metrics_token=str(config["METRICS_TOKEN"]),
        intake_concurrency=int(config["INTAKE_CONCURRENCY"]),
        intake_wait=float(config["INTAKE_WAIT"]),
        intake_deadline=float(config["INTAKE_DEADLINE"]),
        redis_connections=int(config["REDIS_CONNECTIONS"]),
        signature_window=int(config["SIGNATURE_WINDOW"]),
        idempotency_ttl=int(config["IDEMPOTENCY_TTL"]),
        max_request_bytes=int(config["MAX_REQUEST_BYTES"]),
        callbacks=dict(callbacks) if isinstance(callbacks, Mapping) else parse_callbacks(callbacks),
        lease_seconds=int(config["LEASE_SECONDS"]),
        max_backlog=int(config["MAX_BACKLOG"]),
        webhook_retry_intervals=tuple(intervals) if isinstance(intervals, list | tuple) else parse_intervals(intervals),
        analyze_keys=parse_analyze_keys(config["ANALYZE_KEYS"]),
        analyze_rate=int(config["ANALYZE_RATE"]),
    )


def create_app(overrides: Mapping[str, Any] | None = None) -> Flask:
    """App factory: code defaults, then `MODERATION_*` and `REDIS_URL` from the environment, then overrides."""
    app = Flask(__name__)
    app.config.from_mapping(DEFAULTS)
    # loads=str: secrets and tokens stay strings even when they look like numbers.
    app.config.from_prefixed_env("MODERATION", loads=str)
    if os.environ.get("REDIS_URL"):
        app.config["REDIS_URL"] = os.environ["REDIS_URL"]
    if overrides:
        app.config.update(overrides)
    settings = _settings(app.config)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Arabic stays readable in responses
    app.extensions["moderation.settings"] = settings
    # A broken policy file stops start-up here, with the file, the field and the problem.
    policy_file = app.config["POLICY_FILE"]
    app.extensions["moderation.policies"] = Policies.load(policy_file) if policy_file else Policies()

    from service import analyze, desk, errors, extensions, intake, ops, public, requestlog, review

    if not app.config.get("TESTING"):
        logs.configure(str(app.config.get("LOG_LEVEL", "INFO")))

    if app.config.get("TRUST_PROXY") in (True, "1", "true", "yes"):
        # Behind a TLS-terminating proxy: believe its X-Forwarded-Proto, so desk cookies are Secure.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]
    extensions.init_app(app)
    requestlog.init_app(app)
    # Outermost: a request that waited its whole deadline already is refused before anything is done for it.
    app.wsgi_app = Shed(app.wsgi_app, settings.intake_deadline)  # type: ignore[method-assign]
    errors.init_app(app)
    for bp in (intake.bp, public.bp, review.bp, ops.bp, desk.bp, analyze.bp):
        app.register_blueprint(bp)
    return app
