"""Groups in a real browser: a leader registers participants and consent, confirms a session,
and is refused (with the code named) when a present participant lacks consent."""

from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.group_fixtures import make_group


def test_leader_registers_consent_and_confirms_a_session(page, live_server, app, factory):
    ids = make_group(app, factory)
    login(page, "lena-a@example.org", PASSWORD)
    page.get_by_role("link", name="Grupp a").first.click()

    for code in ("A1", "B2"):
        page.get_by_label("Kod").fill(code)
        page.get_by_role("button", name="Lägg till deltagare").click()
        assert page.get_by_text(f"Deltagaren {code} är registrerad").is_visible()
    page.get_by_label("Kod").fill("850312-1234")
    page.get_by_role("button", name="Lägg till deltagare").click()
    assert page.get_by_text("Det ser ut som ett personnummer").is_visible()

    page.get_by_role("link", name="A1", exact=True).click()
    page.get_by_label("Datum").fill("2026-01-10")
    page.get_by_label("Hur").select_option("paper")
    page.get_by_label("Version av informationstexten").fill("v1")
    page.get_by_role("button", name="Registrera samtycke").click()
    assert page.get_by_text("Samtycket för A1 är registrerat").is_visible()
    assert page.get_by_role("cell", name="Samtycke lämnat").is_visible()
    page.get_by_role("link", name="Grupp a").click()

    page.locator("tr[data-session='1']").get_by_role("link", name="Principsession 1").click()
    page.get_by_label("A1", exact=True).check()
    page.get_by_label("B2", exact=True).check()
    page.get_by_label("Jag bekräftar").check()
    page.get_by_role("button", name="Bekräfta", exact=True).click()
    refusal = page.locator(".flash-error")
    assert "saknar samtycke till filmning: B2" in refusal.inner_text()

    page.get_by_label("B2", exact=True).uncheck()
    page.get_by_label("Jag bekräftar").check()
    page.get_by_role("button", name="Bekräfta", exact=True).click()
    assert page.get_by_text("Närvaro och samtycke är bekräftade för Principsession 1").is_visible()
    assert page.locator("tr[data-session='1']").get_by_text("Samtycke bekräftat (1)").is_visible()
    assert page.locator("tr[data-session='2']").get_by_text("Inte bekräftat").is_visible()
    assert ids["group"]
