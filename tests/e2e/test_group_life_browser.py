"""A group's life in a real browser (issue 18): an admin changes the supervisor and the films move
to the new supervisor's queue, a leader moves a session, an archived group is read-only."""

from datetime import date

from portal.extensions import db
from portal.models import Group, GroupSession, User
from portal.services import groups
from tests.conftest import PASSWORD
from tests.e2e.conftest import forget_session, login
from tests.films import ready_film
from tests.group_fixtures import make_group


def test_a_changed_supervisor_finds_the_films_in_the_queue_and_the_former_one_not(page, app, factory):
    ids = ready_film(app, factory)
    factory.user(("supervisor",), "sven@example.org", name="Sven Handledare")
    login(page, ids["emails"]["admin"], PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    page.get_by_role("link", name="Ändra gruppen").click()
    supervisors = page.locator("#group-edit fieldset")
    supervisors.get_by_label("Sara", exact=False).uncheck()
    supervisors.get_by_label("Sven Handledare").check()
    page.get_by_role("button", name="Spara gruppen").click()
    assert page.get_by_text("Gruppen är sparad").is_visible()
    assert page.locator("main").get_by_text("Handledare: Sven Handledare").is_visible()

    for email, sees in (("sven@example.org", True), (ids["emails"]["supervisor"], False)):
        forget_session(page)
        login(page, email, PASSWORD)
        page.goto("/review/")
        assert (page.locator("#queue").count() == 1) is sees, email
        if sees:
            assert page.locator("#queue").get_by_text("Principsession 1").is_visible()


def test_a_leader_moves_a_session_date(page, app, factory):
    ids = make_group(app, factory)
    login(page, "lena-a@example.org", PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    page.locator("tr[data-session='3']").get_by_role("link").first.click()
    page.get_by_label("Datum").fill("2026-02-04")
    page.get_by_role("button", name="Spara datumet").click()
    assert page.get_by_text("Datumet för Principsession 3 har sparats").is_visible()
    assert "4 feb. 2026" in page.locator("tr[data-session='3']").inner_text()
    with app.app_context():
        assert db.session.get(GroupSession, ids["sessions"][3]).date == date(2026, 2, 4)


def test_an_archived_group_is_read_only_and_leaves_the_group_list(page, app, factory):
    ids = make_group(app, factory)
    with app.test_request_context():
        groups.record_evaluation(db.session.get(Group, ids["group"]), date(2026, 3, 20), 7, "",
                                 db.session.get(User, ids["admin"]))
        db.session.commit()
    login(page, "admin-a@example.org", PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    page.get_by_role("button", name="Avsluta gruppen").click()
    assert page.get_by_text("Gruppen är avslutad.").is_visible()
    page.get_by_role("button", name="Arkivera gruppen").click()
    assert page.locator("#archived-notice").is_visible()
    assert page.get_by_role("link", name="Ändra gruppen").count() == 0
    assert page.get_by_role("button", name="Lägg till deltagare").count() == 0

    forget_session(page)
    login(page, "lena-a@example.org", PASSWORD)
    page.goto("/groups/")
    assert page.get_by_role("link", name="Grupp a").count() == 0
    page.get_by_role("link", name="Arkiverade grupper").click()
    page.get_by_role("link", name="Grupp a").first.click()
    assert page.locator("#archived-notice").is_visible()
    assert page.locator("a[href*='/upload']").count() == 0
    assert page.goto(f"/groups/{ids['group']}/edit").status == 403
