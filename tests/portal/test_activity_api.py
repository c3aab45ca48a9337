"""The speech lane through the JSON API (issue 20): only those who may watch a film get its activity,
only its supervisors set the break (audited), each user keeps their own review settings, and the
track goes with the film."""

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Recording
from tests.films import ApiClient, add_activity, ready_film

SPEECH = "1" * 40 + "0" * 30 + "1" * 20 + "0" * 400 + "1" * 60  # 20 s talk, 15 s quiet, 10 s, 200 s break, 30 s


@pytest.fixture
def film(app, factory):
    """A ready film whose activity track the worker has stored (written here as it would)."""
    ids = ready_film(app, factory, duration=275.0)
    add_activity(app, ids["recording"], SPEECH, proposed_break=(45.0, 245.0))
    return ids


def as_(app, film, role):
    return ApiClient(app, film["emails"][role])


def test_supervisor_and_leaders_get_the_track_with_the_proposed_break(app, film):
    for role in ("supervisor", "uploader", "co_leader"):
        answer = as_(app, film, role).call("GET", f"/recordings/{film['recording']}/activity")
        assert answer.status_code == 200 and "no-store" in answer.headers["Cache-Control"]
        track = answer.get_json()
        assert track["status"] == "ready" and track["speech"] == SPEECH and track["step"] == 0.5
        assert track["break"] == {"start": 45.0, "end": 245.0, "confirmed": False}
        assert track["silence_skip_seconds"] == app.config["SILENCE_SKIP_SECONDS"]


def test_pending_until_the_worker_has_run(app, factory):
    bare = ready_film(app, factory)
    answer = as_(app, bare, "supervisor").call("GET", f"/recordings/{bare['recording']}/activity")
    assert answer.get_json() == {"status": "pending", "film_ready": True}  # the analysis comes within minutes
    with app.app_context():  # a film still being processed (playable in part): it comes after that
        recording = db.session.get(Recording, bare["recording"])
        recording.status, recording.output_kind, recording.playable_seconds = "processing", "hls", 60.0
        db.session.commit()
    answer = as_(app, bare, "supervisor").call("GET", f"/recordings/{bare['recording']}/activity")
    assert answer.get_json() == {"status": "pending", "film_ready": False}
    refused = as_(app, bare, "supervisor").call("PUT", f"/recordings/{bare['recording']}/break",
                                                json={"start": 1, "end": 20})
    assert refused.status_code == 409


def test_outsiders_get_404(app, factory, film):
    other = ready_film(app, factory)
    factory.user(("supervisor",), "ulf@example.org", film["organisation"])
    rid = film["recording"]
    for api in (ApiClient(app, other["emails"]["uploader"]), ApiClient(app, other["emails"]["supervisor"]),
                ApiClient(app, "ulf@example.org"), as_(app, film, "admin")):
        assert api.call("GET", f"/recordings/{rid}/activity").status_code == 404
        assert api.call("PUT", f"/recordings/{rid}/break", json={"start": 1, "end": 20}).status_code == 404


def test_the_supervisor_confirms_moves_and_removes_the_break_and_each_change_is_audited(app, film):
    sup, rid = as_(app, film, "supervisor"), film["recording"]
    moved = sup.call("PUT", f"/recordings/{rid}/break", json={"start": 50, "end": 240.5})
    assert moved.status_code == 200 and moved.get_json()["break"] == {"start": 50.0, "end": 240.5, "confirmed": True}
    leader_view = as_(app, film, "uploader").call("GET", f"/recordings/{rid}/activity").get_json()
    assert leader_view["break"] == {"start": 50.0, "end": 240.5, "confirmed": True}
    none = sup.call("PUT", f"/recordings/{rid}/break", json={"start": None, "end": None})
    assert none.status_code == 200 and none.get_json()["break"] is None
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "recording.break_set")
                                    .order_by(AuditEvent.id)).all()
        assert [e.detail["after"] for e in events] == [{"start": 50.0, "end": 240.5, "confirmed": True}, None]
        assert events[0].detail["before"] == {"start": 45.0, "end": 245.0, "confirmed": False}
        assert {e.actor_id for e in events} == {film["supervisor"]}


def test_bad_breaks_leaders_and_requests_without_the_csrf_token_are_refused(app, film):
    sup, rid = as_(app, film, "supervisor"), film["recording"]
    for body in ({"start": 100, "end": 50}, {"start": -1, "end": 50}, {"start": 10, "end": 276},
                 {"start": "10", "end": 50}, {"start": True, "end": 50}, {"start": 10}):
        answer = sup.call("PUT", f"/recordings/{rid}/break", json=body)
        assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_break", body
    assert as_(app, film, "uploader").call("PUT", f"/recordings/{rid}/break",
                                           json={"start": 1, "end": 20}).status_code == 403
    assert sup.client.put(f"/api/v1/recordings/{rid}/break", json={"start": 1, "end": 20}).status_code in (400, 403)
    with app.app_context():
        assert db.session.get(Recording, rid).activity["break"] is None


def test_review_settings_are_each_users_own(app, film):
    sup, leader = as_(app, film, "supervisor"), as_(app, film, "uploader")
    assert sup.call("GET", "/me/review-settings").get_json() == {"skip_silence": False, "skip_break": False,
                                                                 "speed": 1.0}
    saved = sup.call("PUT", "/me/review-settings", json={"skip_silence": True, "speed": 2.5})
    assert saved.get_json() == {"skip_silence": True, "skip_break": False, "speed": 2.5}
    assert sup.call("PUT", "/me/review-settings", json={"skip_break": True}).get_json()["skip_silence"] is True
    assert leader.call("GET", "/me/review-settings").get_json()["skip_silence"] is False
    for bad in ({"speed": 3}, {"speed": "2"}, {"skip_silence": "yes"}, {"speed": True}):
        assert sup.call("PUT", "/me/review-settings", json=bad).status_code == 422

    from portal.services.deletion import forget_film  # and the track goes with the film

    with app.app_context():
        recording = db.session.get(Recording, film["recording"])
        forget_film(recording)
        db.session.commit()
        assert db.session.get(Recording, film["recording"]).activity is None
