"""The program's certification rules, including their boundaries and leap days."""

from datetime import date, timedelta
from types import SimpleNamespace

from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import Group, GroupSession, Participant, User
from portal.services import consent, supervision
from portal.services.certification import (
    CERTIFIED_STAGE,
    EXPIRED,
    IN_SUPERVISION,
    IN_TRAINING,
    RECERT_DUE,
    add_years,
    readiness,
    recert_due,
    stage_of,
)
from tests.certification_fixtures import complete_group

days = st.dates(min_value=date(2000, 1, 1), max_value=date(2090, 12, 31))


def test_a_leap_day_moves_to_the_28th_in_a_common_year():
    assert add_years(date(2024, 2, 29), 3) == date(2027, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    assert add_years(date(2025, 3, 1), 3) == date(2028, 3, 1)


@given(days, st.integers(min_value=0, max_value=10))
def test_adding_years_keeps_month_and_day_where_they_exist(day, years):
    moved = add_years(day, years)
    assert moved.year == day.year + years and moved.month == day.month
    assert moved.day == day.day or (day.month, day.day, moved.day) == (2, 29, 28)
    assert 365 * years - 1 <= (moved - day).days <= 366 * years


def test_three_years_come_first_when_fewer_than_six_groups():
    certified = date(2026, 6, 1)
    groups = [date(2026, 9, 1), date(2027, 1, 10), date(2027, 8, 20), date(2028, 1, 9), date(2028, 8, 1)]
    assert recert_due(certified, groups) == date(2029, 6, 1)


def test_the_sixth_group_comes_first_before_three_years():
    certified = date(2026, 6, 1)
    groups = [date(2026, 7, 1) + timedelta(days=60 * n) for n in range(6)]
    assert recert_due(certified, groups) == groups[5]
    assert recert_due(certified, groups[:5]) == date(2029, 6, 1)


def test_three_years_come_first_even_with_a_sixth_group_later():
    certified = date(2026, 6, 1)
    groups = [date(2027, 1, 1) + timedelta(days=200 * n) for n in range(6)]
    assert groups[5] > date(2029, 6, 1)
    assert recert_due(certified, groups) == date(2029, 6, 1)


def test_groups_before_the_certification_do_not_count():
    certified = date(2026, 6, 1)
    before = [date(2025, 1, 1) + timedelta(days=30 * n) for n in range(10)]
    assert recert_due(certified, before) == date(2029, 6, 1)
    assert recert_due(certified, [certified] * 6) == certified  # a group registered that very day counts


@given(days, st.lists(days, max_size=12), st.integers(1, 5), st.integers(1, 8))
def test_recertification_is_due_at_the_earlier_of_the_two_limits(valid_from, registered, years, groups):
    due = recert_due(valid_from, registered, years, groups)
    since = sorted(d for d in registered if d >= valid_from)
    assert valid_from <= due <= add_years(valid_from, years)
    if len(since) >= groups:
        assert due == min(add_years(valid_from, years), since[groups - 1])
    else:
        assert due == add_years(valid_from, years)


def certification(status="certified", valid_until=date(2029, 6, 1)):
    return SimpleNamespace(status=status, valid_until=valid_until)


def test_stages_at_their_boundaries():
    due = date(2029, 6, 1)
    assert stage_of(None, None, date(2027, 1, 1)) == IN_TRAINING
    assert stage_of(None, None, date(2027, 1, 1), supervising=True) == IN_SUPERVISION
    assert stage_of(certification("not_yet"), None, date(2027, 1, 1), supervising=True) == IN_SUPERVISION
    assert stage_of(certification(), due, due - timedelta(days=91)) == CERTIFIED_STAGE
    assert stage_of(certification(), due, due - timedelta(days=90)) == RECERT_DUE
    assert stage_of(certification(), due, due) == RECERT_DUE
    assert stage_of(certification(), due, due + timedelta(days=1)) == EXPIRED
    # due early through six groups, but still valid in time: due, not expired
    assert stage_of(certification(), date(2027, 3, 1), date(2027, 4, 1)) == RECERT_DUE


# Readiness of a real group in the database -----------------------------------------------------

def readiness_of(app, group_id):
    with app.test_request_context(), force_locale("en"):
        return readiness(db.session.get(Group, group_id))


def test_exactly_six_participants_and_every_session_supervised_is_ready(app, factory):
    ids = complete_group(app, factory, participants=6)
    assert readiness_of(app, ids["group"]) == []


def test_five_participants_are_one_too_few(app, factory):
    ids = complete_group(app, factory, participants=5)
    assert readiness_of(app, ids["group"]) == ["5 participants with consent; at least 6 are needed."]


def test_a_withdrawn_consent_no_longer_counts(app, factory):
    ids = complete_group(app, factory, participants=6)
    with app.app_context():
        participant = db.session.scalars(db.select(Participant).where(Participant.group_id == ids["group"])).first()
        consent.withdraw_consent(participant, date(2026, 2, 1), db.session.get(User, ids["uploader"]))
        db.session.commit()
    assert readiness_of(app, ids["group"]) == ["5 participants with consent; at least 6 are needed."]


def test_a_session_not_yet_supervised_is_named(app, factory):
    ids = complete_group(app, factory, participants=6, supervised=8)
    assert readiness_of(app, ids["group"]) == ["Principsession 9 is not yet supervised."]
    with app.app_context():  # written but not marked done: still not supervised
        supervision.save(db.session.get(User, ids["supervisor"]), db.session.get(GroupSession, ids["sessions"][9]),
                         "Halvvägs.", status="in_progress")
        db.session.commit()
    assert readiness_of(app, ids["group"]) == ["Principsession 9 is not yet supervised."]


def test_a_session_without_a_ready_film_is_named(app, factory):
    ids = complete_group(app, factory, participants=7, filmed=8)
    assert readiness_of(app, ids["group"]) == ["Principsession 9 has no film ready to watch."]
