"""The upload API: gate, caps, resume, complete, cancel, on the local folder and on S3."""

import hashlib
import os

import pytest

from portal.extensions import db
from portal.models import AuditEvent
from portal.models.recordings import Recording, SourceFile
from portal.services.storage import get_storage
from tests.films import ApiClient, MiB, group_with_session, small_parts
from workers.queues import HEAVY, LIGHT, get_queue

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
        assert get_queue(LIGHT).count == 1 and get_queue(HEAVY).count == 0
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
