"""Cross-cutting request guards: login by default, CSRF, security headers.

Every endpoint requires login unless its view is marked ``@public``; that way a new route is
safe before anyone remembers to protect it.
"""

import time
from urllib.parse import urlsplit

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.auth_loading import bearer_token
from portal.extensions import csrf

UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def public(view):
    """Mark a view as reachable without logging in."""
    view.is_public = True
    return view


def is_public_endpoint(endpoint):
    """True for static files and views marked ``@public``."""
    if endpoint is None or endpoint == "static":
        return True
    view = current_app.view_functions.get(endpoint)
    return bool(getattr(view, "is_public", False))


def require_login_and_csrf():
    """before_request: login unless public; CSRF on every state change without a token."""
    if not is_public_endpoint(request.endpoint) and not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if request.method in UNSAFE_METHODS and bearer_token() is None:
        csrf.protect(apply_exemptions=True)  # views marked @csrf.exempt (signed storage URLs)
    return None


# Pages a user who must set up two-factor login can still reach.
ENROL_ENDPOINTS = frozenset({"auth.two_factor_setup", "auth.logout", "static", "main.set_language",
                             "main.healthz"})


def start_session(user):
    """Log ``user`` in on a fresh session, stamped for the idle and absolute timeouts."""
    login_user(user)
    now = time.time()
    session["auth_at"] = session["seen_at"] = session["reauth_at"] = now


def _expired(now):
    config = current_app.config
    auth_at = session.setdefault("auth_at", now)  # sessions from before the stamps existed
    seen_at = session.get("seen_at", now)
    return now - seen_at > config["SESSION_IDLE_MINUTES"] * 60 or now - auth_at > config["SESSION_MAX_HOURS"] * 3600


def enforce_session_rules():
    """before_request: end idle and over-age sessions; send users who must use two-factor login
    and have not set it up to the setup page."""
    from portal.errors import api_error
    from portal.services import twofactor

    if bearer_token() is not None or not current_user.is_authenticated:
        return None
    now = time.time()
    api = request.path.startswith("/api/")
    if _expired(now):
        logout_user()
        session.clear()
        if api:
            return api_error(401, "session_expired", _("You were logged out. Log in again."))
        flash(_("You were logged out after a while without activity, or a long time after you logged "
                "in. Log in again."), "info")
        return redirect(url_for("auth.login", next=request.full_path if request.method == "GET" else None))
    if now - session.get("seen_at", 0) > 30:  # keep the cookie still between quick requests
        session["seen_at"] = now
    if request.endpoint not in ENROL_ENDPOINTS and twofactor.required_for(current_user) \
            and not twofactor.enabled(current_user):
        if api:
            return api_error(403, "two_factor_required", _("Set up two-factor login first."))
        return redirect(url_for("auth.two_factor_setup"))
    return None


def recent_auth_redirect(next_url=None):
    """None when the user gave their password within REAUTH_MINUTES; else a redirect to give it
    again, then on to ``next_url`` (default: this page). For sensitive actions."""
    reauth_at = session.get("reauth_at", 0)
    if time.time() - reauth_at <= current_app.config["REAUTH_MINUTES"] * 60:
        return None
    flash(_("Confirm it is you before you go on."), "info")
    # Back to this page; for a form posted to a URL that also shows it, that page. (Pages send
    # no Referer: Referrer-Policy is no-referrer.)
    shows_itself = request.url_rule is not None and "GET" in request.url_rule.methods
    target = next_url or (request.full_path if request.method == "GET" or shows_itself else request.referrer)
    from portal.utils import safe_next

    return redirect(url_for("auth.reauthenticate", next=safe_next(_local(target)) or ""))


def _local(url):
    """The path and query of ``url`` (a same-site Referer), or None."""
    if not url:
        return None
    parts = urlsplit(url)
    if parts.netloc and parts.netloc != request.host:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def storage_origins(config):
    """Origins the browser reaches storage on: none for the local folder (the app serves it)."""
    if config.get("STORAGE_BACKEND") != "s3":
        return []
    url = config.get("S3_PUBLIC_ENDPOINT_URL") or config.get("S3_ENDPOINT_URL")
    if url:
        parts = urlsplit(url)
        return [f"{parts.scheme}://{parts.netloc}"]
    region = config.get("S3_REGION") or "us-east-1"
    return [f"https://{config.get('S3_BUCKET')}.s3.{region}.amazonaws.com", f"https://s3.{region}.amazonaws.com"]


def content_security_policy(config):
    """No inline script anywhere; uploads, films and pictures may come from the storage origin.

    HLS (issue 19): hls.js fetches segments with XHR (connect-src: the app, which redirects to
    the storage origin), feeds them to the video element through a blob: MediaSource URL
    (media-src). The player runs hls.js with ``enableWorker: false`` (fMP4 needs no transmuxing), so
    no worker-src is granted."""
    storage = " ".join(storage_origins(config))
    return (
        f"default-src 'self'; connect-src 'self' {storage}; img-src 'self' data: blob: {storage}; "
        f"media-src 'self' blob: {storage}; style-src 'self'; script-src 'self'; "
        "object-src 'none'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    ).replace("  ", " ").replace(" ;", ";")


def set_security_headers(response):
    """after_request: headers on every answer; personal pages are never cached."""
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "no-referrer")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Content-Security-Policy", content_security_policy(current_app.config))
    if request.endpoint != "static":
        headers["Cache-Control"] = "no-store"
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response


def init_app(app):
    """Register the guards on ``app``."""
    app.before_request(require_login_and_csrf)
    app.before_request(enforce_session_rules)
    app.after_request(set_security_headers)
