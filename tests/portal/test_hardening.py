"""Issue 17's findings on hosts, JSON and e-mail addresses: links follow PUBLIC_URL and never
the request's Host header, other hosts are refused, deeply nested JSON is a 400, and neither
the logs nor Redis keys hold an e-mail address."""

import logging
import re

import pytest

from config.settings import ConfigError, load_config, trusted_hosts
from portal.services import mail
from tests.conftest import csrf_from
from tests.portal.test_config import prod_env  # noqa: F401 - the fixture
from tests.services import body_text


def test_reset_links_are_built_on_public_url_whatever_the_host(app, client, factory, mail_server, run_jobs):
    factory.user(email="lena@example.org")
    app.config["TRUSTED_HOSTS"] = None  # even where a proxy lets any Host through
    page = client.get("/reset-password", headers={"Host": "evil.example"})
    client.post("/reset-password", headers={"Host": "evil.example"},
                data={"email": "lena@example.org", "csrf_token": csrf_from(page.get_data(as_text=True))})
    run_jobs()
    text = body_text(mail_server.wait_for("lena@example.org"))
    assert "evil.example" not in text
    assert re.search(r"http://localhost/reset-password/\S+", text)  # the test profile's PUBLIC_URL


def test_invitation_links_and_signed_storage_urls_use_public_url(app):
    from portal.services import accounts
    from portal.storage_local.signing import signed_url

    with app.test_request_context("/", headers={"Host": "evil.example"}):
        assert accounts.external_url("auth.accept_invitation", token="t") == "http://localhost/invitation/t"
        assert signed_url("storage_local.get_object", {"op": "get", "k": "x"}, 60).startswith(
            "http://localhost/storage/")
        app.config["PUBLIC_URL"] = "https://film.example.se"
        assert accounts.external_url("auth.accept_invitation", token="t") == \
            "https://film.example.se/invitation/t"


def test_another_host_is_refused(client, factory):
    assert client.get("/login").status_code == 200
    refused = client.get("/login", headers={"Host": "evil.example"})
    assert refused.status_code == 400 and "värd som portalen inte betjänar" in refused.get_data(as_text=True)
    api = client.get("/api/v1/me", headers={"Host": "evil.example:5000"})
    assert api.status_code == 400 and api.get_json()["error"]["code"] == "untrusted_host"


def test_trusted_hosts_follow_public_url():
    assert trusted_hosts("https://film.example.se") == ["film.example.se"]
    assert "localhost" in trusted_hosts("http://127.0.0.1:5104")  # a browser on the machine may use either
    assert trusted_hosts(None) is None


def test_production_refuses_to_start_without_public_url(prod_env):  # noqa: F811
    prod_env.delenv("PUBLIC_URL", raising=False)
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        load_config("production")
    prod_env.setenv("PUBLIC_URL", "film.example.se")
    with pytest.raises(ConfigError, match="PUBLIC_URL"):
        load_config("production")
    prod_env.setenv("PUBLIC_URL", "https://film.example.se/")
    config = load_config("production")
    assert config.PUBLIC_URL == "https://film.example.se" and config.TRUSTED_HOSTS == ["film.example.se"]


def test_development_defaults_to_its_own_address(monkeypatch):
    monkeypatch.delenv("PUBLIC_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PORT", "5104")
    assert load_config("development").PUBLIC_URL == "http://127.0.0.1:5104"


def test_deeply_nested_json_is_a_400(client, auth, factory):
    factory.user(("admin", "supervisor", "leader"), email="ada@example.org")
    auth.login("ada@example.org")
    token = auth.csrf("/")
    response = client.post("/api/v1/groups", data="[" * 100_000, content_type="application/json",
                           headers={"X-CSRFToken": token})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "json_too_deep"


def test_the_login_throttle_keys_hold_no_address(app, client, redis_server):
    token = csrf_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": "Lena.Throttle@Example.org", "password": "wrong", "csrf_token": token})
    keys = [key.decode() for key in redis_server.client.keys("*")]
    assert any("account:" in key for key in keys)
    assert not [key for key in keys if "example" in key.lower() or "lena" in key.lower()]
    with app.app_context():
        digest = mail.email_digest(" lena.throttle@example.org")
    assert any(digest in key for key in keys)


def test_mails_written_to_the_log_name_no_address(app, caplog, monkeypatch):
    monkeypatch.setattr(mail.log, "disabled", False)  # Alembic's logging setup may have turned it off
    with app.app_context(), caplog.at_level(logging.INFO, logger="portal.services.mail"):
        app.config["MAIL_SERVER"] = None
        mail.deliver({"to": "lena@example.org", "subject": "Hej", "text": "text", "html": "<p>x</p>"})
        digest = mail.email_digest("lena@example.org")
    assert "lena@example.org" not in caplog.text and digest in caplog.text


def test_a_refused_recipient_is_raised_without_its_address(app):
    import smtplib

    from aiosmtpd.controller import Controller

    from tests.services import free_port

    class Refusing:
        async def handle_RCPT(self, server, session, envelope, address, options):  # noqa: N802 - aiosmtpd's name
            return "550 no such user"

    port = free_port()
    server = Controller(Refusing(), hostname="127.0.0.1", port=port)
    server.start()
    try:
        app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
        with app.app_context(), pytest.raises(smtplib.SMTPException) as raised:
            mail.deliver({"to": "lena@example.org", "subject": "Hej", "text": "text", "html": "<p>x</p>"})
    finally:
        server.stop()
    assert "refused" in str(raised.value) and "lena" not in str(raised.value)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
