"""The application factory: the Flask app with its extensions, blueprints, real-time wiring
and template globals (``create_app`` in ``app/__init__.py`` calls :func:`build_app`)."""
from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from app.config import Config
from app.conversations.rendering import SANITISER_POLICY, message_html, render_markdown
from app.extensions import csrf, db, limiter, login_manager, migrate, socketio, talisman
from app.platform.admission import AdmissionGate, give_socket_turns
from app.platform.db_budget import name_this_process, process_maximum
from app.platform.db_pool import ping_after_idle, pool_options
from app.platform.ids import DatabaseIdConverter, LookupIdConverter
from app.platform.private_files import keep_private
from app.platform.redis_client import FAKE_SCHEME, connect, limiter_storage_uri
from app.platform.secret_files import stored_secret
from app.realtime.bus import bus_publisher, start_fanout
from app.realtime.delivery import local_delivery
from app.realtime.socket_transport import WithoutWebSocketCompression
from app.realtime.streams import StreamHub
from app.web.display import (
    CAPABILITY_LABELS, READ_STATE_LABELS, SOURCE_LABELS, context_summary, file_size, model_price, tokens_short,
    usage_summary,
)

CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": ["'self'", "data:", "blob:"],
    "connect-src": ["'self'", "ws:", "wss:"],
    "object-src": "'none'",
    "base-uri": "'self'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}


def build_app(config_class: type[Config], role: str) -> Flask:
    """The app for ``config_class`` and ``role`` (see :func:`app.create_app`)."""
    config_class.validate()
    app = Flask("app", template_folder="../templates", static_folder="../static")
    app.config.from_object(config_class)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = stored_secret(Path(app.config["SECRET_KEY_FILE"])).decode()
    if app.config["TRUSTED_PROXIES"] > 0:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)
    app.extensions["confab.pid"] = os.getpid()
    app.url_map.converters["id"] = DatabaseIdConverter
    app.url_map.converters["lookup_id"] = LookupIdConverter
    if not app.config["RATELIMIT_STORAGE_URI"]:
        app.config["RATELIMIT_STORAGE_URI"] = limiter_storage_uri(app.config["REDIS_URL"])
    _configure_logging(app)

    config = app.config
    config["SQLALCHEMY_ENGINE_OPTIONS"] = {
        **pool_options(config["SQLALCHEMY_DATABASE_URI"], config["DB_POOL_SIZE"], config["DB_POOL_OVERFLOW"]),
        **config.get("SQLALCHEMY_ENGINE_OPTIONS", {})}
    keep_private(config["SQLALCHEMY_DATABASE_URI"], config["STORAGE_ROOT"])
    name_this_process(role, process_maximum(config))
    db.init_app(app)
    with app.app_context():
        ping_after_idle(db.engine, app.config["DB_PING_AFTER_IDLE_SECONDS"])
    migrate.init_app(app, db, directory=str(Path(app.root_path).parent / "migrations"), render_as_batch=True)
    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    talisman.init_app(
        app,
        force_https=False,
        content_security_policy=CSP,
        session_cookie_secure=app.config["SESSION_COOKIE_SECURE"],
        session_cookie_http_only=True,
        strict_transport_security=app.config["SESSION_COOKIE_SECURE"],
    )
    from app import accounts, admin, api, auth, chats, health, messages, usage
    from app.cli import register_cli
    from app.identity import login
    from app.web import errors, guards

    app.register_blueprint(auth.bp)
    app.register_blueprint(accounts.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(chats.bp)
    app.register_blueprint(messages.bp)
    app.register_blueprint(usage.bp)
    if role != "worker":  # workers serve no HTTP: they skip the API's validation and document
        api.register(app)
    errors.register(app)
    guards.register(app)
    register_cli(app)
    login.register(app)
    if role == "web":  # inside Socket.IO's middleware, which _init_realtime puts around it
        app.wsgi_app = AdmissionGate(app.wsgi_app, app.config["WEB_REQUESTS_AT_ONCE"], app.config["MAX_CONTENT_LENGTH"])
    give_socket_turns(app, app.config["SOCKET_EVENTS_AT_ONCE"])
    _init_realtime(app, role)
    # Messages serve their stored HTML (message_html); render_markdown is for the app's own texts
    # (the API reference's descriptions).
    app.jinja_env.globals.update(message_html=message_html, render_markdown=render_markdown,
                                 context_summary=context_summary, usage_summary=usage_summary, model_price=model_price,
                                 sanitiser_policy=SANITISER_POLICY, file_size=file_size,
                                 READ_STATE_LABELS=READ_STATE_LABELS, CAPABILITY_LABELS=CAPABILITY_LABELS,
                                 SOURCE_LABELS=SOURCE_LABELS)
    app.jinja_env.filters["tokens_short"] = tokens_short
    return app


def _init_realtime(app: Flask, role: str) -> None:
    """Socket.IO in the web process, and how events leave every process (``app/realtime/__init__.py``).

    With a real Redis, events go on the event bus, and each web process emits them to
    its own connections (``app/realtime/bus.py``), so an event published anywhere reaches
    members connected to any web process (§12). Unit tests deliver locally.
    """
    url = app.config["REDIS_URL"]
    if url.startswith(FAKE_SCHEME):
        socketio.init_app(app, async_mode="threading" if role != "web" else app.config["ASYNC_MODE"])
        streams = app.extensions["confab.streams"] = StreamHub(socketio.server.eio.create_queue)
        app.extensions["confab.publish"] = local_delivery(socketio, streams=streams)
        return
    app.extensions["confab.publish"] = bus_publisher(connect(url))
    if role == "web":
        socketio.init_app(app, async_mode=app.config["ASYNC_MODE"])
        app.wsgi_app = WithoutWebSocketCompression(app.wsgi_app)
        streams = app.extensions["confab.streams"] = StreamHub(socketio.server.eio.create_queue)
        start_fanout(app, socketio, url, streams)


def _configure_logging(app: Flask) -> None:
    if not app.debug and not app.testing:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        app.logger.handlers[:] = [handler]
        app.logger.setLevel(logging.INFO)
