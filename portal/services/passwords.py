"""Password hashing with argon2id (memory-hard), and the password rules users see."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _

_hasher = PasswordHasher()  # argon2id, t=3, m=64 MiB, p=4 (RFC 9106 second choice)

# A real hash to verify against when the account is unknown, so both answers take as long.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password):
    """Return an argon2id hash of ``password``."""
    return _hasher.hash(password)


def verify_password(password_hash, password):
    """True when ``password`` matches; spends the same work when ``password_hash`` is None."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
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
