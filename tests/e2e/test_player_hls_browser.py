"""HLS films in the player (issue 19), in Chromium through the vendored hls.js: real fMP4
segments cut by ffmpeg from a lavfi clip, served by the app's playlist and segment routes.

A ready film plays and seeks; a film still being processed plays its published part, says how
much that is, keeps seeks inside it, and grows as the worker publishes more, its storyboard too;
the renewal after a withdrawal of consent detaches hls.js, so nothing buffered plays on.
"""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Recording
from portal.models.media import AUDIO, CHUNK_DONE, CHUNK_WORKING, VIDEO, FilmPart, FilmSegment
from portal.models.recordings import PROCESSING, READY
from portal.services import hls
from portal.services.storage import get_storage
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.e2e.test_playback_rights_browser import withdraw_consent
from tests.e2e.test_player_browser import video, wait_for_time
from tests.hls_films import hls_film, make_segments, publish, put

CLIP_SECONDS = 3.0  # tests.hls_films cuts a 3 s clip into 1 s segments per track


@pytest.fixture
def database_url(sqlite_url):
    """SQLite only, as the other player browser tests."""
    return sqlite_url


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    return make_segments(tmp_path_factory.mktemp("hls"))


def open_film(page, ids):
    login(page, ids["emails"]["supervisor"], PASSWORD)
    hls = []
    page.on("request", lambda r: hls.append(r.url) if "/hls/" in r.url else None)
    page.goto(f"/review/recordings/{ids['recording']}")
    expect(page.locator("#player")).to_have_attribute("data-state", "ready")
    return hls


def test_a_ready_hls_film_plays_and_seeks_through_hls_js(page, app, factory, made):
    ids = hls_film(app, factory, status=READY, duration=CLIP_SECONDS)
    for track in (VIDEO, AUDIO):
        publish(app, ids["recording"], made, track)
    requests = open_film(page, ids)
    # hls.js on Media Source Extensions: the element plays a blob: URL, never a storage URL
    assert video(page, "v.getAttribute('src')").startswith("blob:")
    assert any(url.endswith("/hls/master.m3u8") for url in requests)
    assert any(url.endswith(".m4s") for url in requests)

    page.get_by_role("button", name="Spela upp").click()
    wait_for_time(page, 0.8)  # currentTime advances: the segments decode
    page.keyboard.press("k")  # pause
    timeline = page.locator("#timeline")
    box = timeline.bounding_box()
    timeline.click(position={"x": box["width"] * 0.7, "y": box["height"] / 2})  # about 2.1 s
    wait_for_time(page, 1.8, 2.4)
    page.keyboard.press("k")
    wait_for_time(page, 2.5)  # plays on from the seek
    assert video(page, "v.error") is None
    expect(page.locator("#player-error")).to_be_empty()


def finish(app, recording_id, made):
    """The worker writes the rest of part 0 of each track, and the film is ready."""
    with app.app_context():
        storage = get_storage()
        recording = db.session.get(Recording, recording_id)
        for track in (VIDEO, AUDIO):
            for idx in (1, 2):
                body, seconds = made[track]["segments"][idx]
                name = f"{track}/p0000-{idx:05d}.m4s"
                put(storage, recording, name, body)
                db.session.add(FilmSegment(recording_id=recording_id, run=hls.run_of(recording), track=track,
                                           part=0, idx=idx, duration=seconds, name=name,
                                           init=f"{track}/init-0000.mp4"))
        db.session.execute(db.update(FilmPart).where(FilmPart.recording_id == recording_id).values(status=CHUNK_DONE))
        recording.status = READY
        db.session.commit()


def test_a_film_being_processed_plays_its_published_part_and_grows(page, app, factory, made):
    app.config["MEDIA_URL_TTL"] = 2  # renewals (and their playable_seconds) every 1.6 s
    ids = hls_film(app, factory, status=PROCESSING, duration=CLIP_SECONDS)
    for track in (VIDEO, AUDIO):  # the first second of each track, its part still being written
        publish(app, ids["recording"], made, track, indexes=[0], status=CHUNK_WORKING)
    open_film(page, ids)
    status = page.locator("#film-playable")
    expect(status).to_have_text("Den första sekunden kan spelas, resten bearbetas")
    expect(status).to_have_attribute("data-complete", "false")

    page.keyboard.press("l")  # +10 s: only as far as what is published
    at = video(page, "v.currentTime")
    assert 0.9 <= at <= 1.05, at
    timeline = page.locator("#timeline")
    timeline.focus()
    page.keyboard.press("Home")
    wait_for_time(page, 0, 0.1)
    page.get_by_role("button", name="Spela upp").click()
    wait_for_time(page, 0.5)  # the published part plays

    finish(app, ids["recording"], made)
    expect(status).to_have_attribute("data-complete", "true", timeout=10_000)  # told by the next renewal
    expect(status).to_have_text("Hela filmen kan spelas")
    page.keyboard.press("k")  # pause
    page.wait_for_function("() => document.getElementById('video').duration > 2.5")  # hls.js read the playlist
    timeline.focus()
    page.keyboard.press("Home")
    page.keyboard.press("ArrowRight")  # +5 s: now as far as the whole film
    assert video(page, "v.currentTime") > 2.5
    assert video(page, "v.error") is None


def set_tiles(app, recording_id, part, first, count, status=CHUNK_DONE):
    """Part ``part`` of the video has drawn its storyboard tiles (a tile a second)."""
    tiles = {"interval": 1, "first": first, "count": count, "rows": 1, "columns": 10, "width": 160, "height": 90,
             "sheets": [f"storyboard/p{part:04d}-a1-000.jpg"]}
    with app.app_context():
        db.session.execute(db.update(FilmPart).where(FilmPart.recording_id == recording_id, FilmPart.track == VIDEO,
                                                     FilmPart.part == part).values(tiles=tiles, status=status))
        db.session.commit()


def hover_tile(page, fraction):
    """Hover the timeline at ``fraction`` of the film: the tile's background position, or None."""
    timeline = page.locator("#timeline")
    box = timeline.bounding_box()
    timeline.hover(position={"x": box["width"] * fraction, "y": box["height"] / 2})
    expect(page.locator("#timeline-preview")).to_be_visible()
    return page.locator("#timeline-preview-image").evaluate("t => t.hidden ? null : t.style.backgroundPosition")


def test_the_storyboard_grows_with_the_chunks_of_a_film_being_processed(page, app, factory, made):
    app.config["MEDIA_URL_TTL"] = 2  # renewals every 1.6 s
    ids = hls_film(app, factory, status=PROCESSING, duration=CLIP_SECONDS)
    publish(app, ids["recording"], made, VIDEO, part=0, indexes=[0])
    publish(app, ids["recording"], made, VIDEO, part=1, indexes=[1, 2], status=CHUNK_WORKING)
    publish(app, ids["recording"], made, AUDIO)
    set_tiles(app, ids["recording"], 0, first=0, count=1)
    open_film(page, ids)
    assert hover_tile(page, 0.2) == "0px 0px"  # the first second: drawn by its chunk
    assert hover_tile(page, 0.85) is None  # 0:02 is still being encoded: no picture rather than a wrong one

    set_tiles(app, ids["recording"], 1, first=1, count=2)  # the next chunk is done
    shown = None
    for _attempt in range(40):  # until a renewal (every 1.6 s) brings the grown storyboard
        shown = hover_tile(page, 0.85)
        if shown is not None:
            break
        page.wait_for_timeout(250)
    assert shown == "-160px 0px"  # tile 2: the second on part 1's sheet
    assert hover_tile(page, 0.2) == "0px 0px"


def test_an_hls_film_stops_at_the_renewal_after_the_right_ends(page, app, factory, made):
    app.config["MEDIA_URL_TTL"] = 2
    ids = hls_film(app, factory, status=READY, duration=CLIP_SECONDS)
    for track in (VIDEO, AUDIO):
        publish(app, ids["recording"], made, track)
    open_film(page, ids)
    with app.app_context():
        withdraw_consent(app, ids)
        db.session.commit()
    expect(page.locator("#player")).to_have_attribute("data-state", "revoked", timeout=6_000)
    expect(page.locator("#player-error")).to_contain_text("Du kan inte längre se filmen")
    # hls.js is detached: no MediaSource, nothing buffered, nothing left to play
    assert video(page, "[v.paused, v.getAttribute('src'), v.readyState]") == [True, None, 0]


def test_chromium_shows_an_encoded_chunk_where_the_films_timeline_puts_it(browser, tmp_path):
    """A chunk of the encode path appended to Media Source Extensions starts exactly at its place
    on the film (it started two frames late, 80 ms behind the sound, before the reordering delay
    was taken out of its composition offsets)."""
    import base64

    from tests.workers import clips
    from workers.media import hls as media_hls
    from workers.media import probe

    src = clips.make("h264_aac", tmp_path, seconds=8)
    info = probe.describe(str(src))
    init, segments = media_hls.encode_video_chunk(str(src), info, 0.0, None, str(tmp_path / "out"), 125.0,
                                                  timeout=120)
    chunks = [base64.b64encode(open(path, "rb").read()).decode() for path in [init, *(s for s, _ in segments)]]
    page = browser.new_page()
    try:
        page.set_content("<video id=v></video>")
        start, end = page.evaluate("""async (chunks) => {
          const bytes = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
          const source = new MediaSource();
          document.getElementById("v").src = URL.createObjectURL(source);
          await new Promise((done) => source.addEventListener("sourceopen", done, { once: true }));
          const buffer = source.addSourceBuffer('video/mp4; codecs="avc1.64001f"');
          for (const chunk of chunks) {
            await new Promise((done, fail) => {
              buffer.addEventListener("updateend", done, { once: true });
              buffer.addEventListener("error", fail, { once: true });
              buffer.appendBuffer(bytes(chunk));
            });
          }
          return [buffer.buffered.start(0), buffer.buffered.end(0)];
        }""", chunks)
    finally:
        page.close()
    first = 125.0 + info.video_start
    assert abs(start - first) < 0.002, start
    assert abs(end - (first + 8.0)) < 0.05, end
