"""The speech lane in Chromium (issue 20): a ~31 s film with Swedish speech (espeak-ng), a 5 s quiet
stretch and a 10 s "break" (the test config proposes breaks of 8-20 s and skips quiet from 3 s),
uploaded through the API and processed by the real workers, activity track included. The lane
renders with the break on it, the toggles jump over the quiet stretch and the break and are
remembered for the user, and speed goes to 2.5x with the pitch kept."""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Recording
from tests.conftest import PASSWORD
from tests.e2e.conftest import forget_session, login
from tests.e2e.test_player_browser import open_player, video, wait_for_time
from tests.films import ApiClient, group_with_session, played_film
from tests.workers.speech_clips import make_session, pcm, utterance
from workers.activity import analyse_recording


@pytest.fixture
def database_url(sqlite_url):
    """SQLite only: the API tests (tests/portal/test_activity_api.py) cover both databases."""
    return sqlite_url


@pytest.fixture(scope="module")
def speech_clip(tmp_path_factory):
    """Talk 0-2.6 s, quiet to 7.6, talk to 12.4, the break to 22.4, talk, 1 s pause, talk (~31 s)."""
    folder = tmp_path_factory.mktemp("lane")
    hello = pcm(utterance("Hej och välkommen till dagens träff.", folder / "a.wav"))
    child = pcm(utterance("Vi ska prata om hur barnet söker trygghet hos sina föräldrar.", folder / "b.wav"))
    truth = make_session(folder / "film.mp4", [("talk", hello), ("quiet", 5), ("talk", child), ("quiet", 10),
                                               ("talk", hello), ("quiet", 1), ("talk", child)])
    return (folder / "film.mp4").read_bytes(), truth


@pytest.fixture
def film(app, factory, speech_clip, run_jobs):
    ids = group_with_session(app, factory)
    api = ApiClient(app, ids["emails"]["uploader"])
    info, etags = api.upload(ids["session"], speech_clip[0], filename="00001.MP4")
    assert api.complete(info["upload_id"], etags).status_code == 200
    run_jobs()  # the check, the processing and, once the film is ready, its activity track
    ids["recording"] = info["recording_id"]
    with app.app_context():
        assert db.session.get(Recording, ids["recording"]).activity["proposed_break"] is not None
    return ids


def skips(page):
    return page.evaluate("window.__skips")


def play_from(page, seconds):
    page.evaluate(f"(() => {{ const v = document.getElementById('video'); v.currentTime = {seconds}; }})()")
    wait_for_time(page, seconds - 0.1, seconds + 0.5)
    if video(page, "v.paused"):
        page.get_by_role("button", name="Spela upp").click()


def test_the_lane_shows_speech_and_break_skipping_jumps_over_them_and_the_break_is_confirmed(page, film, speech_clip):
    truth = speech_clip[1]
    open_player(page, film, "supervisor")
    lane = page.locator("#speech-lane")
    expect(lane).to_have_attribute("data-state", "ready")
    expect(page.locator("#speech-lane-break")).to_be_visible()
    expect(page.locator("#break-text")).to_contain_text("föreslagen")
    assert page.evaluate("""(() => { const c = document.getElementById('speech-lane-canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let inked = 0; for (let i = 3; i < d.length; i += 4) inked += d[i] > 0; return inked; })()""") > 100
    page.evaluate("window.__skips = []; document.getElementById('speech-lane')"
                  ".addEventListener('speechlane:skip', (e) => window.__skips.push(e.detail))")
    page.get_by_label("Hastighet").select_option("2.5")
    assert video(page, "v.playbackRate") == 2.5 and video(page, "v.preservesPitch") is True

    page.get_by_label("Hoppa över pausen").check()
    play_from(page, truth[1][0] + 2)  # in the talk before the break
    page.wait_for_function("() => window.__skips.length >= 1")
    jump = skips(page)[0]
    assert truth[1][1] - 0.3 <= jump["from"] <= truth[1][1] + 1.5  # entered the break just after the words
    assert truth[2][0] - 1 <= jump["to"] <= truth[2][0]  # and landed just before they resume
    page.get_by_role("button", name="Pausa").click()

    page.get_by_label("Hoppa över tystnad").check()
    expect(page.locator("#review-remaining")).to_contain_text("kvar med dina inställningar")
    play_from(page, 0.5)
    page.wait_for_function("() => window.__skips.length >= 2")
    quiet = skips(page)[1]
    assert truth[0][1] - 0.3 <= quiet["from"] <= truth[0][1] + 1.5 and truth[1][0] - 1 <= quiet["to"] <= truth[1][0]
    page.get_by_role("button", name="Pausa").click()

    page.reload()  # the choices are the user's, kept on the server
    expect(lane).to_have_attribute("data-state", "ready")
    expect(page.get_by_label("Hoppa över tystnad")).to_be_checked()
    expect(page.get_by_label("Hoppa över pausen")).to_be_checked()
    page.wait_for_function("() => document.getElementById('video').playbackRate === 2.5")

    # the supervisor confirms the break; the leader sees it, without the buttons
    with page.expect_response(lambda r: r.url.endswith("/break")) as saved:
        page.get_by_role("button", name="Bekräfta pausen").click()
    assert saved.value.status == 200
    expect(page.locator("#break-text")).not_to_contain_text("föreslagen")
    expect(page.get_by_role("button", name="Bekräfta pausen")).to_be_hidden()
    forget_session(page)
    open_player(page, film, "uploader")
    expect(page.locator("#speech-lane")).to_have_attribute("data-state", "ready")
    expect(page.locator("#break-text")).to_contain_text("Paus 0:")
    expect(page.get_by_role("button", name="Pausen börjar här")).to_have_count(0)


def test_a_film_without_sound_says_so_and_still_plays_at_two_and_a_half(page, app, factory, run_jobs, tmp_path):
    ids = played_film(app, factory, tmp_path / "clips", run_jobs, kind="no_audio")
    with app.app_context():
        assert db.session.get(Recording, ids["recording"]).activity["error"]
    open_player(page, ids, "supervisor")
    expect(page.locator("#speech-lane-note")).to_have_text(
        "Filmen saknar ljud, så det finns ingen talremsa och ingen tystnad att hoppa över.")
    expect(page.locator("#speech-lane")).to_have_attribute("data-state", "unavailable")
    expect(page.locator("#speech-lane")).to_be_hidden()
    page.get_by_label("Hastighet").select_option("2.5")
    assert video(page, "v.playbackRate") == 2.5 and video(page, "v.preservesPitch") is True
    # the leader was told on the session's page, with what to check
    forget_session(page)
    login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/sessions/{ids['session']}/upload")
    expect(page.locator("#recording-sound")).to_contain_text("Kontrollera kamerans mikrofon")
    expect(page.locator("#recording-sound")).to_be_visible()


def test_the_lane_says_it_is_coming_and_appears_when_the_track_is_stored(page, app, film):
    with app.app_context():  # as just after the film became ready: its track not yet worked out
        recording = db.session.get(Recording, film["recording"])
        recording.activity = None
        db.session.commit()
    open_player(page, film, "supervisor")
    expect(page.locator("#speech-lane-note")).to_contain_text("räknas fram just nu")
    expect(page.locator("#speech-lane")).to_be_hidden()
    with app.app_context():
        assert analyse_recording(film["recording"]) == "done"
    expect(page.locator("#speech-lane")).to_have_attribute("data-state", "ready", timeout=25_000)
    expect(page.locator("#speech-lane-note")).to_be_hidden()
