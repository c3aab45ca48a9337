"""Programs, groups, their sessions, participants and recording consent.

A program is data (session titles, group sizes, recertification rules); a group is one round
of a program run by two leaders. Consent is kept as a history of rows, never overwritten.
"""

from portal.extensions import db
from portal.models.base import utcnow

PURPOSES = ("certification", "recertification", "regular")
UPLOADER = "uploader"
CO_LEADER = "co_leader"
LEADER_ROLES = (UPLOADER, CO_LEADER)
GIVEN = "given"
WITHDRAWN = "withdrawn"
CONSENT_METHODS = ("paper", "digital", "oral_on_film")


class Program(db.Model):
    """A group program's template: its sessions and the numbers that govern certification.

    One row per version: editing a program that groups already use adds a new version (same
    ``key``, ``version`` + 1) and marks the old one superseded, so a running group keeps the
    rules it started with (portal.services.programs.update_program)."""

    __tablename__ = "programs"

    id = db.Column(db.Integer, primary_key=True)
    key = db.Column(db.String(40), nullable=False)
    version = db.Column(db.Integer, nullable=False, default=1, server_default="1")
    superseded_at = db.Column(db.DateTime(timezone=True))
    name = db.Column(db.String(200), nullable=False)
    has_info_meeting = db.Column(db.Boolean, nullable=False, default=True)
    session_titles = db.Column(db.JSON, nullable=False, default=list)  # principle sessions 1..n
    min_participants = db.Column(db.Integer, nullable=False, default=6)
    group_size_min = db.Column(db.Integer, nullable=False, default=8)
    group_size_max = db.Column(db.Integer, nullable=False, default=16)
    recert_years = db.Column(db.Integer, nullable=False, default=3)
    recert_groups = db.Column(db.Integer, nullable=False, default=6)
    recert_films = db.Column(db.Integer, nullable=False, default=3)
    comment_categories = db.Column(db.JSON)  # [{"code", "label", "color"}]; None: the built-in set
    requires_technical_assistant = db.Column(db.Boolean, nullable=False, default=False)
    # A principle session's film shorter than this does not count towards certification.
    min_film_minutes = db.Column(db.Integer, nullable=False, default=45, server_default="45")
    # How long a session lasts, in minutes (a principle session: 2-2.5 hours with a break).
    session_minutes = db.Column(db.Integer, nullable=False, default=150, server_default="150")
    # The kinds of chapter a leader or supervisor marks in a film; None: the seeded list
    # (portal.models.review_tools.DEFAULT_CHAPTER_KINDS).
    chapter_kinds = db.Column(db.JSON)

    __table_args__ = (db.UniqueConstraint("key", "version", name="uq_programs_key_version"),)

    def __repr__(self):
        return f"<Program {self.key} v{self.version}>"


class GroupLeader(db.Model):
    """One of a group's leaders; the ``uploader`` is the one with the login for films."""

    __tablename__ = "group_leaders"

    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), primary_key=True, index=True)
    role = db.Column(db.String(20), nullable=False)

    user = db.relationship("User")

    __table_args__ = (db.CheckConstraint("role IN ('uploader', 'co_leader')", name="role"),)


class GroupSupervisor(db.Model):
    """A supervisor assigned to a group."""

    __tablename__ = "group_supervisors"

    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    user_id = db.Column(db.Integer, db.ForeignKey("users.id"), primary_key=True, index=True)

    user = db.relationship("User")


class Group(db.Model):
    """One round of a program, run by two leaders for one organisation."""

    __tablename__ = "groups"

    id = db.Column(db.Integer, primary_key=True)
    organisation_id = db.Column(db.Integer, db.ForeignKey("organisations.id"), nullable=False, index=True)
    program_id = db.Column(db.Integer, db.ForeignKey("programs.id"), nullable=False)
    title = db.Column(db.String(200), nullable=False)
    language = db.Column(db.String(40), nullable=False, default="sv")
    interpreter = db.Column(db.Boolean, nullable=False, default=False)
    start_date = db.Column(db.Date, nullable=False)
    purpose = db.Column(db.String(20), nullable=False)
    co_leader_may_upload = db.Column(db.Boolean, nullable=False, default=False)
    technical_assistant_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    closed_at = db.Column(db.DateTime(timezone=True))  # the round is over (its evaluation recorded)
    archived_at = db.Column(db.DateTime(timezone=True))  # read-only, out of the working lists

    organisation = db.relationship("Organisation")
    program = db.relationship("Program")
    technical_assistant = db.relationship("User", foreign_keys=[technical_assistant_id])
    leader_rows = db.relationship("GroupLeader", cascade="all, delete-orphan", lazy="selectin")
    supervisor_rows = db.relationship("GroupSupervisor", cascade="all, delete-orphan", lazy="selectin")
    sessions = db.relationship("GroupSession", back_populates="group", cascade="all, delete-orphan",
                               order_by="GroupSession.number")
    participants = db.relationship("Participant", back_populates="group", cascade="all, delete-orphan",
                                   order_by="Participant.code")
    evaluation = db.relationship("GroupEvaluation", uselist=False, cascade="all, delete-orphan")

    __table_args__ = (
        db.CheckConstraint("purpose IN ('certification', 'recertification', 'regular')", name="purpose"),
    )

    @property
    def leaders(self):
        """The leaders, uploader first."""
        return [r.user for r in sorted(self.leader_rows, key=lambda r: r.role != UPLOADER)]

    @property
    def uploader(self):
        """The designated uploader, or None."""
        return next((r.user for r in self.leader_rows if r.role == UPLOADER), None)

    @property
    def supervisors(self):
        """The assigned supervisors."""
        return [r.user for r in self.supervisor_rows]

    @property
    def archived(self):
        """True once the group is archived: read-only."""
        return self.archived_at is not None

    @property
    def last_session_date(self):
        """The date of the last session (the start date when there are none)."""
        return max((s.date for s in self.sessions), default=self.start_date)

    def __repr__(self):
        return f"<Group {self.id}>"


class GroupSession(db.Model):
    """One meeting of a group: 0 is the information meeting, 1..n the principle sessions."""

    __tablename__ = "group_sessions"

    id = db.Column(db.Integer, primary_key=True)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    number = db.Column(db.Integer, nullable=False)
    title = db.Column(db.String(200), nullable=False)
    date = db.Column(db.Date, nullable=False)
    playback_blocked_at = db.Column(db.DateTime(timezone=True))
    playback_blocked_reason = db.Column(db.String(40))
    cancelled_at = db.Column(db.DateTime(timezone=True))  # not held: no film is expected

    group = db.relationship("Group", back_populates="sessions")
    confirmations = db.relationship("ConsentConfirmation", back_populates="group_session",
                                    cascade="all, delete-orphan", order_by="ConsentConfirmation.id")

    __table_args__ = (db.UniqueConstraint("group_id", "number", name="uq_group_sessions_group_number"),)

    @property
    def confirmation(self):
        """The latest consent confirmation, or None."""
        return self.confirmations[-1] if self.confirmations else None

    def __repr__(self):
        return f"<GroupSession {self.id} #{self.number}>"


class Participant(db.Model):
    """A group participant, known only by a pseudonymous code unique within the group."""

    __tablename__ = "participants"

    id = db.Column(db.Integer, primary_key=True)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False,
                         index=True)
    code = db.Column(db.String(20), nullable=False)
    created_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    group = db.relationship("Group", back_populates="participants")
    consents = db.relationship("Consent", back_populates="participant", cascade="all, delete-orphan",
                               order_by="Consent.id")

    __table_args__ = (db.UniqueConstraint("group_id", "code", name="uq_participants_group_code"),)

    @property
    def latest_consent(self):
        """The newest consent row that counts (a withdrawal annulled as a mistake does not), or None."""
        return next((c for c in reversed(self.consents) if not c.annulled), None)

    @property
    def has_consent(self):
        """True when the latest consent row gives consent (none withdrawn since)."""
        latest = self.latest_consent
        return latest is not None and latest.kind == GIVEN

    def __repr__(self):
        return f"<Participant {self.id}>"


class Consent(db.Model):
    """One consent event: given (with method and text version) or withdrawn. Never updated."""

    __tablename__ = "consents"

    id = db.Column(db.Integer, primary_key=True)
    participant_id = db.Column(db.Integer, db.ForeignKey("participants.id", ondelete="CASCADE"),
                               nullable=False, index=True)
    kind = db.Column(db.String(10), nullable=False)
    on_date = db.Column(db.Date, nullable=False)
    method = db.Column(db.String(20))
    timecode = db.Column(db.String(20))
    info_version = db.Column(db.String(40))
    registered_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    registered_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    participant = db.relationship("Participant", back_populates="consents")
    registered_by = db.relationship("User")

    @property
    def annulled(self):
        """True for a withdrawal an admin annulled as registered by mistake."""
        return self.kind == WITHDRAWN and self.withdrawal is not None and self.withdrawal.annulled_at is not None

    __table_args__ = (
        db.CheckConstraint("kind IN ('given', 'withdrawn')", name="kind"),
        db.CheckConstraint("method IS NULL OR method IN ('paper', 'digital', 'oral_on_film')",
                           name="method"),
    )


class ConsentConfirmation(db.Model):
    """A leader's statement before uploading: who attended, and that all of them consented."""

    __tablename__ = "consent_confirmations"

    id = db.Column(db.Integer, primary_key=True)
    group_session_id = db.Column(db.Integer, db.ForeignKey("group_sessions.id", ondelete="CASCADE"),
                                 nullable=False, index=True)
    attending = db.Column(db.JSON, nullable=False, default=list)  # participant ids
    confirmed_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    confirmed_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    group_session = db.relationship("GroupSession", back_populates="confirmations")
    confirmed_by = db.relationship("User")


class GroupEvaluation(db.Model):
    """The end-of-round evaluation of a group."""

    __tablename__ = "group_evaluations"

    id = db.Column(db.Integer, primary_key=True)
    group_id = db.Column(db.Integer, db.ForeignKey("groups.id", ondelete="CASCADE"), nullable=False,
                         unique=True)
    done_on = db.Column(db.Date, nullable=False)
    respondents = db.Column(db.Integer, nullable=False)
    summary = db.Column(db.Text)
    recorded_by_id = db.Column(db.Integer, db.ForeignKey("users.id"))
    recorded_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
