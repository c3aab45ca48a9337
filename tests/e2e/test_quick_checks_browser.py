"""Films from older DVD and hard-disk camcorders (.MOD, .TOD) go through the upload page and
become a film; the quick check sends them on to their encode."""

import shutil

from portal.extensions import db
from portal.models.recordings import Recording
from tests.e2e.test_upload_browser import choose, open_upload_page, start_upload, wait_until_uploaded
from tests.films import group_with_session, small_parts
from tests.workers import clips


def test_a_camcorders_mod_and_tod_files_are_uploaded_and_encoded(page, app, factory, tmp_path, run_jobs):
    small_parts(app)
    ids = group_with_session(app, factory)
    card = tmp_path / "card"
    card.mkdir()
    shutil.copy(clips.make("mpeg_ps", tmp_path / "made"), card / "MOV001.MOD")  # MPEG-2 program stream
    shutil.copy(clips.make("h264_ac3", tmp_path / "made"), card / "MOV002.TOD")  # MPEG transport stream
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    open_upload_page(page, ids)
    choose(page, card / "MOV001.MOD", card / "MOV002.TOD")
    start_upload(page)
    wait_until_uploaded(page)
    assert errors == []  # neither Uppy nor the server refused them as "not a video"
    run_jobs()  # the quick check, then the encode it queues
    with app.app_context():
        recording = db.session.scalar(db.select(Recording))
        assert [s.filename for s in recording.sources] == ["MOV001.MOD", "MOV002.TOD"]
        assert recording.status == "ready" and recording.media_info["path"] == "encode"
        assert abs(recording.duration - 6) < 0.5
