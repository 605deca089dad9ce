"""Hallq's Flask application: the app factory wires the queue core, the JSON API, the rooms'
blueprints, the live server (hallq.live) and the extensions together."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, current_app, render_template, request, session
from flask.json.provider import DefaultJSONProvider
from flask_babel import get_locale
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from queue_core import Clock, Database, SystemClock, make_engine

from . import acting, faults, headers, metrics
from .api import PREFIX, error, json_http_error
from .api.openapi import DbIntConverter
from .config_files import load_hall
from .error_texts import page_error
from .extensions import babel, csrf, login_manager
from .i18n import LOCALES
from .live import LiveServer
from .live.city import CityFigures
from .live.redis_delivery import RedisDelivery
from .printing import PrintService
from .revocation import Revocations
from .settings import Settings, load_settings
from .state import HallqState


def create_app(settings: Settings | None = None, *, clock: Clock | None = None) -> Flask:
    settings = settings or load_settings()
    app = Flask(__name__, instance_path=str(settings.HALLQ_INSTANCE.resolve()))
    app.config.update(
        SECRET_KEY=settings.secret_key(),
        BABEL_DEFAULT_LOCALE=settings.HALLQ_DEFAULT_LOCALE,
        BABEL_DEFAULT_TIMEZONE="UTC",
        BABEL_TRANSLATION_DIRECTORIES=str(Path(__file__).with_name("translations")),
        # The login cookies: never readable by scripts, not sent with cross-site requests, and
        # only over HTTPS where the hall is served so.
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.HALLQ_SECURE_COOKIES,
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SECURE=settings.HALLQ_SECURE_COOKIES,
        # A clerk's panel stays open all day: its CSRF token lives as long as the login session
        # (it is bound to it), not Flask-WTF's default hour.
        WTF_CSRF_TIME_LIMIT=None,
        JSON_AS_ASCII=False,
        MAX_CONTENT_LENGTH=faults.LARGEST_BODY,
    )
    if isinstance(app.json, DefaultJSONProvider):  # Flask's own, which a hall does not replace
        app.json.ensure_ascii = False
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    spec = load_hall(Path(settings.HALLQ_CONFIG))
    queue = faults.MessageQueue(settings.SOCKETIO_MESSAGE_QUEUE) if settings.SOCKETIO_MESSAGE_QUEUE else None
    live = LiveServer(
        app,
        spec.connections,
        proxies=settings.HALLQ_PROXIES,
        client_manager=RedisDelivery(queue) if queue else None,
    )
    database = Database(make_engine(settings.database_url(), serving=True), clock or SystemClock())
    database.publisher = CityFigures(database, live, shared=queue is not None)
    app.extensions["hallq"] = HallqState(
        settings=settings,
        db=database,
        spec=spec,
        rate_limiter=faults.rate_limiter(queue),
        message_queue=queue,
        printing=PrintService(spec, Path(settings.HALLQ_CONFIG), database),
        live=live,
        storage=faults.StorageWatch(database.clock.now, live.tell_dashboards),
    )
    app.extensions["hallq"].storage.watch(database.engine)
    app.extensions["hallq"].revocations = Revocations(app.extensions["hallq"], queue)
    app.extensions["hallq"].revocations.start()

    babel.init_app(app, locale_selector=_select_locale, timezone_selector=lambda: spec.hall.timezone)
    csrf.init_app(app)
    login_manager.init_app(app)
    if settings.HALLQ_PROXIES:
        n = settings.HALLQ_PROXIES
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n, x_host=n)  # type: ignore[method-assign]  # Flask's documented way to add WSGI middleware
    app.jinja_env.globals["get_locale"] = get_locale
    app.url_map.converters["int"] = DbIntConverter  # before any route is bound
    _register_blueprints(app)
    metrics.init_app(app)
    app.before_request(acting.begin_request)
    app.teardown_request(acting.end_request)
    app.register_error_handler(HTTPException, _http_error)
    faults.init_app(app, api_error=error)
    headers.init_app(app)
    return app


def _http_error(exc: HTTPException) -> Any:
    """Under /api/ every error answers in JSON; a page's error is a page in the hall's style
    and language (a phone page's unknown ticket, an unknown kiosk), with the error's headers.
    What a script fetches (a voice clip, a photo) keeps Werkzeug's answer, which names it."""
    if request.path.startswith(PREFIX + "/"):
        return json_http_error(exc)
    if exc.code is None or exc.code < 400 or "text/html" not in request.headers.get("Accept", ""):
        return exc  # a redirect raised as an exception, or no page asked for
    title, text = page_error(exc.code)
    page = render_template("error.html", status=exc.code, title=title, text=text)
    headers = [(name, value) for name, value in exc.get_headers() if name.lower() != "content-type"]
    return page, exc.code, headers


def _register_blueprints(app: Flask) -> None:
    from city import bp as city_bp
    from evaluation import bp as evaluation_bp
    from guide import bp as guide_bp
    from hall_display import bp as hall_display_bp
    from kiosk import bp as kiosk_bp
    from manager import bp as manager_bp
    from window_panel import bp as window_panel_bp

    from . import auth, pages, staff_nav
    from .api import bp as api_bp

    app.register_blueprint(pages.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(staff_nav.bp)
    app.register_blueprint(api_bp)
    for room in (kiosk_bp, window_panel_bp, hall_display_bp, evaluation_bp, manager_bp, city_bp, guide_bp):
        app.register_blueprint(room)


def _select_locale() -> str:
    """Chinese unless the person chose English: a hall's kiosks and boards must not follow
    whatever language the browser happens to be set to. A screen that switches language
    without reloading (the kiosk) names it with each API call (X-Hallq-Lang), so that its
    error texts come in the language shown."""
    chosen = request.args.get("lang") or request.headers.get("X-Hallq-Lang") or session.get("lang")
    return chosen if chosen in LOCALES else current_app.config["BABEL_DEFAULT_LOCALE"]
