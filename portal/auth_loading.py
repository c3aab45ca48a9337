"""How Flask-Login finds the user: session cookie (id + security stamp) or Bearer token."""

from flask import jsonify, redirect, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import ApiToken, User
from portal.models.base import utcnow
from portal.models.users import hash_api_token


def bearer_token():
    """The token of an ``Authorization: Bearer`` header, or None."""
    header = request.headers.get("Authorization", "")
    scheme, _sep, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    return None


def load_session_user(session_id):
    """Session cookies hold ``"<id>.<stamp>"``; a changed stamp or inactive user ends it."""
    if bearer_token() is not None:
        return None  # a request with a token is authenticated by the token alone
    user_id, _sep, stamp = (session_id or "").partition(".")
    if not user_id.isdigit() or not stamp:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.security_stamp != stamp:
        return None
    return user


def load_token_user(req):
    """Authenticate ``Authorization: Bearer <token>`` against the stored token hashes."""
    token = bearer_token()
    if token is None:
        return None
    row = db.session.scalar(db.select(ApiToken).where(
        ApiToken.token_hash == hash_api_token(token), ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    row.last_used_at = utcnow()
    db.session.commit()
    return row.user


def unauthorized():
    """API callers get 401 JSON; people are sent to the login page and brought back."""
    if request.path.startswith("/api/"):
        response = jsonify(error={"code": "unauthenticated", "message": _("Log in first.")})
        response.status_code = 401
        return response
    return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))


def configure(manager):
    """Attach the loaders and handlers to the LoginManager."""
    manager.user_loader(load_session_user)
    manager.request_loader(load_token_user)
    manager.unauthorized_handler(unauthorized)
    manager.session_protection = "strong"
