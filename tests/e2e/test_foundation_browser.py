"""The foundation in a real browser: an admin invites a supervisor and a leader, the leader
accepts the invitation, logs in, sees the leader navigation, in Swedish and then English."""

import re

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_out, login
from tests.services import body_text


def invite(page, name, email, role_label):
    """Fill in the admin's "new user" form and submit it."""
    page.goto("/admin/users/new")
    page.get_by_label("Namn").fill(name)
    page.get_by_label("E-postadress").fill(email)
    page.get_by_label(role_label).check()
    page.get_by_role("button", name="Skapa").click()


def test_admin_invites_and_leader_logs_in(page, live_server, factory, mail_server, run_jobs):
    # as `make run`'s first user: also the platform administrator, who makes supervisors (issue 18)
    factory.user(roles=("admin", "platform_admin"), email="admin@example.org", name="Anna Admin")

    login(page, "admin@example.org", PASSWORD)
    assert page.locator("html").get_attribute("lang") == "sv"
    page.get_by_role("link", name="Användare").first.click()
    invite(page, "Sune Handledare", "sune@example.org", "Handledare")
    assert page.get_by_text("Sune Handledare har skapats").is_visible()
    invite(page, "Lena Ledare", "lena@example.org", "Gruppledare")
    assert page.get_by_text("Lena Ledare har skapats").is_visible()
    rows = page.locator("table tbody tr")
    assert rows.filter(has_text="Lena Ledare").get_by_text("Inbjuden").is_visible()
    log_out(page)

    run_jobs()  # the worker delivers the queued invitation mails
    assert "sune@example.org" in [m["To"] for m in mail_server.messages]
    text = body_text(mail_server.wait_for("lena@example.org"))
    link = re.search(r"https?://\S+/invitation/\S+", text).group(0)

    page.goto(link)
    new_password = "lenas eget langa losenord"
    page.get_by_label("Nytt lösenord", exact=True).fill(new_password)
    page.get_by_label("Upprepa det nya lösenordet").fill(new_password)
    page.get_by_role("button", name="Spara lösenord").click()
    assert page.get_by_text("Ditt lösenord är sparat").is_visible()

    login(page, "lena@example.org", new_password)
    nav = page.get_by_role("navigation", name="Huvudmeny")
    assert nav.locator("[data-nav=leader]").is_visible()
    assert nav.locator("[data-nav=admin]").count() == 0
    assert nav.locator("[data-nav=supervisor]").count() == 0
    assert page.get_by_role("heading", name="Välkommen, Lena Ledare").is_visible()

    page.get_by_role("button", name="English").click()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Welcome, Lena Ledare").is_visible()
    assert page.get_by_role("button", name="Log out").is_visible()


def test_wrong_password_is_refused_in_swedish(page, live_server, factory):
    factory.user(email="lena@example.org")
    login(page, "lena@example.org", "not the password", refused=True)
    assert page.get_by_role("alert").inner_text() == "Fel e-postadress eller lösenord."
    assert page.url.endswith("/login")
