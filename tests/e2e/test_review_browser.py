"""Session feedback in a real browser: a supervisor finds the film in the queue, writes and
publishes the summary, and exports it; the leader sees the notice in the navigation, follows it
to the summary and downloads the export."""

import csv
import io
from pathlib import Path

from tests.conftest import PASSWORD
from tests.e2e.conftest import log_out, login
from tests.films import ready_film

SUMMARY = "Tydlig genomgång av principen. Öva mer på att vänta in tystnaden."


def download_csv(page, button):
    """Click ``button``, wait for the download and return (file name, rows)."""
    with page.expect_download() as info:
        page.get_by_role("button", name=button, exact=True).click()
    download = info.value
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    return download.suggested_filename, list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_supervisor_publishes_feedback_and_the_leader_reads_and_exports_it(page, live_server, app, factory):
    film = ready_film(app, factory)
    login(page, film["emails"]["supervisor"], PASSWORD)
    page.locator("[data-nav=supervisor]").click()
    assert page.locator(f"tr[data-recording='{film['recording']}']").is_visible()

    page.get_by_label("Status").select_option("done")
    page.get_by_role("button", name="Filtrera").click()
    assert page.get_by_text("Ingen film matchar filtret.").is_visible()
    page.get_by_label("Status").select_option("not_started")
    page.get_by_role("button", name="Filtrera").click()
    row = page.locator(f"tr[data-recording='{film['recording']}'][data-status='not_started']")
    row.get_by_role("link", name="Inte påbörjad").click()

    page.get_by_role("textbox", name="Sammanfattning av handledningen").fill(SUMMARY)
    page.get_by_label("Datum för handledningstillfället").fill("2026-01-22")
    assert page.locator("#not-published").is_visible()
    page.get_by_role("button", name="Publicera för gruppledarna").click()
    assert page.get_by_text("Återkopplingen är publicerad för gruppledarna.").is_visible()
    assert page.get_by_text("Handledningstillfälle 22 jan. 2026").is_visible()
    name, rows = download_csv(page, "Den här träffen som CSV")
    assert name.startswith(f"supervision-group-{film['group']}-session-1-") and name.endswith(".csv")
    assert rows[0]["Text"] == SUMMARY and rows[0]["Handledningstillfälle"] == "2026-01-22"
    log_out(page)

    login(page, film["emails"]["uploader"], PASSWORD)
    notices = page.locator("[data-nav=notifications]")
    assert notices.locator(".unread-count").inner_text() == "1"
    notices.click()
    page.get_by_role("link", name="Återkopplingen på Principsession 1 i gruppen Grupp film0 är publicerad.").click()
    assert page.locator("#summary").inner_text() == SUMMARY
    assert page.locator("[data-nav=notifications] .unread-count").count() == 0
    assert page.locator("input[name=private]").count() == 0
    _name, rows = download_csv(page, "Hela gruppen som CSV")
    assert [(r["Träff"], r["Rad"], r["Text"]) for r in rows] == [("1", "Sammanfattning", SUMMARY)]
