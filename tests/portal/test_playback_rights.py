"""Playback rights (issue 17 findings 4 and 5): the server decides what renews a viewing, so
every viewer is on the leaders' "who watched" page; a media URL stops working as soon as the
right to watch ends, and lives at most a minute."""

from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from portal.extensions import db
from portal.models import AuditEvent, GroupSession, GroupSupervisor, Recording, User
from portal.models.base import utcnow
from portal.models.recordings import DELETED
from portal.services.storage import get_storage
from tests.films import ApiClient, ready_film


@pytest.fixture
def film(app, factory):
    """A ready film whose video bytes are in the local store."""
    ids = ready_film(app, factory)
    with app.app_context():
        recording = db.session.get(Recording, ids["recording"])
        path = get_storage().path(f"{recording.output_prefix}/video.mp4")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"\0" * 4096)
    return ids


def viewing_rows(app, recording_id):
    with app.app_context():
        return db.session.execute(db.select(AuditEvent.action, AuditEvent.actor_id).where(
            AuditEvent.object_type == "recording", AuditEvent.object_id == recording_id,
            AuditEvent.action.in_(("recording.play", "recording.play_renew"))).order_by(AuditEvent.id)).all()


def later(monkeypatch, minutes):
    """Let the playback service's clock run ``minutes`` ahead (the audit log is append-only)."""
    from portal.services import playback

    monkeypatch.setattr(playback, "utcnow", lambda: utcnow() + timedelta(minutes=minutes))


def fetch(app, url, headers=None):
    """GET a signed media URL as the browser's media element does: no login, just the URL."""
    parts = urlsplit(url)
    return app.test_client().get(f"{parts.path}?{parts.query}", headers=headers or {})


def test_a_first_call_that_claims_to_renew_is_audited_as_a_play(app, film):
    rid = film["recording"]
    viewer = ApiClient(app, film["emails"]["co_leader"])
    answer = viewer.call("POST", f"/recordings/{rid}/play", json={"renewal": True})
    assert answer.status_code == 200
    assert viewing_rows(app, rid) == [("recording.play", film["co_leader"])]
    # another viewer's play does not make the supervisor's "renewal" one
    supervisor = ApiClient(app, film["emails"]["supervisor"])
    supervisor.call("POST", f"/recordings/{rid}/play", json={"renewal": True})
    assert viewing_rows(app, rid)[-1] == ("recording.play", film["supervisor"])

    page = ApiClient(app, film["emails"]["uploader"]).client.get("/review/views").get_data(as_text=True)
    with app.app_context():
        for key in ("co_leader", "supervisor"):
            assert db.session.get(User, film[key]).name in page


def test_renewals_continue_a_viewing_only_within_the_window(app, film, monkeypatch):
    rid = film["recording"]
    viewer = ApiClient(app, film["emails"]["supervisor"])
    viewer.call("POST", f"/recordings/{rid}/play")
    viewer.call("POST", f"/recordings/{rid}/play", json={"renewal": True})
    assert [a for a, _ in viewing_rows(app, rid)] == ["recording.play"]  # a refresh, not a new viewing
    later(monkeypatch, 6)
    viewer.call("POST", f"/recordings/{rid}/play", json={"renewal": True})
    assert [a for a, _ in viewing_rows(app, rid)] == ["recording.play", "recording.play_renew"]
    later(monkeypatch, 6 + 11)  # the viewing ended long ago: a "renewal" now is a new viewing
    viewer.call("POST", f"/recordings/{rid}/play", json={"renewal": True})
    assert [a for a, _ in viewing_rows(app, rid)] == ["recording.play", "recording.play_renew", "recording.play"]
    viewer.call("POST", f"/recordings/{rid}/play")  # the player's first call always counts
    assert [a for a, _ in viewing_rows(app, rid)][-1] == "recording.play"


def test_media_urls_live_at_most_a_minute(app, film):
    app.config["MEDIA_URL_TTL"] = 600
    answer = ApiClient(app, film["emails"]["supervisor"]).call("POST", f"/recordings/{film['recording']}/play")
    data = answer.get_json()
    assert data["expires_in"] == 60
    with app.app_context():
        from portal.storage_local.signing import load_signed

        claim = load_signed(dict(p.split("=", 1) for p in urlsplit(data["video"]).query.split("&"))["sig"], "get")
    assert claim["e"] <= utcnow().timestamp() + 61
    assert (claim["w"], claim["r"]) == (film["supervisor"], film["recording"])


def withdraw_consent(app, film):
    session = db.session.get(GroupSession, film["session"])
    session.playback_blocked_at, session.playback_blocked_reason = utcnow(), "withdrawal"


def delete_film(app, film):
    db.session.get(Recording, film["recording"]).status = DELETED


def remove_role(app, film):
    db.session.get(User, film["supervisor"]).roles = ()


def deactivate(app, film):
    db.session.get(User, film["supervisor"]).active = False


def unassign(app, film):
    db.session.execute(db.delete(GroupSupervisor).where(GroupSupervisor.user_id == film["supervisor"]))


@pytest.mark.parametrize("end_right", [withdraw_consent, delete_film, remove_role, deactivate, unassign])
def test_an_issued_media_url_stops_working_when_the_right_ends(app, film, end_right):
    rid = film["recording"]
    viewer = ApiClient(app, film["emails"]["supervisor"])
    urls = viewer.call("POST", f"/recordings/{rid}/play").get_json()
    assert fetch(app, urls["video"]).status_code == 200
    assert fetch(app, urls["video"], {"Range": "bytes=0-99"}).status_code == 206
    with app.app_context():
        end_right(app, film)
        db.session.commit()
    assert fetch(app, urls["video"]).status_code == 403
    assert fetch(app, urls["video"], {"Range": "bytes=100-199"}).status_code == 403
    assert fetch(app, urls["poster"]).status_code == 403
    # and the renewal the player asks for is refused too
    assert viewer.call("POST", f"/recordings/{rid}/play", json={"renewal": True}).status_code in (401, 404)


def test_a_film_answer_carries_a_bounded_range_so_each_part_is_checked(app, film, monkeypatch):
    from portal.storage_local import routes

    monkeypatch.setattr(routes, "FILM_RANGE_MAX_BYTES", 1000)
    viewer = ApiClient(app, film["emails"]["supervisor"])
    url = viewer.call("POST", f"/recordings/{film['recording']}/play").get_json()["video"]
    first = fetch(app, url, {"Range": "bytes=0-"})  # how a browser starts a film
    assert first.status_code == 206 and first.headers["Content-Range"] == "bytes 0-999/4096"
    assert len(first.data) == 1000
    assert fetch(app, url, {"Range": "bytes=100-199"}).headers["Content-Range"] == "bytes 100-199/4096"
    assert fetch(app, url, {"Range": "bytes=3500-"}).headers["Content-Range"] == "bytes 3500-4095/4096"
    with app.app_context():
        withdraw_consent(app, film)
        db.session.commit()
    assert fetch(app, url, {"Range": "bytes=1000-"}).status_code == 403  # the rest is not served


def test_another_viewers_url_stops_with_their_right_not_with_mine(app, film):
    rid = film["recording"]
    leader_urls = ApiClient(app, film["emails"]["uploader"]).call("POST", f"/recordings/{rid}/play").get_json()
    with app.app_context():
        deactivate(app, film)  # the supervisor, not the leader
        db.session.commit()
    assert fetch(app, leader_urls["video"]).status_code == 200


def test_s3_media_urls_expire_within_a_minute(s3_server, tmp_path):
    """S3 cannot ask the portal: its URLs die with their lifetime, and the player's renewal (the
    play endpoint, tested above) is where the right is checked again."""
    from types import SimpleNamespace

    from portal import create_app
    from portal.services import playback
    from tests.conftest import make_config

    bucket = s3_server.new_bucket()
    app = create_app(make_config("sqlite://", "redis://127.0.0.1:1/0", tmp_path, MEDIA_URL_TTL=600,
                                 **s3_server.config(bucket)))
    recording = SimpleNamespace(id=7, output_prefix="org/1/recordings/r7/out", media_info={},
                                status="ready", output_kind="mp4")
    with app.app_context():
        urls = playback.media_urls(recording, playback.url_ttl(), viewer=SimpleNamespace(id=3))
    assert "X-Amz-Expires=60&" in urls["video"] + "&" and "X-Amz-Signature=" in urls["video"]
