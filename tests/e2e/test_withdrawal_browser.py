"""A withdrawal of consent in a real browser: the leader sees the films it affects and can still
cancel; once confirmed, playback of those films stops and the group page says when they go."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date

from portal.extensions import db
from portal.models import GroupSession, Participant
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.portal.test_withdrawal import setting


def test_leader_sees_the_affected_films_then_confirms_the_withdrawal(page, live_server, app, factory, tmp_path):
    film = setting(app, factory, tmp_path)
    login(page, film["emails"]["uploader"], PASSWORD)
    page.goto(f"/groups/participants/{film['codes']['A1']}")
    page.get_by_label("Datum för återkallelse").fill(date.today().isoformat())
    page.get_by_role("button", name="Registrera återkallelse").click()

    films = page.locator("#affected-films li")
    assert films.count() == 1 and "Principsession 1" in films.first.inner_text()
    page.get_by_role("button", name="Avbryt").or_(page.get_by_role("link", name="Avbryt")).click()
    with app.app_context():
        assert db.session.get(Participant, film["codes"]["A1"]).has_consent  # cancelled: nothing changed

    page.get_by_label("Datum för återkallelse").fill(date.today().isoformat())
    page.get_by_role("button", name="Registrera återkallelse").click()
    page.get_by_role("button", name="Registrera återkallelsen").click()

    # The day the films go, as the portal writes it: Stockholm's date, the Swedish way ("10 dec. 2026").
    stockholm = datetime.now(ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])).date()
    deleted_on = format_date(stockholm + timedelta(days=7), "medium", locale="sv")
    assert page.locator(".flash-success").inner_text() == (
        f"Återkallelsen är registrerad. Uppspelning av 1 film är stoppad; den raderas {deleted_on}.")
    with app.app_context():
        assert db.session.get(GroupSession, film["session"]).playback_blocked_at is not None
    page.goto(f"/groups/{film['group']}")
    row = page.locator("tr[data-session='1']")
    assert f"filmen raderas {deleted_on}" in row.locator("[data-consent-state]").inner_text()
    assert row.get_by_text("Uppspelning spärrad").is_visible()
