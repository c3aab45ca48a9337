"""The JSON API for what the supervision, certification and notice pages do: the same services
and the same permission checks (404 for what the caller may not know, 403 for a reader)."""

from portal.extensions import db
from portal.models import AuditEvent, Certification, GroupSession, Notification
from tests.certification_fixtures import complete_group
from tests.films import ApiClient, ready_film
from tests.group_fixtures import make_group


def test_the_supervisor_saves_then_publishes_and_the_leader_reads_it_after(app, factory):
    film = ready_film(app, factory)
    supervisor, leader = ApiClient(app, film["emails"]["supervisor"]), ApiClient(app, film["emails"]["co_leader"])
    path = f"/sessions/{film['session']}/supervision"
    saved = supervisor.call("PUT", path, json={"summary": "Bra start.", "meeting_date": "2026-01-22"})
    assert saved.status_code == 200, saved.get_json()
    assert saved.get_json() | {"published_at": None} == {
        "session_id": film["session"], "status": "in_progress", "summary": "Bra start.",
        "meeting_date": "2026-01-22", "published": False, "published_at": None, "can_edit": True}
    before = leader.call("GET", path).get_json()
    assert before["summary"] is None and before["published"] is False and before["can_edit"] is False
    assert leader.call("PUT", path, json={"summary": "x"}).status_code == 403
    assert leader.call("GET", "/notifications").get_json()["unread"] == 0
    published = supervisor.call("PUT", path, json={"summary": "Bra start.", "status": "done", "publish": True})
    assert published.get_json()["published"] is True and published.get_json()["status"] == "done"
    assert leader.call("GET", path).get_json()["summary"] == "Bra start."
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like("supervision.%"))
                                     .order_by(AuditEvent.id)).all()
        assert actions == ["supervision.update", "supervision.publish"]
    # the leader is told once, through the same notices the page shows
    notices = leader.call("GET", "/notifications").get_json()
    assert notices["unread"] == 1 and notices["notifications"][0]["read"] is False
    assert notices["notifications"][0]["link"].startswith(f"/review/sessions/{film['session']}")
    assert leader.call("POST", "/notifications/read").get_json() == {"unread": 0}
    assert leader.call("GET", "/notifications").get_json()["notifications"][0]["read"] is True


def test_bad_supervision_input_is_refused_with_the_field_and_nothing_changes(app, factory):
    film = ready_film(app, factory)
    supervisor = ApiClient(app, film["emails"]["supervisor"])
    path = f"/sessions/{film['session']}/supervision"
    assert supervisor.call("PUT", path, json={"summary": "", "publish": True}).get_json()["error"]["code"] == \
        "summary_required"
    assert supervisor.call("PUT", path, json={"summary": "x", "status": "klar"}).status_code == 422
    assert supervisor.call("PUT", path, json={"summary": 5}).get_json()["error"]["field"] == "summary"
    assert supervisor.call("PUT", path, json=[1]).status_code == 400
    with app.app_context():
        assert db.session.get(GroupSession, film["session"]).supervision is None


def test_other_people_get_404_for_a_sessions_supervision(app, factory):
    film = ready_film(app, factory)
    other = make_group(app, factory, tag="x")
    path = f"/sessions/{film['session']}/supervision"
    for email in ("sara-x@example.org", "lena-x@example.org", "admin-x@example.org"):
        client = ApiClient(app, email)
        assert client.call("GET", path).status_code == 404, email
        assert client.call("PUT", path, json={"summary": "x"}).status_code == 404, email
    assert ApiClient(app, film["emails"]["admin"]).call("GET", path).status_code == 404  # admins do not supervise
    assert other


def test_the_certification_file_names_what_does_not_count_and_the_supervisor_decides(app, factory):
    ids = complete_group(app, factory, supervised=8)
    leader = ApiClient(app, "lena-a@example.org")
    file = leader.call("GET", f"/certification/leaders/{ids['uploader']}").get_json()
    assert file["status"]["stage"] == "in_supervision" and file["name"] == "Lena a"
    sessions = file["groups"][0]["sessions"]
    assert [s["number"] for s in sessions if not s["counts"]] == [9]
    assert "9" in sessions[-1]["reasons"][0] and file["groups"][0]["reasons"]
    supervisor = ApiClient(app, "sara-a@example.org")
    path = f"/certification/groups/{ids['group']}/leaders/{ids['uploader']}/decision"
    assert leader.call("POST", path, json={"certified": True}).status_code == 404  # only the group's supervisor
    refused = supervisor.call("POST", path, json={"certified": True})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "not_ready"
    assert supervisor.call("POST", path, json={"certified": False}).status_code == 422  # motivation needed
    not_yet = supervisor.call("POST", path, json={"certified": False, "motivation": "Session 9 återstår."})
    assert not_yet.status_code == 201 and not_yet.get_json()["status"] == "not_yet"
    with app.app_context():
        assert db.session.scalars(db.select(Certification.status)).all() == ["not_yet"]
    again = leader.call("GET", f"/certification/leaders/{ids['uploader']}").get_json()
    assert again["groups"][0]["decision"]["motivation"] == "Session 9 återstår."
    outsider = make_group(app, factory, tag="b")
    assert ApiClient(app, "admin-b@example.org").call(
        "GET", f"/certification/leaders/{ids['uploader']}").status_code == 404
    assert ApiClient(app, "admin-a@example.org").call(
        "GET", f"/certification/leaders/{ids['uploader']}").status_code == 200 and outsider


def test_notifications_are_the_callers_own(app, factory):
    film = ready_film(app, factory)
    with app.app_context():
        db.session.add(Notification(user_id=film["supervisor"], kind="film_ready", link="/review/",
                                    params={"group": "G", "session": "S"}))
        db.session.commit()
    assert ApiClient(app, film["emails"]["co_leader"]).call("GET", "/notifications").get_json() == \
        {"unread": 0, "notifications": []}
    mine = ApiClient(app, film["emails"]["supervisor"]).call("GET", "/notifications").get_json()
    assert mine["unread"] == 1 and mine["notifications"][0]["kind"] == "film_ready"


def test_the_supervisor_decides_a_recertification_request_once(app, factory):
    from datetime import date, timedelta

    from portal.models.base import utcnow
    from portal.services import certification_decisions
    from tests.certification_fixtures import add_films, certify, register_groups

    ids = make_group(app, factory)
    certify(app, ids, valid_from=utcnow().date() - timedelta(days=500))
    latest = register_groups(app, ids, 1, start=date(2031, 1, 13))[0]
    with app.app_context():
        from portal.models import User

        films = sorted(add_films(latest, ids["uploader"], (2, 5, 7)).values())
        request = certification_decisions.request_recertification(db.session.get(User, ids["uploader"]), films)
        db.session.commit()
        request_id = request.id
    path = f"/certification/{request_id}/decision"
    for email in ("lena-a@example.org", "admin-a@example.org"):
        assert ApiClient(app, email).call("POST", path, json={"recertified": True}).status_code == 404, email
    supervisor = ApiClient(app, "sara-a@example.org")
    assert supervisor.call("POST", path, json={"recertified": False}).status_code == 422  # motivation needed
    decided = supervisor.call("POST", path, json={"recertified": True})
    assert decided.status_code == 200, decided.get_json()
    assert decided.get_json()["status"] == "certified" and decided.get_json()["kind"] == "recertification"
    again = supervisor.call("POST", path, json={"recertified": True})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_decided"
