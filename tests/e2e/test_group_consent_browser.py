"""Issue 16 in Chromium: a leader registers the consent of a whole group on one page, and the
player shows comment times on the portal's clock whatever the browser's own zone."""

from datetime import UTC, datetime

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Comment, Organisation
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.films import ApiClient, ready_film
from tests.group_fixtures import add_participants, make_group


@pytest.fixture
def database_url(sqlite_url):
    """SQLite only: the service tests cover PostgreSQL, and browser time is precious."""
    return sqlite_url


def test_leader_registers_consent_for_the_whole_group(page, app, factory):
    ids = make_group(app, factory)
    add_participants(app, ids["group"], ids["uploader"], ["A1", "B2", "C3"], consented=("B2",))
    with app.app_context():
        db.session.get(Organisation, ids["org"]).consent_text_version = "Info 2026:1"
        db.session.commit()
    login(page, "lena-a@example.org", PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    page.get_by_role("link", name="Registrera samtycke för flera deltagare på en gång").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Samtycke för gruppen")
    expect(page.get_by_label("Version av informationstexten")).to_have_value("Info 2026:1")
    expect(page.locator("tr[data-participant='B2']")).to_contain_text("Lämnat 5 jan. 2026")

    page.get_by_label("Samtycke lämnat av A1").check()
    page.get_by_label("Datum för samtycket från A1").fill("2026-01-10")
    page.get_by_label("Samtycke lämnat av C3").check()
    page.get_by_label("Hur C3 lämnade samtycke").select_option("oral_on_film")  # but no timecode
    page.get_by_role("button", name="Spara samtyckena").click()

    expect(page.locator(".flash-error")).to_contain_text("1 rad kunde inte sparas, så inget registrerades.")
    expect(page.locator("tr[data-error-for='C3']").get_by_role("alert")).to_contain_text("C3: Muntligt samtycke")
    expect(page.get_by_label("Samtycke lämnat av A1")).to_be_checked()  # nothing the leader typed is lost
    expect(page.get_by_label("Datum för samtycket från A1")).to_have_value("2026-01-10")

    page.get_by_label("Tidkod för det muntliga samtycket från C3").fill("0:02:15")
    page.get_by_role("button", name="Spara samtyckena").click()
    expect(page.locator(".flash-success")).to_have_text("Samtyckena för 2 deltagare är registrerade.")
    expect(page.locator("tr[data-participant='A1']")).to_contain_text("Lämnat 10 jan. 2026 · Pappersblankett")
    expect(page.locator("tr[data-participant='C3']")).to_contain_text("Muntligt på film · informationstext Info 2026:1")
    assert page.locator("#consent-rows input[type=checkbox]").count() == 0  # everyone has consent now


def test_the_player_shows_comment_times_on_the_portals_clock(browser, live_server, app, factory):
    film = ready_film(app, factory, duration=30.0)
    answer = ApiClient(app, film["emails"]["supervisor"]).call(
        "POST", f"/recordings/{film['recording']}/comments",
        json={"t_start": 3, "category": "strength", "body": "Fin inledning"})
    assert answer.status_code == 201
    with app.app_context():
        db.session.get(Comment, answer.get_json()["id"]).created_at = datetime(2026, 12, 3, 2, 46, tzinfo=UTC)
        db.session.commit()
    context = browser.new_context(base_url=live_server.url, locale="sv-SE", timezone_id="America/New_York")
    try:
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        login(page, film["emails"]["supervisor"], PASSWORD)
        page.goto(f"/review/recordings/{film['recording']}")
        meta = page.locator(".thread .comment-meta")
        expect(meta).to_contain_text("03:46")  # Stockholm; the browser itself is in New York (21:46)
        assert "21:46" not in meta.inner_text() and "02:46" not in meta.inner_text()
        assert errors == []
    finally:
        context.close()
