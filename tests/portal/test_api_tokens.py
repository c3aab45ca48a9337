"""Personal API tokens (issue 17, finding 3): issued only to users who meet their two-factor
requirement, expiring, listed and revocable on the account page, and ended with the user's
sessions by a password change or reset, "log out everywhere", a two-factor reset, a role
change or a deactivation."""

import re
from datetime import timedelta

import pyotp
import pytest

from portal.extensions import db
from portal.models import ApiToken, AuditEvent, User
from portal.models.base import utcnow
from portal.services import accounts, api_tokens, twofactor
from tests.conftest import AuthActions, csrf_from


def issue(app, user_id, name="script"):
    with app.app_context():
        _row, plaintext = api_tokens.issue(db.session.get(User, user_id), name)
        db.session.commit()
    return plaintext


def status(client, token):
    """The answer to a script using ``token`` (a client without the browser's cookies)."""
    return client.application.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code


def test_tokens_need_two_factor_where_the_role_requires_it(app, client, factory):
    app.config["TWO_FACTOR_REQUIRED"] = True
    supervisor = factory.user(("supervisor",), "sara@example.org")
    result = app.test_cli_runner().invoke(args=["portal", "create-token", "--email", "sara@example.org"])
    assert result.exit_code != 0 and "tvåstegsinloggning" in result.output
    with app.app_context():
        user = db.session.get(User, supervisor)
        with pytest.raises(api_tokens.Refused):
            api_tokens.issue(user)
        # a token made before the requirement was met (e.g. the organisation asked later) is refused
        row, old = ApiToken.issue(user)
        db.session.add(row)
        secret = pyotp.random_base32()
        db.session.commit()
    assert status(client, old) == 401
    with app.app_context():
        twofactor.enable(db.session.get(User, supervisor), secret, pyotp.TOTP(secret).now())
        db.session.commit()
    assert status(client, old) == 200
    result = app.test_cli_runner().invoke(args=["portal", "create-token", "--email", "sara@example.org"])
    assert result.exit_code == 0 and status(client, result.output.strip()) == 200


def test_tokens_expire_after_api_token_days(app, client, factory):
    app.config["API_TOKEN_DAYS"] = 30
    leader = factory.user(("leader",), "lena@example.org")
    token = issue(app, leader)
    assert status(client, token) == 200
    with app.app_context():
        row = db.session.scalars(db.select(ApiToken)).one()
        assert timedelta(days=29) < row.expires_at.replace(tzinfo=None) - utcnow().replace(tzinfo=None) \
            <= timedelta(days=30)
        row.expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    assert status(client, token) == 401


def test_the_account_page_lists_creates_and_revokes_tokens(app, client, auth, factory):
    leader = factory.user(("leader",), "lena@example.org")
    other = factory.user(("leader",), "lisa@example.org")
    foreign = issue(app, other, "lisa's")
    used = issue(app, leader, "backup script")
    assert status(client, used) == 200
    auth.login("lena@example.org")
    page = client.get("/account").get_data(as_text=True)
    assert "backup script" in page and "lisa" not in page
    row = re.search(r'<li data-token="(\d+)">(.*?)</li>', page, re.S)
    assert "Aldrig" not in row.group(2)  # last used is shown: it was used once
    made = client.post("/account/tokens", data={"csrf_token": csrf_from(page), "name": "laptop"})
    new = re.search(r"<code>(fp_[\w-]+)</code>", made.get_data(as_text=True)).group(1)
    assert status(client, new) == 200
    page = client.get("/account").get_data(as_text=True)
    assert "laptop" in page and new not in page  # shown once
    with app.app_context():
        foreign_id = db.session.scalar(db.select(ApiToken.id).where(ApiToken.user_id == other))
    assert client.post(f"/account/tokens/{foreign_id}/revoke",
                       data={"csrf_token": csrf_from(page)}).status_code == 404
    client.post(f"/account/tokens/{row.group(1)}/revoke", data={"csrf_token": csrf_from(page)})
    assert status(client, used) == 401 and status(client, new) == 200 and status(client, foreign) == 200
    assert "backup script" not in client.get("/account").get_data(as_text=True)
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like("api_token.%"))).all()
        assert actions.count("api_token.issued") == 3 and actions.count("api_token.revoked") == 1


def test_a_plain_logout_keeps_tokens_log_out_everywhere_ends_them(app, client, auth, factory):
    factory.user(("leader",), "lena@example.org")
    with app.app_context():
        leader = db.session.scalar(db.select(User.id).where(User.email == "lena@example.org"))
    token = issue(app, leader)
    auth.login("lena@example.org")
    auth.logout()
    assert status(client, token) == 200
    auth.login("lena@example.org")
    client.post("/logout", data={"csrf_token": auth.csrf("/account"), "everywhere": "1"})
    assert status(client, token) == 401
    assert client.get("/account").status_code == 302


@pytest.mark.parametrize("change", ["password", "two_factor_reset", "roles", "deactivation"])
def test_a_new_security_stamp_ends_every_token(app, client, factory, change):
    org = factory.organisation()
    admin = factory.user(("admin",), "ada@example.org", org)
    supervisor = factory.user(("supervisor",), "sara@example.org", org)
    token = issue(app, supervisor)
    assert status(client, token) == 200
    with app.app_context():
        user, actor = db.session.get(User, supervisor), db.session.get(User, admin)
        if change == "password":
            accounts.set_password(user, "another long password")
        elif change == "two_factor_reset":
            twofactor.reset(user, actor)
        elif change == "roles":
            accounts.change_roles(user, ("supervisor", "leader"), actor)
        else:
            accounts.set_active(user, False, actor)
            db.session.flush()
            accounts.set_active(user, True, actor)  # back on: the old token stays dead
        db.session.commit()
    assert status(client, token) == 401
    auth = AuthActions(client)
    if change != "password":
        auth.login("sara@example.org")
        assert "data-token=" not in client.get("/account").get_data(as_text=True)
