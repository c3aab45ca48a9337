"""Groups and consent, unit level: pseudonymous codes, session plans, the upload gate,
withdrawal blocking playback, audit rows, the program seed."""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import AuditEvent, GroupSession, Organisation, Participant, Program, User
from portal.services import consent, groups, programs
from tests.group_fixtures import add_participants, make_group


@pytest.mark.parametrize("code", ["A1", "P-07", "KL", "Åsa B", "12", "2024-3"])
def test_pseudonymous_codes_are_accepted(code):
    assert consent.check_code(f" {code} ") == code


@pytest.mark.parametrize("code", [
    "19850312-1234", "850312-1234", "8503121234", "198503121234", "850312+1234",
    "19850372-1234",  # samordningsnummer: day + 60
    "P 850312-1234", "lena@example.org", "a@b",
])
def test_identifying_codes_are_refused_with_the_reason(app, code):
    with app.test_request_context(), pytest.raises(consent.ConsentError) as error:
        consent.check_code(code)
    assert error.value.code == "identifying_code"
    expected = "e-postadress" if "@" in code else "personnummer"
    assert expected in error.value.message


def test_empty_or_long_codes_are_refused(app):
    with app.test_request_context():
        for code in ("", "   ", "x" * 21, None, 5):
            with pytest.raises(consent.ConsentError):
                consent.check_code(code)


def test_session_plan_is_weekly_with_information_meeting():
    plan = programs.session_plan(date(2026, 1, 12), ["a", "b", "c"], info_meeting=True)
    assert [(n, d.isoformat()) for n, _t, d in plan] == [
        (0, "2026-01-12"), (1, "2026-01-19"), (2, "2026-01-26"), (3, "2026-02-02")]
    assert plan[0][1] == programs.INFO_MEETING_TITLE and plan[1][1] == "a"


def test_session_plan_without_information_meeting_starts_at_one():
    plan = programs.session_plan(date(2026, 1, 12), programs.PRINCIPLES, info_meeting=False)
    assert [n for n, _t, _d in plan] == list(range(1, 10))
    assert plan[0][2] == date(2026, 1, 12) and plan[-1][2] == date(2026, 3, 9)


def test_seed_is_idempotent_and_has_the_three_programs(app):
    with app.app_context():
        programs.seed_programs()
        programs.seed_programs()
        rows = db.session.scalars(db.select(Program).order_by(Program.key)).all()
        assert [p.key for p in rows] == ["connect-foster", "connect-parents", "econnect"]
        econnect = rows[2]
        assert econnect.requires_technical_assistant and econnect.min_participants == 6
        assert (econnect.recert_years, econnect.recert_groups, econnect.recert_films) == (3, 6, 3)


def test_creating_a_group_makes_ten_sessions_and_mails_the_admins(app, factory, mail_server, run_jobs):
    ids = make_group(app, factory)
    with app.app_context():
        sessions = db.session.scalars(db.select(GroupSession).where(
            GroupSession.group_id == ids["group"]).order_by(GroupSession.number)).all()
        assert [s.number for s in sessions] == list(range(10))
        assert sessions[9].date == date(2026, 3, 16)
        group = sessions[0].group
        groups.notify_group_started(group)
    run_jobs()
    assert "admin-a@example.org" in [m["To"] for m in mail_server.messages]


def test_econnect_needs_a_technical_assistant(app, factory):
    ids = make_group(app, factory)
    with app.test_request_context():
        econnect = next(p for p in programs.seed_programs() if p.key == "econnect")
        user = lambda key: db.session.get(User, ids[key])  # noqa: E731
        with pytest.raises(groups.GroupError):
            groups.create_group(user("admin"), db.session.get(Organisation, ids["org"]), econnect,
                                "Digital", date(2026, 2, 1), user("uploader"), user("co_leader"),
                                "regular")


def test_the_service_refuses_people_of_another_organisation(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b", password=None)
    with app.test_request_context():
        program = programs.seed_programs()[0]
        organisation = db.session.get(Organisation, ids["org"])
        user = lambda key, of=ids: db.session.get(User, of[key])  # noqa: E731
        for extra in [{"technical_assistant": user("admin", other)}, {"supervisors": [user("admin", other)]}]:
            with pytest.raises(groups.GroupError):
                groups.create_group(user("admin"), organisation, program, "Blandad", date(2026, 2, 1),
                                    user("uploader"), user("co_leader"), "certification", **extra)
        with pytest.raises(groups.GroupError):
            groups.create_group(user("admin"), organisation, program, "Blandad", date(2026, 2, 1),
                                user("uploader"), user("co_leader", other), "certification")
        group = groups.create_group(user("admin"), organisation, program, "Egen", date(2026, 2, 1),
                                    user("uploader"), user("co_leader"), "certification",
                                    technical_assistant=user("admin"), supervisors=[user("supervisor", other)])
        assert group.technical_assistant_id == ids["admin"]


def gate(app, user_id, session_id):
    with app.test_request_context():
        return consent.upload_gate(db.session.get(User, user_id), db.session.get(GroupSession, session_id))


def test_upload_gate(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b")
    session_id = ids["sessions"][1]
    assert gate(app, ids["uploader"], session_id)[:2] == (409, "consent_not_confirmed")
    assert gate(app, ids["co_leader"], session_id)[:2] == (403, "not_uploader")
    assert gate(app, ids["supervisor"], session_id)[:2] == (403, "not_uploader")
    assert gate(app, other["uploader"], session_id)[:2] == (404, "not_found")
    assert gate(app, other["admin"], session_id)[:2] == (404, "not_found")
    people = add_participants(app, ids["group"], ids["uploader"], ["A1"], consented=["A1"])
    with app.test_request_context():
        consent.confirm_attendance(db.session.get(GroupSession, session_id), [people["A1"]],
                                   db.session.get(User, ids["uploader"]))
        db.session.commit()
    assert gate(app, ids["uploader"], session_id) is None


def test_co_leader_may_upload_when_the_group_allows_it(app, factory):
    ids = make_group(app, factory, co_leader_may_upload=True)
    assert gate(app, ids["co_leader"], ids["sessions"][1])[0] == 409


def test_withdrawal_blocks_the_attended_sessions_with_a_film_and_is_audited(app, factory):
    from portal.models import Recording

    ids = make_group(app, factory)
    people = add_participants(app, ids["group"], ids["uploader"], ["A1", "B2"], consented=["A1", "B2"])
    with app.test_request_context():
        leader = db.session.get(User, ids["uploader"])
        s1, s2, s3 = (db.session.get(GroupSession, i) for i in ids["sessions"][1:4])
        consent.confirm_attendance(s1, [people["A1"], people["B2"]], leader)
        consent.confirm_attendance(s2, [people["B2"]], leader)
        consent.confirm_attendance(s3, [people["A1"]], leader)
        db.session.add(Recording(organisation_id=ids["org"], group_session_id=s1.id, status="ready"))
        db.session.flush()
        blocked = consent.withdraw_consent(db.session.get(Participant, people["A1"]), date(2026, 2, 1), leader)
        db.session.commit()
        assert {s.number for s in blocked} == {1}  # session 3 has no film to block
        assert consent.session_playback_blocked(s1)
        assert not consent.session_playback_blocked(s2) and not consent.session_playback_blocked(s3)
    assert gate(app, ids["uploader"], ids["sessions"][1])[:2] == (409, "consent_withdrawn")
    assert gate(app, ids["uploader"], ids["sessions"][2]) is None
    assert gate(app, ids["uploader"], ids["sessions"][3])[:2] == (409, "consent_withdrawn")  # no upload later
    with app.test_request_context():
        pending = consent.withdrawal_actions_pending(db.session.get(Organisation, ids["org"]))
        assert {s.id for s in pending} == {ids["sessions"][1]}
        participant = db.session.get(Participant, people["A1"])
        assert [c.kind for c in participant.consents] == ["given", "withdrawn"]
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
        assert actions.count("consent.given") == 2 and actions.count("consent.confirmed") == 3
        assert actions.count("consent.withdrawn") == 1


def test_missing_evaluations_and_new_groups(app, factory):
    ids = make_group(app, factory, start=date(2025, 1, 6))
    with app.test_request_context():
        assert [g.id for g in groups.missing_evaluations(ids["org"])] == [ids["group"]]
        assert [g.id for g in groups.newly_started(ids["org"])] == [ids["group"]]
        group = groups.organisation_groups(ids["org"])[0]
        groups.record_evaluation(group, date(2025, 3, 20), 7, "Bra", db.session.get(User, ids["uploader"]))
        db.session.commit()
        assert groups.missing_evaluations(ids["org"]) == []
