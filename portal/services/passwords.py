"""Password hashing with argon2id (memory-hard), and the password rules users see."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

_hashers = {}


def _hasher():
    """The argon2id hasher and a dummy hash for the configured cost (production: t=3, m=64 MiB,
    p=4, RFC 9106's second choice; the test profile lowers it, as hashes carry their own cost)."""
    cost = current_app.config.get("PASSWORD_HASH_COST") or {}
    key = tuple(sorted(cost.items()))
    if key not in _hashers:
        hasher = PasswordHasher(**cost)
        # A real hash to verify against when the account is unknown, so both answers take as long.
        _hashers[key] = (hasher, hasher.hash("not-a-real-password"))
    return _hashers[key]


def hash_password(password):
    """Return an argon2id hash of ``password``."""
    return _hasher()[0].hash(password)


def verify_password(password_hash, password):
    """True when ``password`` matches; spends the same work when ``password_hash`` is None."""
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password, confirm):
    """Return a translated reason the new password is refused, or None when it is fine."""
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if password != confirm:
        return _("The two passwords are not the same.")
    if len(password) < minimum:
        return _("The password must be at least %(n)d characters long.", n=minimum)
    if len(password) > 1024:
        return _("The password is too long.")
    return None
