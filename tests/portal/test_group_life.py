"""A group's life after it is created (issue 18): edits with an audit trail of before and after,
people checked as at creation, sessions moved, added and cancelled, closing and archiving, and an
archived group read-only and out of the working lists."""

from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Group, GroupEvaluation, GroupSession, Recording, User
from portal.models.recordings import READY
from portal.services import consent, group_life, groups, leader_todo, supervision
from tests.films import ApiClient, ready_film
from tests.group_fixtures import make_group


def _get(ids, *keys):
    return [db.session.get(User, ids[k]) for k in keys]


def _audit(action):
    return db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)).all()


def test_an_admin_changes_title_people_and_supervisor_with_before_and_after_audited(app, factory):
    ids = make_group(app, factory)
    other = factory.user(("supervisor",), "sven@example.org", name="Sven")
    new_leader = factory.user(("leader",), "lisa@example.org", ids["org"], name="Lisa")
    with app.test_request_context():
        group = db.session.get(Group, ids["group"])
        admin, co_leader = _get(ids, "admin", "co_leader")
        changed = group_life.update_group(group, admin, title="Grupp ny", uploader=co_leader,
                                          co_leader=db.session.get(User, new_leader),
                                          supervisors=[db.session.get(User, other)])
        db.session.commit()
        group = db.session.get(Group, ids["group"])
        assert group.title == "Grupp ny"
        assert group.uploader.id == ids["co_leader"]
        assert {u.id for u in group.leaders} == {ids["co_leader"], new_leader}
        assert [u.id for u in group.supervisors] == [other]
        assert changed["supervisors"] == [[ids["supervisor"]], [other]]
        event = _audit("group.update")[-1]
        assert event.detail["before"]["title"] == "Grupp a" and event.detail["after"]["title"] == "Grupp ny"
        assert event.detail["before"]["uploader"] == ids["uploader"]
        assert event.detail["after"]["uploader"] == ids["co_leader"]
        # The new uploader uploads the next film; the former one no longer may.
        film_session = group.sessions[1]
        consent.confirm_attendance(film_session, [], co_leader)
        assert consent.upload_gate(co_leader, film_session) is None
        assert consent.upload_gate(db.session.get(User, ids["uploader"]), film_session) is not None


def test_people_are_checked_as_at_creation(app, factory):
    ids = make_group(app, factory)
    outsider = factory.user(("leader",), "ute@example.org", factory.organisation("Annan kommun"))
    not_supervisor = factory.user(("leader",), "inte@example.org", ids["org"])
    with app.test_request_context():
        group = db.session.get(Group, ids["group"])
        admin, = _get(ids, "admin")
        for change in ({"co_leader": db.session.get(User, outsider)},
                       {"supervisors": [db.session.get(User, not_supervisor)]},
                       {"technical_assistant": db.session.get(User, outsider)},
                       {"uploader": db.session.get(User, ids["co_leader"])}):  # the same person twice
            with pytest.raises(groups.GroupError):
                group_life.update_group(group, admin, **change)
        db.session.rollback()
        assert not _audit("group.update")


def test_a_regular_group_needs_certified_leaders_when_they_change(app, factory):
    ids = make_group(app, factory)
    newcomer = factory.user(("leader",), "ny@example.org", ids["org"])
    with app.test_request_context():
        group = db.session.get(Group, ids["group"])
        group.purpose = "regular"
        db.session.commit()
        with pytest.raises(groups.GroupError, match="certifi"):
            group_life.update_group(group, db.session.get(User, ids["admin"]),
                                    co_leader=db.session.get(User, newcomer))


def test_a_leader_changes_title_and_dates_but_not_people(app, factory):
    ids = make_group(app, factory)
    with app.test_request_context():
        group = db.session.get(Group, ids["group"])
        leader, supervisor = _get(ids, "co_leader", "supervisor")
        assert group_life.editable_fields(leader, group) == {"title", "start_date"}
        assert group_life.editable_fields(supervisor, group) == set()
        first = [s.date for s in group.sessions]
        group_life.update_group(group, leader, title="Vår grupp", start_date=group.start_date + timedelta(days=7))
        assert [s.date for s in group.sessions] == [d + timedelta(days=7) for d in first]
        with pytest.raises(groups.GroupError):
            group_life.update_group(group, leader, supervisors=[])
        # Once a session is confirmed, the start date stays; single sessions move instead.
        consent.confirm_attendance(group.sessions[1], [], leader)
        with pytest.raises(groups.GroupError, match="börjat"):
            group_life.update_group(group, leader, start_date=date(2026, 3, 2))


def test_sessions_are_added_and_cancelled_but_not_a_filmed_one(app, factory):
    ids = ready_film(app, factory)
    with app.test_request_context():
        group = db.session.get(Group, ids["group"])
        leader, = _get(ids, "uploader")
        extra = group_life.add_session(group, "Extraträff", date(2026, 4, 1), leader)
        assert extra.number == group.sessions[-2].number + 1
        group_life.cancel_session(extra, leader)
        assert extra.cancelled_at is not None
        refusal = consent.upload_gate(leader, extra)
        assert refusal.code == "not_held"
        filmed = db.session.get(GroupSession, ids["session"])
        with pytest.raises(groups.GroupError, match="film"):
            group_life.cancel_session(filmed, leader)
        db.session.commit()
        assert {e.action for e in db.session.scalars(db.select(AuditEvent))} >= {
            "group_session.add", "group_session.cancel"}


def test_a_session_cancelled_by_mistake_is_held_again_from_its_page(app, factory):
    ids = make_group(app, factory)
    with app.app_context():
        session_id = ids["sessions"][2]
    client = ApiClient(app, "lena-a@example.org")
    client.client.post(f"/groups/sessions/{session_id}/cancel", data={"csrf_token": client.token})
    page = client.client.get(f"/groups/sessions/{session_id}/confirm").get_data(as_text=True)
    assert 'id="reinstate-session"' in page and 'id="cancel-session"' not in page
    response = client.client.post(f"/groups/sessions/{session_id}/reinstate", data={"csrf_token": client.token})
    assert response.status_code == 302
    with app.app_context():
        group_session = db.session.get(GroupSession, session_id)
        assert group_session.cancelled_at is None
        assert consent.upload_gate(db.session.get(User, ids["uploader"]), group_session).code != "not_held"
        assert [e.action for e in db.session.scalars(db.select(AuditEvent).where(
            AuditEvent.action.like("group_session.%")).order_by(AuditEvent.id))] == [
            "group_session.cancel", "group_session.reinstate"]
    again = client.client.post(f"/groups/sessions/{session_id}/reinstate", data={"csrf_token": client.token},
                               follow_redirects=True)
    assert "Träffen är inte inställd." in again.get_data(as_text=True)


def test_close_needs_the_evaluation_and_archive_needs_closing(app, factory):
    ids = make_group(app, factory)
    with app.test_request_context():
        group = db.session.get(Group, ids["group"])
        admin, = _get(ids, "admin")
        with pytest.raises(groups.GroupError):
            group_life.archive_group(group, admin)
        with pytest.raises(groups.GroupError, match="utvärdering"):
            group_life.close_group(group, admin)
        groups.record_evaluation(group, date(2026, 3, 20), 7, "", admin)
        group_life.close_group(group, admin)
        group_life.archive_group(group, admin)
        db.session.commit()
        assert group.archived and group.closed_at is not None
        assert db.session.scalar(db.select(db.func.count(GroupEvaluation.id))) == 1


def test_an_archived_group_leaves_the_working_lists_and_refuses_uploads_and_edits(app, factory):
    ids = ready_film(app, factory)
    with app.test_request_context():
        group = db.session.get(Group, ids["group"])
        admin, leader, supervisor = _get(ids, "admin", "uploader", "supervisor")
        group_session = group.sessions[2]
        consent.confirm_attendance(group_session, [], leader)
        assert supervision.queue(supervisor) and groups.visible_groups(leader)
        groups.record_evaluation(group, date(2026, 3, 20), 7, "", admin)
        group_life.close_group(group, admin)
        group_life.archive_group(group, admin)
        db.session.commit()
        for user in (admin, leader, supervisor):
            assert groups.visible_groups(user) == []
            assert [g.id for g in groups.visible_groups(user, archived=True)] == [ids["group"]]
        assert groups.led_groups(leader) == [] and groups.supervised_groups(supervisor) == []
        assert supervision.queue(supervisor).items == [] and supervision.supervised_groups(supervisor) == []
        assert leader_todo.todo(leader, today=date(2026, 1, 30)) == []
        assert consent.upload_gate(leader, group_session).code == "not_held"
        assert group_life.editable_fields(admin, group) == set()
        with pytest.raises(groups.GroupError):
            group_life.update_group(group, admin, title="x")


def test_pages_an_outsider_gets_404_a_leader_of_another_group_403_or_404(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b", org_id=ids["org"])
    stranger = make_group(app, factory, tag="c")
    with app.app_context():
        session_id = ids["sessions"][1]
    urls = [("GET", f"/groups/{ids['group']}/edit"), ("POST", f"/groups/{ids['group']}/edit"),
            ("POST", f"/groups/{ids['group']}/sessions"), ("POST", f"/groups/sessions/{session_id}/cancel"),
            ("POST", f"/groups/sessions/{session_id}/reinstate"),
            ("POST", f"/groups/{ids['group']}/close"), ("POST", f"/groups/{ids['group']}/archive")]
    for email, expected in (("admin-c@example.org", 404), ("lena-b@example.org", 404),
                            ("lena-c@example.org", 404), ("sara-a@example.org", 403)):
        client = ApiClient(app, email)
        for method, url in urls:
            response = client.client.open(url, method=method, data={"csrf_token": client.token})
            assert response.status_code == expected, (email, method, url)
    assert other and stranger


def test_a_leader_edits_the_title_on_the_page_and_cannot_archive(app, factory):
    ids = make_group(app, factory)
    client = ApiClient(app, "lena-a@example.org")
    page = client.client.get(f"/groups/{ids['group']}/edit").get_data(as_text=True)
    assert 'name="title"' in page and 'name="supervisors"' not in page
    response = client.client.post(f"/groups/{ids['group']}/edit", data={
        "csrf_token": client.token, "title": "Lenas grupp", "start_date": "2026-01-12"})
    assert response.status_code == 302
    assert client.client.post(f"/groups/{ids['group']}/archive",
                              data={"csrf_token": client.token}).status_code == 403
    with app.app_context():
        assert db.session.get(Group, ids["group"]).title == "Lenas grupp"


def test_the_api_edits_a_group_adds_moves_and_cancels_sessions_and_archives(app, factory):
    ids = make_group(app, factory)
    other = factory.user(("supervisor",), "sven@example.org", name="Sven")
    outsider = factory.user(("leader",), "ute@example.org", factory.organisation("Annan kommun"))
    admin = ApiClient(app, "admin-a@example.org")
    leader = ApiClient(app, "lena-a@example.org")
    response = admin.call("PATCH", f"/groups/{ids['group']}", json={"supervisor_ids": [other], "title": "API"})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["supervisor_ids"] == [other] and response.get_json()["title"] == "API"
    assert leader.call("PATCH", f"/groups/{ids['group']}", json={"supervisor_ids": []}).status_code == 403
    assert admin.call("PATCH", f"/groups/{ids['group']}", json={"uploader_id": 99999}).status_code == 422
    foreign = (("co_leader_id", outsider), ("technical_assistant_id", outsider), ("supervisor_ids", [outsider]))
    for name, value in foreign:
        assert admin.call("PATCH", f"/groups/{ids['group']}", json={name: value}).status_code == 422, name
    added = leader.call("POST", f"/groups/{ids['group']}/sessions", json={"title": "Extra", "date": "2026-04-01"})
    assert added.status_code == 201
    moved = leader.call("PATCH", f"/sessions/{ids['sessions'][2]}", json={"date": "2026-02-03"})
    assert moved.get_json()["date"] == "2026-02-03"
    cancelled = leader.call("PATCH", f"/sessions/{added.get_json()['id']}", json={"cancelled": True})
    assert cancelled.get_json()["cancelled"] is True
    assert admin.call("POST", f"/groups/{ids['group']}/close").status_code == 422  # no evaluation yet
    with app.test_request_context():
        groups.record_evaluation(db.session.get(Group, ids["group"]), date(2026, 3, 20), 6, "",
                                 db.session.get(User, ids["admin"]))
        db.session.commit()
    assert leader.call("POST", f"/groups/{ids['group']}/close").status_code == 200
    assert leader.call("POST", f"/groups/{ids['group']}/archive").status_code == 403
    archived = admin.call("POST", f"/groups/{ids['group']}/archive")
    assert archived.status_code == 200 and archived.get_json()["archived_at"]
    assert admin.call("PATCH", f"/groups/{ids['group']}", json={"title": "x"}).status_code == 403
    assert leader.call("POST", f"/groups/{ids['group']}/participants", json={"code": "A1"}).status_code == 403
    assert admin.call("GET", "/groups").get_json()["groups"] == []
    assert [g["id"] for g in admin.call("GET", "/groups?archived=true").get_json()["groups"]] == [ids["group"]]
    assert admin.call("GET", f"/groups/{ids['group']}").status_code == 200  # still reachable


def test_the_group_page_hides_the_upload_link_where_the_gate_refuses(app, factory):
    ids = make_group(app, factory)
    with app.test_request_context():
        group = db.session.get(Group, ids["group"])
        leader, = _get(ids, "uploader")
        participant = consent.add_participant(group, "A1", leader)
        consent.give_consent(participant, date(2026, 1, 5), "paper", "v1", leader)
        consent.confirm_attendance(group.sessions[1], [participant.id], leader)
        consent.withdraw_consent(participant, date(2026, 1, 25), leader)
        db.session.commit()
        withdrawn_session, open_session = group.sessions[1].id, group.sessions[2].id
        assert consent.upload_gate(leader, group.sessions[1]) is not None
        assert not db.session.scalars(db.select(Recording).where(Recording.status == READY)).all()
    page = ApiClient(app, "lena-a@example.org").client.get(f"/groups/{ids['group']}").get_data(as_text=True)
    assert f"/sessions/{withdrawn_session}/upload" not in page
    assert f"/sessions/{open_session}/upload" in page


def test_a_leader_adds_and_cancels_a_session_on_the_pages(app, factory):
    ids = make_group(app, factory)
    client = ApiClient(app, "lena-a@example.org")
    response = client.client.post(f"/groups/{ids['group']}/sessions", data={
        "csrf_token": client.token, "title": "Extraträff", "date": "2026-03-30"}, follow_redirects=True)
    assert "Extraträff är tillagd" in response.get_data(as_text=True)
    with app.app_context():
        extra = db.session.scalar(db.select(GroupSession).where(GroupSession.title == "Extraträff"))
        assert extra.number == 10 and extra.date == date(2026, 3, 30)
    page = client.client.get(f"/groups/sessions/{extra.id}/confirm").get_data(as_text=True)
    assert 'id="cancel-session"' in page
    response = client.client.post(f"/groups/sessions/{extra.id}/cancel", data={"csrf_token": client.token},
                                  follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Extraträff är inställd" in html and 'data-film-status="cancelled"' in html
    assert f"/sessions/{extra.id}/upload" not in html
