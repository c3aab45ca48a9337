"""Retention in a real browser: an admin sets the organisation's retention policy, then deletes
the films of a session after a participant withdrew consent, and gets the receipt number."""

from portal.extensions import db
from portal.models import AuditEvent, Organisation, Recording
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.portal.test_retention import stored, withdrawn


def test_admin_sets_a_policy_and_confirms_a_withdrawal_deletion(page, live_server, app, factory, tmp_path):
    film = withdrawn(app, factory, tmp_path)
    login(page, film["emails"]["admin"], PASSWORD)
    page.goto("/admin/groups")
    page.get_by_role("link", name="Gallring och radering").click()

    page.get_by_label("Radera filmer så här många dagar efter").fill("60")
    page.get_by_label("Varna gruppledarna och administratörerna").fill("10")
    page.get_by_label("Behåll de uppladdade originalfilerna").check()
    page.get_by_role("button", name="Spara reglerna").click()
    assert page.get_by_text("Gallringsreglerna är sparade.").is_visible()
    assert page.get_by_label("Radera filmer så här många dagar efter").input_value() == "60"

    page.get_by_role("link", name="← Grupper").click()
    item = page.locator(f"li[data-withdrawal-session='{film['session']}']")
    item.get_by_role("button", name="Radera träffens filmer").click()
    assert page.locator(f"#films li[data-recording='{film['recording']}']").is_visible()
    page.get_by_role("button", name="Radera filmerna").click()
    assert page.get_by_text("Kryssa i rutan för att bekräfta raderingen.").is_visible()
    page.get_by_label("Jag förstår att raderade filmer inte kan återställas").check()
    page.get_by_role("button", name="Radera filmerna").click()

    with app.app_context():
        receipt = db.session.scalars(db.select(AuditEvent.id).where(AuditEvent.action == "recording.deleted")).one()
        assert db.session.get(Recording, film["recording"]).status == "deleted"
        assert db.session.get(Recording, film["other"]).status == "ready"
        organisation = db.session.get(Organisation, film["organisation"])
        assert (organisation.retention_days, organisation.deletion_warning_days, organisation.keep_originals) == \
            (60, 10, True)
    flash = page.locator(".flash-success")
    assert f"1 film raderad. Dess kvittonummer i granskningsloggen: {receipt}." in flash.inner_text()
    assert item.get_by_text("filmerna är raderade").is_visible()
    assert stored(app, film["folder"]) == ([], [])
