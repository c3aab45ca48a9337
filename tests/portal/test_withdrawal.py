"""Consent withdrawal as a participant would expect it (issue 17): the affected films are shown
before anything changes, playback stops at once, the films are deleted after the grace period
with a receipt unless held, an admin can annul a mistaken withdrawal with a reason, a consent
given again does not unblock earlier films, and the group page shows one state per session."""

import re
from datetime import date, timedelta

import pytest
from babel.dates import format_date

from portal import permissions
from portal.errors import Refused
from portal.extensions import db
from portal.models import (
    AuditEvent,
    ConsentWithdrawal,
    GroupSession,
    Notification,
    Organisation,
    Participant,
    Recording,
    User,
)
from portal.models.base import utcnow
from portal.services import consent, retention, withdrawal
from tests.conftest import client_as, csrf_from
from tests.group_fixtures import add_participants
from tests.portal.test_retention import receipts, stored, stored_film

TODAY = date.today()


def setting(app, factory, tmp_path):
    """A film of session 1 (A1 and B2 present); session 2 attended by A1 has no film; session 3
    has a film but A1 was not there."""
    film = stored_film(app, factory, tmp_path)
    codes = add_participants(app, film["group"], film["uploader"], ["A1", "B2"], consented=["A1", "B2"])
    with app.app_context():
        uploader = db.session.get(User, film["uploader"])
        first, second, third = (db.session.get(GroupSession, film["sessions"][n]) for n in (1, 2, 3))
        consent.confirm_attendance(first, [codes["A1"], codes["B2"]], uploader)
        consent.confirm_attendance(second, [codes["A1"]], uploader)
        consent.confirm_attendance(third, [codes["B2"]], uploader)
        other = Recording(organisation_id=film["organisation"], group_session_id=third.id, status="ready")
        db.session.add(other)
        db.session.commit()
        return {**film, "codes": codes, "other": other.id}


def register(app, film, code="A1"):
    with app.app_context():
        made = withdrawal.register(db.session.get(Participant, film["codes"][code]), TODAY,
                                   db.session.get(User, film["uploader"]))
        db.session.commit()
        return made.id


def get(app, model, object_id):
    with app.app_context():
        return db.session.get(model, object_id)


def test_the_affected_films_are_shown_and_nothing_changes_before_confirming(app, factory, tmp_path):
    film = setting(app, factory, tmp_path)
    client = client_as(app, film["emails"]["uploader"])
    url = f"/groups/participants/{film['codes']['A1']}/withdraw"
    token = csrf_from(client.get(f"/groups/participants/{film['codes']['A1']}").get_data(as_text=True))

    page = client.post(url, data={"csrf_token": token, "withdraw-on_date": TODAY.isoformat()}).get_data(as_text=True)

    assert re.findall(r'data-affected-session="(\d+)"', page) == ["1"]  # not 2 (no film), not 3 (absent)
    assert "raderas med sina kommentarer efter 7 dagar" in page
    with app.app_context():
        assert db.session.get(Participant, film["codes"]["A1"]).has_consent
        assert db.session.get(GroupSession, film["session"]).playback_blocked_at is None
        assert db.session.scalars(db.select(ConsentWithdrawal)).all() == []

    confirmed = {"csrf_token": token, "withdraw-on_date": TODAY.isoformat(), "withdraw-confirmed": "1"}
    done = client.post(url, data=confirmed, follow_redirects=True).get_data(as_text=True)

    deleted_on = format_date(TODAY + timedelta(days=7), "medium", locale="sv")  # "10 dec. 2026"
    assert f"Uppspelning av 1 film är stoppad; den raderas {deleted_on}" in done
    with app.app_context():
        recording = db.session.get(Recording, film["recording"])
        assert not permissions.can_watch_recording(db.session.get(User, film["supervisor"]), recording)
        assert permissions.can_watch_recording(db.session.get(User, film["supervisor"]),
                                               db.session.get(Recording, film["other"]))
        [made] = db.session.scalars(db.select(ConsentWithdrawal)).all()
        assert [r.id for r in made.films] == [film["recording"]]
        notices = db.session.scalars(db.select(Notification).where(Notification.kind == "consent_withdrawn")).all()
        assert sorted(n.user_id for n in notices) == sorted([film["uploader"], film["co_leader"], film["admin"]])
        # notices keep the date in ISO and format it when shown
        assert {n.params["date"] for n in notices} == {(TODAY + timedelta(days=7)).isoformat()}
        event = db.session.scalars(db.select(AuditEvent)
                                   .where(AuditEvent.action == "consent.withdrawal_registered")).one()
        assert event.detail["recordings"] == [film["recording"]] and event.actor_id == film["uploader"]


def test_the_films_are_deleted_with_a_receipt_once_the_grace_period_is_over(app, factory, tmp_path):
    film = setting(app, factory, tmp_path)
    withdrawal_id = register(app, film)
    with app.app_context():
        assert withdrawal.run_due(utcnow() + timedelta(days=6))["deleted"] == 0
    assert get(app, Recording, film["recording"]).status == "ready"
    with app.app_context():
        assert withdrawal.run_due(utcnow() + timedelta(days=7, minutes=1)) == {"deleted": 1, "held": 0, "failed": 0}
        assert withdrawal.run_due(utcnow() + timedelta(days=8))["deleted"] == 0  # done once
    assert get(app, Recording, film["recording"]).status == "deleted"
    assert get(app, Recording, film["other"]).status == "ready"
    assert stored(app, film["folder"]) == ([], [])
    [receipt] = receipts(app)
    assert receipt.object_id == film["recording"] and receipt.detail["reason"] == "consent_withdrawn"
    assert get(app, ConsentWithdrawal, withdrawal_id).done_at is not None


def test_an_organisation_with_no_grace_has_the_films_deleted_by_the_next_worker_round(app, factory, tmp_path):
    from workers.maintenance import run_once, withdrawal_task

    film = setting(app, factory, tmp_path)
    with app.app_context():
        db.session.get(Organisation, film["organisation"]).withdrawal_grace_days = 0
        db.session.commit()
    register(app, film)
    assert run_once(app, "withdrawals", 60, withdrawal_task) is True
    assert get(app, Recording, film["recording"]).status == "deleted"


def test_a_legal_hold_keeps_the_film_until_it_is_lifted(app, factory, tmp_path):
    film = setting(app, factory, tmp_path)
    withdrawal_id = register(app, film)
    with app.app_context():
        retention.set_legal_hold(db.session.get(Recording, film["recording"]), db.session.get(User, film["admin"]),
                                 "Tillsynsärende")
        db.session.commit()
        assert withdrawal.run_due(utcnow() + timedelta(days=8)) == {"deleted": 0, "held": 1, "failed": 0}
        assert db.session.get(ConsentWithdrawal, withdrawal_id).done_at is None
        retention.lift_legal_hold(db.session.get(Recording, film["recording"]), db.session.get(User, film["admin"]))
        db.session.commit()
        assert withdrawal.run_due(utcnow() + timedelta(days=8))["deleted"] == 1
    assert get(app, Recording, film["recording"]).status == "deleted"


def test_an_admin_annuls_a_mistaken_withdrawal_with_a_reason(app, factory, tmp_path):
    film = setting(app, factory, tmp_path)
    withdrawal_id = register(app, film)
    client = client_as(app, film["emails"]["admin"])
    listing = client.get("/admin/withdrawals").get_data(as_text=True)
    url = f"/admin/withdrawals/{withdrawal_id}/annul"
    assert f'data-withdrawal="{withdrawal_id}"' in listing and url in listing
    token = csrf_from(client.get(url).get_data(as_text=True))
    client.post(url, data={"csrf_token": token, "reason": "  "})
    assert get(app, ConsentWithdrawal, withdrawal_id).annulled_at is None  # a reason is required

    client.post(url, data={"csrf_token": token, "reason": "Fel deltagare markerad"})

    with app.app_context():
        made = db.session.get(ConsentWithdrawal, withdrawal_id)
        assert made.annulled_at is not None and made.annulled_by_id == film["admin"]
        assert db.session.get(Participant, film["codes"]["A1"]).has_consent
        assert db.session.get(GroupSession, film["session"]).playback_blocked_at is None
        event = db.session.scalars(db.select(AuditEvent)
                                   .where(AuditEvent.action == "consent.withdrawal_annulled")).one()
        assert event.detail["reason"] == "Fel deltagare markerad" and event.actor_id == film["admin"]
        assert withdrawal.run_due(utcnow() + timedelta(days=30))["deleted"] == 0
    assert get(app, Recording, film["recording"]).status == "ready"
    stranger = client_as(app, setting(app, factory, tmp_path)["emails"]["admin"])
    assert stranger.get(url).status_code == 404


def test_no_annulment_after_the_grace_period(app, factory, tmp_path):
    film = setting(app, factory, tmp_path)
    withdrawal_id = register(app, film)
    with app.test_request_context():
        made = db.session.get(ConsentWithdrawal, withdrawal_id)
        made.delete_after = utcnow() - timedelta(minutes=1)
        db.session.commit()
        with pytest.raises(Refused) as refusal:
            withdrawal.annul(made, db.session.get(User, film["admin"]), "för sent")
        assert refusal.value.code == "grace_over"


def test_a_consent_given_again_does_not_unblock_earlier_films(app, factory, tmp_path):
    film = setting(app, factory, tmp_path)
    register(app, film)
    with app.test_request_context():
        participant = db.session.get(Participant, film["codes"]["A1"])
        consent.give_consent(participant, TODAY, "paper", "v2", db.session.get(User, film["uploader"]))
        db.session.commit()
        assert participant.has_consent
        uploader = db.session.get(User, film["uploader"])
        assert db.session.get(GroupSession, film["session"]).playback_blocked_at is not None
        gate = consent.upload_gate(uploader, db.session.get(GroupSession, film["sessions"][2]))
        assert gate is not None and gate.code == "consent_withdrawn"  # attended before the withdrawal
        later = db.session.get(GroupSession, film["sessions"][4])
        consent.confirm_attendance(later, [participant.id], uploader)
        db.session.commit()
        assert consent.upload_gate(uploader, later) is None  # filmed after the new consent


def test_the_group_page_shows_one_consent_state_per_session(app, factory, tmp_path):
    film = setting(app, factory, tmp_path)
    register(app, film)
    page = client_as(app, film["emails"]["uploader"]).get(f"/groups/{film['group']}").get_data(as_text=True)
    rows = dict(re.findall(r'<tr data-session="(\d+)">(.*?)</tr>', page, re.S))
    deleted_on = format_date(TODAY + timedelta(days=7), "medium", locale="sv")
    assert 'data-consent-state="withdrawn"' in rows["1"] and deleted_on in rows["1"]
    assert "Samtycke bekräftat" not in rows["1"]
    assert 'data-consent-state="withdrawn"' in rows["2"] and "ingen film får laddas upp" in rows["2"]
    assert "Samtycke bekräftat (1)" in rows["3"]


def test_the_api_previews_a_withdrawal_without_changing_anything(app, factory, tmp_path):
    from tests.films import ApiClient

    film = setting(app, factory, tmp_path)
    api = ApiClient(app, film["emails"]["uploader"])
    preview = api.call("GET", f"/participants/{film['codes']['A1']}/withdrawal-preview").get_json()
    assert preview == {"recording_ids": [film["recording"]], "session_ids": [film["session"]], "grace_days": 7}
    with app.app_context():
        assert db.session.get(Participant, film["codes"]["A1"]).has_consent
    answer = api.call("POST", f"/participants/{film['codes']['A1']}/withdraw", json={"date": TODAY.isoformat()})
    assert answer.get_json()["recording_ids"] == preview["recording_ids"]
    supervisor = ApiClient(app, film["emails"]["supervisor"])
    assert supervisor.call("GET", f"/participants/{film['codes']['A1']}/withdrawal-preview").status_code == 403
