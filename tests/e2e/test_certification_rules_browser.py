"""Issue 18 in a real browser: a future-dated session and a 20-second film do not count towards
certification and the file says why; anyone can check a certificate's code at /verify/<code>;
an admin renames the organisation and the certificate carries the new name."""

import re
from datetime import timedelta

import pypdf
from babel.dates import format_date

from portal.extensions import db
from portal.models import Certification, Recording
from portal.models.base import utcnow
from tests.certification_fixtures import certify, complete_group
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.group_fixtures import make_group


def test_a_future_session_and_a_20_second_film_do_not_count_and_the_file_says_why(page, live_server, app, factory):
    today = utcnow().date()
    ids = complete_group(app, factory, start=today - timedelta(weeks=8) - timedelta(days=1))  # session 9: in 6 days
    with app.app_context():
        db.session.get(Recording, ids["recordings"][4]).duration = 20.0
        db.session.commit()
    login(page, "sara-a@example.org", PASSWORD)
    page.goto(f"/certification/groups/{ids['group']}/leaders/{ids['uploader']}")
    readiness = page.locator("[data-ready='no']")
    assert readiness.get_by_text("Inte redo för beslut").is_visible()
    assert readiness.get_by_text("Filmen från Principsession 4 är 0:20 lång; minst 45 minuter behövs.").is_visible()
    session_9 = format_date(today + timedelta(days=6), "medium", locale="sv")  # "9 dec. 2026"
    assert readiness.get_by_text(f"Principsession 9 är daterad {session_9}, som inte har passerat än.").is_visible()
    assert page.locator("table.slots tr[data-counts='no']").evaluate_all(
        "rows => rows.map(r => r.dataset.session)") == ["4", "9"]
    assert "Filmen från Principsession 4" in page.locator("table.slots tr[data-session='4'] td.counts").inner_text()
    assert page.locator("table.slots tr[data-session='3'] td.counts").inner_text() == "Ja"
    assert page.get_by_label("Certifierad", exact=True).is_disabled()


def test_anyone_checks_a_certificate_on_its_verification_page(page, live_server, app, factory):
    ids = make_group(app, factory)
    certification_id = certify(app, ids)
    with app.app_context():
        row = db.session.get(Certification, certification_id)
        code, until = row.verification_code, row.valid_until.isoformat()
    page.goto(f"/verify/{code.lower()}")  # not logged in, typed in lower case
    assert page.get_by_role("heading", name="Kontrollera ett intyg").is_visible()
    facts = page.locator("dl.verification")
    assert facts.get_attribute("data-valid") == "yes"
    assert facts.locator("[data-field=name]").inner_text() == "Lena a"
    assert facts.locator("[data-field=program]").inner_text() == "Connect för föräldrar"
    assert facts.locator("[data-field=validity]").inner_text() == f"Giltigt till och med {until}"
    assert "Kommun a" not in page.locator("main").inner_text()
    page.goto("/verify/AAAA-BBBB-CCCC")
    assert page.get_by_text("Inget intyg har den här koden.").is_visible()


def test_an_admin_renames_the_organisation_and_the_certificate_shows_it(page, live_server, app, factory):
    ids = make_group(app, factory)
    certification_id = certify(app, ids)
    login(page, "admin-a@example.org", PASSWORD)
    page.goto("/admin/organisations")
    form = page.locator("#organisation-details")
    assert form.get_by_label("Namn").input_value() == "Kommun a"
    form.get_by_label("Namn").fill("Malmö stad")
    form.get_by_label("Uppgifter").fill("Box 123, 205 00 Malmö")
    form.get_by_role("button", name="Spara uppgifterna").click()
    assert page.get_by_text("Organisationens uppgifter är sparade.").is_visible()
    assert page.get_by_text("Din organisation: Malmö stad").is_visible()

    page.goto(f"/certification/leaders/{ids['uploader']}")
    with page.expect_download() as download_info:
        page.locator(f"tr[data-certification='{certification_id}']").get_by_role("link", name="PDF").click()
    text = re.sub(r"\s+", " ", " ".join(p.extract_text()
                                       for p in pypdf.PdfReader(download_info.value.path()).pages))
    assert "Organisation: Malmö stad" in text and "Box 123, 205 00 Malmö" in text and "Kommun a" not in text
