"""Comments, playback URLs and positions through the JSON API: who sees what, what is refused."""

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Comment, GroupSession, Notification, Recording
from portal.models.base import utcnow
from portal.services import supervision
from tests.films import ApiClient, ready_film


@pytest.fixture
def film(app, factory):
    return ready_film(app, factory)


def as_(app, film, role):
    return ApiClient(app, film["emails"][role])


def post_comment(api, recording_id, **fields):
    body = {"t_start": 12.5, "category": "content", "body": "Bra start", **fields}
    return api.call("POST", f"/recordings/{recording_id}/comments", json=body)


def publish(app, film):
    from portal.models import User

    with app.app_context():
        supervision.save(db.session.get(User, film["supervisor"]), db.session.get(GroupSession, film["session"]),
                         "Sammanfattning", publish=True)
        db.session.commit()


def test_supervisor_adds_point_and_range_comments_listed_in_time_order(app, film):
    api = as_(app, film, "supervisor")
    rid = film["recording"]
    late = post_comment(api, rid, t_start=300, body="Senare")
    assert late.status_code == 201
    clip = post_comment(api, rid, t_start=60, t_end=95.25, category="process", body="Hela rundan")
    assert clip.status_code == 201 and clip.get_json()["t_end"] == 95.25
    listed = api.call("GET", f"/recordings/{rid}/comments").get_json()
    assert [c["body"] for c in listed["comments"]] == ["Hela rundan", "Senare"]
    assert {c["code"] for c in listed["categories"]} >= {"content", "process", "strength", "develop", "question"}
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "comment.create")) == 2


@pytest.mark.parametrize("fields, code", [
    ({"t_start": 50, "t_end": 50}, "invalid_t_end"),
    ({"t_start": 50, "t_end": 20}, "invalid_t_end"),
    ({"t_start": 601}, "invalid_t_start"),
    ({"t_start": -1}, "invalid_t_start"),
    ({"t_start": "12"}, "invalid_t_start"),
    ({"t_start": True}, "invalid_t_start"),
    ({"category": "gossip"}, "invalid_category"),
    ({"body": "   "}, "invalid_body"),
    ({"body": "x" * 5001}, "invalid_body"),
    ({"visibility": "public"}, "invalid_visibility"),
])
def test_bad_comment_fields_are_refused_with_a_reason(app, film, fields, code):
    answer = post_comment(as_(app, film, "supervisor"), film["recording"], **fields)
    assert answer.status_code == 422
    assert answer.get_json()["error"]["code"] == code
    assert answer.get_json()["error"]["message"]
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 0


def test_html_in_a_comment_is_kept_as_text(app, film):
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    api = as_(app, film, "supervisor")
    post_comment(api, film["recording"], body=evil)
    assert api.call("GET", f"/recordings/{film['recording']}/comments").get_json()["comments"][0]["body"] == evil


def test_leaders_see_shared_comments_once_feedback_is_published_and_never_private_ones(app, film):
    sup = as_(app, film, "supervisor")
    rid = film["recording"]
    post_comment(sup, rid, body="Delad")
    post_comment(sup, rid, body="Privat", visibility="private")
    leader = as_(app, film, "uploader")
    assert leader.call("GET", f"/recordings/{rid}/comments").get_json()["comments"] == []
    publish(app, film)
    bodies = [c["body"] for c in leader.call("GET", f"/recordings/{rid}/comments").get_json()["comments"]]
    assert bodies == ["Delad"]
    assert [c["body"] for c in sup.call("GET", f"/recordings/{rid}/comments").get_json()["comments"]] == [
        "Delad", "Privat"]


def test_leaders_answer_in_threads_but_do_not_start_comments(app, film, mail_server, run_jobs):
    sup = as_(app, film, "supervisor")
    rid = film["recording"]
    root = post_comment(sup, rid, t_start=40, t_end=70, body="Fråga om rundan", category="question").get_json()
    private = post_comment(sup, rid, body="Bara för handledare", visibility="private").get_json()
    publish(app, film)
    leader = as_(app, film, "co_leader")
    assert post_comment(leader, rid).status_code == 403
    hidden = leader.call("POST", f"/recordings/{rid}/comments", json={"parent_id": private["id"], "body": "?"})
    assert hidden.status_code == 404
    reply = leader.call("POST", f"/recordings/{rid}/comments", json={"parent_id": root["id"], "body": "Svar"})
    assert reply.status_code == 201
    answer = reply.get_json()
    assert (answer["parent_id"], answer["t_start"], answer["t_end"], answer["visibility"]) == (
        root["id"], 40, 70, "shared")
    # the supervisor answers the answer: it lands in the same thread
    again = sup.call("POST", f"/recordings/{rid}/comments", json={"parent_id": answer["id"], "body": "Tack"})
    assert again.get_json()["parent_id"] == root["id"]
    thread = [c for c in sup.call("GET", f"/recordings/{rid}/comments").get_json()["comments"]
              if c["id"] == root["id"]][0]
    assert [r["body"] for r in thread["replies"]] == ["Svar", "Tack"]
    with app.app_context():
        notices = db.session.scalars(db.select(Notification).where(Notification.kind == "reply")).all()
        assert {n.user_id for n in notices} == {film["supervisor"], film["co_leader"]}
    run_jobs()
    mail = mail_server.wait_for(film["emails"]["supervisor"])
    assert "svarade" in mail.get_body(("plain",)).get_content()


def test_authors_edit_and_delete_their_own_comments_only(app, factory, film):
    sup = as_(app, film, "supervisor")
    rid = film["recording"]
    comment = post_comment(sup, rid, body="Först").get_json()
    edited = sup.call("PATCH", f"/comments/{comment['id']}", json={"body": "Ändrad", "t_end": 30})
    assert edited.status_code == 200 and edited.get_json()["body"] == "Ändrad"
    assert edited.get_json()["t_end"] == 30 and edited.get_json()["updated_at"]
    publish(app, film)
    leader = as_(app, film, "uploader")
    assert leader.call("PATCH", f"/comments/{comment['id']}", json={"body": "Nej"}).status_code == 403
    assert leader.call("DELETE", f"/comments/{comment['id']}").status_code == 403
    resolved = leader.call("PATCH", f"/comments/{comment['id']}", json={"resolved": True})
    assert resolved.get_json()["resolved"] is True
    assert sup.call("DELETE", f"/comments/{comment['id']}").status_code == 204
    assert sup.call("GET", f"/recordings/{rid}/comments").get_json()["comments"] == []
    assert sup.call("PATCH", f"/comments/{comment['id']}", json={"body": "igen"}).status_code == 403


def test_a_deleted_comment_with_answers_keeps_its_thread(app, film):
    sup = as_(app, film, "supervisor")
    rid = film["recording"]
    root = post_comment(sup, rid, body="Rot").get_json()
    publish(app, film)
    leader = as_(app, film, "uploader")
    leader.call("POST", f"/recordings/{rid}/comments", json={"parent_id": root["id"], "body": "Svar"})
    sup.call("DELETE", f"/comments/{root['id']}")
    listed = sup.call("GET", f"/recordings/{rid}/comments").get_json()["comments"]
    assert listed[0]["deleted"] is True and listed[0]["body"] == ""
    assert [r["body"] for r in listed[0]["replies"]] == ["Svar"]


def test_play_gives_short_lived_urls_and_audits_each_viewing(app, film):
    app.config["MEDIA_URL_TTL"] = 45
    api = as_(app, film, "supervisor")
    rid = film["recording"]
    answer = api.call("POST", f"/recordings/{rid}/play")
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "no-store"
    data = answer.get_json()
    assert data["expires_in"] == 45 and data["video"] and data["poster"]
    assert set(data["storyboard"]["sheets"]) == {"storyboard-001.jpg"}
    api.call("POST", f"/recordings/{rid}/play", json={"renewal": True})
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.object_id == rid,
                                                                        AuditEvent.object_type == "recording")).all()
        assert actions == ["recording.play"]  # the renewal continues the viewing (tests/portal/test_playback_rights.py)
        play = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "recording.play"))
        assert play.actor_id == film["supervisor"] and play.ip == "127.0.0.1"


def test_position_is_remembered_per_user(app, film):
    rid = film["recording"]
    sup, leader = as_(app, film, "supervisor"), as_(app, film, "uploader")
    assert sup.call("PUT", f"/recordings/{rid}/position", json={"position": 321.456}).get_json() == {
        "position": 321.46}
    assert sup.call("PUT", f"/recordings/{rid}/position", json={"position": 9999}).get_json()["position"] == 600
    assert sup.call("PUT", f"/recordings/{rid}/position", json={"position": "x"}).status_code == 422
    assert sup.call("POST", f"/recordings/{rid}/play").get_json()["position"] == 600
    assert leader.call("POST", f"/recordings/{rid}/play").get_json()["position"] == 0


def test_outsiders_get_404_on_the_film_its_comments_and_its_urls(app, factory, film):
    sup = as_(app, film, "supervisor")
    rid = film["recording"]
    comment = post_comment(sup, rid).get_json()
    publish(app, film)
    other = ready_film(app, factory)  # another organisation's group
    same_org_supervisor = factory.user(("supervisor",), "ulf@example.org", film["organisation"])
    outsiders = [
        ApiClient(app, other["emails"]["uploader"]),  # a leader of another group
        ApiClient(app, other["emails"]["supervisor"]),  # a supervisor not assigned
        ApiClient(app, "ulf@example.org"),  # unassigned supervisor in the same organisation
        as_(app, film, "admin"),  # the group's own admin, not a supervisor of it
    ]
    assert same_org_supervisor
    for api in outsiders:
        assert api.call("GET", f"/recordings/{rid}/comments").status_code == 404
        assert post_comment(api, rid).status_code == 404
        assert api.call("POST", f"/recordings/{rid}/play").status_code == 404
        assert api.call("PUT", f"/recordings/{rid}/position", json={"position": 1}).status_code == 404
        assert api.call("PATCH", f"/comments/{comment['id']}", json={"resolved": True}).status_code == 404
        assert api.call("DELETE", f"/comments/{comment['id']}").status_code == 404
        assert api.client.get(f"/review/recordings/{rid}").status_code == 404


@pytest.mark.parametrize("change", ["processing", "blocked"])
def test_a_film_not_ready_or_blocked_by_a_withdrawal_is_not_playable(app, film, change):
    with app.app_context():
        recording = db.session.get(Recording, film["recording"])
        if change == "processing":
            recording.status = "processing"
        else:
            recording.group_session.playback_blocked_at = utcnow()
        db.session.commit()
    api = as_(app, film, "supervisor")
    assert api.call("POST", f"/recordings/{film['recording']}/play").status_code == 404
    assert api.call("GET", f"/recordings/{film['recording']}/comments").status_code == 404


def test_the_platform_administrator_sets_a_programs_own_categories_for_groups_that_start_later(app, film):
    """Issue 18: the program catalogue is the platform administrator's and versioned; the running
    group keeps the categories it started with, the new version has the new ones."""
    from portal.models import Group, Program, User
    from portal.services import comments as comment_service
    from tests.conftest import AuthActions, csrf_from

    with app.app_context():
        program_id = db.session.get(Group, film["group"]).program_id
        program = db.session.get(Program, program_id)
        form = {k: str(getattr(program, k)) for k in ("name", "min_participants", "group_size_min",
                                                          "group_size_max", "recert_years", "recert_groups",
                                                          "recert_films", "min_film_minutes", "session_minutes")}
        form["session_titles"] = "\n".join(program.session_titles)
        key = program.key
        admin_user = db.session.scalar(db.select(User).where(User.email == film["emails"]["admin"]))
        admin_user.roles = [*admin_user.roles, "platform_admin"]
        db.session.commit()
    admin = app.test_client()
    AuthActions(admin).login(film["emails"]["admin"])
    page = admin.get(f"/platform/programs/{program_id}").get_data(as_text=True)
    bad = admin.post(f"/platform/programs/{program_id}", data={
        **form, "csrf_token": csrf_from(page), "comment_categories": "Bad Code | x"})
    assert bad.status_code == 200 and "Rad 1" in bad.get_data(as_text=True)
    saved = admin.post(f"/platform/programs/{program_id}", data={
        **form, "csrf_token": csrf_from(page),
        "comment_categories": "alliance | Allians | #112233\nmentalizing | Mentalisering"})
    assert saved.status_code == 302
    sup = as_(app, film, "supervisor")
    categories = sup.call("GET", f"/recordings/{film['recording']}/comments").get_json()["categories"]
    assert "alliance" not in [c["code"] for c in categories]  # the running group keeps its version
    assert post_comment(sup, film["recording"], category="content").status_code == 201
    with app.app_context():
        current = db.session.scalar(db.select(Program).where(Program.key == key,
                                                             Program.superseded_at.is_(None)))
        assert current.version == 2 and current.id != program_id
        assert [c["code"] for c in comment_service.categories_for(current)] == ["alliance", "mentalizing"]
        current_id = current.id
    assert "alliance | Allians | #112233" in admin.get(f"/platform/programs/{current_id}").get_data(as_text=True)
