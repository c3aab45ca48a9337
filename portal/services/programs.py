"""Programs as data: the seeded three, and the session plan a program gives a group."""

import re
from datetime import timedelta

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Certification, Group, Program
from portal.models.base import utcnow
from portal.services import audit, chapters, checklist

PRINCIPLES = [f"Principsession {n}" for n in range(1, 10)]
INFO_MEETING_TITLE = "Informationsträff"
_COMMON = dict(has_info_meeting=True, min_participants=6, group_size_min=8, group_size_max=16,
               recert_years=3, recert_groups=6, recert_films=3, requires_technical_assistant=False)
SEED = [
    dict(_COMMON, key="connect-parents", name="Connect för föräldrar"),
    dict(_COMMON, key="connect-foster", name="Connect för familjehem"),
    dict(_COMMON, key="econnect", name="eConnect", requires_technical_assistant=True),
]


def seed_programs():
    """Create the seeded programs that are missing (the migration does the same); returns them."""
    rows = []
    for values in SEED:
        program = db.session.scalar(db.select(Program).where(Program.key == values["key"]))
        if program is None:
            program = Program(session_titles=list(PRINCIPLES), **values)
            db.session.add(program)
            db.session.flush()
            checklist.seed_placeholders(program)
        rows.append(program)
    db.session.flush()
    return rows


def session_plan(start_date, titles, info_meeting=True):
    """``[(number, title, date)]``: weekly from ``start_date``; number 0 is the information
    meeting when the program has one, then 1..len(titles)."""
    plan = [(0, INFO_MEETING_TITLE)] if info_meeting else []
    plan += [(n, title) for n, title in enumerate(titles, start=1)]
    return [(number, title, start_date + timedelta(weeks=i)) for i, (number, title) in enumerate(plan)]


# What the platform administrator edits on a program (the key and version are the portal's).
RULES = ("name", "has_info_meeting", "session_titles", "session_minutes", "min_participants", "group_size_min",
         "group_size_max", "recert_years", "recert_groups", "recert_films", "comment_categories",
         "requires_technical_assistant", "min_film_minutes", "chapter_kinds")


class ProgramError(ValueError):
    """A refused program change: a message for the user and the field it is about."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.message = message
        self.field = field


def current_programs():
    """The program catalogue: the current version of every program, by name."""
    return db.session.scalars(db.select(Program).where(Program.superseded_at.is_(None)).order_by(Program.name)).all()


def _checked(values):
    """``values`` cleaned. :raise ProgramError: on an empty name, no sessions or a number out of range."""

    values = {key: value for key, value in values.items() if key in RULES}
    if "name" in values:
        values["name"] = (values["name"] or "").strip()[:200]
        if not values["name"]:
            raise ProgramError(_("Enter the program's name."), field="name")
    if "session_titles" in values:
        values["session_titles"] = [t.strip()[:200] for t in values["session_titles"] or [] if t and t.strip()]
        if not values["session_titles"]:
            raise ProgramError(_("Enter at least one session title."), field="session_titles")
    if "chapter_kinds" in values:
        values["chapter_kinds"] = chapters.clean_kinds(values["chapter_kinds"])
    for key in RULES:
        if key in values and key not in ("name", "session_titles", "comment_categories", "has_info_meeting",
                                         "requires_technical_assistant", "chapter_kinds"):
            value = values[key]
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 1000:
                raise ProgramError(_("Enter a whole number from 1 to 1000."), field=key)
    return values


def create_program(key, values, actor):
    """Add a program to the catalogue (version 1); audited. The caller commits.

    :raise ProgramError: on a missing or taken key, or values :func:`_checked` refuses."""
    key = (key or "").strip().lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,39}", key):
        raise ProgramError(_("Enter a short key of lower-case letters, digits and hyphens."), field="key")
    if db.session.scalar(db.select(Program.id).where(Program.key == key)) is not None:
        raise ProgramError(_("There is already a program with that key."), field="key")
    values = _checked(values)
    if "name" not in values:
        raise ProgramError(_("Enter the program's name."), field="name")
    program = Program(key=key, version=1, **{"session_titles": list(PRINCIPLES), **values})
    _check_sizes(program)
    db.session.add(program)
    db.session.flush()
    checklist.seed_placeholders(program)
    audit.record("program.create", program, actor=actor, key=key)
    return program


def _check_sizes(program):

    if (program.group_size_min or 8) > (program.group_size_max or 16):
        raise ProgramError(_("The smallest group size is larger than the largest. Swap the two numbers and save "
                             "again."), field="group_size_min")


def in_use(program):
    """True when a group or a certification refers to this version."""
    return bool(db.session.scalar(db.select(db.exists().where(Group.program_id == program.id)))
                or db.session.scalar(db.select(db.exists().where(Certification.program_id == program.id))))


def update_program(program, values, actor):
    """Change a program's rules. A version no group uses is changed in place; otherwise a new
    version is added and the old one superseded, so running groups keep the rules they started
    with. Returns the current version; audited. The caller commits.

    :raise ProgramError: for a superseded version, or values :func:`_checked` refuses."""
    if program.superseded_at is not None:
        raise ProgramError(_("This is an old version of the program: edit the current one."))
    values = _checked(values)
    changed = {key: value for key, value in values.items() if getattr(program, key) != value}
    if not changed:
        return program
    if in_use(program):
        current = Program(key=program.key, version=program.version + 1,
                          **{key: getattr(program, key) for key in RULES})
        program.superseded_at = utcnow()
        db.session.flush()  # the old version leaves the catalogue before the new one joins
    else:
        current = program
    for key, value in changed.items():
        setattr(current, key, value)
    _check_sizes(current)
    db.session.add(current)
    db.session.flush()
    if current is not program:
        checklist.copy_items(program, current)
    audit.record("program.update", current, actor=actor, version=current.version, changed=sorted(changed))
    return current


def lineage(program_id):
    """A select of the ids of every version of the program ``program_id`` is a version of."""
    key = db.select(Program.key).where(Program.id == program_id).scalar_subquery()
    return db.select(Program.id).where(Program.key == key)
