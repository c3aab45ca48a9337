"""Two-factor login, login throttling and session timeouts (OWASP ASVS chapters 6 and 7)."""

import re
import time

import pyotp
import pytest

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.services import twofactor
from tests.conftest import PASSWORD, AuthActions, csrf_from


def enrol(app, client, user_id):
    """Set up two-factor login through the page; returns the secret and the recovery codes."""
    page = client.get("/account/two-factor").get_data(as_text=True)
    # the QR code is inline SVG, drawn without any script but the portal's own layout file
    assert "<svg" in page
    assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/layout.js" defer>']
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page).group(1)
    done = client.post("/account/two-factor", data={"csrf_token": csrf_from(page),
                                                    "code": pyotp.TOTP(secret).now()})
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done.get_data(as_text=True))
    with app.app_context():
        assert db.session.get(User, user_id).totp_secret == secret
    return secret, codes


def password_step(client, email, password=PASSWORD):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def code_step(client, code):
    token = csrf_from(client.get("/login/code").get_data(as_text=True))
    return client.post("/login/code", data={"code": code, "csrf_token": token})


@pytest.fixture
def supervisor(app, factory):
    return factory.user(("supervisor",), "sara-2fa@example.org")


def test_enrolment_gives_ten_single_use_recovery_codes(app, client, auth, supervisor):
    auth.login("sara-2fa@example.org")
    secret, codes = enrol(app, client, supervisor)
    assert len(codes) == 10 and len(set(codes)) == 10
    auth.logout()
    assert password_step(client, "sara-2fa@example.org").headers["Location"].endswith("/login/code")
    assert client.get("/groups/").status_code == 302  # not logged in before the second step
    assert code_step(client, codes[0]).status_code == 302
    assert client.get("/groups/").status_code == 200
    auth.logout()
    password_step(client, "sara-2fa@example.org")
    assert code_step(client, codes[0]).status_code == 200  # spent
    assert client.get("/groups/").status_code == 302
    with app.app_context():
        assert twofactor.recovery_codes_left(db.session.get(User, supervisor)) == 9


def test_a_totp_code_works_once(app, client, auth, supervisor):
    auth.login("sara-2fa@example.org")
    secret, _codes = enrol(app, client, supervisor)
    auth.logout()
    totp = pyotp.TOTP(secret)
    # the enrolment used the current step; a later step's code works once
    later = totp.at(time.time() + 30)
    password_step(client, "sara-2fa@example.org")
    assert code_step(client, later).status_code == 302
    auth.logout()
    password_step(client, "sara-2fa@example.org")
    refused = code_step(client, later)
    assert refused.status_code == 200 and "redan använd" in refused.get_data(as_text=True)
    assert code_step(client, totp.now()).status_code == 200  # an earlier step than the last one used
    with app.app_context():
        failures = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "auth.2fa_failed")).all()
        assert len(failures) == 2


def test_wrong_code_at_enrolment_leaves_it_off(app, client, auth, supervisor):
    auth.login("sara-2fa@example.org")
    page = client.get("/account/two-factor").get_data(as_text=True)
    client.post("/account/two-factor", data={"csrf_token": csrf_from(page), "code": "000000"})
    with app.app_context():
        assert db.session.get(User, supervisor).totp_secret is None


def test_every_role_must_set_it_up_unless_the_organisation_relaxes_it_for_leaders(app, client, auth, factory,
                                                                                     supervisor):
    app.config["TWO_FACTOR_REQUIRED"] = True
    auth.login("sara-2fa@example.org")
    assert client.get("/groups/").headers["Location"].endswith("/account/two-factor")
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api.get_json()["error"]["code"] == "two_factor_required"
    enrol(app, client, supervisor)
    assert client.get("/groups/").status_code == 200
    auth.logout()
    org = factory.organisation("Kommun 2FA")
    factory.user(("leader",), "lena-2fa@example.org", org)
    auth.login("lena-2fa@example.org")  # a new organisation's leaders too, by default
    assert client.get("/groups/").headers["Location"].endswith("/account/two-factor")
    client.post("/logout", data={"csrf_token": auth.csrf("/account/two-factor")})
    # the organisation's admin relaxes it for leaders: an audited setting on the policy page
    admin = factory.user(("admin",), "ada-2fa@example.org", org)
    auth.login("ada-2fa@example.org")
    enrol(app, client, admin)
    page = client.get("/admin/retention").get_data(as_text=True)
    assert "checked" in re.search(r'<input[^>]*name="leaders_require_2fa"[^>]*>', page).group(0)
    client.post("/admin/retention", data={"csrf_token": csrf_from(page), "retention_days": "90",  # as they were
                                          "retention_max_days": "365", "deletion_warning_days": "14"})
    with app.app_context():
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "organisation.retention_policy"))
        assert event.detail["changes"] == {"leaders_require_2fa": [True, False]}
        assert event.actor_id == admin
    auth.logout()
    auth.login("lena-2fa@example.org")
    assert client.get("/groups/").status_code == 200
    with app.app_context():
        db.session.scalar(db.select(User).where(User.email == "lena-2fa@example.org")).organisation \
            .leaders_require_2fa = True
        db.session.commit()
    assert client.get("/groups/").headers["Location"].endswith("/account/two-factor")


def test_ten_wrong_passwords_are_throttled_and_unknown_accounts_answer_alike(app, client, factory):
    factory.user(("leader",), "lena-t@example.org")
    statuses = [password_step(client, "lena-t@example.org", "wrong password!").status_code for _ in range(10)]
    assert statuses[:5] == [200] * 5 and statuses[5:] == [429] * 5
    # throttled means throttled: the right password is not even tried
    assert password_step(client, "lena-t@example.org").status_code == 429
    unknown = [password_step(client, "nobody@example.org", "wrong password!").status_code for _ in range(7)]
    assert unknown == [200] * 5 + [429] * 2
    page = password_step(client, "nobody@example.org", "x").get_data(as_text=True)
    assert "För många misslyckade försök" in page
    other = app.test_client()  # another account from the same address still gets its tries
    assert password_step(other, "someone@example.org", "wrong").status_code == 200


def test_sessions_end_when_idle_or_too_old(app, client, auth, factory):
    factory.user(("leader",), "lena-s@example.org")
    auth.login("lena-s@example.org")
    assert client.get("/groups/").status_code == 200
    with client.session_transaction() as session:
        session["seen_at"] = time.time() - 31 * 60
    assert client.get("/groups/").headers["Location"].startswith("/login")
    assert client.get("/groups/").headers["Location"].startswith("/login")  # the session is gone
    auth.login("lena-s@example.org")
    with client.session_transaction() as session:
        session["auth_at"] = time.time() - 13 * 3600
    answer = client.get("/api/v1/me")
    assert answer.status_code == 401


def test_reauthentication_is_asked_when_the_password_is_old(app, client, auth, factory):
    from portal.security import recent_auth_redirect

    factory.user(("leader",), "lena-r@example.org")
    auth.login("lena-r@example.org")
    with app.test_request_context("/x"):
        from flask import session

        session["reauth_at"] = time.time()
        assert recent_auth_redirect() is None
        session["reauth_at"] = time.time() - 11 * 60
        assert "/account/confirm" in recent_auth_redirect("/groups/").headers["Location"]
    page = client.get("/account/confirm?next=/groups/").get_data(as_text=True)
    wrong = client.post("/account/confirm", data={"csrf_token": csrf_from(page), "password": "nope nope",
                                                  "next": "/groups/"})
    assert wrong.status_code == 200
    right = client.post("/account/confirm", data={"csrf_token": csrf_from(page), "password": PASSWORD,
                                                  "next": "/groups/"})
    assert right.headers["Location"].endswith("/groups/")
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like("auth.reauth%"))).all()
        assert sorted(actions) == ["auth.reauth", "auth.reauth_failed"]


def test_a_session_cookie_replayed_after_logout_is_refused(app, client, auth, factory):
    factory.user(("leader",), "lena-c@example.org")
    auth.login("lena-c@example.org")
    cookie = client.get_cookie("session").value
    AuthActions(client).logout()
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/groups/").status_code == 302


def test_role_changes_and_deactivation_ask_for_the_password_again(app, client, auth, factory):
    org = factory.organisation("Kommun R")
    factory.user(("admin",), "ada@example.org", org)
    leader = factory.user(("leader",), "lisa@example.org", org)
    auth.login("ada@example.org")
    with client.session_transaction() as session:
        session["reauth_at"] = time.time() - 3600
    page = client.get(f"/admin/users/{leader}").get_data(as_text=True)
    answer = client.post(f"/admin/users/{leader}", data={"csrf_token": csrf_from(page), "roles": ["leader", "admin"]})
    assert "/account/confirm" in answer.headers["Location"] and "next=/admin/users/" in answer.headers["Location"]
    answer = client.post(f"/admin/users/{leader}/active", data={"csrf_token": csrf_from(page)})
    assert "/account/confirm" in answer.headers["Location"]
    with app.app_context():
        user = db.session.get(User, leader)
        assert user.roles == ("leader",) and user.active


def test_an_admin_resets_a_lost_phone(app, client, auth, factory, supervisor):
    auth.login("sara-2fa@example.org")
    enrol(app, client, supervisor)
    auth.logout()
    with app.app_context():
        org = db.session.get(User, supervisor).organisation_id
    factory.user(("admin",), "ada-2fa@example.org", org)
    auth.login("ada-2fa@example.org")
    page = client.get(f"/admin/users/{supervisor}").get_data(as_text=True)
    assert 'id="reset-two-factor"' in page
    client.post(f"/admin/users/{supervisor}/two-factor/reset", data={"csrf_token": csrf_from(page)})
    with app.app_context():
        user = db.session.get(User, supervisor)
        assert user.totp_secret is None and twofactor.recovery_codes_left(user) == 0
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "auth.2fa_reset")).actor_id != \
            supervisor
