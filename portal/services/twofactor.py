"""Two-factor login with TOTP (RFC 6238) and single-use recovery codes.

A code is accepted once: the time step it belongs to is stored with a conditional UPDATE, so
two requests racing with the same code cannot both pass. Recovery codes are random, stored as
keyed hashes and spent the same way. Callers commit.
"""

import hashlib
import hmac
import secrets
import time

import pyotp
import segno
from flask import current_app
from sqlalchemy import update

from portal import permissions
from portal.extensions import db
from portal.models import RecoveryCode, User
from portal.models.base import utcnow
from portal.services import audit

ISSUER = "Filmportalen"
STEP = 30
RECOVERY_CODES = 10


def required_for(user):
    """Every role must use two-factor login (the platform administrator, who may act for any
    organisation, too); leaders only while their organisation keeps it required (the default; an
    admin may relax it, audited)."""
    if not current_app.config["TWO_FACTOR_REQUIRED"]:
        return False
    return (permissions.is_admin(user) or permissions.is_platform_admin(user) or permissions.is_supervisor(user)
            or (permissions.is_leader(user) and user.organisation.leaders_require_2fa))


def enabled(user):
    """True when the user has confirmed an authenticator app."""
    return user.totp_secret is not None


def new_secret():
    """A fresh base32 secret for an authenticator app."""
    return pyotp.random_base32()


def provisioning_uri(user, secret):
    """The ``otpauth://`` URI an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)


def qr_svg(uri):
    """The QR code of ``uri`` as inline SVG markup (no script, no external image)."""
    return segno.make(uri, error="m").svg_inline(scale=5, dark="#111827", light="#ffffff")


def _digits(code):
    return "".join(ch for ch in (code or "") if not ch.isspace())


def matching_step(secret, code, now=None, window=1):
    """The time step ``code`` belongs to (within ``window`` steps of now), or None."""
    code = _digits(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    current = int((now if now is not None else time.time()) // STEP)
    for step in range(current - window, current + window + 1):
        if hmac.compare_digest(totp.at(step * STEP), code):
            return step
    return None


def verify_totp(user, code, now=None):
    """Accept ``code`` for ``user`` once: a code (or an earlier one) already used is refused."""
    if not enabled(user):
        return False
    step = matching_step(user.totp_secret, code, now)
    if step is None:
        return False
    table = User.__table__
    claimed = db.session.execute(
        update(table).where(table.c.id == user.id)
        .where((table.c.totp_last_step.is_(None)) | (table.c.totp_last_step < step))
        .values(totp_last_step=step)).rowcount == 1
    if claimed:
        user.totp_last_step = step
    return claimed


def _hash_code(code):
    key = current_app.config["SECRET_KEY"].encode()
    normal = "".join(ch for ch in (code or "").lower() if ch.isalnum())
    return hmac.new(key, normal.encode(), hashlib.sha256).hexdigest()


def new_recovery_codes(user):
    """Replace the user's recovery codes with ten fresh ones; returns them (shown once)."""
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = secrets.token_hex(5)  # 40 bits each, single use, behind login throttling
        codes.append(f"{raw[:5]}-{raw[5:]}")
        db.session.add(RecoveryCode(user_id=user.id, code_hash=_hash_code(raw)))
    return codes


def use_recovery_code(user, code):
    """Spend one of the user's recovery codes; False when unknown or already used."""
    table = RecoveryCode.__table__
    return db.session.execute(
        update(table).where(table.c.user_id == user.id, table.c.code_hash == _hash_code(code),
                            table.c.used_at.is_(None))
        .values(used_at=utcnow())).rowcount == 1


def recovery_codes_left(user):
    """How many unused recovery codes the user has."""
    return db.session.scalar(db.select(db.func.count(RecoveryCode.id))
                             .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def enable(user, secret, code, now=None):
    """Turn on two-factor login once the user proved their app shows ``code`` for ``secret``.
    Returns the new recovery codes, or None when the code does not match."""
    step = matching_step(secret, code, now)
    if step is None:
        return None
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    codes = new_recovery_codes(user)
    audit.record("auth.2fa_enabled", user, actor=user)
    return codes


def reset(user, actor):
    """An admin's reset for a lost phone: two-factor off, codes gone, every session ended."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    db.session.execute(db.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    user.end_all_sessions()
    audit.record("auth.2fa_reset", user, actor=actor)
