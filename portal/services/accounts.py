"""Account use cases: create, invite, authenticate, change roles, deactivate, reset."""

import re

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import ROLES, Organisation, User
from portal.models.base import utcnow
from portal.services import audit, mail, paging, tokens
from portal.services.passwords import hash_password, verify_password

EMAIL_RE = re.compile(r"^[^@\s<>\"']+@[^@\s<>\"']+\.[^@\s<>\"']+$")


class AccountError(ValueError):
    """A refused account change, with a message for the user."""


def normalise_email(email):
    """Lower-case and strip an e-mail address."""
    return (email or "").strip().lower()


def external_url(endpoint, **values):
    """An absolute URL for links in mails, on PUBLIC_URL only: never the request's Host header,
    which a caller chooses. :raise RuntimeError: when PUBLIC_URL is not set."""
    base = current_app.config.get("PUBLIC_URL")
    if not base:
        raise RuntimeError("PUBLIC_URL is not set; links in mails need it")
    return base.rstrip("/") + current_app.url_map.bind("localhost").build(endpoint, values)


def create_user(email, name, roles, organisation, language="sv", password=None, actor=None):
    """Create a user; without ``password`` the user sets one through an invitation.

    :raise AccountError: on a malformed or taken address, an empty name or unknown roles.
    """
    email = normalise_email(email)
    name = (name or "").strip()
    if not EMAIL_RE.match(email) or len(email) > 254:
        raise AccountError(_("Enter a valid e-mail address."))
    if not name:
        raise AccountError(_("Enter the person's name."))
    if not roles or set(roles) - set(ROLES):
        raise AccountError(_("Choose at least one role."))
    if db.session.scalar(db.select(User.id).where(User.email == email)) is not None:
        raise AccountError(_("There is already an account with that e-mail address."))
    user = User(email=email, name=name[:200], organisation=organisation,
                language=language if language in current_app.config["LANGUAGES"] else "sv")
    user.roles = roles
    if password is not None:
        user.password_hash = hash_password(password)
    db.session.add(user)
    db.session.flush()
    audit.record("user.create", user, actor=actor, roles=list(user.roles))
    return user


def people(organisation_id, q="", page=1, per_page=paging.PER_PAGE):
    """A page of the organisation's logins matching ``q`` (name or e-mail), active first, by name."""
    query = (db.select(User).where(User.organisation_id == organisation_id)
             .order_by(User.active.desc(), User.name, User.id))
    if (condition := paging.matching(q, User.name, User.email)) is not None:
        query = query.where(condition)
    return paging.paginate(query, page, per_page)


def send_invitation(user):
    """Mail ``user`` a signed, expiring, single-use link to set a password."""
    link = external_url("auth.accept_invitation", token=tokens.make_token(user, tokens.INVITATION))
    hours = current_app.config["INVITATION_MAX_AGE"] // 3600
    mail.send(mail.compose(user.email, _l("Your account in Filmportalen"), "invitation",
                           language=user.language, user=user, link=link, hours=hours))


def send_password_reset(email):
    """Mail a reset link when an active account has ``email``; silent otherwise."""
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    if user is None or not user.active:
        return
    link = external_url("auth.reset_password", token=tokens.make_token(user, tokens.PASSWORD_RESET))
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    mail.send(mail.compose(user.email, _l("Reset your password in Filmportalen"), "password_reset",
                           language=user.language, user=user, link=link, minutes=minutes))
    audit.record("user.password_reset_requested", user, actor=user)


def set_password(user, password):
    """Set a new password and end every other session of the user."""
    user.password_hash = hash_password(password)
    user.end_all_sessions()
    audit.record("user.password_set", user, actor=user)


def check_password(user, password):
    """True when ``password`` is the active user's own (no audit row; callers write one)."""
    return bool(user.active and verify_password(user.password_hash, password or ""))


def authenticate(email, password):
    """Return the active user with these credentials, or None; audits both outcomes."""
    user = db.session.scalar(db.select(User).where(User.email == normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or not user.is_active:  # a deactivated organisation too
        audit.record("auth.login_failed", user, actor=None,
                     reason="inactive" if ok else "bad_credentials")
        return None
    user.last_login_at = utcnow()
    audit.record("auth.login", user, actor=user)
    return user


def change_roles(user, roles, actor):
    """Replace the user's roles. :raise AccountError: when none or unknown, or when an admin
    would remove their own admin role (an organisation must keep someone who can fix it)."""
    roles = set(roles)
    if not roles or roles - set(ROLES):
        raise AccountError(_("Choose at least one role."))
    if user.id == actor.id and "admin" not in roles:
        raise AccountError(_("You cannot remove your own administrator role."))
    before = list(user.roles)
    user.roles = roles
    user.end_all_sessions()
    audit.record("user.roles_changed", user, actor=actor, before=before, after=list(user.roles))


def set_active(user, active, actor):
    """Activate or deactivate; deactivation ends the user's sessions at once."""
    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."))
    user.active = active
    user.end_all_sessions()
    audit.record("user.activated" if active else "user.deactivated", user, actor=actor)


def update_organisation(organisation, name, details, actor):
    """Rename ``organisation`` and set the details printed on its certificates; audited with the
    old and new values. The caller commits. :raise AccountError: for an empty or taken name."""
    name, details = (name or "").strip()[:200], (details or "").strip()[:300]
    if not name:
        raise AccountError(_("Enter the organisation's name."))
    taken = db.session.scalar(db.select(Organisation.id).where(Organisation.name == name,
                                                               Organisation.id != organisation.id))
    if taken is not None:
        raise AccountError(_("There is already an organisation called %(name)s.", name=name))
    before = {"name": organisation.name, "details": organisation.details}
    organisation.name, organisation.details = name, details
    if before != {"name": name, "details": details}:
        audit.record("organisation.update", organisation, actor=actor, before=before,
                     after={"name": name, "details": details})


def get_or_create_organisation(name):
    """Return the organisation called ``name``, creating it when absent."""
    org = db.session.scalar(db.select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        db.session.add(org)
        db.session.flush()
    return org
