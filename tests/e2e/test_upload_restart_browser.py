""""Börja om" on the upload page: whatever state the upload is in, the leader starts the film over."""

import hashlib
import os

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import AuditEvent
from tests.e2e.test_upload_browser import (
    choose,
    open_upload_page,
    recordings,
    start_upload,
    wait_until_uploaded,
)
from tests.films import ApiClient, MiB, group_with_session, small_parts

# on SQLite only: the page's behaviour does not depend on the database
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def restarts(app):
    with app.app_context():
        return [e.actor_id for e in db.session.scalars(db.select(AuditEvent)
                                                       .where(AuditEvent.action == "upload.restarted"))]


def uploaded_sha256(app, session_id):
    """SHA-256 of the session's uploaded file in storage (the aborted one before it is gone)."""
    from portal.models.recordings import SourceFile
    from portal.services.storage import get_storage

    with app.app_context():
        source = db.session.scalar(db.select(SourceFile).where(SourceFile.status == "uploaded"))
        assert source.recording.group_session_id == session_id
        with get_storage().open_read(source.storage_key) as fh:
            return hashlib.sha256(fh.read()).hexdigest()


def start_over(page):
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Börja om").click()


def test_start_over_after_coming_back_to_a_stuck_upload(page, app, factory, tmp_path):
    """The page is opened again on an upload that will not finish: "Börja om" drops it, and the
    file chosen again is sent from the beginning."""
    small_parts(app)
    ids = group_with_session(app, factory)
    film = tmp_path / "00001.MTS"
    film.write_bytes(os.urandom(2 * MiB + 4321))
    ApiClient(app, ids["emails"]["uploader"]).upload(ids["session"], film.read_bytes(), parts=[2],
                                                     last_modified=None)
    open_upload_page(page, ids)
    expect(page.locator("#upload-restart")).to_be_visible()
    start_over(page)
    expect(page.get_by_text("Uppladdningen börjar om. Välj filmens filer")).to_be_visible()
    assert recordings(app, ids["session"]) == [("awaiting_upload", [(1, "00001.MTS", "aborted")])]
    assert restarts(app) == [ids["uploader"]]
    choose(page, film)
    start_upload(page)
    wait_until_uploaded(page)
    assert recordings(app, ids["session"]) == [("uploaded", [(1, "00001.MTS", "aborted"),
                                                             (1, "00001.MTS", "uploaded")])]
    assert uploaded_sha256(app, ids["session"]) == hashlib.sha256(film.read_bytes()).hexdigest()


def test_start_over_in_the_middle_of_an_upload(page, app, factory, tmp_path):
    """Parts are on their way (held here) when the leader presses "Börja om": the upload is
    aborted on the server and the same file starts again from byte 0, and completes."""
    small_parts(app)
    ids = group_with_session(app, factory)
    film = tmp_path / "00001.MTS"
    film.write_bytes(os.urandom(3 * MiB + 99))
    held, holding = [], [True]
    # The parts sent before "Börja om" never arrive; later ones pass. (Unrouting instead would
    # release the held parts, and the upload could complete before the click.)
    page.route("**/storage/part**", lambda route: held.append(route) if holding[0] else route.continue_())
    open_upload_page(page, ids)
    choose(page, film)
    start_upload(page)
    expect(page.locator("#upload-restart")).to_be_visible()
    page.wait_for_timeout(300)
    assert held, "no part was on its way"
    holding[0] = False
    start_over(page)
    wait_until_uploaded(page)
    expect(page.locator("#upload-restart")).to_be_hidden()
    assert recordings(app, ids["session"]) == [("uploaded", [(1, "00001.MTS", "aborted"),
                                                             (1, "00001.MTS", "uploaded")])]
    assert restarts(app) == [ids["uploader"]]
    assert uploaded_sha256(app, ids["session"]) == hashlib.sha256(film.read_bytes()).hexdigest()
