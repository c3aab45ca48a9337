"""The platform administrator (metodgarant, issue 18): organisations and their first admin, the
versioned program catalogue, the supervisor pool with its workload and the audit log across
organisations; what the role may not do (watch films) and what organisation admins no longer do."""

from datetime import date, timedelta

from portal import permissions
from portal.extensions import db
from portal.models import AuditEvent, Certification, Group, Organisation, Program, Recording, User
from portal.models.recordings import READY
from portal.services import certification, groups, platform, programs
from tests.conftest import AuthActions, csrf_from
from tests.group_fixtures import make_group


def login(app, email):
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def platform_admin(app, factory, email="metodgarant@example.org"):
    """A platform administrator (and admin) of the program owner's organisation; returns (id, client)."""
    org_id = factory.organisation("Programägaren")
    user_id = factory.user(("platform_admin", "admin"), email, org_id, name="Maja Metodgarant")
    return user_id, login(app, email)


def program_form(program, **changes):
    values = {k: getattr(program, k) for k in ("name", "min_participants", "group_size_min", "group_size_max",
                                                "recert_years", "recert_groups", "recert_films", "min_film_minutes",
                                                "session_minutes")}
    values["session_titles"] = "\n".join(program.session_titles)
    if program.has_info_meeting:
        values["has_info_meeting"] = "y"
    return {**values, **changes}


def test_a_running_group_keeps_the_rules_it_started_with(app, factory):
    ids = make_group(app, factory)
    admin_id, client = platform_admin(app, factory)
    with app.app_context():
        program = db.session.get(Group, ids["group"]).program
        old_id, key = program.id, program.key
        form = program_form(program, min_participants=4, min_film_minutes=30,
                            session_titles="Första\nAndra\nTredje")
    page = client.get(f"/platform/programs/{old_id}").get_data(as_text=True)
    answer = client.post(f"/platform/programs/{old_id}", data={**form, "csrf_token": csrf_from(page)})
    assert answer.status_code == 302
    with app.app_context():
        versions = db.session.scalars(db.select(Program).where(Program.key == key).order_by(Program.version)).all()
        assert [(v.version, v.superseded_at is not None) for v in versions] == [(1, True), (2, False)]
        old, new = versions
        group = db.session.get(Group, ids["group"])
        assert group.program_id == old.id  # the running group keeps version 1
        assert (group.program.min_participants, group.program.min_film_minutes) == (6, 45)
        assert len(group.sessions) == 10
        assert (new.min_participants, new.min_film_minutes, new.session_titles) == (4, 30, ["Första", "Andra",
                                                                                          "Tredje"])
        assert old.id not in [p.id for p in programs.current_programs()] and new in programs.current_programs()
        # a group started now gets the new version, with its three sessions after the information meeting
        admin = db.session.get(User, ids["admin"])
        later = groups.create_group(admin, admin.organisation, new, "Senare", date(2026, 9, 1),
                                    db.session.get(User, ids["uploader"]), db.session.get(User, ids["co_leader"]),
                                    "certification")
        assert later.program_id == new.id and [s.number for s in later.sessions] == [0, 1, 2, 3]
        # an old version is not edited, and the audit names the version
        try:
            programs.update_program(old, {"min_participants": 3}, admin)
        except programs.ProgramError:
            pass
        else:
            raise AssertionError("an old version was edited")
        event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "program.update")).one()
        assert event.detail["version"] == 2 and event.actor_id == admin_id


def test_a_program_no_group_uses_is_edited_in_place_and_a_new_one_is_created(app, factory):
    _admin_id, client = platform_admin(app, factory)
    page = client.get("/platform/programs/new").get_data(as_text=True)
    form = {"key": "barngrupp", "name": "Barngrupp", "session_titles": "Träff 1\nTräff 2", "session_minutes": 90,
            "min_participants": 4, "group_size_min": 5, "group_size_max": 8, "recert_years": 2, "recert_groups": 4,
            "recert_films": 2, "min_film_minutes": 30, "csrf_token": csrf_from(page)}
    assert client.post("/platform/programs/new", data={**form, "key": "Bad Key"}).status_code == 200
    assert client.post("/platform/programs/new", data=form).status_code == 302
    assert client.post("/platform/programs/new", data=form).status_code == 200  # the key is taken
    with app.app_context():
        program = db.session.scalars(db.select(Program).where(Program.key == "barngrupp")).one()
        assert (program.version, program.session_minutes, program.has_info_meeting) == (1, 90, False)
        program_id = program.id
    answer = client.post(f"/platform/programs/{program_id}", data={**form, "key": None, "recert_films": 3})
    assert answer.status_code == 302
    with app.app_context():
        program = db.session.scalars(db.select(Program).where(Program.key == "barngrupp")).one()
        assert (program.id, program.version, program.recert_films) == (program_id, 1, 3)
    assert "Barngrupp" in client.get("/platform/programs").get_data(as_text=True)


def test_a_certification_in_an_older_version_still_counts(app, factory):
    ids = make_group(app, factory)
    with app.app_context():
        leader = db.session.get(User, ids["uploader"])
        old = db.session.get(Group, ids["group"]).program
        db.session.add(Certification(leader_id=leader.id, organisation_id=ids["org"], program_id=old.id,
                                     group_id=ids["group"], status="certified", valid_from=date(2026, 3, 1),
                                     valid_until=date(2099, 3, 1)))
        new = programs.update_program(old, {"recert_films": 2}, db.session.get(User, ids["admin"]))
        db.session.commit()
        assert new.id != old.id
        assert certification.latest_certification(leader, new.id) is not None
        groups.check_certified(new, "regular", [leader])  # no refusal


def test_the_platform_administrator_creates_an_organisation_and_invites_its_admin(app, factory, mail_server,
                                                                                 run_jobs):
    _admin_id, client = platform_admin(app, factory)
    page = client.get("/platform/organisations").get_data(as_text=True)
    data = {"name": "Malmö stad", "admin_name": "Anna Admin", "admin_email": "anna@malmo.example.org",
            "csrf_token": csrf_from(page)}
    answer = client.post("/platform/organisations", data=data)
    assert answer.status_code == 302
    assert client.post("/platform/organisations", data=data).status_code == 200  # the name is taken
    run_jobs()
    assert "anna@malmo.example.org" in [m["To"] for m in mail_server.messages]
    with app.app_context():
        org = db.session.scalars(db.select(Organisation).where(Organisation.name == "Malmö stad")).one()
        anna = db.session.scalars(db.select(User).where(User.email == "anna@malmo.example.org")).one()
        assert (anna.organisation_id, anna.roles, anna.has_password) == (org.id, ("admin",), False)
        org_id = org.id
    page = client.get(f"/platform/organisations/{org_id}").get_data(as_text=True)
    assert "Anna Admin" in page
    answer = client.post(f"/platform/organisations/{org_id}/rename",
                         data={"name": "Malmö kommun", "details": "Box 1", "csrf_token": csrf_from(page)})
    assert answer.status_code == 302
    with app.app_context():
        assert db.session.get(Organisation, org_id).name == "Malmö kommun"


def test_a_deactivated_organisations_people_cannot_log_in(app, factory):
    ids = make_group(app, factory, tag="b")
    _admin_id, client = platform_admin(app, factory)
    leader = login(app, "lena-b@example.org")
    assert leader.get("/groups/").status_code == 200
    page = client.get(f"/platform/organisations/{ids['org']}").get_data(as_text=True)
    assert client.post(f"/platform/organisations/{ids['org']}/active",
                       data={"csrf_token": csrf_from(page)}).status_code == 302
    assert leader.get("/groups/").status_code == 302  # the session ended
    fresh = app.test_client()
    assert AuthActions(fresh).login("lena-b@example.org").status_code == 200  # refused, the form again
    assert client.post(f"/platform/organisations/{ids['org']}/active",
                       data={"csrf_token": csrf_from(page)}).status_code == 302
    assert AuthActions(app.test_client()).login("lena-b@example.org").status_code == 302


def test_the_pool_its_workload_and_the_group_form_suggests_the_least_loaded(app, factory):
    ids = make_group(app, factory)  # sara-a supervises Grupp a
    admin_id, client = platform_admin(app, factory)
    with app.app_context():
        owner = db.session.get(User, admin_id).organisation_id
    idle = factory.user(("supervisor",), "ida@example.org", owner, name="Ida Idle")
    with app.app_context():
        session_id = ids["sessions"][1]
        db.session.add(Recording(organisation_id=ids["org"], group_session_id=session_id, status=READY,
                                 duration=60.0, progress=1.0, output_prefix="org/x/out"))
        db.session.get(Group, ids["group"]).sessions[2].date = date.today() + timedelta(days=3)
        db.session.commit()
        loads = {w.supervisor.email: (w.films_waiting, w.due_this_week, w.groups) for w in platform.workloads()}
        assert loads == {"sara-a@example.org": (1, 1, 1), "ida@example.org": (0, 0, 0)}
        assert platform.least_loaded().id == idle
        other_org_supervisor = db.session.get(User, ids["supervisor"])
        assert groups.may_supervise_for(other_org_supervisor, db.session.get(User, admin_id).organisation)
    page = client.get("/platform/supervisors").get_data(as_text=True)
    assert 'data-supervisor="%d"' % idle in page and 'data-waiting="1"' in page
    leader = login(app, "lena-a@example.org")
    form = leader.get("/groups/new").get_data(as_text=True)
    assert f'data-suggested="{idle}"' in form and "Ida Idle (0 filmer väntar, 0 grupper)" in form
    assert form.index("Ida Idle (") < form.index("Sara a (1 film väntar, 1 grupp)")

    # out of the pool: no longer offered, nor accepted
    answer = client.post(f"/platform/supervisors/{idle}/remove", data={"csrf_token": csrf_from(page)})
    assert answer.status_code == 302  # her only role: refused with a message
    leader_id = factory.user(("leader", "supervisor"), "liv@example.org", ids["org"], name="Liv")
    assert client.post(f"/platform/supervisors/{leader_id}/remove",
                       data={"csrf_token": csrf_from(page)}).status_code == 302
    with app.app_context():
        assert db.session.get(User, idle).roles == ("supervisor",)
        liv = db.session.get(User, leader_id)
        assert liv.roles == ("leader",) and not groups.may_supervise_for(liv, liv.organisation)
    # invite a new one, add an existing login
    client = login(app, "metodgarant@example.org")
    page = client.get("/platform/supervisors").get_data(as_text=True)
    token = csrf_from(page)
    assert client.post("/platform/supervisors", data={"invite-name": "Nils Ny", "invite-email": "nils@example.org",
                                                      "invite-csrf_token": token}).status_code == 302
    assert client.post("/platform/supervisors", data={"add-email": "liv@example.org",
                                                      "add-csrf_token": token}).status_code == 302
    with app.app_context():
        nils = db.session.scalars(db.select(User).where(User.email == "nils@example.org")).one()
        assert (nils.roles, nils.organisation_id) == (("supervisor",), owner)
        assert db.session.get(User, leader_id).roles == ("leader", "supervisor")


def test_the_audit_log_across_organisations_has_an_organisation_filter(app, factory):
    a = make_group(app, factory, tag="a")
    b = make_group(app, factory, tag="b")
    _admin_id, client = platform_admin(app, factory)
    every = client.get("/platform/audit").get_data(as_text=True)
    assert "Kommun a" in every and "Kommun b" in every
    only_b = client.get(f"/platform/audit?organisation={b['org']}").get_data(as_text=True)
    assert "<td>Kommun b</td>" in only_b and "<td>Kommun a</td>" not in only_b
    assert a["org"] != b["org"]


def test_the_role_watches_no_film_and_others_do_not_enter_the_platform(app, factory):
    """Acceptance: the platform administrator reaches every organisation's pages on the platform
    but watches a film only when assigned as a supervisor; an organisation admin and a supervisor
    get 403 on the platform; a pool supervisor sees only the groups assigned to them."""
    ids = make_group(app, factory, tag="b")
    other = make_group(app, factory, tag="c")
    admin_id, client = platform_admin(app, factory)
    assert client.get(f"/platform/organisations/{ids['org']}").status_code == 200
    with app.app_context():
        recording = Recording(organisation_id=ids["org"], group_session_id=ids["sessions"][1], status=READY,
                              duration=60.0, progress=1.0, output_prefix="org/b/out")
        db.session.add(recording)
        db.session.commit()
        recording_id = recording.id
        me = db.session.get(User, admin_id)
        assert not permissions.can_watch_recording(me, db.session.get(Recording, recording_id))
    assert client.get(f"/review/recordings/{recording_id}").status_code == 404
    assert client.get(f"/groups/{ids['group']}").status_code == 404
    for email in ("admin-b@example.org", "sara-b@example.org", "lena-b@example.org"):
        outsider = login(app, email)
        for path in ("/platform/organisations", f"/platform/organisations/{ids['org']}", "/platform/programs",
                     "/platform/supervisors", "/platform/audit"):
            assert outsider.get(path).status_code == 403, (email, path)
    supervisor = login(app, "sara-b@example.org")
    page = supervisor.get("/groups/").get_data(as_text=True)
    assert "Grupp b" in page and "Grupp c" not in page
    assert supervisor.get(f"/groups/{other['group']}").status_code == 404


def test_the_api_for_organisations_and_programs(app, factory, mail_server, run_jobs):
    ids = make_group(app, factory)
    _admin_id, client = platform_admin(app, factory)
    token = csrf_from(client.get("/").get_data(as_text=True))
    call = lambda method, path, **kw: client.open(f"/api/v1{path}", method=method,  # noqa: E731
                                                  headers={"X-CSRFToken": token}, **kw)
    created = call("POST", "/organisations", json={"name": "Lunds kommun", "admin_name": "Lars",
                                                    "admin_email": "lars@lund.example.org"})
    assert created.status_code == 201, created.get_json()
    org_id = created.get_json()["id"]
    run_jobs()
    assert "lars@lund.example.org" in [m["To"] for m in mail_server.messages]
    assert call("POST", "/organisations", json={"name": "Lunds kommun", "admin_name": "X",
                                                 "admin_email": "x@example.org"}).status_code == 422
    renamed = call("PATCH", f"/organisations/{org_id}", json={"name": "Lund", "active": False})
    assert renamed.get_json() == {"id": org_id, "name": "Lund", "details": "", "active": False}
    assert "Lund" in [o["name"] for o in call("GET", "/organisations").get_json()["organisations"]]

    program_id = next(p["id"] for p in call("GET", "/programs").get_json()["programs"]
                      if p["key"] == "connect-parents")
    bad = call("PATCH", f"/programs/{program_id}", json={"session_titles": [1, 2]})
    assert bad.status_code == 422 and bad.get_json()["error"]["field"] == "session_titles"
    bad = call("PATCH", f"/programs/{program_id}", json={"comment_categories": [{"code": "Bad Code", "label": "x"}]})
    assert bad.status_code == 422
    new = call("PATCH", f"/programs/{program_id}", json={"min_participants": 5,
                                                         "comment_categories": [{"code": "alliance", "label": "A"}]})
    assert new.status_code == 200
    body = new.get_json()
    assert (body["version"], body["min_participants"], body["current"]) == (2, 5, True) and body["id"] != program_id
    assert body["comment_categories"] == [{"code": "alliance", "label": "A", "color": "#475569"}]
    assert call("PATCH", f"/programs/{program_id}", json={"min_participants": 4}).status_code == 422  # old version
    made = call("POST", "/programs", json={"key": "stodgrupp", "name": "Stödgrupp", "session_titles": ["Ett"]})
    assert made.status_code == 201 and made.get_json()["version"] == 1

    # an organisation admin reads the catalogue and changes nothing
    admin = login(app, "admin-a@example.org")
    admin_token = csrf_from(admin.get("/").get_data(as_text=True))
    assert admin.get("/api/v1/programs").status_code == 200
    for method, path in (("GET", "/organisations"), ("POST", "/organisations"), ("POST", "/programs"),
                         ("PATCH", f"/organisations/{ids['org']}"), ("PATCH", f"/programs/{body['id']}")):
        answer = admin.open(f"/api/v1{path}", method=method, json={}, headers={"X-CSRFToken": admin_token})
        assert answer.status_code == 403, (method, path)


def test_the_register_and_overview_of_any_organisation(app, factory):
    ids = make_group(app, factory, tag="b")
    _admin_id, client = platform_admin(app, factory)
    with app.app_context():
        program = db.session.get(Group, ids["group"]).program_id
        db.session.add(Certification(leader_id=ids["uploader"], organisation_id=ids["org"], program_id=program,
                                     group_id=ids["group"], status="certified", valid_from=date(2026, 3, 1),
                                     valid_until=date(2099, 3, 1)))
        db.session.commit()
    own = client.get("/certification/register").get_data(as_text=True)
    assert "Lena b" not in own and 'id="organisation-filter"' in own
    assert "Lena b" in client.get(f"/certification/register?organisation={ids['org']}").get_data(as_text=True)
    assert "Kommun b" in client.get(f"/certification/overview?organisation={ids['org']}").get_data(as_text=True)
    # an organisation admin's filter is ignored: always their own
    admin = login(app, "admin-b@example.org")
    with app.app_context():
        owner = db.session.scalar(db.select(Organisation.id).where(Organisation.name == "Programägaren"))
    page = admin.get(f"/certification/register?organisation={owner}").get_data(as_text=True)
    assert "Lena b" in page and 'id="organisation-filter"' not in page


def test_an_organisation_admin_neither_gives_nor_takes_the_platform_role(app, factory):
    admin_id, client = platform_admin(app, factory)
    page = client.get(f"/admin/users/{admin_id}").get_data(as_text=True)
    assert "Metodgarant" in page and 'value="platform_admin"' not in page
    answer = client.post(f"/admin/users/{admin_id}", data={"roles": ["admin", "leader"], "csrf_token": csrf_from(page)})
    assert answer.status_code == 302
    client = login(app, "metodgarant@example.org")  # a change of one's own roles ends one's sessions
    leader_id = factory.user(("leader",), "liv@example.org", db_org(app, admin_id), name="Liv")
    page = client.get(f"/admin/users/{leader_id}").get_data(as_text=True)
    client.post(f"/admin/users/{leader_id}", data={"roles": ["leader", "platform_admin"],
                                                    "csrf_token": csrf_from(page)})
    with app.app_context():
        assert db.session.get(User, admin_id).roles == ("admin", "leader", "platform_admin")
        assert db.session.get(User, leader_id).roles == ("leader",)


def db_org(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).organisation_id


def test_only_the_platform_administrator_makes_supervisors(app, factory):
    """The pool is the program owner's: an organisation admin neither gives nor takes the role."""
    ids = make_group(app, factory)
    client = login(app, "admin-a@example.org")
    page = client.get(f"/admin/users/{ids['uploader']}").get_data(as_text=True)
    assert 'value="supervisor"' not in page and 'value="supervisor"' not in client.get("/admin/users/new").get_data(
        as_text=True)
    token = csrf_from(page)
    client.post(f"/admin/users/{ids['uploader']}", data={"roles": ["leader", "supervisor"], "csrf_token": token})
    client.post(f"/admin/users/{ids['supervisor']}", data={"roles": ["leader"], "csrf_token": token})
    answer = client.post("/admin/users/new", data={"name": "Sune", "email": "sune@example.org", "language": "sv",
                                                   "roles": ["supervisor"], "csrf_token": token})
    assert answer.status_code == 200  # refused: not a choice
    with app.app_context():
        assert db.session.get(User, ids["uploader"]).roles == ("leader",)
        assert db.session.get(User, ids["supervisor"]).roles == ("leader", "supervisor")  # kept in the pool
        assert db.session.scalar(db.select(User).where(User.email == "sune@example.org")) is None


def test_existing_data_migrates(database_url, redis_server, tmp_path):
    """Today's admins stay organisation admins; the oldest admin (`make run`'s first user) also
    becomes the platform administrator; programs become version 1 of themselves."""
    import sqlalchemy as sa
    from flask_migrate import upgrade

    from portal import create_app
    from tests.conftest import make_config

    app = create_app(make_config(database_url, redis_server.url, tmp_path))
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        upgrade(revision="0015_cert_rules")
        with db.engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO organisations (id, name, created_at) VALUES (1, 'Min organisation', "
                                 "CURRENT_TIMESTAMP)"))
            for user_id, role in ((1, "admin"), (2, "admin"), (3, "supervisor")):
                conn.execute(sa.text("INSERT INTO users (id, email, name, organisation_id, language, active, "
                                     "security_stamp, created_at) VALUES (:id, :email, 'X', 1, 'sv', true, 's', "
                                     "CURRENT_TIMESTAMP)"), {"id": user_id, "email": f"u{user_id}@example.org"})
                conn.execute(sa.text("INSERT INTO user_roles (user_id, role) VALUES (:id, :role)"),
                             {"id": user_id, "role": role})
        upgrade()
        roles = {(u.id, u.roles) for u in db.session.scalars(db.select(User))}
        assert roles == {(1, ("admin", "platform_admin")), (2, ("admin",)), (3, ("supervisor",))}
        assert {(p.version, p.superseded_at) for p in db.session.scalars(db.select(Program))} == {(1, None)}
        assert db.session.get(Organisation, 1).active is True
        db.session.remove()
        db.drop_all()
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP TABLE IF EXISTS alembic_version"))
        db.create_all()  # leave the schema for the other tests of this session
        db.engine.dispose()
