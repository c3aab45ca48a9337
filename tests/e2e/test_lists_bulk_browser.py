"""Long lists and bulk actions in a real browser: an admin invites several people from a pasted
list (a wrong line is shown and nothing is created until it is fixed), then finds one of them
by searching the people list and pages through it with the keyboard."""

import pytest

from portal.extensions import db
from portal.models import Organisation, User
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.group_fixtures import make_group


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_admin_invites_a_pasted_list_then_searches_and_pages_the_people(page, live_server, app, factory,
                                                                         mail_server):
    ids = make_group(app, factory)
    with app.app_context():
        org = db.session.get(Organisation, ids["org"])
        db.session.add_all([User(email=f"p{n:02d}@example.org", name=f"Person {n:02d}", organisation=org, active=True)
                            for n in range(50)])
        db.session.commit()
    login(page, "admin-a@example.org", PASSWORD)
    page.wait_for_url(lambda url: "/login" not in url)
    page.goto("/admin/users")
    page.get_by_role("button", name="Bjud in flera").click()
    people = page.get_by_label("Personer att bjuda in")
    people.fill("Karin Ek, karin@example.org, gruppledare\nMona Ny, mona@example, gruppledare")
    page.get_by_role("button", name="Lägg upp och skicka inbjudningar").click()
    alert = page.get_by_role("alert")
    assert "1 rad behöver rättas; ingen bjöds in." in alert.inner_text()
    assert "Rad 2" in alert.inner_text() and "giltig e-postadress" in alert.inner_text()
    assert "Karin Ek, karin@example.org" in people.input_value()  # the list is kept to correct
    people.fill("Karin Ek, karin@example.org, gruppledare\nMona Ny, mona@example.org, gruppledare + administratör")
    page.get_by_role("button", name="Lägg upp och skicka inbjudningar").click()
    assert page.get_by_text("2 personer har lagts upp och bjudits in.").is_visible()

    pager = page.get_by_role("navigation", name="Sidor med personer")
    assert pager.get_by_text("Sida 1 av 2").is_visible()
    assert page.get_by_role("status").filter(has_text="Visar 1–50 av 56").is_visible()
    pager.get_by_role("link", name="Nästa").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/users?page=2")
    assert page.get_by_role("navigation", name="Sidor med personer").get_by_text("Sida 2 av 2").is_visible()

    search = page.get_by_role("searchbox", name="Sök personer på namn eller e-post")
    search.fill("mona")
    search.press("Enter")
    page.wait_for_url("**/admin/users?q=mona")
    rows = page.locator("table tbody tr")
    assert rows.count() == 1 and "mona@example.org" in rows.first.inner_text()
    assert "Inbjuden" in rows.first.inner_text()
    assert page.get_by_role("navigation", name="Sidor med personer").count() == 0
    page.get_by_role("link", name="Visa alla").click()
    assert page.locator("table tbody tr").count() == 50
