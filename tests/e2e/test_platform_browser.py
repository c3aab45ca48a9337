"""Issue 18 in a real browser: the platform administrator creates an organisation and invites its
admin, who accepts the invitation, renames the organisation and registers a group with a
supervisor of the program owner's pool (the least loaded one, which the form suggests); and she
acts for another organisation, whose admin pages she then works on, under a banner, without
watching its films."""

import re

import pytest

from portal.extensions import db
from portal.models import Group, Organisation, User
from portal.services import programs
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_out, login
from tests.films import ready_film
from tests.services import body_text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_platform_administrator_starts_an_organisation_that_registers_a_group_with_a_pool_supervisor(
        page, live_server, app, factory, mail_server, run_jobs):
    with app.app_context():
        programs.seed_programs()
        db.session.commit()
    owner = factory.organisation("Programägaren")
    factory.user(("platform_admin", "admin"), "maja@example.org", owner, name="Maja Metodgarant")
    factory.user(("supervisor",), "sam@example.org", owner, name="Sam Pool")

    login(page, "maja@example.org", PASSWORD)
    assert page.get_by_role("navigation", name="Huvudmeny").locator("[data-nav=platform]").count() == 1
    page.goto("/platform/organisations")
    page.get_by_label("Organisationens namn").fill("Malmö stad")
    page.get_by_label("Namn på dess första administratör").fill("Anna Admin")
    page.get_by_label("E-post till dess första administratör").fill("anna@malmo.example.org")
    page.get_by_role("button", name="Skapa organisationen och bjud in dess administratör").click()
    assert page.get_by_text("Organisationen Malmö stad är skapad").is_visible()
    assert page.locator("#people").get_by_text("Inbjuden").is_visible()
    page.get_by_role("link", name="Handledarpool").click()
    assert page.locator("#pool").get_by_text("Sam Pool").is_visible()
    log_out(page)

    run_jobs()  # the worker delivers the invitation
    link = re.search(r"https?://\S+/invitation/\S+", body_text(mail_server.wait_for("anna@malmo.example.org"))).group(0)
    page.goto(link)
    password = "annas eget langa losenord"
    page.get_by_label("Nytt lösenord", exact=True).fill(password)
    page.get_by_label("Upprepa det nya lösenordet").fill(password)
    page.get_by_role("button", name="Spara lösenord").click()
    login(page, "anna@malmo.example.org", password)
    assert page.get_by_role("navigation", name="Huvudmeny").locator("[data-nav=platform]").count() == 0

    page.goto("/admin/organisations")
    details = page.locator("#organisation-details")
    details.get_by_label("Namn").fill("Malmö kommun")
    details.get_by_role("button", name="Spara uppgifterna").click()
    assert page.get_by_text("Organisationens uppgifter är sparade.").is_visible()

    with app.app_context():
        org_id = db.session.scalar(db.select(Organisation.id).where(Organisation.name == "Malmö kommun"))
    factory.user(("leader",), "lisa@malmo.example.org", org_id, name="Lisa Ledare")
    factory.user(("leader",), "leif@malmo.example.org", org_id, name="Leif Ledare")
    page.goto("/groups/new")
    assert page.get_by_text("Förslag: Sam Pool, som har minst att göra i handledarpoolen.").is_visible()
    page.get_by_label("Titel").fill("Malmös första grupp")
    page.locator("select[name=program]").select_option(label="Connect för föräldrar")
    page.get_by_label("Startdatum").fill("2027-01-11")
    page.locator("select[name=uploader]").select_option(label="Lisa Ledare")
    page.locator("select[name=co_leader]").select_option(label="Leif Ledare")
    page.get_by_label("Sam Pool (0 filmer väntar, 0 grupper)").check()
    page.get_by_role("button", name="Registrera gruppen").click()
    assert page.get_by_text("Gruppen Malmös första grupp är registrerad.").is_visible()

    with app.app_context():
        group = db.session.scalars(db.select(Group).where(Group.title == "Malmös första grupp")).one()
        assert (group.organisation.name, [s.name for s in group.supervisors]) == ("Malmö kommun", ["Sam Pool"])


def test_the_platform_administrator_acts_for_another_organisation_but_is_refused_its_film(page, live_server, app,
                                                                                        factory):
    ids = ready_film(app, factory)
    with app.app_context():
        name = db.session.get(Organisation, ids["organisation"]).name
        leader = db.session.get(User, ids["uploader"]).name
    factory.user(("platform_admin", "admin"), "maja@example.org", factory.organisation("Programägaren"),
                 name="Maja Metodgarant")
    login(page, "maja@example.org", PASSWORD)
    page.goto("/platform/organisations")
    page.get_by_role("button", name=f"Hantera {name}").click()

    banner = page.locator("#acting-banner")
    assert banner.get_by_text(f"Du hanterar {name} som plattformsadministratör").is_visible()
    assert page.get_by_role("heading", name="Användare").is_visible()
    assert page.locator("main").get_by_text(leader).first.is_visible()
    page.goto("/admin/retention")
    assert page.get_by_role("heading", name="Gallring och radering").is_visible()
    assert banner.is_visible()

    response = page.goto(f"/review/recordings/{ids['recording']}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Sidan finns inte").is_visible() and banner.is_visible()

    banner.get_by_role("button", name="Sluta").click()
    assert page.get_by_text(f"Du hanterar inte längre {name}.").is_visible()
    assert page.locator("#acting-banner").count() == 0
    page.goto("/admin/users")
    assert page.locator("main").get_by_text(leader).count() == 0
