"""Uploading a session's film in Chromium through Uppy, straight to storage."""

import os

from playwright.sync_api import expect

from portal.extensions import db
from portal.models.recordings import Recording
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.films import MiB, group_with_session, small_parts
from tests.workers import clips


def open_upload_page(page, ids):
    login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    row = page.locator("tr[data-session='1']")
    assert row.locator("[data-film-status]").inner_text() == "Väntar på uppladdning"
    row.get_by_role("link", name="Ladda upp filmen").click()
    page.wait_for_selector(".uppy-Dashboard")


def choose(page, *paths):
    page.locator(".uppy-Dashboard-input").first.set_input_files([str(p) for p in paths])


def start_upload(page):
    page.locator(".uppy-StatusBar-actionBtn--upload").click()


def wait_until_uploaded(page):
    """The page follows the recording once the last file is in (locators: our CSP forbids eval)."""
    expect(page.locator("#recording-status-text")).not_to_be_empty(timeout=30_000)


def recordings(app):
    with app.app_context():
        return [(r.status, [(s.position, s.filename, s.status) for s in r.sources])
                for r in db.session.scalars(db.select(Recording))]


def test_leader_uploads_a_film(page, app, factory, tmp_path):
    small_parts(app)
    ids = group_with_session(app, factory)
    film = clips.make("h264_aac", tmp_path)
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    open_upload_page(page, ids)
    choose(page, film)
    start_upload(page)
    wait_until_uploaded(page)
    assert recordings(app) == [("uploaded", [(1, "camera.mp4", "uploaded")])]
    assert console == []  # no CSP violation, no failed request
    page.goto(f"/groups/{ids['group']}")
    assert page.locator("tr[data-session='1'] [data-film-status]").get_attribute("data-film-status") == "uploaded"


def test_several_files_keep_their_order(page, app, factory, tmp_path):
    small_parts(app)
    ids = group_with_session(app, factory)
    folder = tmp_path / "card"
    folder.mkdir()
    for name, size in (("00002.MTS", MiB + 7), ("00001.MTS", 2 * MiB + 3), ("00003.MTS", 11)):
        (folder / name).write_bytes(os.urandom(size))
    open_upload_page(page, ids)
    choose(page, folder / "00003.MTS", folder / "00001.MTS", folder / "00002.MTS")
    start_upload(page)
    wait_until_uploaded(page)
    assert recordings(app) == [("uploaded", [(1, "00001.MTS", "uploaded"), (2, "00002.MTS", "uploaded"),
                                             (3, "00003.MTS", "uploaded")])]


def test_upload_page_explains_a_missing_consent_confirmation(page, app, factory):
    ids = group_with_session(app, factory, confirmed=False)
    login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/sessions/{ids['session']}/upload")
    assert page.get_by_text("markera vilka som var närvarande").is_visible()
    assert page.locator(".uppy-Dashboard").count() == 0
    page.get_by_role("button", name="Bekräfta närvaro och samtycke").click()
    assert f"/groups/sessions/{ids['session']}/confirm" in page.url
