"""Films published as HLS, served per viewer (issue 19): the playlists the app writes from the
segment rows (EVENT while processed, VOD once ready), segment redirects to short-lived storage
URLs, the right to watch checked on every request, one audit row per viewing."""

from urllib.parse import urlsplit

import pytest
import requests

from portal.extensions import db
from portal.models import AuditEvent, GroupSession, GroupSupervisor, Recording, User
from portal.models.base import utcnow
from portal.models.media import AUDIO, CHUNK_WORKING, VIDEO
from portal.models.recordings import DELETED, READY
from tests.conftest import client_as, page
from tests.films import ApiClient, ready_film
from tests.hls_films import hls_film, make_segments, publish

# Tests about storage and redirects, not SQL, run on SQLite only (suite time).
SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


@pytest.fixture(scope="session")
def made(tmp_path_factory):
    return make_segments(tmp_path_factory.mktemp("hls"))


@pytest.fixture
def film(app, factory, made):
    """A film being processed: video part 0 done (3 segments), part 1 growing (1 segment, its
    own init), audio part 0 done (4 segments)."""
    ids = hls_film(app, factory)
    ids["video"] = publish(app, ids["recording"], made, VIDEO, part=0)
    ids["video"] += publish(app, ids["recording"], made, VIDEO, part=1, indexes=[0], status=CHUNK_WORKING)
    ids["audio"] = publish(app, ids["recording"], made, AUDIO, part=0)
    return ids


def base(ids):
    return f"/review/recordings/{ids['recording']}/hls"


def follow(app, response):
    """GET the storage URL a redirect points to, as the browser does (the app's own URL for the
    local backend)."""
    assert response.status_code == 302, response.status_code
    parts = urlsplit(response.headers["Location"])
    return app.test_client().get(f"{parts.path}?{parts.query}")


def set_ready(app, recording_id):
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        recording.status = READY
        db.session.commit()


def test_playlists_grow_while_processed_then_are_vod(app, film, made):
    client = client_as(app, film["emails"]["co_leader"])
    master = client.get(f"{base(film)}/master.m3u8")
    assert master.status_code == 200 and master.mimetype == "application/vnd.apple.mpegurl"
    assert master.headers["Cache-Control"] == "no-store"
    text = master.get_data(as_text=True)
    assert '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio"' in text and 'URI="audio.m3u8"' in text
    assert 'CODECS="avc1.640028,mp4a.40.2"' in text and 'AUDIO="audio"' in text and text.endswith("video.m3u8\n")

    video = client.get(f"{base(film)}/video.m3u8").get_data(as_text=True).splitlines()
    assert video[:6] == ["#EXTM3U", "#EXT-X-VERSION:7", "#EXT-X-TARGETDURATION:1", "#EXT-X-MEDIA-SEQUENCE:0",
                         "#EXT-X-PLAYLIST-TYPE:EVENT", "#EXT-X-INDEPENDENT-SEGMENTS"]
    assert "#EXT-X-START:TIME-OFFSET=0,PRECISE=YES" in video and "#EXT-X-ENDLIST" not in video
    first, growing = film["video"][0], film["video"][3]
    assert [line for line in video if line.startswith("#EXT-X-MAP")] == [
        f'#EXT-X-MAP:URI="video/{first}/init.mp4"', f'#EXT-X-MAP:URI="video/{growing}/init.mp4"']
    assert [line for line in video if line.endswith(".m4s")] == [f"video/{i}.m4s" for i in film["video"]]
    assert video.count("#EXTINF:1.000,") == 4

    # the segments and their init come from storage, unchanged, with their media types
    segment = follow(app, client.get(f"{base(film)}/video/{first}.m4s"))
    assert segment.status_code == 200 and segment.data == made[VIDEO]["segments"][0][0]
    assert segment.mimetype == "video/iso.segment"
    init = follow(app, client.get(f"{base(film)}/audio/{film['audio'][0]}/init.mp4"))
    assert init.data == made[AUDIO]["init"] and init.mimetype == "video/mp4"

    set_ready(app, film["recording"])
    audio = client.get(f"{base(film)}/audio.m3u8").get_data(as_text=True).splitlines()
    assert "#EXT-X-PLAYLIST-TYPE:VOD" in audio and audio[-1] == "#EXT-X-ENDLIST"
    assert "#EXT-X-START:TIME-OFFSET=0,PRECISE=YES" not in audio
    assert len([line for line in audio if line.startswith("#EXTINF:")]) == 4


def test_a_playlist_stops_at_a_hole_and_a_film_without_audio_has_one_rendition(app, factory, made):
    ids = hls_film(app, factory)
    shown = publish(app, ids["recording"], made, VIDEO, part=0, indexes=[0, 2], status=CHUNK_WORKING)
    with app.app_context():
        recording = db.session.get(Recording, ids["recording"])
        assert recording.playable_seconds == 1.0
        recording.media_info = {"hls": {"video_codec": "avc1.64001f", "bandwidth": 800_000,
                                        "resolution": "160x90", "audio_codec": 'x",URI="evil'}}
        db.session.commit()
    client = client_as(app, ids["emails"]["supervisor"])
    text = client.get(f"{base(ids)}/master.m3u8").get_data(as_text=True)
    assert "EXT-X-MEDIA" not in text and "AUDIO=" not in text
    assert '#EXT-X-STREAM-INF:BANDWIDTH=800000,CODECS="avc1.64001f",RESOLUTION=160x90' in text
    video = client.get(f"{base(ids)}/video.m3u8").get_data(as_text=True)
    assert f"video/{shown[0]}.m4s" in video and f"video/{shown[1]}.m4s" not in video


def other_film_segment(app, factory, made):
    other = hls_film(app, factory)
    return other, publish(app, other["recording"], made, VIDEO, part=0, indexes=[0])[0]


def test_rights_per_role_and_names_checked_against_the_database(app, factory, film, made):
    paths = [f"{base(film)}/master.m3u8", f"{base(film)}/video.m3u8", f"{base(film)}/audio.m3u8",
             f"{base(film)}/video/{film['video'][0]}.m4s", f"{base(film)}/video/{film['video'][0]}/init.mp4"]
    for role in ("uploader", "co_leader", "supervisor"):
        client = client_as(app, film["emails"][role])
        assert [client.get(path).status_code for path in paths] == [200, 200, 200, 302, 302], role

    other, foreign_segment = other_film_segment(app, factory, made)
    outsiders = [film["emails"]["admin"], other["emails"]["uploader"], other["emails"]["supervisor"]]
    for email in outsiders:
        client = client_as(app, email)
        assert {client.get(path).status_code for path in paths} == {404}, email

    client = client_as(app, film["emails"]["supervisor"])
    for path in (f"{base(film)}/subtitles.m3u8", f"{base(film)}/audio/{film['video'][0]}.m4s",
                 f"{base(film)}/video/{foreign_segment}.m4s", f"{base(film)}/video/{foreign_segment}/init.mp4",
                 f"{base(film)}/video/999999.m4s"):
        assert client.get(path).status_code == 404, path

    # not playable yet (nothing published), and an MP4 film: no playlists
    assert client_as(app, other["emails"]["co_leader"]).get(f"{base(other)}/master.m3u8").status_code == 200
    with app.app_context():
        db.session.get(Recording, other["recording"]).playable_seconds = 0.0
        db.session.commit()
    assert client_as(app, other["emails"]["co_leader"]).get(f"{base(other)}/master.m3u8").status_code == 404
    mp4 = ready_film(app, factory)
    assert client_as(app, mp4["emails"]["supervisor"]).get(f"{base(mp4)}/master.m3u8").status_code == 404


def withdraw_consent(film):
    session = db.session.get(GroupSession, film["session"])
    session.playback_blocked_at, session.playback_blocked_reason = utcnow(), "withdrawal"


def delete_film(film):
    db.session.get(Recording, film["recording"]).status = DELETED


def remove_role(film):
    db.session.get(User, film["supervisor"]).roles = ()


def unassign(film):
    db.session.execute(db.delete(GroupSupervisor).where(GroupSupervisor.user_id == film["supervisor"]))


@SQLITE_ONLY  # no SQL of its own beyond the rights, which run on both databases above
@pytest.mark.parametrize("end_right,status", [(withdraw_consent, 403), (delete_film, 410), (remove_role, 404),
                                              (unassign, 404)])
def test_the_next_request_after_the_right_ends_is_refused(app, film, end_right, status):
    client = client_as(app, film["emails"]["supervisor"])
    segment = f"{base(film)}/video/{film['video'][1]}.m4s"
    issued = client.get(segment)
    assert follow(app, issued).status_code == 200
    with app.app_context():
        end_right(film)
        db.session.commit()
    assert client.get(segment).status_code == status
    assert client.get(f"{base(film)}/video.m3u8").status_code == status
    assert client.get(f"{base(film)}/master.m3u8").status_code == status
    assert follow(app, issued).status_code == 403  # the storage URL handed out before: checked again


def viewing_rows(app, recording_id):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent.action).where(
            AuditEvent.object_type == "recording", AuditEvent.object_id == recording_id,
            AuditEvent.action.in_(("recording.play", "recording.play_renew"))).order_by(AuditEvent.id)).all()


def test_one_audit_row_per_viewing_not_per_segment(app, film):
    viewer = ApiClient(app, film["emails"]["supervisor"])
    answer = viewer.call("POST", f"/recordings/{film['recording']}/play").get_json()
    assert answer["hls"] == f"{base(film)}/master.m3u8" and "video" not in answer
    assert answer["complete"] is False and 2.9 < answer["playable_seconds"] < 3.1 and answer["duration"] == 600.0
    assert answer["playable_text"] == "De första 3 sekunderna kan spelas, resten bearbetas"
    assert answer["poster"] is None  # not made yet
    viewer.client.get(answer["hls"])
    for path in ("video.m3u8", "audio.m3u8", f"video/{film['video'][0]}.m4s", f"video/{film['video'][1]}.m4s",
                 f"audio/{film['audio'][0]}.m4s"):
        viewer.client.get(f"{base(film)}/{path}")
    assert viewing_rows(app, film["recording"]) == ["recording.play"]

    # a native HLS player that opens the master playlist on its own: a viewing all the same
    leader = client_as(app, film["emails"]["co_leader"])
    leader.get(f"{base(film)}/master.m3u8")
    leader.get(f"{base(film)}/master.m3u8")
    assert viewing_rows(app, film["recording"]) == ["recording.play", "recording.play"]


@SQLITE_ONLY
def test_an_mp4_film_plays_as_before(app, factory):
    mp4 = ready_film(app, factory)
    answer = ApiClient(app, mp4["emails"]["supervisor"]).call("POST", f"/recordings/{mp4['recording']}/play")
    data = answer.get_json()
    assert "hls" not in data and data["video"] and data["poster"]
    assert data["complete"] is True and data["playable_seconds"] == 600.0
    assert data["playable_text"] == "Hela filmen kan spelas"


@SQLITE_ONLY
def test_segments_redirect_to_presigned_s3_urls_that_answer_the_portals_origin(app, factory, made, s3_server):
    config = s3_server.config(s3_server.new_bucket())
    app.config.update(config)
    app.extensions.pop("portal_storage", None)
    # the rule README asks for on a production bucket (hls.js reads segments with XHR)
    s3_server.client.put_bucket_cors(Bucket=config["S3_BUCKET"], CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["https://film.example.se"], "AllowedMethods": ["PUT", "GET", "HEAD"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 3000}]})
    ids = hls_film(app, factory, status=READY)
    segment_id = publish(app, ids["recording"], made, VIDEO, part=0, indexes=[0])[0]
    client = client_as(app, ids["emails"]["supervisor"])
    answer = client.get(f"{base(ids)}/video/{segment_id}.m4s")
    assert answer.status_code == 302 and answer.headers["Cache-Control"] == "no-store"
    location = answer.headers["Location"]
    assert location.startswith(s3_server.endpoint_url) and "X-Amz-Expires=60" in location
    got = requests.get(location, headers={"Origin": "https://film.example.se"}, timeout=10)
    assert got.status_code == 200 and got.content == made[VIDEO]["segments"][0][0]
    assert got.headers["Content-Type"] == "video/iso.segment"
    assert got.headers["Access-Control-Allow-Origin"] == "https://film.example.se"


def test_the_start_can_be_watched_while_the_rest_is_processed(app, film):
    with app.app_context():
        db.session.get(Recording, film["recording"]).playable_seconds = 12 * 60 + 30
        db.session.get(GroupSession, film["session"]).date = utcnow().date()
        db.session.commit()
    leader = client_as(app, film["emails"]["uploader"])
    player = page(leader, f"/review/recordings/{film['recording']}")
    assert "De första 12 minuterna kan spelas, resten bearbetas" in player
    assert "Titta på början" in page(leader, f"/sessions/{film['session']}/upload")
    assert "Titta på början" in page(leader, f"/groups/{film['group']}")
    assert 'data-todo="check_start"' in page(leader, "/")
    status = leader.get(f"/api/v1/recordings/{film['recording']}").get_json()
    assert status["watch_url"] == f"/review/recordings/{film['recording']}" and status["complete"] is False

    # a supervisor may comment where the film can be played, not beyond
    supervisor = ApiClient(app, film["emails"]["supervisor"])
    comment = {"t_start": 60.0, "category": "content", "body": "Fin start", "visibility": "shared"}
    assert supervisor.call("POST", f"/recordings/{film['recording']}/comments", json=comment).status_code == 201
    late = supervisor.call("POST", f"/recordings/{film['recording']}/comments", json={**comment, "t_start": 800.0})
    assert late.status_code == 422 and "bearbetas" in late.get_json()["error"]["message"]

    set_ready(app, film["recording"])
    assert "Hela filmen kan spelas" in page(leader, f"/review/recordings/{film['recording']}")
    assert 'data-todo="check_start"' not in page(leader, "/")


def test_play_offers_the_storyboard_tiles_drawn_so_far_then_the_finished_track(app, film):
    from portal.models.media import FilmPart

    def tiles(first, name):
        return {"interval": 10, "first": first, "count": 12, "rows": 2, "columns": 10, "width": 160, "height": 90,
                "sheets": [name]}

    with app.app_context():
        done, working = sorted(db.session.scalars(db.select(FilmPart).where(FilmPart.track == VIDEO)).all(),
                               key=lambda part: part.part)
        done.tiles, working.tiles = tiles(0, "storyboard/p0000-a1-000.jpg"), tiles(12, "storyboard/p0001-a1-000.jpg")
        working.job_token = "another-job"
        db.session.commit()
    api = ApiClient(app, film["emails"]["supervisor"])
    board = api.call("POST", f"/recordings/{film['recording']}/play").get_json()["storyboard"]
    assert board["vtt"] is None  # the part still being encoded is not offered
    assert board["grid"] == {"interval": 10, "columns": 10, "width": 160, "height": 90, "duration": 600.0,
                             "parts": [{"first": 0, "count": 12, "rows": 2,
                                        "sheets": ["storyboard/p0000-a1-000.jpg"]}]}
    assert list(board["sheets"]) == ["storyboard/p0000-a1-000.jpg"]
    assert "sig=" in board["sheets"]["storyboard/p0000-a1-000.jpg"]  # signed like the film's other pictures

    with app.app_context():
        recording = db.session.get(Recording, film["recording"])
        recording.media_info = {"storyboard": ["storyboard/p0000-a1-000.jpg", "storyboard/p0001-a1-000.jpg"]}
        recording.status = READY
        db.session.commit()
    board = api.call("POST", f"/recordings/{film['recording']}/play").get_json()["storyboard"]
    assert board["grid"] is None and "sig=" in board["vtt"] and len(board["sheets"]) == 2


@SQLITE_ONLY
def test_ffmpeg_plays_the_film_through_the_apps_playlists_and_redirects(app, factory, made, tmp_path):
    """A real HLS client (ffmpeg's demuxer) logged in as a leader: master, both media playlists,
    init segments and segments through the redirects, muxed into one file of the film's length."""
    import json
    import subprocess  # noqa: S404

    from tests.conftest import PASSWORD, csrf_from
    from tests.e2e.conftest import LiveServer

    ids = hls_film(app, factory, status=READY)
    publish(app, ids["recording"], made, VIDEO)
    publish(app, ids["recording"], made, AUDIO)
    server = LiveServer(app)
    app.config["PUBLIC_URL"] = server.url
    try:
        browser = requests.Session()
        token = csrf_from(browser.get(f"{server.url}/login", timeout=10).text)
        browser.post(f"{server.url}/login", data={"email": ids["emails"]["co_leader"], "password": PASSWORD,
                                                  "csrf_token": token}, timeout=10)
        cookie = "; ".join(f"{name}={value}" for name, value in browser.cookies.items())
        agent = browser.headers["User-Agent"]  # the session is bound to it (Flask-Login's protection)
        out = tmp_path / "film.mp4"
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-user_agent", agent,  # noqa: S603,S607
                        "-headers", f"Cookie: {cookie}\r\n",
                        "-i", f"{server.url}{base(ids)}/master.m3u8", "-map", "0", "-c", "copy", str(out)],
                       check=True, timeout=60)
    finally:
        server.stop()
    probe = json.loads(subprocess.run(["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json",  # noqa: S603,S607
                                       str(out)], check=True, capture_output=True, timeout=30).stdout)
    assert sorted(s["codec_type"] for s in probe["streams"]) == ["audio", "video"]
    assert 2.9 < float(probe["format"]["duration"]) < 3.2


@pytest.mark.parametrize("seconds,text", [
    (0.4, "Den första sekunden kan spelas, resten bearbetas"),
    (59.9, "De första 59 sekunderna kan spelas, resten bearbetas"),
    (61, "Den första minuten kan spelas, resten bearbetas"),
    (12 * 60 + 59, "De första 12 minuterna kan spelas, resten bearbetas"),
])
def test_how_much_can_be_played_reads_the_swedish_way(seconds, text):
    from types import SimpleNamespace

    from config.settings import TestConfig
    from portal import create_app
    from portal.services import playlists

    with create_app(TestConfig()).test_request_context():
        film = SimpleNamespace(status="processing", output_kind="hls", playable_seconds=seconds)
        assert playlists.playable_text(film) == text
