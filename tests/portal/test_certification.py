"""Certification in the database: decisions, the count of groups since certification, the due
date, recertification, reminders, eConnect, booster meetings and the admins' overview."""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale

from portal.errors import Refused
from portal.extensions import db
from portal.models import (
    AuditEvent,
    BoosterMeeting,
    Certification,
    Group,
    GroupEvaluation,
    Notification,
    Organisation,
    User,
)
from portal.models.base import utcnow
from portal.services import boosters, certification_decisions, certification_notices, groups, programs
from portal.services import certification as rules
from portal.services import certification_overview as overview
from tests.certification_fixtures import add_films, certify, complete_group, register_groups
from tests.group_fixtures import make_group


def today():
    return utcnow().date()


def leader_status(app, user_id, on=None):
    with app.app_context():
        return rules.status(db.session.get(User, user_id), on or today())


def notices(app, user_id):
    with app.app_context():
        return [n.kind for n in db.session.scalars(db.select(Notification).where(Notification.user_id == user_id)
                                                   .order_by(Notification.id))]


# The count of groups and the due date ----------------------------------------------------------

def test_the_sixth_group_before_three_years_makes_recertification_due(app, factory):
    ids = make_group(app, factory)
    valid_from = today() - timedelta(days=400)
    certify(app, ids, valid_from=valid_from)
    register_groups(app, ids, 5)
    five = leader_status(app, ids["uploader"])
    assert (five.stage, five.groups_since) == (rules.CERTIFIED_STAGE, 5)  # the first group does not count
    assert five.due == rules.add_years(valid_from, 3)
    register_groups(app, ids, 1)
    six = leader_status(app, ids["uploader"])
    assert (six.stage, six.groups_since, six.due) == (rules.RECERT_DUE, 6, today())
    co_leader = leader_status(app, ids["co_leader"])  # led the same groups, never certified
    assert co_leader.stage == rules.IN_SUPERVISION


def test_three_years_come_before_the_sixth_group_and_then_it_expires(app, factory):
    ids = make_group(app, factory)
    valid_from = rules.add_years(today(), -3) + timedelta(days=60)
    certify(app, ids, valid_from=valid_from)
    register_groups(app, ids, 2)
    current = leader_status(app, ids["uploader"])
    assert (current.stage, current.groups_since) == (rules.RECERT_DUE, 2)
    assert current.due == rules.add_years(valid_from, 3) == current.certification.valid_until
    assert leader_status(app, ids["uploader"], current.due).stage == rules.RECERT_DUE
    assert leader_status(app, ids["uploader"], current.due + timedelta(days=1)).stage == rules.EXPIRED


def test_a_leap_day_certification_is_valid_until_the_28th(app, factory):
    ids = make_group(app, factory)
    certify(app, ids, valid_from=date(2024, 2, 29))
    current = leader_status(app, ids["uploader"], date(2026, 1, 1))
    assert current.certification.valid_until == current.due == date(2027, 2, 28)
    assert leader_status(app, ids["uploader"], date(2027, 2, 28)).stage == rules.RECERT_DUE
    assert leader_status(app, ids["uploader"], date(2027, 3, 1)).stage == rules.EXPIRED


def test_statuses_of_the_whole_organisation_match_one_by_one(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b", org_id=ids["org"])
    certify(app, ids, valid_from=today() - timedelta(days=30))
    certify(app, other, leader="co_leader", valid_from=rules.add_years(today(), -4))  # expired
    register_groups(app, ids, 2)
    factory.user(("leader",), "new@example.org", ids["org"], name="Ny Ledare")  # no group yet
    with app.app_context():
        bulk = rules.statuses(ids["org"], today())
        assert len(bulk) == 5
        for leader, current in bulk.items():
            single = rules.status(leader, today())
            assert (current.stage, current.due, current.groups_since) == (single.stage, single.due, single.groups_since)
        stages = {leader.name: current.stage for leader, current in bulk.items()}
        assert stages == {"Lena a": rules.CERTIFIED_STAGE, "Leo a": rules.IN_SUPERVISION,
                          "Lena b": rules.IN_SUPERVISION, "Leo b": rules.EXPIRED, "Ny Ledare": rules.IN_TRAINING}
        register = [(leader.name, current.stage) for leader, current in rules.certified_register(ids["org"], today())]
        assert register == [("Lena a", rules.CERTIFIED_STAGE), ("Leo b", rules.EXPIRED)]


# Decisions ------------------------------------------------------------------------------------

def decide(app, ids, certified, motivation="", supervisor="supervisor", leader="uploader", on=None):
    with app.test_request_context(), force_locale("en"):
        row = certification_decisions.decide(
            db.session.get(User, ids[supervisor]), db.session.get(User, ids[leader]),
            db.session.get(Group, ids["group"]), certified, motivation, on or today())
        db.session.commit()
        return row.id


def test_a_supervisor_certifies_a_leader_of_a_complete_group(app, factory):
    ids = complete_group(app, factory)
    certification_id = decide(app, ids, True)
    with app.app_context():
        row = db.session.get(Certification, certification_id)
        assert (row.kind, row.status, row.decided_by_id) == ("initial", "certified", ids["supervisor"])
        assert (row.valid_from, row.valid_until) == (today(), rules.add_years(today(), 3))
        event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "certification.decide")).one()
        assert (event.actor_id, event.object_id, event.detail["status"]) == (ids["supervisor"], row.id, "certified")
    assert notices(app, ids["uploader"]) == ["certified"]
    assert leader_status(app, ids["uploader"]).stage == rules.CERTIFIED_STAGE
    with pytest.raises(Refused) as refused:  # a second click does not certify twice
        decide(app, ids, True)
    assert refused.value.code == "already_certified"


def test_an_unready_group_gets_not_yet_with_a_motivation(app, factory):
    ids = complete_group(app, factory, participants=5, supervised=8)
    with pytest.raises(Refused) as refused:
        decide(app, ids, True)
    assert refused.value.code == "not_ready" and "Principsession 9 is not yet supervised." in refused.value.message
    with pytest.raises(Refused) as refused:
        decide(app, ids, False, motivation="   ")
    assert refused.value.code == "motivation_required"
    certification_id = decide(app, ids, False, motivation="Filma de sista sessionerna.")
    with app.app_context():
        row = db.session.get(Certification, certification_id)
        assert (row.status, row.motivation, row.valid_until) == ("not_yet", "Filma de sista sessionerna.", None)
    assert notices(app, ids["uploader"]) == ["certification_not_yet"]
    assert leader_status(app, ids["uploader"]).stage == rules.IN_SUPERVISION


def test_only_a_supervisor_of_the_certification_group_decides(app, factory):
    ids = complete_group(app, factory)
    other = make_group(app, factory, tag="b")
    ids["stranger"] = other["supervisor"]
    with pytest.raises(Refused) as refused:
        decide(app, ids, True, supervisor="stranger")
    assert refused.value.status == 404
    with pytest.raises(Refused):  # someone who does not lead the group
        decide(app, {**ids, "outsider": other["uploader"]}, True, leader="outsider")
    with app.app_context():
        db.session.get(Group, ids["group"]).purpose = "regular"
        db.session.commit()
    with pytest.raises(Refused):  # a regular group is not supervised for certification
        decide(app, ids, True)


# Recertification ------------------------------------------------------------------------------

def latest_with_films(app, ids, numbers=(1, 2, 3)):
    """Register a later group for the leader and give it ready films; returns the film ids."""
    group_id = register_groups(app, ids, 1, start=date(2031, 1, 13))[0]  # after any other in the tests
    with app.app_context():
        films = add_films(group_id, ids["uploader"], numbers)
        db.session.commit()
    return group_id, list(films.values())


def request(app, ids, films):
    with app.test_request_context(), force_locale("en"):
        row = certification_decisions.request_recertification(db.session.get(User, ids["uploader"]), films)
        db.session.commit()
        return row.id


def review(app, ids, certification_id, recertify, motivation="", on=None):
    with app.test_request_context(), force_locale("en"):
        row = certification_decisions.decide_recertification(
            db.session.get(User, ids["supervisor"]), db.session.get(Certification, certification_id), recertify,
            motivation, on or today())
        db.session.commit()
        return row.status, row.valid_from, row.valid_until


def test_recertification_from_films_of_the_latest_group(app, factory):
    ids = make_group(app, factory)
    valid_from = rules.add_years(today(), -3) + timedelta(days=20)
    certify(app, ids, valid_from=valid_from)
    with pytest.raises(Refused) as refused:  # the latest group is the one the certification rests on
        request(app, ids, [1, 2, 3])
    assert refused.value.code == "no_new_group"
    group_id, films = latest_with_films(app, ids, numbers=(1, 2, 3, 4))
    for chosen in (films[:2], films[:3] + [999999], []):
        with pytest.raises(Refused) as refused:
            request(app, ids, chosen)
        assert refused.value.code == "choose_films"
    first = request(app, ids, films[:3])
    assert notices(app, ids["supervisor"]) == ["recertification_requested"]
    with pytest.raises(Refused) as refused:
        request(app, ids, films[1:])
    assert refused.value.code == "already_requested"
    with pytest.raises(Refused) as refused:
        review(app, ids, first, False)
    assert refused.value.code == "motivation_required"
    review(app, ids, first, False, "Skicka en film där hela gruppen syns.")
    assert notices(app, ids["uploader"])[-1] == "recertification_more"
    assert leader_status(app, ids["uploader"]).certification.valid_from == valid_from  # still the old one
    second = request(app, ids, films[1:])
    assert review(app, ids, second, True) == ("certified", today(), rules.add_years(today(), 3))
    with app.app_context():
        assert db.session.get(Certification, second).films == sorted(films[1:])
    renewed = leader_status(app, ids["uploader"])
    assert (renewed.certification.id, renewed.stage, renewed.groups_since) == (second, rules.CERTIFIED_STAGE, 0)
    assert notices(app, ids["uploader"])[-1] == "recertified"
    with pytest.raises(Refused) as refused:
        review(app, ids, second, True)
    assert refused.value.code == "already_decided"


def test_recertification_needs_a_certification_and_a_supervisor(app, factory):
    ids = make_group(app, factory)
    with pytest.raises(Refused) as refused:
        request(app, ids, [])
    assert refused.value.code == "not_certified"
    certify(app, ids)
    register_groups(app, ids, 1, supervised=False)
    with pytest.raises(Refused) as refused:
        request(app, ids, [])
    assert refused.value.code == "no_supervisor"


def test_a_film_deleted_after_the_request_stops_the_recertification(app, factory):
    ids = make_group(app, factory)
    certify(app, ids)
    _group_id, films = latest_with_films(app, ids)
    certification_id = request(app, ids, films)
    with app.app_context():
        from portal.models import Recording

        db.session.get(Recording, films[0]).status = "deleted"
        db.session.commit()
    with pytest.raises(Refused) as refused:
        review(app, ids, certification_id, True)
    assert refused.value.code == "not_ready"


# Reminders -------------------------------------------------------------------------------------

def remind(app, on):
    with app.app_context():
        return certification_notices.remind_recertification(on)


def test_reminders_go_out_90_and_30_days_before_once_each(app, factory):
    ids = make_group(app, factory)
    valid_from = date(2026, 6, 1)
    certify(app, ids, valid_from=valid_from)
    due = date(2029, 6, 1)
    assert remind(app, due - timedelta(days=91)) == 0
    assert remind(app, due - timedelta(days=90)) == 1
    assert remind(app, due - timedelta(days=89)) == 0
    assert remind(app, due - timedelta(days=31)) == 0
    assert remind(app, due - timedelta(days=30)) == 1
    assert remind(app, due - timedelta(days=1)) == 0
    assert notices(app, ids["uploader"]) == ["recertification_due_90", "recertification_due_30"]
    with app.app_context():
        row = db.session.scalars(db.select(Certification)).one()
        assert row.reminded_90_at is not None and row.reminded_30_at is not None


def test_a_late_first_sweep_sends_only_the_30_day_reminder(app, factory):
    ids = make_group(app, factory)
    certify(app, ids, valid_from=date(2026, 6, 1))
    assert remind(app, date(2029, 5, 20)) == 1
    assert remind(app, date(2029, 5, 21)) == 0
    assert notices(app, ids["uploader"]) == ["recertification_due_30"]
    assert remind(app, date(2029, 6, 2)) == 0  # expired: no more reminders


def test_the_sixth_group_sends_the_reminder_at_once_unless_films_are_sent(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b", org_id=ids["org"])
    for case in (ids, other):
        certify(app, case, valid_from=today() - timedelta(days=100))
        register_groups(app, case, 6)
    _group_id, films = latest_with_films(app, other)
    request(app, other, films)
    assert remind(app, today() + timedelta(days=1)) == 1  # a day late: still due, still valid
    assert notices(app, ids["uploader"]) == ["recertification_due_30"]
    assert "recertification_due_30" not in notices(app, other["uploader"])


# eConnect --------------------------------------------------------------------------------------

def test_econnect_needs_trained_leaders_and_a_technical_assistant(app, factory):
    ids = make_group(app, factory)
    assistant = factory.user(("leader",), "tekniker@example.org", ids["org"], name="Tekniker")
    with app.test_request_context(), force_locale("en"):
        econnect = next(p for p in programs.seed_programs() if p.key == "econnect")
        person = lambda key: db.session.get(User, ids[key])  # noqa: E731
        org = db.session.get(Organisation, ids["org"])

        def create(technical_assistant):
            return groups.create_group(person("admin"), org, econnect, "Digital", date(2026, 9, 1),
                                       person("uploader"), person("co_leader"), "certification",
                                       technical_assistant=technical_assistant)

        with pytest.raises(groups.GroupError, match="trained for eConnect"):
            create(db.session.get(User, assistant))
        rules.set_econnect_trained(person("uploader"), True, person("admin"))
        with pytest.raises(groups.GroupError, match="trained for eConnect"):
            create(db.session.get(User, assistant))
        rules.set_econnect_trained(person("co_leader"), True, person("admin"))
        with pytest.raises(groups.GroupError, match="technical assistant"):
            create(None)
        group = create(db.session.get(User, assistant))
        assert group.technical_assistant_id == assistant
        db.session.commit()
        trained = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.econnect_trained")).all()
        assert sorted(e.object_id for e in trained) == sorted([ids["uploader"], ids["co_leader"]])


# Booster meetings ------------------------------------------------------------------------------

def test_booster_attendance_is_recorded_for_the_organisations_leaders(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b")
    with app.test_request_context():
        admin = db.session.get(User, ids["admin"])
        spring = boosters.save_meeting(ids["org"], date(2026, 3, 10), "VT 2026", "Vårens booster", admin)
        autumn = boosters.save_meeting(ids["org"], date(2026, 10, 6), " HT 2026 ", "", admin)
        boosters.set_attendance(spring, [ids["uploader"], ids["co_leader"], other["uploader"], ids["supervisor"]],
                                admin)
        boosters.set_attendance(autumn, [ids["uploader"]], admin)
        boosters.set_attendance(spring, [ids["uploader"]], admin)  # corrected: the co-leader was not there
        db.session.commit()
        lena = db.session.get(User, ids["uploader"])
        assert [(m.term, attended) for m, attended in boosters.attendance_of(lena)] == [
            ("HT 2026", True), ("VT 2026", True)]
        leo = db.session.get(User, ids["co_leader"])
        assert [attended for _m, attended in boosters.attendance_of(leo)] == [False, False]
        assert boosters.attendance_of(db.session.get(User, other["uploader"])) == []
        with pytest.raises(Refused):
            boosters.save_meeting(ids["org"], date(2026, 11, 1), "  ", "", admin)
        boosters.delete_meeting(autumn, admin)
        db.session.commit()
        assert [m.term for m in boosters.meetings(ids["org"])] == ["VT 2026"]
        assert db.session.scalar(db.select(db.func.count()).select_from(BoosterMeeting)) == 1


# The admins' overview --------------------------------------------------------------------------

def test_the_overview_counts_groups_workload_and_recertifications(app, factory):
    day = today()
    ids = complete_group(app, factory, start=day - timedelta(weeks=20), supervised=7)  # finished, 2 films waiting
    running = make_group(app, factory, tag="b", org_id=ids["org"], start=day - timedelta(weeks=2))
    make_group(app, factory, tag="c")  # another organisation: never counted
    certify(app, ids, valid_from=rules.add_years(day, -3) + timedelta(days=40))  # due in about 40 days
    certify(app, running, valid_from=day)
    with app.app_context():
        rules_program = db.session.get(Group, ids["group"]).program
        recertified = Certification(leader_id=running["co_leader"], organisation_id=ids["org"],
                                    program_id=rules_program.id, group_id=running["group"], kind="recertification",
                                    status="certified", valid_from=day, valid_until=rules.add_years(day, 3), films=[])
        db.session.add(recertified)
        db.session.commit()
        data = overview.overview(ids["org"], day)
        counts = {stage: n for stage, _text, n in data.stages}
        assert counts == {rules.IN_TRAINING: 0, rules.IN_SUPERVISION: 1, rules.CERTIFIED_STAGE: 2,
                          rules.RECERT_DUE: 1, rules.EXPIRED: 0}
        assert [g.id for g, _last in data.running] == [running["group"]]
        assert [g.id for g, _last in data.missing] == [ids["group"]]
        waiting = {w.supervisor.id: (w.waiting, w.days(day)) for w in data.workload}
        assert waiting == {ids["supervisor"]: (2, 0), running["supervisor"]: (0, None)}
        due_month = (rules.add_years(day, -3) + timedelta(days=40) + timedelta(days=365 * 3 + 1)).strftime("%Y-%m")
        assert dict(data.due)[due_month] >= 1 and sum(n for _m, n in data.due) == 1
        assert data.done[-1] == (day.strftime("%Y-%m"), 1) and len(data.done) == 12
        db.session.add(GroupEvaluation(group_id=ids["group"], done_on=day, respondents=6))
        db.session.commit()
        assert overview.missing_evaluations(ids["org"], day) == []


def test_bars_are_scaled_to_the_largest_value():
    assert [(b.label, b.value, b.share) for b in overview.bars([("a", 2), ("b", 4), ("c", 0)])] == [
        ("a", 2, 0.5), ("b", 4, 1.0), ("c", 0, 0.0)]
    assert [b.share for b in overview.bars([("a", 0)])] == [0.0]
