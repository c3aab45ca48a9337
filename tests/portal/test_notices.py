"""Notices in the portal: the list, the unread count in the navigation, the choice between mail
and portal or portal only, and the daily reminder of feedback due."""

import re
from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent, GroupSession, GroupSupervisor, Notification, Recording, User
from portal.models.base import utcnow
from portal.models.supervision import DONE, SessionSupervision
from portal.services import notifications
from tests.conftest import client_as, csrf_from
from tests.films import ready_film
from tests.portal.test_review_pages import counted_queries


@pytest.fixture
def film(app, factory):
    return ready_film(app, factory)


def unread_in_nav(html):
    return int(re.search(r'data-nav="notifications" data-unread="(\d+)"', html).group(1))


def notice_ids(html):
    """(id, new) of the notices listed, in order."""
    return [(int(i), new == "true") for i, new in re.findall(r'<li id="notice-(\d+)" data-new="(\w+)">', html)]


def checked_delivery(html):
    """The value of the checked radio button of the settings form."""
    return re.search(r'<input checked id="delivery-\d"[^>]* type="radio" value="(\w+)">', html).group(1)


def mails_to(mail_server, email):
    return [m for m in mail_server.messages if m["To"] == email]


def test_no_notices_shows_an_empty_state(app, film):
    client = client_as(app, film["emails"]["uploader"])
    html = client.get("/notifications").get_data(as_text=True)
    assert "Du har inga aviseringar." in html and notice_ids(html) == []
    assert unread_in_nav(html) == 0 and 'class="unread-count"' not in html


def test_notices_are_listed_newest_first_and_read_by_viewing_them(app, film):
    with app.app_context():
        group_session = db.session.get(GroupSession, film["session"])
        leader = db.session.get(User, film["uploader"])
        first = notifications.notify(leader, notifications.FILM_READY, "/review/recordings/1",
                                     group="Grupp film0", session="Principsession 1")
        notifications.feedback_published(group_session)
        other = db.session.get(User, film["co_leader"])
        db.session.commit()
        first_id = first.id
        newest_id = db.session.scalar(db.select(db.func.max(Notification.id)).where(Notification.user_id == leader.id))
        assert notifications.unread_count(other) == 1
    client = client_as(app, film["emails"]["uploader"])
    home = client.get("/").get_data(as_text=True)
    assert unread_in_nav(home) == 2
    assert 'aria-label="Aviseringar, 2 olästa"' in home
    assert '<mark class="unread-count" aria-hidden="true">2</mark>' in home

    html = client.get("/notifications").get_data(as_text=True)
    assert notice_ids(html) == [(newest_id, True), (first_id, True)]
    assert "Återkopplingen på Principsession 1 i gruppen Grupp film0 är publicerad." in html
    assert f'href="/review/sessions/{film["session"]}"' in html
    assert unread_in_nav(html) == 0  # the list itself counts as read

    again = client.get("/notifications").get_data(as_text=True)
    assert notice_ids(again) == [(newest_id, False), (first_id, False)]
    assert unread_in_nav(client.get("/").get_data(as_text=True)) == 0
    with app.app_context():
        # the co-leader's notice is untouched
        assert notifications.unread_count(db.session.get(User, film["co_leader"])) == 1


def test_notices_follow_the_readers_language(app, film):
    with app.app_context():
        notifications.feedback_published(db.session.get(GroupSession, film["session"]))
        db.session.commit()
    client = client_as(app, film["emails"]["uploader"])
    client.post("/language", data={"lang": "en", "csrf_token": csrf_from(client.get("/").get_data(as_text=True))})
    html = client.get("/notifications").get_data(as_text=True)
    assert "Feedback on Principsession 1 in the group Grupp film0 has been published." in html


def test_a_link_outside_the_portal_is_not_shown_as_a_link(app, film):
    with app.app_context():
        db.session.add(Notification(user_id=film["uploader"], kind="film_ready", link="//evil.example/x",
                                    params={"group": "G", "session": "S"}))
        db.session.commit()
    html = client_as(app, film["emails"]["uploader"]).get("/notifications").get_data(as_text=True)
    assert "evil.example" not in html and "Filmen från S i gruppen G" in html


def test_the_unread_count_costs_one_query_per_page_and_none_for_visitors(app, client, film):
    with counted_queries(app) as statements:
        client.get("/login")
    assert not [s for s in statements if "notifications" in s]
    supervisor = client_as(app, film["emails"]["supervisor"])
    for path in ("/", "/review/", f"/review/sessions/{film['session']}", "/settings"):
        with counted_queries(app) as statements:
            assert supervisor.get(path).status_code == 200
        assert len([s for s in statements if "FROM notifications" in s]) == 1, path


def test_settings_switch_between_mail_and_portal_only(app, film, mail_server, run_jobs):
    email = film["emails"]["uploader"]
    client = client_as(app, email)
    html = client.get("/settings").get_data(as_text=True)
    assert checked_delivery(html) == "mail"
    answer = client.post("/settings", data={"csrf_token": csrf_from(html), "delivery": "portal"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/settings"
    html = client.get("/settings").get_data(as_text=True)
    assert "Dina inställningar är sparade." in html
    assert checked_delivery(html) == "portal"
    with app.app_context():
        user = db.session.get(User, film["uploader"])
        assert user.notify_by_mail is False
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.notify_by_mail")).all()
        assert [(e.actor_id, e.object_id, e.detail) for e in events] == [
            (user.id, user.id, {"notify_by_mail": False})]
        notifications.feedback_published(db.session.get(GroupSession, film["session"]))
        db.session.commit()
    run_jobs()
    assert mails_to(mail_server, email) == []  # portal only: the notice, no mail
    assert mails_to(mail_server, film["emails"]["co_leader"])
    assert unread_in_nav(client.get("/").get_data(as_text=True)) == 1

    client.post("/settings", data={"csrf_token": csrf_from(html), "delivery": "mail"})
    with app.app_context():
        assert db.session.get(User, film["uploader"]).notify_by_mail is True


def test_settings_refuse_a_bad_choice_and_a_missing_csrf_token(app, film):
    client = client_as(app, film["emails"]["supervisor"])
    html = client.get("/settings").get_data(as_text=True)
    bad = client.post("/settings", data={"csrf_token": csrf_from(html), "delivery": "pigeon"})
    assert bad.status_code == 200 and 'class="field-error"' in bad.get_data(as_text=True)
    assert client.post("/settings", data={"delivery": "portal"}).status_code == 400
    with app.app_context():
        assert db.session.get(User, film["supervisor"]).notify_by_mail is True
        assert db.session.scalar(db.select(db.func.count(AuditEvent.id))
                                 .where(AuditEvent.action == "user.notify_by_mail")) == 0


# Reminders of feedback due ------------------------------------------------------------------

SESSION_2 = date(2026, 1, 26)  # the group's next session after the film's (session 1, 2026-01-19)


def second_supervisor(app, factory, film):
    user_id = factory.user(("supervisor",), "sven@example.org", film["organisation"])
    with app.app_context():
        db.session.add(GroupSupervisor(group_id=film["group"], user_id=user_id))
        db.session.commit()
    return user_id


def reminders(app):
    with app.app_context():
        return db.session.execute(db.select(Notification.user_id, Notification.params, Notification.link)
                                  .where(Notification.kind == notifications.FEEDBACK_DUE)
                                  .order_by(Notification.user_id)).all()


def remind(app, today):
    with app.app_context():
        return notifications.remind_feedback_due(today=today, days_before=2)


def test_a_reminder_goes_to_each_supervisor_the_day_before_and_only_once(app, factory, film, mail_server,
                                                                         run_jobs):
    sven = second_supervisor(app, factory, film)
    assert remind(app, SESSION_2 - timedelta(days=5)) == 0  # not yet
    assert remind(app, SESSION_2 - timedelta(days=1)) == 2
    sent = reminders(app)
    assert [user_id for user_id, _p, _l in sent] == sorted([film["supervisor"], sven])
    assert all(p["due"] == "2026-01-26" and link == f"/review/recordings/{film['recording']}" for _u, p, link in sent)
    run_jobs()
    mail = mail_server.wait_for(film["emails"]["supervisor"])
    assert "2026-01-26" in mail.get_body(("plain",)).get_content()
    assert mail_server.wait_for("sven@example.org")

    assert remind(app, SESSION_2 - timedelta(days=1)) == 0
    assert remind(app, SESSION_2) == 0
    assert len(reminders(app)) == 2


def test_no_reminder_once_the_supervision_is_done(app, film):
    with app.app_context():
        db.session.add(SessionSupervision(group_session_id=film["session"], status=DONE, summary="klar"))
        db.session.commit()
    assert remind(app, SESSION_2 - timedelta(days=1)) == 0
    assert reminders(app) == []


def test_no_reminder_for_the_last_session(app, film):
    with app.app_context():
        last = db.session.get(GroupSession, film["sessions"][-1])
        db.session.get(Recording, film["recording"]).group_session_id = last.id
        db.session.commit()
        last_date = last.date
    for day in range(-3, 4):
        assert remind(app, last_date + timedelta(days=day)) == 0
    assert reminders(app) == []


def test_the_maintenance_sweep_sends_reminders_once_a_day(app, film):
    from workers.maintenance import REMIND_EVERY, remind_task, run_once

    with app.app_context():
        for n, session_id in enumerate(film["sessions"][2:]):  # the group meets again tomorrow
            db.session.get(GroupSession, session_id).date = utcnow().date() + timedelta(days=1 + 7 * n)
        db.session.commit()
    assert REMIND_EVERY == 24 * 3600
    assert run_once(app, "remind", REMIND_EVERY, remind_task) is True
    assert [user_id for user_id, _p, _l in reminders(app)] == [film["supervisor"]]
    assert run_once(app, "remind", REMIND_EVERY, remind_task) is False  # another worker did it today
    assert len(reminders(app)) == 1


def test_a_session_with_two_ready_films_is_reminded_once(app, film):
    from portal.models import Recording

    with app.app_context():
        first = db.session.get(Recording, film["recording"])
        db.session.add(Recording(organisation_id=first.organisation_id, group_session_id=first.group_session_id,
                                 status="ready", duration=60.0, progress=1.0, output_prefix=first.output_prefix + "2"))
        db.session.commit()
    assert remind(app, SESSION_2 - timedelta(days=1)) == 1
    assert len(reminders(app)) == 1
