"""Bulk actions of an admin or a leader on pasted lists: invite several people, add several
participant codes. Every line is checked first; when any line is wrong nothing is saved and each
wrong line says why, so a list is either taken whole or not at all."""

import re
from dataclasses import dataclass, field

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import User
from portal.models.users import ADMIN, LEADER, SUPERVISOR
from portal.services import accounts, audit, consent

MAX_LINES = 200
ROLE_WORDS = {
    "leader": LEADER, "gruppledare": LEADER, "ledare": LEADER, "group leader": LEADER,
    "supervisor": SUPERVISOR, "handledare": SUPERVISOR, "connecthandledare": SUPERVISOR,
    "admin": ADMIN, "administrator": ADMIN, "administratör": ADMIN,
}
FIELD_SPLIT = re.compile(r"\s*[;,\t]\s*")
ROLE_SPLIT = re.compile(r"\s*[+/&]\s*|\s+och\s+|\s+and\s+")


@dataclass
class Line:
    """One line of a pasted list: its number (from 1), its text, what it became, or why not."""

    number: int
    text: str
    value: object = None
    errors: list = field(default_factory=list)


@dataclass
class Outcome:
    """A bulk action's lines; ``done`` is True when every line was saved, False when none was."""

    lines: list
    done: bool

    @property
    def wrong(self):
        return [line for line in self.lines if line.errors]


def _lines(text):
    """The non-empty lines of ``text`` with their 1-based numbers. :raise AccountError: too many."""
    lines = [Line(n, raw.strip()) for n, raw in enumerate((text or "").splitlines(), 1) if raw.strip()]
    if len(lines) > MAX_LINES:
        raise accounts.AccountError(_("At most %(n)d lines at a time.", n=MAX_LINES))
    return lines


def parse_roles(text):
    """The roles named in ``text`` (Swedish or English, several joined by +, / or "och");
    None when a word is not a role."""
    roles = set()
    for word in ROLE_SPLIT.split((text or "").strip().lower()):
        if word not in ROLE_WORDS:
            return None
        roles.add(ROLE_WORDS[word])
    return roles


def _check_person(line, seen, allowed_roles):
    parts = FIELD_SPLIT.split(line.text)
    if len(parts) != 3:
        line.errors.append(_("Write name, e-mail address and role, separated by commas."))
        return
    name, email, role_text = parts
    email = accounts.normalise_email(email)
    roles = parse_roles(role_text)
    if not name.strip():
        line.errors.append(_("Enter the person's name."))
    if not accounts.EMAIL_RE.match(email) or len(email) > 254:
        line.errors.append(_("Enter a valid e-mail address."))
    elif email in seen:
        line.errors.append(_("The address is also on line %(n)d.", n=seen[email]))
    else:
        seen[email] = line.number
    if not roles:
        line.errors.append(_("Unknown role “%(role)s”: write gruppledare, handledare or administratör.",
                             role=role_text.strip()))
    elif not roles <= allowed_roles:
        line.errors.append(_("Only the platform administrator gives the supervisor role; supervisors belong to "
                             "the program owner's pool."))
    line.value = (name.strip()[:200], email, roles)


def invite_people(text, organisation, actor, language="sv", allowed_roles=frozenset((LEADER, ADMIN))):
    """Create a login for each line ``name, e-mail, role`` of ``text`` and audit each invitation;
    the caller commits and then mails them (``send_invitations``). Nothing is created when any
    line is wrong; ``allowed_roles`` are the roles the actor may give.
    :raise accounts.AccountError: for an empty or too long list."""
    lines = _lines(text)
    if not lines:
        raise accounts.AccountError(_("Paste at least one line: name, e-mail address, role."))
    seen = {}
    for line in lines:
        _check_person(line, seen, set(allowed_roles))
    taken = set(db.session.scalars(db.select(User.email).where(User.email.in_(list(seen)))))
    for line in lines:
        if not line.errors and line.value[1] in taken:
            line.errors.append(_("There is already an account with that e-mail address."))
    if any(line.errors for line in lines):
        return Outcome(lines, done=False)
    for line in lines:
        name, email, roles = line.value
        line.value = accounts.create_user(email, name, sorted(roles), organisation, language=language, actor=actor)
        audit.record("user.invited", line.value, actor=actor, bulk=True)
    return Outcome(lines, done=True)


def send_invitations(outcome):
    """Mail every invitation of a saved ``invite_people`` outcome (after the commit)."""
    for line in outcome.lines:
        accounts.send_invitation(line.value)


def add_participants(group, text, actor):
    """Register a participant for each code (one a line) of ``text``; the caller commits. Nothing
    is saved when a code is invalid, looks like a personal identity number or an e-mail address,
    or is already in the group or twice in the list. :raise accounts.AccountError: empty or too long."""
    lines = _lines(text)
    if not lines:
        raise accounts.AccountError(_("Paste at least one participant code."))
    existing = {p.code.lower() for p in group.participants}
    seen = {}
    for line in lines:
        try:
            code = consent.check_code(line.text)
        except consent.ConsentError as error:
            line.errors.append(error.message)
            continue
        if code.lower() in existing:
            line.errors.append(_("There is already a participant with code %(code)s.", code=code))
        elif code.lower() in seen:
            line.errors.append(_("The code is also on line %(n)d.", n=seen[code.lower()]))
        else:
            seen[code.lower()] = line.number
        line.value = code
    if any(line.errors for line in lines):
        return Outcome(lines, done=False)
    for line in lines:
        line.value = consent.add_participant(group, line.value, actor)
    return Outcome(lines, done=True)
