"""How Flask-Login finds the user: session cookie (id + security stamp) or Bearer token."""

from flask import jsonify, redirect, request, url_for
from flask_babel import gettext as _

from portal.extensions import db
from portal.models import User


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
    """Authenticate ``Authorization: Bearer <token>``: a token that works, of a user who meets
    their two-factor requirement (portal.services.api_tokens)."""
    from portal.services import api_tokens

    token = bearer_token()
    if token is None:
        return None
    user = api_tokens.authenticate(token)
    db.session.commit()
    return user


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
