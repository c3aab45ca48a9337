"""Signed, expiring, single-use links for invitations and password resets.

A token carries the user id and a fingerprint of the user's current password hash. Setting a
password changes the hash, so a used link stops working; the signature's age bounds its life.
"""

import hashlib

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from portal.extensions import db
from portal.models import User

INVITATION = "invitation"
PASSWORD_RESET = "password-reset"  # noqa: S105 - a token purpose, not a password


def _serializer(purpose):
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=f"portal-{purpose}")


def _fingerprint(user):
    material = f"{user.password_hash or ''}|{user.active}".encode()
    return hashlib.sha256(material).hexdigest()[:20]


def make_token(user, purpose):
    """Return a signed token for ``user`` and ``purpose`` (INVITATION or PASSWORD_RESET)."""
    return _serializer(purpose).dumps({"u": user.id, "f": _fingerprint(user)})


def _max_age(purpose):
    key = "INVITATION_MAX_AGE" if purpose == INVITATION else "PASSWORD_RESET_MAX_AGE"
    return current_app.config[key]


def resolve_token(token, purpose):
    """Return the user a valid token is for, or None when forged, expired, used or inactive."""
    try:
        data = _serializer(purpose).loads(token, max_age=_max_age(purpose))
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("f") != _fingerprint(user):
        return None
    return user
