"""Programs as data: the seeded three, and the session plan a program gives a group."""

from datetime import timedelta

from portal.extensions import db
from portal.models import Program

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
        rows.append(program)
    db.session.flush()
    return rows


def session_plan(start_date, titles, info_meeting=True):
    """``[(number, title, date)]``: weekly from ``start_date``; number 0 is the information
    meeting when the program has one, then 1..len(titles)."""
    plan = [(0, INFO_MEETING_TITLE)] if info_meeting else []
    plan += [(n, title) for n, title in enumerate(titles, start=1)]
    return [(number, title, start_date + timedelta(weeks=i)) for i, (number, title) in enumerate(plan)]
