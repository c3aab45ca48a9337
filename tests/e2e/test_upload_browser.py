"""Uploading a session's film in Chromium through Uppy, straight to storage."""

import os
import time

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models.recordings import Recording
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.films import MiB, group_with_session, small_parts
from tests.workers import clips


def open_upload_page(page, ids, log_in=True):
    if log_in:
        login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    page.locator("tr[data-session='1']").get_by_role("link", name="Ladda upp filmen").click()
    page.wait_for_selector(".uppy-Dashboard")


def choose(page, *paths):
    page.locator(".uppy-Dashboard-input").first.set_input_files([str(p) for p in paths])


def start_upload(page):
    page.locator(".uppy-StatusBar-actionBtn--upload").click()


def wait_until_uploaded(page):
    """The page follows the recording once the last file is in (locators: our CSP forbids eval)."""
    expect(page.locator("#recording-status-text")).not_to_be_empty(timeout=30_000)


def recordings(app, session_id=None):
    """(status, [(position, filename, status)]) of every recording (of session ``session_id``)."""
    query = db.select(Recording)
    if session_id is not None:
        query = query.where(Recording.group_session_id == session_id)
    with app.app_context():
        return [(r.status, [(s.position, s.filename, s.status) for s in r.sources])
                for r in db.session.scalars(query)]


def test_leader_uploads_a_film(page, app, factory, tmp_path):
    small_parts(app)
    ids = group_with_session(app, factory)
    film = clips.make("h264_aac", tmp_path)
    login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    assert page.locator("tr[data-session='1'] [data-film-status]").inner_text() == "Väntar på uppladdning"
    console = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    open_upload_page(page, ids, log_in=False)
    choose(page, film)
    start_upload(page)
    wait_until_uploaded(page)
    assert recordings(app) == [("uploaded", [(1, "camera.mp4", "uploaded")])]
    # screen readers heard the progress in its live region, in steps of ten
    assert page.locator("#upload-progress-text").get_attribute("role") == "status"
    expect(page.locator("#upload-progress-text")).to_have_text("100 % uppladdat")
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


@pytest.fixture
def s3_proxy(app, s3_server):
    """The app on S3 (moto), with browsers reaching the bucket through a counting proxy."""
    from tests.proxy import CountingProxy

    proxy = CountingProxy(s3_server.port)
    app.config.update(s3_server.config(s3_server.new_bucket()), S3_PUBLIC_ENDPOINT_URL=proxy.url)
    small_parts(app, part=5 * MiB)
    yield proxy
    proxy.stop()


def stored_object_sha256(app, session_id=None):
    """SHA-256 of the first file of the recording (of session ``session_id``, when given) in storage."""
    import hashlib

    from portal.services.storage import get_storage

    query = db.select(Recording)
    if session_id is not None:
        query = query.where(Recording.group_session_id == session_id)
    with app.app_context():
        source = db.session.scalar(query).sources[0]
        with get_storage().open_read(source.storage_key) as fh:
            return hashlib.sha256(fh.read()).hexdigest()


def test_s3_upload_goes_straight_to_the_bucket(page, app, factory, tmp_path, s3_proxy):
    ids = group_with_session(app, factory)
    film = tmp_path / "00001.MTS"
    film.write_bytes(os.urandom(12 * MiB))
    open_upload_page(page, ids)
    choose(page, film)
    start_upload(page)
    wait_until_uploaded(page)
    assert recordings(app) == [("uploaded", [(1, "00001.MTS", "uploaded")])]
    assert sorted(n for _u, n in s3_proxy.put_parts) == [1, 2, 3]  # each part once, via the bucket
    import hashlib

    assert stored_object_sha256(app) == hashlib.sha256(film.read_bytes()).hexdigest()


def test_interrupted_upload_resumes_without_resending_parts(page, app, factory, tmp_path, s3_proxy):
    import hashlib

    ids = group_with_session(app, factory)
    film = tmp_path / "00001.MTS"
    film.write_bytes(os.urandom(6 * 5 * MiB + 1234))  # 7 parts
    s3_proxy.put_delay = 1.0
    open_upload_page(page, ids)
    choose(page, film)
    start_upload(page)
    deadline = time.monotonic() + 30
    while len(s3_proxy.put_parts) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    context = page.context
    # The leader closes the tab about half-way. The parts still on their way are lost with it:
    # on loopback their bytes may already sit in the proxy's socket buffer, so the proxy drops
    # them rather than leave the outcome to timing.
    s3_proxy.drop_puts = True
    page.close()
    time.sleep(1.5)
    before = {n for _u, n in s3_proxy.put_parts}
    assert 3 <= len(before) < 7
    s3_proxy.put_delay, s3_proxy.drop_puts = 0.0, False
    again = context.new_page()
    open_upload_page(again, ids, log_in=False)  # same browser, still logged in
    choose(again, film)
    start_upload(again)
    wait_until_uploaded(again)
    numbers = [n for _u, n in s3_proxy.put_parts]
    assert sorted(set(numbers)) == [1, 2, 3, 4, 5, 6, 7]
    assert all(numbers.count(n) == 1 for n in before)  # no completed part was sent again
    assert recordings(app) == [("uploaded", [(1, "00001.MTS", "uploaded")])]
    assert stored_object_sha256(app) == hashlib.sha256(film.read_bytes()).hexdigest()
    again.close()
