"""Filmportalen: the Flask application factory."""

import logging
import os

from flask import Flask, request, session
from flask_login import current_user

from config.settings import load_config
from portal.extensions import babel, csrf, db, limiter, login_manager, migrate


def create_app(config=None):
    """Create the app from ``config`` (a config object; default: from PORTAL_ENV). No I/O."""
    app = Flask(__name__, static_folder="../static", template_folder="../templates",
                instance_relative_config=False)
    app.config.from_object(config or load_config())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    app.config.setdefault("RATELIMIT_STORAGE_URI", limits_storage_uri(app.config["REDIS_URL"]))
    app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 2, "socket_timeout": 2})
    app.config.setdefault("RATELIMIT_SWALLOW_ERRORS", True)  # Redis down: log in without throttling
    app.config.setdefault("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)

    from portal import auth_loading, errors, security

    login_manager.init_app(app)
    auth_loading.configure(login_manager)
    security.init_app(app)
    errors.init_app(app)

    from portal.admin import bp as admin_bp
    from portal.api import bp as api_bp
    from portal.auth import bp as auth_bp
    from portal.certification import bp as certification_bp
    from portal.certification.verify import bp as verification_bp
    from portal.groups import bp as groups_bp
    from portal.main import bp as main_bp
    from portal.notices import bp as notices_bp
    from portal.platform import bp as platform_bp
    from portal.review import bp as review_bp
    from portal.storage_local import bp as storage_local_bp
    from portal.uploads import bp as uploads_bp
    from portal.utils import DatabaseIdConverter

    app.url_map.converters["int"] = DatabaseIdConverter  # before any route is added
    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(groups_bp, url_prefix="/groups")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(platform_bp, url_prefix="/platform")
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    app.register_blueprint(storage_local_bp)
    app.register_blueprint(uploads_bp)
    app.register_blueprint(review_bp, url_prefix="/review")
    app.register_blueprint(certification_bp, url_prefix="/certification")
    app.register_blueprint(verification_bp)
    app.register_blueprint(notices_bp)

    from portal import cli

    cli.init_app(app)

    from portal.utils import timecode

    app.add_template_filter(timecode, "duration")
    app.add_template_filter(timecode, "timecode")

    from portal import clock, languages

    clock.init_app(app)
    languages.init_app(app)

    @app.context_processor
    def inject_helpers():
        from portal import permissions

        return {"perm": permissions, "current_locale": select_locale()}

    return app


def select_timezone():
    """The signed-in user's own time zone, else None (Flask-Babel then uses DEFAULT_TIMEZONE)."""
    if current_user and current_user.is_authenticated:
        return current_user.timezone or None
    return None


def select_locale():
    """The signed-in user's language, else the one chosen this session, else the default."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if current_user and current_user.is_authenticated and current_user.language in languages:
        return current_user.language
    chosen = session.get("lang") if request else None
    if chosen in languages:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def limits_storage_uri(redis_url):
    """``redis_url`` as the limits library spells it: a unix socket (``make run``'s own Redis)
    is ``redis+unix://`` there, where redis-py and RQ take ``unix://``."""
    if redis_url.startswith("unix://"):
        return "redis+unix://" + redis_url[len("unix://"):]
    return redis_url
