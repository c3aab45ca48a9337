"""Certification in a real browser: a supervisor certifies a leader whose group is complete, the
leader downloads the certificate and the register lists them; a certified leader with five
groups registers a sixth and sees that recertification is due."""

import re
from datetime import timedelta

import pypdf
from babel.dates import format_date

from portal.models.base import utcnow
from tests.certification_fixtures import certify, complete_group, register_groups
from tests.conftest import PASSWORD
from tests.e2e.conftest import log_out as menu_log_out
from tests.e2e.conftest import login
from tests.group_fixtures import make_group


def log_out(page):
    menu_log_out(page)
    page.wait_for_url(re.compile(r"/login"))


def test_a_certified_leader_downloads_the_certificate_and_is_in_the_register(page, live_server, app, factory):
    ids = complete_group(app, factory, participants=6)
    login(page, "sara-a@example.org", PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    page.get_by_role("link", name="Beslut om certifiering för Lena a").click()
    assert page.get_by_text("Redo för beslut").is_visible()
    assert page.locator("table.slots tr[data-supervision='done']").count() == 9
    page.get_by_label("Certifierad", exact=True).check()
    page.get_by_role("button", name="Spara beslutet").click()
    assert page.get_by_text("Lena a är certifierad").is_visible()
    log_out(page)

    login(page, "lena-a@example.org", PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    page.locator("main").get_by_role("link", name="Min certifiering").click()
    assert page.locator("#status [data-stage='certified']").inner_text() == "Certifierad"
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Ladda ner intyget (PDF)").click()
    download = download_info.value
    assert re.fullmatch(r"certificate-\d+-\d{4}-\d{2}-\d{2}\.pdf", download.suggested_filename)
    text = " ".join(p.extract_text() for p in pypdf.PdfReader(download.path()).pages)
    assert "Lena a" in text and "Connect för föräldrar" in text and "Intyg" in text
    page.goto("/certification/register")
    assert page.locator("#register tbody tr").count() == 1
    log_out(page)

    login(page, "admin-a@example.org", PASSWORD)
    page.goto("/certification/register")
    row = page.locator("#register tbody tr", has_text="Lena a")
    assert row.get_by_text("Certifierad", exact=True).is_visible()
    assert page.locator("#register tbody tr", has_text="Leo a").count() == 0


def test_a_leader_with_five_groups_registers_a_sixth_and_sees_recertification_due(page, live_server, app,
                                                                                      factory):
    ids = make_group(app, factory)
    certify(app, ids, valid_from=utcnow().date() - timedelta(days=400))
    register_groups(app, ids, 5)
    login(page, "lena-a@example.org", PASSWORD)
    page.goto("/certification/")
    assert page.locator("#status [data-stage]").get_attribute("data-stage") == "certified"
    assert page.locator("[data-groups-since]").inner_text() == "5 av 6"

    page.goto("/groups/new")  # the start notice of the sixth group
    page.get_by_label("Titel").fill("Sjätte omgången")
    page.locator("select[name=program]").select_option(label="Connect för föräldrar")
    page.get_by_label("Startdatum").fill("2031-09-01")
    page.locator("select[name=co_leader]").select_option(label="Leo a")
    page.get_by_label("Ordinarie grupp").check()
    page.get_by_role("button", name="Registrera gruppen").click()
    assert page.get_by_text("Gruppen Sjätte omgången är registrerad.").is_visible()

    page.goto("/certification/")
    status = page.locator("#status [data-stage]")
    assert status.get_attribute("data-stage") == "recert_due"
    assert status.inner_text() == "Dags för omcertifiering"
    assert page.locator("[data-groups-since]").inner_text() == "6 av 6"
    due = page.locator("[data-due]")
    assert due.get_attribute("data-due") == utcnow().date().isoformat()
    assert due.inner_text() == format_date(utcnow().date(), "medium", locale="sv")  # "3 dec. 2026"
    assert page.locator("#groups-since").get_by_role("link", name="Sjätte omgången").is_visible()
