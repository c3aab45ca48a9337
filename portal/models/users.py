"""Organisations, users, their roles and personal API tokens."""

import hashlib
import secrets
from datetime import timedelta

from flask_login import UserMixin

from portal.extensions import db
from portal.models.base import utcnow

ADMIN = "admin"
SUPERVISOR = "supervisor"
LEADER = "leader"
# The program owner's method guarantor (metodgarant): organisations, the program catalogue and
# the supervisor pool, across organisations (issue 18).
PLATFORM_ADMIN = "platform_admin"
ROLES = (ADMIN, SUPERVISOR, LEADER, PLATFORM_ADMIN)


def new_security_stamp():
    """A random value whose change ends every session and token bound to the old one."""
    return secrets.token_hex(16)


class Organisation(db.Model):
    """A municipality or provider; users and groups belong to one."""

    __tablename__ = "organisations"

    id = db.Column(db.Integer, primary_key=True)
    name = db.Column(db.String(200), nullable=False, unique=True)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    # Two-factor login is required for every role; an organisation may relax it for its leaders
    # (an audited setting on the admin's policy page).
    leaders_require_2fa = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    # Retention: films are deleted this many days after the session's supervision is done or the
    # certification decision (the clock, stored once per film: portal.services.retention).
    retention_days = db.Column(db.Integer, default=90, server_default="90")
    # ... and at most this many days after upload, whatever their state.
    retention_max_days = db.Column(db.Integer, nullable=False, default=365, server_default="365")
    # Days between a withdrawal of consent and the deletion of its films; None: WITHDRAWAL_GRACE_DAYS.
    withdrawal_grace_days = db.Column(db.Integer)
    keep_originals = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    deletion_warning_days = db.Column(db.Integer, nullable=False, default=14, server_default="14")
    # The current version of the written information about filming that participants get before
    # they consent; the group consent page fills it in for the leader.
    consent_text_version = db.Column(db.String(40))
    # Printed under the name on certificates: address, organisation number or the like.
    details = db.Column(db.String(300), nullable=False, default="", server_default="")
    # A deactivated organisation's people cannot log in; its data stays (platform administrator).
    active = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())

    users = db.relationship("User", back_populates="organisation")


class UserRole(db.Model):
    """One role held by one user; a person may hold several."""

    __tablename__ = "user_roles"

    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role = db.Column(db.String(20), primary_key=True)

    __table_args__ = (db.CheckConstraint("role IN ('admin', 'supervisor', 'leader', 'platform_admin')", name="role"),)


class User(UserMixin, db.Model):
    """A person who logs in: email, name, roles, organisation, language, active flag."""

    __tablename__ = "users"

    id = db.Column(db.Integer, primary_key=True)
    email = db.Column(db.String(254), nullable=False, unique=True)
    name = db.Column(db.String(200), nullable=False)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    language = db.Column(db.String(5), nullable=False, default="sv")
    # IANA time zone the pages show times in; None: the portal's DEFAULT_TIMEZONE.
    timezone = db.Column(db.String(64))
    # The player's review settings (skip silence, skip the break, speed; issue 20); None: defaults.
    review_settings = db.Column(db.JSON)
    password_hash = db.Column(db.String(255))
    active = db.Column(db.Boolean, nullable=False, default=True)
    security_stamp = db.Column(db.String(32), nullable=False, default=new_security_stamp)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    last_login_at = db.Column(db.DateTime(timezone=True))
    notify_by_mail = db.Column(db.Boolean, nullable=False, default=True, server_default=db.true())
    econnect_trained = db.Column(db.Boolean, nullable=False, default=False, server_default=db.false())
    totp_secret = db.Column(db.String(64))  # base32; set once the user confirmed a first code
    totp_enabled_at = db.Column(db.DateTime(timezone=True))
    totp_last_step = db.Column(db.BigInteger)  # the last accepted time step: a code works once

    organisation = db.relationship("Organisation", back_populates="users")
    role_rows = db.relationship(
        "UserRole", cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self):
        """The user's roles as a sorted tuple of names."""
        return tuple(sorted(r.role for r in self.role_rows))

    @roles.setter
    def roles(self, names):
        wanted = set(names)
        unknown = wanted - set(ROLES)
        if unknown:
            raise ValueError(f"unknown role(s): {', '.join(sorted(unknown))}")
        self.role_rows = [r for r in self.role_rows if r.role in wanted] + [
            UserRole(role=name) for name in sorted(wanted - set(self.roles))
        ]

    def has_role(self, role):
        """True when the user holds ``role`` (and is active)."""
        return self.active and role in self.roles

    @property
    def is_active(self):
        return bool(self.active) and (self.organisation is None or self.organisation.active is not False)

    def get_id(self):
        """Session id: user id plus security stamp, so a new stamp ends old sessions."""
        return f"{self.id}.{self.security_stamp}"

    def end_all_sessions(self):
        """Rotate the security stamp: every session cookie of this user stops working."""
        self.security_stamp = new_security_stamp()

    @property
    def has_password(self):
        return self.password_hash is not None

    def __repr__(self):
        return f"<User {self.id}>"


class RecoveryCode(db.Model):
    """A single-use two-factor recovery code; only its hash is stored."""

    __tablename__ = "recovery_codes"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    code_hash = db.Column(db.String(64), nullable=False)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    used_at = db.Column(db.DateTime(timezone=True))


def hash_api_token(token):
    """SHA-256 of a personal API token; tokens are random, so a fast hash suffices."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A personal API token for ``Authorization: Bearer``; only its hash is stored. It works
    until it is revoked, expires, or the user's security stamp changes (password, log out
    everywhere, two-factor reset, roles, deactivation)."""

    __tablename__ = "api_tokens"

    id = db.Column(db.Integer, primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True)
    name = db.Column(db.String(100), nullable=False, default="", server_default="")
    token_hash = db.Column(db.String(64), nullable=False, unique=True)
    security_stamp = db.Column(db.String(32), nullable=False, server_default="")
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    expires_at = db.Column(db.DateTime(timezone=True), nullable=False, server_default=db.func.current_timestamp())
    last_used_at = db.Column(db.DateTime(timezone=True))
    revoked_at = db.Column(db.DateTime(timezone=True))

    user = db.relationship("User")

    @classmethod
    def issue(cls, user, name="", days=90):
        """Create a token for ``user`` valid ``days``; returns ``(row, plaintext)``, plaintext shown once."""
        plaintext = "fp_" + secrets.token_urlsafe(32)
        row = cls(user=user, name=name[:100], token_hash=hash_api_token(plaintext),
                  security_stamp=user.security_stamp, expires_at=utcnow() + timedelta(days=days))
        return row, plaintext

    def works(self, now=None):
        """True while the token is neither revoked nor expired and its user's stamp is unchanged."""
        now = now or utcnow()
        expires_at = self.expires_at if self.expires_at.tzinfo else self.expires_at.replace(tzinfo=now.tzinfo)
        return (self.revoked_at is None and expires_at > now and self.user.active
                and self.security_stamp == self.user.security_stamp)
