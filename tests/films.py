"""Test helpers for the film path: a group with a confirmed session, and uploads through the API."""

from portal.extensions import db
from portal.models import GroupSession, User
from portal.services import consent
from tests.conftest import AuthActions, csrf_from
from tests.group_fixtures import make_group

MiB = 1024 * 1024


def small_parts(app, part=MiB):
    """Let tests use 1 MiB parts (production: 16-64 MiB) on the local backend."""
    app.config.update(UPLOAD_PART_BYTES=part, UPLOAD_MIN_PART_BYTES=part)
    app.extensions.pop("portal_storage", None)


def group_with_session(app, factory, confirmed=True, co_leader_may_upload=False, organisation_id=None):
    """A group (see tests.group_fixtures) whose first principle session has its consent
    confirmed. Returns ids, with ``session`` and the people's ``emails``."""
    tag = f"film{factory.count}"
    ids = make_group(app, factory, tag=tag, co_leader_may_upload=co_leader_may_upload, org_id=organisation_id)
    session_id = ids["sessions"][1]  # 0 is the information meeting
    if confirmed:
        with app.app_context():
            consent.confirm_attendance(db.session.get(GroupSession, session_id), [],
                                       db.session.get(User, ids["uploader"]))
            db.session.commit()
    emails = {role: user_email(app, ids[role]) for role in ("uploader", "co_leader", "supervisor", "admin")}
    return {**ids, "organisation": ids["org"], "session": session_id, "emails": emails}


class ApiClient:
    """A logged-in browser session calling the JSON API with its CSRF header."""

    def __init__(self, app, email):
        self.client = app.test_client()
        AuthActions(self.client).login(email)
        self.token = csrf_from(self.client.get("/").get_data(as_text=True))

    def call(self, method, path, json=None):
        return self.client.open("/api/v1" + path, method=method, json=json,
                                headers={"X-CSRFToken": self.token})

    def put_part(self, url, data):
        """PUT one part to a signed URL: the app's own (local backend) or the S3 endpoint."""
        if url.startswith("http://localhost") or url.startswith("/"):
            path = url.split("localhost", 1)[-1]
            response = self.client.put(path, data=data)
            return response.status_code, response.headers.get("ETag")
        import requests

        response = requests.put(url, data=data, timeout=30)
        return response.status_code, response.headers.get("ETag")

    def upload(self, session_id, data, filename="00001.MTS", position=1, file_count=1, parts=None,
               last_modified=1_700_000_000_000):
        """Start an upload, PUT the given part numbers (default: all) and return the start answer
        plus the ETags by part number. Does not complete."""
        start = self.call("POST", f"/sessions/{session_id}/uploads", json={
            "filename": filename, "size": len(data), "content_type": "video/mp2t",
            "position": position, "file_count": file_count, "last_modified": last_modified})
        assert start.status_code in (200, 201), start.get_json()
        info = start.get_json()
        numbers = parts or list(range(1, info["part_count"] + 1))
        urls = self.call("POST", f"/uploads/{info['upload_id']}/part-urls",
                         json={"part_numbers": numbers}).get_json()["urls"]
        etags = {}
        size = info["part_size"]
        for number in numbers:
            status, etag = self.put_part(urls[str(number)], data[(number - 1) * size:number * size])
            assert status == 200, status
            etags[number] = etag.strip('"')
        return info, etags

    def complete(self, upload_id, etags):
        return self.call("POST", f"/uploads/{upload_id}/complete", json={
            "parts": [{"number": n, "etag": e} for n, e in sorted(etags.items())]})


def user_email(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).email


def upload_clips(app, ids, folder, *kinds):
    """Upload generated clips (tests.workers.clips kinds) as the session's files, in order;
    returns the recording id."""
    from tests.workers import clips

    api = ApiClient(app, ids["emails"]["uploader"])
    recording_id = None
    for position, kind in enumerate(kinds, start=1):
        data = clips.make(kind, folder).read_bytes()
        info, etags = api.upload(ids["session"], data, filename=f"{position:05d}.MTS",
                                 position=position, file_count=len(kinds))
        answer = api.complete(info["upload_id"], etags)
        assert answer.status_code == 200, answer.get_json()
        recording_id = info["recording_id"]
    return recording_id


def ready_film(app, factory, duration=600.0, organisation_id=None):
    """A group whose first session has a recording marked ``ready`` (no media bytes: for API
    and page tests that don't play). Returns the ids of group_with_session plus ``recording``."""
    from portal.models import Recording
    from portal.models.recordings import READY

    ids = group_with_session(app, factory, organisation_id=organisation_id)
    with app.app_context():
        recording = Recording(organisation_id=ids["organisation"], group_session_id=ids["session"],
                              created_by_id=ids["uploader"], status=READY, duration=duration, progress=1.0,
                              output_prefix=f"org/{ids['organisation']}/recordings/test/out",
                              media_info={"storyboard": ["storyboard-001.jpg"]})
        db.session.add(recording)
        db.session.commit()
        ids["recording"] = recording.id
    return ids


def played_film(app, factory, folder, run_jobs, kind="h264_aac"):
    """A group whose first session's film was uploaded and processed for real (a lavfi clip)."""
    ids = group_with_session(app, factory)
    ids["recording"] = upload_clips(app, ids, folder, kind)
    run_jobs()
    return ids


def as_mp4(app, recording_id, folder):
    """Republish a processed (HLS) film as one ``video.mp4`` for a player that plays MP4 only:
    the joined video segments, ``output_kind = "mp4"``. For the player tests until the HLS player
    (player-modules) is merged; then this goes."""
    from portal.models import Recording
    from portal.services.hls import run_of
    from portal.services.storage import get_storage
    from workers.publishing import joined_video

    with app.app_context():
        rec = db.session.get(Recording, recording_id)
        video = joined_video(rec.id, run_of(rec), rec.output_prefix, str(folder), rec.duration)
        get_storage().upload_from(video, f"{rec.output_prefix}/video.mp4", "video/mp4")
        rec.output_kind = "mp4"
        db.session.commit()
