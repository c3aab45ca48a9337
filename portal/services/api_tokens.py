"""Personal API tokens: issued to users who meet their two-factor requirement, listed and
revoked on the account page, expiring after API_TOKEN_DAYS, and bound to the user's security
stamp, so a password change or reset, "log out everywhere", a two-factor reset, a role change
or a deactivation ends them with the user's sessions. Callers commit."""

from flask import current_app
from flask_babel import gettext as _

from portal.errors import Refused
from portal.extensions import db
from portal.models import ApiToken
from portal.models.base import utcnow
from portal.models.users import hash_api_token
from portal.services import audit, twofactor


def meets_two_factor(user):
    """True when ``user`` has two-factor login on, or their role does not require it."""
    return twofactor.enabled(user) or not twofactor.required_for(user)


def issue(user, name=""):
    """A new token for ``user``; returns ``(row, plaintext)``, the plaintext to show once.

    :raise Refused: 403 while the user must set up two-factor login and has not.
    """
    if not meets_two_factor(user):
        raise Refused(403, "two_factor_required", _("Set up two-factor login before you create an API token."))
    row, plaintext = ApiToken.issue(user, name=(name or "").strip(), days=current_app.config["API_TOKEN_DAYS"])
    db.session.add(row)
    db.session.flush()
    audit.record("api_token.issued", row, actor=user, name=row.name, expires_at=row.expires_at.isoformat())
    return row, plaintext


def working(user):
    """The user's tokens that still work, newest first."""
    rows = db.session.scalars(db.select(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > utcnow(),
        ApiToken.security_stamp == user.security_stamp).order_by(ApiToken.id.desc())).all()
    return [row for row in rows if row.works()]


def revoke(user, token_id):
    """Revoke one of ``user``'s own tokens. :raise Refused: 404 for a token that is not theirs."""
    row = db.session.get(ApiToken, token_id)
    if row is None or row.user_id != user.id or row.revoked_at is not None:
        raise Refused(404, "not_found", _("The token could not be found."))
    row.revoked_at = utcnow()
    audit.record("api_token.revoked", row, actor=user, name=row.name)


def keep_through_logout(user, old_stamp):
    """After a plain logout rotated the stamp (every browser session ends): the working tokens
    bound to ``old_stamp`` move to the new one. "Log out everywhere" does not call this."""
    db.session.execute(db.update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.security_stamp == old_stamp, ApiToken.revoked_at.is_(None))
        .values(security_stamp=user.security_stamp))


def authenticate(plaintext):
    """The user a working token belongs to, or None; notes when it was last used."""
    row = db.session.scalar(db.select(ApiToken).where(ApiToken.token_hash == hash_api_token(plaintext)))
    if row is None or not row.works() or not meets_two_factor(row.user):
        return None
    row.last_used_at = utcnow()
    return row.user
