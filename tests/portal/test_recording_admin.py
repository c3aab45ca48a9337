"""An admin retries a failed film from the page; leaders see the time left while it processes."""

from datetime import timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Recording
from portal.models.base import utcnow
from portal.services import recordings as recording_service
from tests.conftest import AuthActions, csrf_from
from tests.films import ApiClient, ready_film
from workers.queues import FIRST, get_queue


def set_state(app, recording_id, **values):
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        for key, value in values.items():
            setattr(recording, key, value)
        db.session.commit()


@pytest.fixture
def failed(app, factory):
    film = ready_film(app, factory)
    set_state(app, film["recording"], status="failed", reason_code="timeout", attempts=4)
    return film


def login(app, email):
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def test_admin_retries_a_failed_film_from_the_group_page(app, failed):
    client = login(app, failed["emails"]["admin"])
    page = client.get(f"/groups/{failed['group']}").get_data(as_text=True)
    assert "Försök igen" in page
    listing = client.get("/admin/recordings").get_data(as_text=True)
    assert f'data-recording="{failed["recording"]}" data-status="failed"' in listing
    answer = client.post(f"/admin/recordings/{failed['recording']}/retry",
                         data={"csrf_token": csrf_from(page), "next": f"/groups/{failed['group']}"})
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/groups/{failed['group']}")
    with app.app_context():
        recording = db.session.get(Recording, failed["recording"])
        assert (recording.status, recording.attempts, recording.reason_code) == ("uploaded", 0, None)
        assert db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "recording.retry")).actor_id == \
            failed["admin"]
        assert get_queue(FIRST).count == 1  # its run, ahead of other films' tails


def test_retry_is_refused_without_csrf_for_a_film_not_failed_and_for_others(app, factory, failed):
    client = login(app, failed["emails"]["admin"])
    assert client.post(f"/admin/recordings/{failed['recording']}/retry").status_code == 400
    token = csrf_from(client.get("/admin/recordings").get_data(as_text=True))
    set_state(app, failed["recording"], status="ready")
    client.post(f"/admin/recordings/{failed['recording']}/retry", data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(Recording, failed["recording"]).status == "ready"
    other = ready_film(app, factory)
    set_state(app, other["recording"], status="failed")
    assert client.post(f"/admin/recordings/{other['recording']}/retry",
                       data={"csrf_token": token}).status_code == 404
    leader = login(app, failed["emails"]["uploader"])
    assert leader.post(f"/admin/recordings/{failed['recording']}/retry", data={"csrf_token": token}).status_code in (
        400, 403)
    with app.app_context():
        assert db.session.get(Recording, other["recording"]).status == "failed"


def test_seconds_left_extrapolates_the_rate_so_far(app, factory):
    film = ready_film(app, factory)
    now = utcnow()
    with app.test_request_context():
        recording = db.session.get(Recording, film["recording"])
        recording.status = "processing"
        recording.processing_started_at = now - timedelta(seconds=120)
        recording.progress = 0.25
        assert recording_service.seconds_left(recording, now=now) == 360
        assert recording_service.time_left_text(360) == "Ungefär 6 min kvar"
        recording.progress = 0.01  # too early to tell
        assert recording_service.seconds_left(recording, now=now) is None
        recording.status = "ready"
        assert recording_service.seconds_left(recording, now=now) is None


def test_status_api_reports_time_left_while_processing(app, factory):
    film = ready_film(app, factory)
    set_state(app, film["recording"], status="processing", progress=0.5,
              processing_started_at=utcnow() - timedelta(seconds=30))
    answer = ApiClient(app, film["emails"]["uploader"]).call("GET", f"/recordings/{film['recording']}").get_json()
    assert 25 <= answer["seconds_left"] <= 40 and answer["time_left_text"] == "Mindre än en minut kvar"
    assert answer["can_retry"] is False
