"""Cross-cutting request guards: login by default, CSRF, security headers.

Every endpoint requires login unless its view is marked ``@public``; that way a new route is
safe before anyone remembers to protect it.
"""

from urllib.parse import urlsplit

from flask import current_app, request
from flask_login import current_user

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
    """No inline script anywhere; uploads, films and pictures may come from the storage origin."""
    storage = " ".join(storage_origins(config))
    return (
        f"default-src 'self'; connect-src 'self' {storage}; img-src 'self' data: blob: {storage}; "
        f"media-src 'self' blob: {storage}; style-src 'self'; script-src 'self'; object-src 'none'; "
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
    app.after_request(set_security_headers)
