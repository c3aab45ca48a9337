"""The access matrix (issue 8): every route in ``app.url_map`` that takes an object, for every
role, with another organisation's object and another group's object: each answers 404.

A role that may not enter an area at all (a leader on /admin) may get 403 instead. A new route
whose argument this file does not know fails the test, so the matrix grows with the app.
"""

from datetime import date

import pytest

from portal.extensions import db
from portal.models import (
    ApiToken,
    BoosterMeeting,
    Certification,
    Chapter,
    ChecklistItem,
    ChecklistLink,
    ChecklistMark,
    Comment,
    Consent,
    ConsentWithdrawal,
    Group,
    GroupSupervisor,
    Participant,
    Program,
    Recording,
    SourceFile,
    User,
)
from portal.models.base import utcnow
from portal.models.media import FilmSegment
from portal.models.recordings import READY
from tests.conftest import AuthActions, csrf_from
from tests.group_fixtures import make_group

# Arguments that don't name an object of an organisation, and the routes that take them.
# static files, e-mailed links, the shared programs, a certificate's public verification code
NOT_OBJECTS = {"filename", "token", "program_id", "code"}
SAMPLE = {"kind": "csv", "track": "video"}
UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}


def make_objects(app, factory, tag, org_id=None):
    """A group with a ready film, a comment, a participant, an unfinished upload, a certification
    and a booster meeting; returns ids by argument name plus the people."""
    ids = make_group(app, factory, tag=tag, org_id=org_id)
    with app.app_context():
        session_id = ids["sessions"][1]
        recording = Recording(organisation_id=ids["org"], group_session_id=session_id, status=READY, duration=60.0,
                              progress=1.0, output_prefix=f"org/{ids['org']}/recordings/{tag}/out/run1",
                              output_kind="hls", playable_seconds=60.0)
        db.session.add(recording)
        db.session.flush()
        segment = FilmSegment(recording_id=recording.id, run="run1", track="video", part=0, idx=0, duration=6.0,
                              name="video/p0000-00000.m4s", init="video/init-0000.mp4")
        source = SourceFile(recording_id=recording.id, position=1, filename="00001.MTS", size=10,
                            content_type="video/mp2t", storage_key=f"org/{ids['org']}/up/{tag}", part_size=5 * 2**20,
                            upload_id="none")
        comment = Comment(recording_id=recording.id, author_id=ids["supervisor"], t_start=1.0, category="content",
                          body="x")
        participant = Participant(group_id=ids["group"], code=f"P{tag}")
        program = db.session.scalar(db.select(Program).order_by(Program.id))
        certification = Certification(leader_id=ids["uploader"], organisation_id=ids["org"], program_id=program.id,
                                      group_id=ids["group"], status="certified", valid_from=date(2026, 3, 1),
                                      valid_until=date(2029, 3, 1))
        withdrawn = Consent(participant=participant, kind="withdrawn", on_date=date(2026, 2, 1))
        withdrawal = ConsentWithdrawal(participant=participant, consent=withdrawn, delete_after=utcnow())
        db.session.add(withdrawal)
        meeting = BoosterMeeting(organisation_id=ids["org"], held_on=date(2026, 4, 1), term="VT 2026")
        api_token, _plaintext = ApiToken.issue(db.session.get(User, ids["uploader"]), name=tag)
        item = db.session.scalar(db.select(ChecklistItem).where(ChecklistItem.program_id == program.id,
                                                                ChecklistItem.session_number == 1))
        chapter = Chapter(recording_id=recording.id, title="Start", start=0.0, created_by_id=ids["uploader"])
        mark = ChecklistMark(group_session_id=session_id, item_id=item.id, status="covered")
        link = ChecklistLink(mark=mark, recording_id=recording.id, start=1.0, end=2.0)
        db.session.add_all([source, comment, participant, certification, meeting, api_token, segment, chapter,
                            link])
        db.session.commit()
        values = {"group_id": ids["group"], "session_id": session_id, "recording_id": recording.id,
                  "comment_id": comment.id, "participant_id": participant.id, "upload_id": source.public_id,
                  "user_id": ids["uploader"], "leader_id": ids["uploader"], "certification_id": certification.id,
                  "meeting_id": meeting.id, "token_id": api_token.id, "organisation_id": ids["org"],
                  "segment_id": segment.id}
        emails = {role: db.session.get(User, ids[role]).email for role in ("admin", "uploader", "supervisor")}
        values["withdrawal_id"] = withdrawal.id
        values.update(chapter_id=chapter.id, item_id=item.id, link_id=link.id)
    return values, emails


def login(app, email):
    client = app.test_client()
    AuthActions(client).login(email)
    token = csrf_from(client.get("/").get_data(as_text=True))
    return client, token


def call(client, token, method, path):
    if method in UNSAFE:
        if path.startswith("/api/"):
            return client.open(path, method=method, json={}, headers={"X-CSRFToken": token})
        return client.open(path, method=method, data={"csrf_token": token})
    return client.open(path, method=method)


def platform_area(endpoint):
    """The platform administrator's pages and API (issue 18): closed as a whole to every other role."""
    return endpoint.startswith("platform.") or endpoint == "api.update_organisation"


def area_forbidden(endpoint, role):
    """Areas closed to a role as a whole answer 403 before any object is looked up."""
    return (endpoint.startswith("admin.") and role != "admin") or platform_area(endpoint)


def test_every_foreign_object_answers_404_for_every_role(app, factory):
    own, people = make_objects(app, factory, "a")
    with app.app_context():
        org_a = db.session.get(User, db.session.scalar(
            db.select(User.id).where(User.email == people["admin"]))).organisation_id
    other_group, _ = make_objects(app, factory, "a2", org_id=org_a)
    other_org, _ = make_objects(app, factory, "b")
    cases = [("another organisation", other_org, ("admin", "uploader", "supervisor")),
             ("another group", other_group, ("uploader", "supervisor"))]  # an admin manages every group of hers

    rules = [r for r in app.url_map.iter_rules() if r.arguments and not (r.arguments & NOT_OBJECTS)]
    unknown = {arg for r in rules for arg in r.arguments} - set(own) - set(SAMPLE)
    assert not unknown, f"teach the access matrix these route arguments: {sorted(unknown)}"
    assert len(rules) > 30

    failures, checked = [], 0
    for role in ("admin", "uploader", "supervisor"):
        client, token = login(app, people[role])
        for label, objects, roles in cases:
            if role not in roles:
                continue
            for rule in rules:
                if role == "admin" and label == "another group" or rule.endpoint.startswith("static"):
                    continue
                path = rule.build({arg: objects.get(arg, SAMPLE.get(arg)) for arg in rule.arguments},
                                  append_unknown=False)[1]
                for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                    status = call(client, token, method, path).status_code
                    checked += 1
                    allowed = {404, 403} if area_forbidden(rule.endpoint, role) else {404}
                    if status not in allowed:
                        failures.append(f"{role} {method} {path} ({label}, {rule.endpoint}): {status}")
    print(f"access matrix: {checked} foreign requests checked")
    assert checked > 100
    assert not failures, "foreign objects that did not answer 404:\n" + "\n".join(failures)


def test_writes_that_name_another_organisations_people_are_refused(app, factory):
    """Issue 17 finding 2: a group's leaders and technical assistant belong to its organisation,
    its supervisors are ones the organisation may use; an id typed into the API (or a form
    posted with a made-up choice) cannot bring in anyone else, who then could read the group."""
    own, people = make_objects(app, factory, "a")
    make_objects(app, factory, "b")
    with app.app_context():
        ids = {u.email: u.id for u in db.session.scalars(db.select(User))}
        program_id = db.session.scalar(db.select(Program.id).order_by(Program.id))
    a = {key: ids[f"{key}-a@example.org"] for key in ("admin", "lena", "leo", "sara")}
    b = {key: ids[f"{key}-b@example.org"] for key in ("admin", "lena", "leo", "sara")}
    base = {"program_id": program_id, "title": "Nya gruppen", "start_date": "2026-09-01", "purpose": "certification",
            "uploader_id": a["lena"], "co_leader_id": a["leo"]}
    foreign = [("technical_assistant_id", b["admin"]), ("technical_assistant_id", b["lena"]),
               ("uploader_id", b["lena"]), ("co_leader_id", b["leo"]), ("supervisor_ids", [b["admin"]]),
               ("supervisor_ids", [a["sara"], b["leo"]])]
    form_fields = {"technical_assistant_id": "technical_assistant", "uploader_id": "uploader",
                   "co_leader_id": "co_leader", "supervisor_ids": "supervisors"}
    failures = []
    for role in ("admin", "uploader"):
        client, token = login(app, people[role])
        for name, value in foreign:
            answer = client.post("/api/v1/groups", json={**base, name: value}, headers={"X-CSRFToken": token})
            if answer.status_code != 422:
                failures.append(f"{role} API {name}={value}: {answer.status_code}")
            form = {"csrf_token": token, "program": program_id, "title": "Nya gruppen", "start_date": "2026-09-01",
                    "purpose": "certification", "uploader": a["lena"], "co_leader": a["leo"], "technical_assistant": 0,
                    "language": "sv", form_fields[name]: value}
            answer = client.post("/groups/new", data=form)
            if answer.status_code != 200:  # refused forms are shown again, a created group redirects
                failures.append(f"{role} form {name}={value}: {answer.status_code}")
    assert not failures, "writes that brought in another organisation's people:\n" + "\n".join(failures)
    with app.app_context():
        assert "Nya gruppen" not in db.session.scalars(db.select(Group.title)).all()

    # the control: the organisation's own people and a supervisor of the program owner's pool
    client, token = login(app, people["admin"])
    answer = client.post("/api/v1/groups", json={**base, "purpose": "certification",  # Leo is not certified yet
                                                 "technical_assistant_id": a["admin"],
                                                 "supervisor_ids": [b["sara"]]}, headers={"X-CSRFToken": token})
    assert answer.status_code == 201, answer.get_json()
    outsider, _token = login(app, people["admin"].replace("-a@", "-b@"))
    assert outsider.get(f"/api/v1/groups/{answer.get_json()['id']}").status_code == 404


def test_the_platform_administrator_reaches_every_organisation_but_watches_no_film(app, factory):
    """Issue 18: the platform administrator (not assigned to any group) reaches every
    organisation's platform pages; every route that shows a film, its comments, its group or
    its people answers 404 all the same, as for any stranger."""
    foreign, _people = make_objects(app, factory, "b")
    factory.user(("platform_admin", "admin"), "maja@example.org", factory.organisation("Programägaren"))
    client, token = login(app, "maja@example.org")
    rules = [r for r in app.url_map.iter_rules() if r.arguments and not (r.arguments & NOT_OBJECTS)]
    failures, reached = [], 0
    for rule in rules:
        if rule.endpoint.startswith("static"):
            continue
        path = rule.build({arg: foreign.get(arg, SAMPLE.get(arg)) for arg in rule.arguments}, append_unknown=False)[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            status = call(client, token, method, path).status_code
            if rule.endpoint == "platform.act_for":  # acting for it is the next test's; stop at once
                assert status == 302, status
                assert call(client, token, "POST", "/platform/acting/stop").status_code == 302
            elif rule.endpoint == "platform.remove_supervisor":  # user_id is a leader: not in the pool
                assert status == 404, status
            elif platform_area(rule.endpoint):
                reached += status in (200, 302)
                if status not in (200, 302):
                    failures.append(f"{method} {path} ({rule.endpoint}): {status}, expected to reach it")
            elif status != 404:
                failures.append(f"{method} {path} ({rule.endpoint}): {status}")
    assert reached >= 3
    assert not failures, "\n".join(failures)


# Routes that show or give a film, its comments or its supervision: the group's leaders and
# supervisors only, whatever else a user may manage.
WATCHING = {"review.player", "review.session", "review.export_session", "review.export_group", "api.play",
            "api.save_position", "api.list_comments", "api.add_comment", "api.update_comment", "api.delete_comment",
            "api.get_supervision", "api.save_supervision"}


def act_for(client, token, organisation_id):
    """Start acting for an organisation through the platform's "Manage" button."""
    return client.post(f"/platform/organisations/{organisation_id}/act", data={"csrf_token": token})


def object_rules(app):
    """The routes that take an object of an organisation."""
    return [r for r in app.url_map.iter_rules()
            if r.arguments and not (r.arguments & NOT_OBJECTS) and not r.endpoint.startswith("static")]


def build(rule, objects):
    return rule.build({arg: objects.get(arg, SAMPLE.get(arg)) for arg in rule.arguments}, append_unknown=False)[1]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # permissions, not SQL: one database
def test_an_acting_platform_administrator_is_the_organisations_admin_but_watches_no_film(app, factory):
    """Issue 18: acting for an organisation, the platform administrator gets every page of it
    exactly as its own admin does (the same answer on every route, for its objects and for
    those of the platform administrator's own organisation, which are now as foreign as any),
    and still no film, comment or supervision until assigned as a supervisor."""
    foreign, people = make_objects(app, factory, "b")
    own, _own_people = make_objects(app, factory, "own")
    maja_id = factory.user(("platform_admin", "admin"), "maja@example.org", own["organisation_id"])
    maja, token = login(app, "maja@example.org")
    assert act_for(maja, token, foreign["organisation_id"]).status_code == 302
    admin_b, _admin_token = login(app, people["admin"])

    rules = [r for r in object_rules(app) if not platform_area(r.endpoint)]
    failures, compared = [], 0
    for label, objects in (("its own", foreign), ("the acting admin's own", own)):
        for rule in rules:
            if "GET" not in rule.methods:
                continue
            path = build(rule, objects)
            seen, expected = maja.get(path).status_code, admin_b.get(path).status_code
            compared += 1
            if seen != expected or (rule.endpoint in WATCHING and seen != 404):
                failures.append(f"GET {path} ({label} object, {rule.endpoint}): {seen}, its admin gets {expected}")
    assert compared > 40
    writes = [r for r in rules if r.endpoint.startswith("admin.") and r.methods & UNSAFE and "GET" not in r.methods]
    for rule in writes:  # another organisation's objects first: nothing changes
        if (status := call(maja, token, "POST", build(rule, own)).status_code) != 404:
            failures.append(f"POST {build(rule, own)} (the acting admin's own object, {rule.endpoint}): {status}")
    for rule in writes:
        if (status := call(maja, token, "POST", build(rule, foreign)).status_code) in (403, 404):
            failures.append(f"POST {build(rule, foreign)} ({rule.endpoint}): {status}, expected to reach it")
    for rule in rules:
        if rule.endpoint in WATCHING:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS", "GET"}):
                if (status := call(maja, token, method, build(rule, foreign)).status_code) != 404:
                    failures.append(f"{method} {build(rule, foreign)} ({rule.endpoint}): {status}")
    assert not failures, "the acting platform administrator differs from the organisation's admin:\n" + \
        "\n".join(failures)

    with app.app_context():  # assigned as the group's supervisor, she watches its film like any supervisor
        maja_user = db.session.get(User, maja_id)
        maja_user.roles = set(maja_user.roles) | {"supervisor"}
        db.session.add(GroupSupervisor(group_id=foreign["group_id"], user_id=maja_id))
        db.session.commit()
    maja, token = login(app, "maja@example.org")  # a role change ends the session
    assert act_for(maja, token, foreign["organisation_id"]).status_code == 302
    assert maja.get(f"/review/recordings/{foreign['recording_id']}").status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_pool_supervisor_sees_only_the_groups_assigned_to_them(app, factory):
    """Issue 18: a supervisor of the program owner's pool, assigned to one group of another
    organisation, sees that group and its film, and nothing of the other groups of that
    organisation or of any other."""
    assigned, _people = make_objects(app, factory, "b")
    sibling, _ = make_objects(app, factory, "b2", org_id=assigned["organisation_id"])
    elsewhere, _ = make_objects(app, factory, "c")
    sam = factory.user(("supervisor",), "sam@example.org", factory.organisation("Programägaren"))
    with app.app_context():
        db.session.add(GroupSupervisor(group_id=assigned["group_id"], user_id=sam))
        db.session.commit()
    client, token = login(app, "sam@example.org")
    assert client.get(f"/groups/{assigned['group_id']}").status_code == 200
    assert client.get(f"/review/recordings/{assigned['recording_id']}").status_code == 200
    assert [g["id"] for g in client.get("/api/v1/groups").get_json()["groups"]] == [assigned["group_id"]]
    listed = client.get("/groups/").get_data(as_text=True)
    assert "Grupp b<" in listed and "Grupp b2" not in listed and "Grupp c" not in listed

    failures = []
    for label, objects in (("another group of the organisation", sibling), ("another organisation", elsewhere)):
        for rule in object_rules(app):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                status = call(client, token, method, build(rule, objects)).status_code
                if status not in ({404, 403} if area_forbidden(rule.endpoint, "supervisor") else {404}):
                    failures.append(f"{method} {build(rule, objects)} ({label}, {rule.endpoint}): {status}")
    assert not failures, "\n".join(failures)
