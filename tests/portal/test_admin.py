"""Admin pages: create users with invitations, change roles, deactivate, stay in one's own
organisation."""

import re

from portal.extensions import db
from portal.models import AuditEvent, User
from tests.conftest import csrf_from
from tests.services import body_text


def test_admin_creates_user_who_accepts_invitation(app, client, auth, factory, mail_server, run_jobs):
    factory.user(roles=("admin",), email="admin@example.org")
    auth.login("admin@example.org")
    token = auth.csrf("/admin/users/new")
    response = client.post("/admin/users/new", data={
        "name": "Lena Leder", "email": "lena@example.org", "roles": ["leader"],
        "language": "en", "csrf_token": token}, follow_redirects=True)
    assert "Lena Leder har skapats" in response.get_data(as_text=True)

    run_jobs()
    mail = mail_server.wait_for("lena@example.org")
    assert mail["Subject"] == "Your account in Filmportalen"  # in the new user's language
    link = re.search(r"http://localhost(/invitation/\S+)", body_text(mail)).group(1)

    invitee = app.test_client()
    page = invitee.get(link)
    assert page.status_code == 200
    password = "lenas own long password"
    response = invitee.post(link, data={"password": password, "confirm": password,
                                        "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.headers["Location"] == "/login"
    assert invitee.get(link).status_code == 400  # single use
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "lena@example.org"))
        assert user.roles == ("leader",) and user.has_password
        actions = [e.action for e in db.session.scalars(db.select(AuditEvent))]
        assert "user.create" in actions and "user.password_set" in actions


def test_duplicate_email_and_missing_role_are_explained(client, auth, factory):
    factory.user(roles=("admin",), email="admin@example.org")
    auth.login("admin@example.org")
    for data, message in [
        ({"name": "X", "email": "admin@example.org", "roles": ["leader"]}, "Det finns redan ett konto"),
        ({"name": "X", "email": "x@example.org"}, "Välj minst en roll."),
        ({"name": "X", "email": "not-an-address", "roles": ["leader"]}, "Ange en giltig e-postadress."),
    ]:
        data["csrf_token"] = auth.csrf("/admin/users/new")
        data["language"] = "sv"
        response = client.post("/admin/users/new", data=data)
        assert response.status_code == 200
        assert message in response.get_data(as_text=True)


def test_deactivation_ends_sessions_at_once(app, factory):
    admin_id = factory.user(roles=("admin",), email="admin@example.org")
    with app.app_context():
        org_id = db.session.get(User, admin_id).organisation_id
    leader_id = factory.user(email="lena@example.org", organisation_id=org_id)
    from tests.conftest import AuthActions

    leader = app.test_client()
    AuthActions(leader).login("lena@example.org")
    assert leader.get("/").status_code == 200

    admin = app.test_client()
    admin_auth = AuthActions(admin)
    admin_auth.login("admin@example.org")
    token = admin_auth.csrf(f"/admin/users/{leader_id}")
    admin.post(f"/admin/users/{leader_id}/active", data={"csrf_token": token})
    assert leader.get("/").status_code == 302
    with app.app_context():
        assert db.session.get(User, leader_id).active is False


def test_role_change_is_saved_and_audited(app, client, auth, factory):
    # the supervisor role is the pool's: a platform administrator gives it (issue 18)
    admin_id = factory.user(roles=("admin", "platform_admin"), email="admin@example.org")
    with app.app_context():
        org_id = db.session.get(User, admin_id).organisation_id
    user_id = factory.user(organisation_id=org_id)
    auth.login("admin@example.org")
    token = auth.csrf(f"/admin/users/{user_id}")
    client.post(f"/admin/users/{user_id}", data={"roles": ["leader", "supervisor"], "csrf_token": token})
    with app.app_context():
        assert db.session.get(User, user_id).roles == ("leader", "supervisor")
        event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.roles_changed")).one()
        assert event.detail == {"before": ["leader"], "after": ["leader", "supervisor"]}
        assert event.actor_id == admin_id


def test_admin_cannot_remove_own_admin_role(client, auth, factory):
    admin_id = factory.user(roles=("admin",), email="admin@example.org")
    auth.login("admin@example.org")
    token = auth.csrf(f"/admin/users/{admin_id}")
    response = client.post(f"/admin/users/{admin_id}", data={"roles": ["leader"], "csrf_token": token})
    assert "Du kan inte ta bort din egen administratörsroll." in response.get_data(as_text=True)


def test_users_of_another_organisation_are_invisible(client, auth, factory):
    factory.user(roles=("admin",), email="admin@example.org")
    stranger_id = factory.user(email="stranger@example.org", name="Främling")
    auth.login("admin@example.org")
    assert "Främling" not in client.get("/admin/users").get_data(as_text=True)
    assert client.get(f"/admin/users/{stranger_id}").status_code == 404
    token = auth.csrf("/admin/users")
    assert client.post(f"/admin/users/{stranger_id}/active", data={"csrf_token": token}).status_code == 404
