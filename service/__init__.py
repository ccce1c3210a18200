"""The Flask application: intake, public reading, moderation and operations endpoints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask

from moderation import logs
from moderation.settings import Settings
from moderation.sitepolicy import Policies
from service.admission import Shed


def create_app(test_config: Mapping[str, Any] | None = None) -> Flask:
    """App factory: the settings of the environment (moderation.settings), then `test_config`: settings keyed
    by their variable's name without `MODERATION_` (`SITES`, `LEASE_SECONDS`), and Flask's own (`TESTING`)."""
    app = Flask(__name__)
    given = dict(test_config or {})
    settings = Settings.load(overrides=given)
    app.config.update({k: v for k, v in given.items() if k not in Settings.override_names()})
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.json.ensure_ascii = False  # type: ignore[attr-defined]  # Arabic stays readable in responses
    app.extensions["moderation.settings"] = settings
    # A broken policy file stops start-up here, with the file, the field and the problem.
    app.extensions["moderation.policies"] = Policies.load(settings.policy_file) if settings.policy_file else Policies()

    from service import analyze, desk, errors, extensions, intake, ops, public, requestlog, review

    if not app.config.get("TESTING"):
        logs.configure(settings.log_level)

    if settings.trust_proxy:
        # Behind a TLS-terminating proxy: believe its X-Forwarded-Proto, so desk cookies are Secure.
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1, x_host=1)  # type: ignore[method-assign]  # wrapping wsgi_app is Flask's documented middleware hook
    extensions.init_app(app)
    requestlog.init_app(app)
    # Outermost: a request that waited its whole deadline already is refused before anything is done for it.
    app.wsgi_app = Shed(app.wsgi_app, settings.intake_deadline)  # type: ignore[method-assign]  # wrapping wsgi_app is Flask's documented middleware hook
    errors.init_app(app)
    for bp in (intake.bp, public.bp, review.bp, ops.bp, desk.bp, analyze.bp):
        app.register_blueprint(bp)
    return app
