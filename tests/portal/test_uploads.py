"""The upload API: gate, caps, resume, complete, cancel, on the local folder and on S3."""

import hashlib
import os
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.base import utcnow
from portal.models.recordings import Recording, SourceFile
from portal.services import uploads
from portal.services.storage import get_storage
from tests.films import ApiClient, MiB, group_with_session, small_parts
from workers.queues import FIRST, HEAVY, LIGHT, get_queue

DATA = os.urandom(2 * MiB + 123_456)  # three parts of 1 MiB, the last one short


@pytest.fixture(params=["local", "s3"])
def backend(request, app):
    if request.param == "s3":
        s3 = request.getfixturevalue("s3_server")
        app.config.update(s3.config(s3.new_bucket()))
    small_parts(app, part=MiB if request.param == "local" else 5 * MiB)
    return request.param


@pytest.fixture
def film(app, factory):
    ids = group_with_session(app, factory)
    return ids, ApiClient(app, ids["emails"]["uploader"])


def recording_of(app, session_id):
    with app.app_context():
        return db.session.scalar(db.select(Recording).where(Recording.group_session_id == session_id))


def test_upload_completes_and_enqueues_processing_once(app, backend, film, tmp_path):
    ids, api = film
    data = DATA if backend == "local" else os.urandom(11 * MiB)
    info, etags = api.upload(ids["session"], data)
    assert info["resumed"] is False and info["part_count"] == 3
    done = api.complete(info["upload_id"], etags)
    assert done.status_code == 200 and done.get_json()["recording_uploaded"] is True
    again = api.complete(info["upload_id"], etags)  # a second complete is harmless
    assert again.status_code == 200
    with app.app_context():
        recording = db.session.scalar(db.select(Recording))
        assert recording.status == "uploaded" and recording.organisation_id == ids["organisation"]
        source = recording.sources[0]
        assert source.storage_key.startswith(f"org/{ids['organisation']}/rec/{recording.public_id}/src/")
        assert "00001" not in source.storage_key  # never the user's file name
        target = tmp_path / "downloaded"
        get_storage().download_to(source.storage_key, target)
        with open(target, "rb") as fh:
            assert hashlib.sha256(fh.read()).hexdigest() == hashlib.sha256(data).hexdigest()
        # complete twice, one job: the film's quick check, on the light queue (encodes come after it)
        assert get_queue(LIGHT).count == 1 and get_queue(FIRST).count + get_queue(HEAVY).count == 0
        actions = [e.action for e in db.session.scalars(db.select(AuditEvent))]
        assert actions.count("upload.completed") == 1 and "recording.uploaded" in actions
    state = api.call("GET", f"/recordings/{info['recording_id']}").get_json()
    assert state["status"] == "uploaded" and state["files"][0]["filename"] == "00001.MTS"


def test_size_above_the_cap_is_refused_before_any_byte(app, film):
    ids, api = film
    app.config["UPLOAD_MAX_FILE_BYTES"] = 10 * MiB
    response = api.call("POST", f"/sessions/{ids['session']}/uploads", json={
        "filename": "big.mp4", "size": 10 * MiB + 1, "content_type": "video/mp4"})
    assert response.status_code == 413
    assert response.get_json()["error"]["code"] == "too_large"
    assert "största fil som tas emot" in response.get_json()["error"]["message"]  # Swedish by default
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SourceFile.id))) == 0
    assert not os.path.exists(os.path.join(app.config["STORAGE_PATH"], ".uploads"))


def test_parts_that_do_not_add_up_are_refused(app, backend, film):
    ids, api = film
    data = DATA if backend == "local" else os.urandom(11 * MiB)
    info, etags = api.upload(ids["session"], data, parts=[1, 2])
    response = api.complete(info["upload_id"], etags)
    assert response.status_code in (409, 422)
    assert response.get_json()["error"]["code"] in ("parts_mismatch", "size_mismatch")
    assert recording_of(app, ids["session"]).status == "uploading"


def test_choosing_the_same_file_again_resumes(app, backend, film):
    ids, api = film
    data = DATA if backend == "local" else os.urandom(11 * MiB)
    first, etags = api.upload(ids["session"], data, parts=[1])
    again, more = api.upload(ids["session"], data, parts=[2, 3])
    assert again["resumed"] is True and again["upload_id"] == first["upload_id"]
    stored = api.call("GET", f"/uploads/{first['upload_id']}").get_json()["parts"]
    assert [p["number"] for p in stored] == [1, 2, 3]
    assert api.complete(first["upload_id"], {**etags, **more}).status_code == 200


def test_cancel_aborts_and_frees_the_session(app, film):
    ids, api = film
    small_parts(app)
    info, _ = api.upload(ids["session"], DATA, parts=[1])
    assert api.call("DELETE", f"/uploads/{info['upload_id']}").get_json()["status"] == "aborted"
    assert recording_of(app, ids["session"]).status == "awaiting_upload"
    assert api.call("POST", f"/uploads/{info['upload_id']}/part-urls",
                    json={"part_numbers": [2]}).status_code == 409


def test_several_files_keep_their_order(app, film):
    ids, api = film
    small_parts(app)
    second, etags2 = api.upload(ids["session"], DATA[:MiB], filename="00002.MTS", position=2, file_count=2)
    first, etags1 = api.upload(ids["session"], DATA, filename="00001.MTS", position=1, file_count=2)
    assert api.complete(second["upload_id"], etags2).get_json()["recording_uploaded"] is False
    assert api.complete(first["upload_id"], etags1).get_json()["recording_uploaded"] is True
    files = api.call("GET", f"/recordings/{first['recording_id']}").get_json()["files"]
    assert [(f["position"], f["filename"]) for f in files] == [(1, "00001.MTS"), (2, "00002.MTS")]


def test_upload_needs_a_consent_confirmation(app, factory):
    ids = group_with_session(app, factory, confirmed=False)
    api = ApiClient(app, ids["emails"]["uploader"])
    response = api.call("POST", f"/sessions/{ids['session']}/uploads",
                        json={"filename": "a.mp4", "size": 100, "content_type": "video/mp4"})
    assert response.status_code == 409
    assert response.get_json()["error"]["code"] == "consent_not_confirmed"
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(SourceFile.id))) == 0


def test_only_the_designated_uploader_may_upload(app, factory):
    ids = group_with_session(app, factory)
    co_leader = ApiClient(app, ids["emails"]["co_leader"])
    response = co_leader.call("POST", f"/sessions/{ids['session']}/uploads",
                              json={"filename": "a.mp4", "size": 100, "content_type": "video/mp4"})
    assert response.status_code == 403


def test_foreign_sessions_and_uploads_answer_404(app, factory):
    ours = group_with_session(app, factory)
    theirs = group_with_session(app, factory)  # another organisation
    same_org = group_with_session(app, factory, organisation_id=ours["organisation"])
    small_parts(app)
    owner = ApiClient(app, theirs["emails"]["uploader"])
    info, _ = owner.upload(theirs["session"], DATA, parts=[1])
    for email in (ours["emails"]["uploader"], same_org["emails"]["uploader"], ours["emails"]["supervisor"]):
        stranger = ApiClient(app, email)
        assert stranger.call("POST", f"/sessions/{theirs['session']}/uploads", json={
            "filename": "a.mp4", "size": 100, "content_type": "video/mp4"}).status_code == 404
        assert stranger.call("GET", f"/uploads/{info['upload_id']}").status_code == 404
        assert stranger.call("POST", f"/uploads/{info['upload_id']}/complete",
                             json={"parts": []}).status_code == 404
        assert stranger.call("DELETE", f"/uploads/{info['upload_id']}").status_code == 404
        assert stranger.call("GET", f"/recordings/{info['recording_id']}").status_code == 404


def test_bad_requests_get_clear_errors(app, film):
    ids, api = film
    path = f"/sessions/{ids['session']}/uploads"
    cases = [
        ({"filename": "a.mp4", "size": 0, "content_type": "video/mp4"}, 422, "invalid_size"),
        ({"filename": "a.mp4", "size": "12", "content_type": "video/mp4"}, 422, "invalid_size"),
        ({"filename": "notes.pdf", "size": 12, "content_type": "application/pdf"}, 415, "not_a_video"),
        ({"filename": "a.mp4", "size": 12, "content_type": "video/mp4", "position": 3,
          "file_count": 2}, 422, "invalid_position"),
    ]
    for body, status, code in cases:
        response = api.call("POST", path, json=body)
        assert (response.status_code, response.get_json()["error"]["code"]) == (status, code)
    response = api.client.post("/api/v1" + path, data="not json", headers={"X-CSRFToken": api.token})
    assert response.status_code == 400


def test_camera_and_dvd_files_named_after_something_else_are_accepted(app, film):
    ids, api = film
    path = f"/sessions/{ids['session']}/uploads"
    for filename, content_type in [("MOV001.MOD", "audio/x-mod"), ("MOV002.TOD", "application/x-tod"),
                                   ("VTS_01_1.VOB", "application/x-extension-vob"), ("film.mpg", "video/mpeg"),
                                   ("00003.MTS", "model/vnd.mts")]:
        response = api.call("POST", path, json={"filename": filename, "size": 12, "content_type": content_type})
        assert response.status_code < 300, (filename, response.get_json())
    refused = api.call("POST", path, json={"filename": "tune.mod.mp3", "size": 12, "content_type": "audio/mpeg"})
    assert refused.status_code == 415


def test_files_completing_at_once_mark_the_recording_uploaded_once(app, film):
    """Two files complete in overlapping transactions: neither sees the other's file before it
    commits; the check after commit must still mark the recording, exactly once."""
    from portal.models import User
    from portal.services import uploads

    ids, api = film
    small_parts(app)
    first, etags1 = api.upload(ids["session"], DATA[:MiB], filename="00001.MTS", position=1, file_count=2)
    second, etags2 = api.upload(ids["session"], DATA[:MiB], filename="00002.MTS", position=2, file_count=2)
    with app.app_context():
        user = db.session.get(User, ids["uploader"])
        sources = {s.public_id: s for s in db.session.scalars(db.select(SourceFile))}
        for upload, etags in ((first, etags1), (second, etags2)):
            parts = [{"number": n, "etag": e} for n, e in etags.items()]
            uploads.complete_upload(user, sources[upload["upload_id"]], parts)
        db.session.commit()
        recording_id = first["recording_id"]
        results = [uploads.finish_recording(user, recording_id), uploads.finish_recording(user, recording_id)]
        assert results == [True, False]
        assert db.session.get(Recording, recording_id).status == "uploaded"
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "recording.uploaded")).all()
        assert len(events) == 1


def test_a_stored_part_of_the_wrong_size_is_sent_again(app, backend, film, tmp_path):
    """A part kept shorter than its expected size (torn by a closed connection before storage
    refused such parts) is not listed as stored: resuming sends it again, complete succeeds and
    the file is the original, byte for byte."""
    ids, api = film
    data = DATA if backend == "local" else os.urandom(11 * MiB)
    info, etags = api.upload(ids["session"], data, parts=[2])
    urls = api.call("POST", f"/uploads/{info['upload_id']}/part-urls", json={"part_numbers": [1, 3]}).get_json()
    size = info["part_size"]
    assert api.put_part(urls["urls"]["1"], data[:size // 2])[0] == 200  # half of part 1
    assert api.put_part(urls["urls"]["3"], data[2 * size:] + b"x")[0] == 200  # the last, a byte too long
    listed = api.call("GET", f"/uploads/{info['upload_id']}").get_json()["parts"]
    assert [(p["number"], p["size"]) for p in listed] == [(2, size)]
    again, more = api.upload(ids["session"], data, parts=[1, 3])  # what the listing says is missing
    assert again["resumed"] is True
    assert api.complete(info["upload_id"], {**etags, **more}).status_code == 200
    with app.app_context():
        source = db.session.scalar(db.select(SourceFile))
        target = tmp_path / "stored"
        get_storage().download_to(source.storage_key, target)
    assert hashlib.sha256(target.read_bytes()).hexdigest() == hashlib.sha256(data).hexdigest()


def start_over(api, session_id, csrf=True):
    return api.client.post(f"/api/v1/sessions/{session_id}/uploads/restart", json={},
                           headers={"X-CSRFToken": api.token} if csrf else {})


def test_start_over_aborts_every_file_and_frees_the_session(app, backend, film):
    ids, api = film
    data = DATA if backend == "local" else os.urandom(11 * MiB)
    first, etags = api.upload(ids["session"], data, file_count=2)
    assert api.complete(first["upload_id"], etags).status_code == 200
    second, _ = api.upload(ids["session"], data, filename="00002.MTS", position=2, file_count=2, parts=[1])
    answer = start_over(api, ids["session"])
    assert answer.status_code == 200 and answer.get_json()["status"] == "awaiting_upload"
    with app.app_context():
        recording = db.session.scalar(db.select(Recording))
        assert recording.status == "awaiting_upload" and recording.active_sources == []
        assert [s.status for s in recording.sources] == ["aborted", "aborted"]
        storage = get_storage()
        assert storage.head(recording.sources[0].storage_key) is None  # the finished file is gone too
        assert storage.list_stale_multipart(utcnow() + timedelta(days=1)) == []
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "upload.restarted"))
        assert event.actor_id == ids["uploader"] and event.object_id == recording.id
    fresh, etags = api.upload(ids["session"], data)  # the same file starts from byte 0
    assert fresh["resumed"] is False and fresh["upload_id"] not in (first["upload_id"], second["upload_id"])
    assert api.complete(fresh["upload_id"], etags).get_json()["recording_uploaded"] is True


def test_start_over_needs_csrf_and_the_uploader_and_an_unfinished_film(app, factory, film):
    ids, api = film
    small_parts(app)
    info, etags = api.upload(ids["session"], DATA, parts=[1])
    assert start_over(api, ids["session"], csrf=False).status_code == 400
    co_leader = ApiClient(app, ids["emails"]["co_leader"])
    assert start_over(co_leader, ids["session"]).status_code == 404
    other = group_with_session(app, factory)
    assert start_over(ApiClient(app, other["emails"]["uploader"]), ids["session"]).status_code == 404
    assert recording_of(app, ids["session"]).status == "uploading"
    api.upload(ids["session"], DATA, parts=[2, 3])
    stored = api.call("GET", f"/uploads/{info['upload_id']}").get_json()["parts"]
    assert api.complete(info["upload_id"], {p["number"]: p["etag"].strip('"') for p in stored}).status_code == 200
    refused = start_over(api, ids["session"])
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "already_uploaded"
    assert start_over(ApiClient(app, other["emails"]["uploader"]), other["session"]).get_json()["recording_id"] is None


def test_uploads_without_progress_for_the_stuck_hours_are_listed(app, backend, film):
    ids, api = film
    data = DATA if backend == "local" else os.urandom(11 * MiB)
    moving, _ = api.upload(ids["session"], data, parts=[1])
    with app.app_context():
        now = utcnow()
        stuck = lambda hours, at: [(r.source.public_id, r.group_session.id)  # noqa: E731
                                   for r in uploads.stuck_uploads(ids["organisation"], hours, now=at)]
        assert stuck(24, now) == []
        assert stuck(24, now + timedelta(hours=23)) == []
        assert stuck(24, now + timedelta(hours=25)) == [(moving["upload_id"], ids["session"])]
        assert uploads.stuck_uploads(ids["organisation"] + 1000, 24, now=now + timedelta(hours=25)) == []
        source = db.session.scalar(db.select(SourceFile))
        source.created_at = now - timedelta(hours=30)  # started long ago, but a part came in just now
        db.session.commit()
        assert stuck(24, now) == []
        assert stuck(24, now + timedelta(hours=25)) == [(moving["upload_id"], ids["session"])]
    api.upload(ids["session"], data, parts=[2, 3])
    stored = api.call("GET", f"/uploads/{moving['upload_id']}").get_json()["parts"]
    assert api.complete(moving["upload_id"], {p["number"]: p["etag"].strip('"') for p in stored}).status_code == 200
    with app.app_context():
        assert stuck(24, now + timedelta(hours=25)) == []  # complete: nothing to wait for


def test_admins_see_stuck_uploads_on_the_films_to_fix_page(app, film):
    ids, api = film
    small_parts(app)
    info, _ = api.upload(ids["session"], DATA, parts=[1])
    admin = ApiClient(app, ids["emails"]["admin"]).client
    page = admin.get("/admin/recordings").get_data(as_text=True)
    assert "Uppladdningar som har stannat" in page and "mer än 24 timmar" in page
    assert f'data-upload="{info["upload_id"]}"' not in page and "Ingen uppladdning har fastnat." in page
    app.config["UPLOAD_STUCK_HOURS"] = 0  # every upload waiting now has been waiting too long
    page = admin.get("/admin/recordings").get_data(as_text=True)
    assert f'data-upload="{info["upload_id"]}"' in page and "00001.MTS" in page
    stockholm_today = datetime.now(ZoneInfo("Europe/Stockholm")).date()  # the portal's clock, read the Swedish way
    assert format_date(stockholm_today, "medium", locale="sv") in page.split(f'data-upload="{info["upload_id"]}"')[1]
    assert ApiClient(app, ids["emails"]["uploader"]).client.get("/admin/recordings").status_code in (403, 404)
