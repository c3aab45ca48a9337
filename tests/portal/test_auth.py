"""Login, logout, sessions, password reset and invitations through the real forms."""

import re

import pytest
from itsdangerous import URLSafeTimedSerializer

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.services import tokens
from portal.services.passwords import verify_password
from portal.utils import safe_next
from tests.conftest import PASSWORD, csrf_from
from tests.services import body_text


def audit_actions(app):
    with app.app_context():
        return [e.action for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.id))]


def test_password_is_stored_as_argon2id(app, factory):
    user_id = factory.user()
    with app.app_context():
        user = db.session.get(User, user_id)
        assert user.password_hash.startswith("$argon2id$")
        assert verify_password(user.password_hash, PASSWORD)
        assert not verify_password(user.password_hash, PASSWORD + "x")
        assert not verify_password(None, PASSWORD)


def test_login_and_logout(client, auth, factory, app):
    factory.user(email="lena@example.org")
    response = auth.login("LENA@example.org ")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Välkommen" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert client.get("/").status_code == 302
    assert audit_actions(app)[-2:] == ["auth.login", "auth.logout"]


@pytest.mark.parametrize("email,password", [
    ("lena@example.org", "wrong password here"),
    ("nobody@example.org", PASSWORD),
])
def test_failed_login_gives_one_answer(client, auth, factory, app, email, password):
    factory.user(email="lena@example.org")
    response = auth.login(email, password)
    assert response.status_code == 200
    assert "Fel e-postadress eller lösenord." in response.get_data(as_text=True)
    assert client.get("/").status_code == 302
    assert audit_actions(app)[-1] == "auth.login_failed"


def test_deactivated_user_cannot_log_in(client, auth, factory, app):
    user_id = factory.user(email="lena@example.org")
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    response = auth.login("lena@example.org")
    assert "Fel e-postadress eller lösenord." in response.get_data(as_text=True)


def test_login_without_csrf_token_is_refused(client, factory):
    factory.user(email="lena@example.org")
    response = client.post("/login", data={"email": "lena@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_session_cookie_replayed_after_logout_is_refused(app, client, auth, factory):
    factory.user(email="lena@example.org")
    auth.login("lena@example.org")
    stolen = client.get_cookie("session").value
    auth.logout()
    thief = app.test_client()
    thief.set_cookie("session", stolen)
    assert thief.get("/").status_code == 302


@pytest.mark.parametrize("target,expected", [
    ("/admin/users", "/admin/users"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_only_redirects_inside_the_site(client, factory, target, expected):
    factory.user(roles=("admin",), email="admin@example.org")
    token = csrf_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "admin@example.org", "password": PASSWORD,
                                           "csrf_token": token, "next": target})
    assert response.headers["Location"] == expected


def test_safe_next_rules():
    assert safe_next("/groups/1?tab=films") == "/groups/1?tab=films"
    for bad in (None, "", "http://x", "//x", "/\\x", "x/y", "/a\nb", "/" + "a" * 3000):
        assert safe_next(bad) is None


def test_anonymous_page_goes_to_login_and_back(client):
    response = client.get("/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/admin/users"


def reset_link(mail_server, run_jobs, email):
    run_jobs()
    text = body_text(mail_server.wait_for(email))
    return re.search(r"http://localhost(/reset-password/\S+)", text).group(1)


def test_password_reset_by_mail_works_once(client, auth, factory, mail_server, run_jobs):
    factory.user(email="lena@example.org")
    token = auth.csrf("/reset-password")
    response = client.post("/reset-password", data={"email": "lena@example.org", "csrf_token": token})
    assert response.status_code == 302
    link = reset_link(mail_server, run_jobs, "lena@example.org")
    page = client.get(link)
    assert page.status_code == 200
    new = "a brand new password for lena"
    response = client.post(link, data={"password": new, "confirm": new,
                                       "csrf_token": csrf_from(page.get_data(as_text=True))})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert client.get(link).status_code == 400  # used once: dead
    assert "Fel e-post" in auth.login("lena@example.org").get_data(as_text=True)
    assert auth.login("lena@example.org", new).headers["Location"] == "/"


def test_reset_answer_is_the_same_for_unknown_addresses(client, auth, factory, mail_server, run_jobs):
    factory.user(email="lena@example.org")
    answers = []
    for email in ("lena@example.org", "nobody@example.org"):
        token = auth.csrf("/reset-password")
        response = client.post("/reset-password", data={"email": email, "csrf_token": token},
                               follow_redirects=True)
        answers.append(re.search(r'class="flash[^"]*"[^>]*>([^<]+)<', response.get_data(as_text=True)).group(1))
    assert answers[0] == answers[1]
    run_jobs()
    assert [m["To"] for m in mail_server.messages] == ["lena@example.org"]


def test_reset_password_mismatch_is_explained(client, factory, app):
    user_id = factory.user(email="lena@example.org")
    with app.test_request_context():
        link = "/reset-password/" + tokens.make_token(db.session.get(User, user_id), tokens.PASSWORD_RESET)
    page = client.get(link).get_data(as_text=True)
    response = client.post(link, data={"password": "one long password", "confirm": "another one",
                                       "csrf_token": csrf_from(page)})
    assert "De två lösenorden är inte likadana." in response.get_data(as_text=True)
    response = client.post(link, data={"password": "short", "confirm": "short",
                                       "csrf_token": csrf_from(page)})
    assert "minst 12 tecken" in response.get_data(as_text=True)


def test_expired_and_forged_tokens_are_refused(app, factory):
    user_id = factory.user()
    with app.test_request_context():
        user = db.session.get(User, user_id)
        good = tokens.make_token(user, tokens.PASSWORD_RESET)
        assert tokens.resolve_token(good, tokens.PASSWORD_RESET).id == user_id
        assert tokens.resolve_token(good, tokens.INVITATION) is None  # other purpose
        assert tokens.resolve_token(good + "x", tokens.PASSWORD_RESET) is None
        forged = URLSafeTimedSerializer("another key", salt="portal-password-reset").dumps(
            {"u": user_id, "f": "0" * 20})
        assert tokens.resolve_token(forged, tokens.PASSWORD_RESET) is None
        app.config["PASSWORD_RESET_MAX_AGE"] = -1
        assert tokens.resolve_token(good, tokens.PASSWORD_RESET) is None


def test_password_change_ends_other_sessions(app, client, auth, factory):
    user_id = factory.user(email="lena@example.org")
    auth.login("lena@example.org")
    assert client.get("/").status_code == 200
    with app.test_request_context():
        link = "/reset-password/" + tokens.make_token(db.session.get(User, user_id), tokens.PASSWORD_RESET)
    other = app.test_client()
    page = other.get(link).get_data(as_text=True)
    new = "a brand new password for lena"
    other.post(link, data={"password": new, "confirm": new, "csrf_token": csrf_from(page)})
    assert client.get("/").status_code == 302
