"""The player in Chromium: comments by keyboard, timeline markers, speed and range loops,
replies, media URLs that expire while the film plays, plain-text bodies and the position
each viewer stopped at.

Films that play are a real ~24 s lavfi clip uploaded through the API and processed by the
real worker; tests about comments alone use a ready recording without media bytes.
"""

import re
import time
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import GroupSession, Organisation, User
from portal.services import groups, programs, supervision
from tests.conftest import PASSWORD
from tests.e2e.conftest import forget_session, login
from tests.films import ApiClient, as_mp4, group_with_session, ready_film
from tests.workers import clips

CLIP_SECONDS = 24
PROCESS_PURPLE = "rgb(126, 34, 206)"  # "process" (#7e22ce) in portal.services.comments
CONTENT_BLUE = "rgb(29, 78, 216)"  # "content" (#1d4ed8)
RESOLVED = re.compile(r"\bresolved\b")


@pytest.fixture
def database_url(sqlite_url):
    """SQLite only: the page behaves the same on either database, the API tests
    (tests/portal/test_comments_api.py) cover both, and browser time is precious."""
    return sqlite_url


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """One film for the module, long enough to seek, loop and outlive a 2 s URL."""
    return clips.make("h264_aac", tmp_path_factory.mktemp("clip"), seconds=CLIP_SECONDS).read_bytes()


@pytest.fixture
def film(app, factory, clip, run_jobs, tmp_path):
    """A group whose first session's film was uploaded and processed for real."""
    ids = group_with_session(app, factory)
    api = ApiClient(app, ids["emails"]["uploader"])
    info, etags = api.upload(ids["session"], clip)
    assert api.complete(info["upload_id"], etags).status_code == 200
    run_jobs()
    ids["recording"] = info["recording_id"]
    return ids


def open_player(page, film, role=None, ready=True):
    if role:
        login(page, film["emails"][role], PASSWORD)
    page.goto(f"/review/recordings/{film['recording']}")
    if ready:
        expect(page.locator("#player")).to_have_attribute("data-state", "ready")


def video(page, expression):
    """``expression`` evaluated with ``v`` bound to the video element."""
    return page.evaluate(f"(() => {{ const v = document.getElementById('video'); return {expression}; }})()")


def wait_for_time(page, low, high=None, timeout=15_000):
    """Wait until the film's currentTime is within [low, high]."""
    page.wait_for_function(
        "([low, high]) => { const t = document.getElementById('video').currentTime;"
        " return t >= low && (high === null || t <= high); }", arg=[low, high], timeout=timeout)


def post_comment(api, recording_id, **fields):
    answer = api.call("POST", f"/recordings/{recording_id}/comments",
                      json={"t_start": 3, "category": "strength", "body": "Fin inledning", **fields})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def publish(app, film):
    with app.app_context():
        supervision.save(db.session.get(User, film["supervisor"]), db.session.get(GroupSession, film["session"]),
                         "Sammanfattning", publish=True)
        db.session.commit()


def test_supervisor_comments_with_the_keyboard_sees_markers_and_loops_a_range(page, film):
    open_player(page, film, "supervisor")
    expect(page.locator("#comments-empty")).to_be_visible()
    page.keyboard.press("l")  # forward 10 s
    wait_for_time(page, 9.9, 10.1)
    page.keyboard.press("c")
    expect(page.locator("#comment-body")).to_be_focused()
    expect(page.locator("#comment-in")).to_have_value("0:10.0")
    page.keyboard.type("Lugn inledning, jo")  # shortcut letters and spaces: typed, not obeyed
    page.keyboard.press("Enter")
    page.keyboard.type("Rad två")
    assert video(page, "[v.paused, v.currentTime]") == [True, 10]
    page.keyboard.press("Control+Enter")
    expect(page.locator(".thread")).to_have_count(1)
    expect(page.locator("#timeline")).to_be_focused()
    assert video(page, "[v.paused, v.currentTime]") == [True, 10]

    page.keyboard.press("ArrowLeft")  # 5 s
    page.keyboard.press("i")
    page.keyboard.press("ArrowRight")  # 10 s
    page.keyboard.press("o")
    expect(page.locator("#comment-in")).to_have_value("0:05.0")
    expect(page.locator("#comment-out")).to_have_value("0:10.0")
    page.keyboard.press("c")
    expect(page.locator("#comment-body")).to_be_focused()
    page.select_option("#comment-category", "process")
    page.fill("#comment-body", "Hela rundan")
    page.get_by_role("button", name="Lägg till kommentaren").click()

    threads = page.locator(".thread")
    expect(threads).to_have_count(2)
    expect(threads.nth(0).locator(".timecode")).to_have_text("0:05–0:10")  # time order
    assert threads.nth(1).locator(".comment-body").text_content() == "Lugn inledning, jo\nRad två"
    markers = page.locator("#timeline-markers .marker")
    expect(markers).to_have_count(2)
    drawn = markers.evaluate_all(
        "ms => ms.map(m => [m.classList.contains('marker-range'), getComputedStyle(m).backgroundColor,"
        " m.getBoundingClientRect().width > 10])")
    assert drawn == [[True, PROCESS_PURPLE, True], [False, CONTENT_BLUE, False]]

    page.keyboard.press("p")  # from 0:10 back to the previous comment, the range at 0:05
    wait_for_time(page, 5, 5)
    page.keyboard.press("n")
    wait_for_time(page, 10, 10)

    timeline = page.locator("#timeline")
    box = timeline.bounding_box()
    timeline.hover(position={"x": box["width"] * 0.75, "y": box["height"] / 2})  # 0:18
    expect(page.locator("#timeline-preview-time")).to_have_text("0:18")
    tile = page.locator("#timeline-preview-image")
    expect(tile).to_be_visible()
    assert tile.evaluate("t => [t.style.backgroundImage.startsWith('url('), t.style.backgroundPosition]") == [
        True, "-1280px -90px"]  # tile 18, 10 per row of 160x90: row 1, column 8

    page.select_option("#speed", "2")
    assert video(page, "v.playbackRate") == 2
    loop_button = threads.nth(0).get_by_role("button", name="Spela upp intervallet")
    loop_button.click()
    # the range plays, passes 0:10 and starts over at 0:05
    page.wait_for_function("() => Number(document.getElementById('player').dataset.loops || 0) >= 1", timeout=20_000)
    t, paused, rate = video(page, "[v.currentTime, v.paused, v.playbackRate]")
    assert 5 <= t < 9 and not paused and rate == 2
    stop = threads.nth(0).get_by_role("button", name="Stoppa slingan")
    expect(stop).to_have_attribute("aria-pressed", "true")
    stop.click()
    expect(threads.nth(0).get_by_role("button", name="Spela upp intervallet")).to_have_attribute(
        "aria-pressed", "false")


def test_leader_replies_after_publication_and_the_supervisor_sees_it(page, app, factory):
    film = ready_film(app, factory, duration=float(CLIP_SECONDS))
    sup = ApiClient(app, film["emails"]["supervisor"])
    shared = post_comment(sup, film["recording"])
    post_comment(sup, film["recording"], t_start=8, visibility="private", body="Bara för oss")

    open_player(page, film, "uploader", ready=False)
    expect(page.locator("#comments-empty")).to_contain_text("när återkopplingen på den här träffen är publicerad")
    expect(page.locator(".thread")).to_have_count(0)

    publish(app, film)
    page.reload()
    thread = page.locator(f"#comment-{shared['id']}")
    expect(page.locator(".thread")).to_have_count(1)  # not the private one
    assert page.locator("#new-comment").count() == 0  # leaders only reply
    assert thread.get_by_role("button", name="Redigera").count() == 0
    thread.get_by_label("Svara på kommentaren vid 0:03").fill("Tack, det tar vi med oss.\nNästa gång också.")
    thread.get_by_role("button", name="Skicka svaret").click()
    expect(thread.locator(".reply .comment-body")).to_have_text("Tack, det tar vi med oss.\nNästa gång också.")
    expect(thread.get_by_label("Svara på kommentaren vid 0:03")).to_have_value("")

    forget_session(page)
    open_player(page, film, "supervisor", ready=False)
    thread = page.locator(f"#comment-{shared['id']}")
    expect(thread.locator(".reply .comment-body")).to_have_text("Tack, det tar vi med oss.\nNästa gång också.")
    expect(thread.locator(".reply .comment-meta")).to_contain_text("Lena")
    expect(page.locator(".thread")).to_have_count(2)
    expect(page.locator(".thread .badge-private")).to_have_count(1)


@pytest.mark.parametrize("kind", ["hls", "mp4"])
def test_playback_goes_on_past_the_lifetime_of_its_media_url(page, app, film, kind, tmp_path):
    """An HLS film asks the app for every segment, which redirects to a URL fresh for it; a film
    published as MP4 before issue 19 has one URL that expires, and the player takes a fresh one."""
    if kind == "mp4":
        as_mp4(app, film["recording"], tmp_path)
    app.config["MEDIA_URL_TTL"] = 2
    storage = []
    page.on("response", lambda r: storage.append(r.status) if "/storage/object" in r.url else None)
    renewals = []
    page.on("request", lambda r: renewals.append(r.url) if r.url.endswith("/play") and r.method == "POST"
            and '"renewal":true' in (r.post_data or "") else None)
    login(page, film["emails"]["supervisor"], PASSWORD)
    with page.expect_response(lambda r: r.url.endswith("/play")) as first:
        open_player(page, film)
    expires = datetime.fromisoformat(first.value.json()["expires_at"])
    # The browser holds the film's first part. Let its URL die before playing needs the rest:
    # only the clock can do that.
    time.sleep(max(0.0, (expires - datetime.now(UTC)).total_seconds() + 0.3))
    page.select_option("#speed", "2")
    page.get_by_role("button", name="Spela upp").click()
    wait_for_time(page, 12, timeout=30_000)  # 6 s of playing: several URL lifetimes
    if kind == "mp4":
        assert 403 in storage  # storage refused the expired URL...
        assert int(page.get_attribute("#player", "data-reloads")) >= 1  # ...and the player took a fresh one
    else:
        assert storage and 403 not in storage  # every segment came on a URL made for it
    assert renewals
    assert video(page, "[v.paused, v.playbackRate, v.error]") == [False, 2, None]
    expect(page.locator("#player-error")).to_be_empty()


def test_comment_bodies_are_shown_as_text(page, app, factory):
    film = ready_film(app, factory, duration=float(CLIP_SECONDS))
    hostile = ('<script>alert("x")</script><img src=x onerror="alert(1)"> <b>fet</b>\n'
               "Läs https://example.org/a?b=1, inte javascript:alert(2)")
    post_comment(ApiClient(app, film["emails"]["supervisor"]), film["recording"], body=hostile)
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    open_player(page, film, "supervisor", ready=False)
    body = page.locator(".thread .comment-body")
    expect(body).to_have_count(1)
    assert body.text_content() == hostile
    assert page.locator("#comments script, #comments img, #comments b").count() == 0
    link = body.locator("a")
    expect(link).to_have_count(1)
    assert link.get_attribute("href") == "https://example.org/a?b=1"
    assert link.get_attribute("rel") == "noopener noreferrer nofollow"
    assert dialogs == []


def test_supervisor_edits_resolves_and_deletes_her_comment(page, app, factory):
    film = ready_film(app, factory, duration=float(CLIP_SECONDS))
    comment = post_comment(ApiClient(app, film["emails"]["supervisor"]), film["recording"], visibility="private")
    publish(app, film)
    open_player(page, film, "supervisor", ready=False)
    thread = page.locator(f"#comment-{comment['id']}")
    thread.get_by_role("button", name="Redigera").click()
    expect(thread.get_by_label("Redigera kommentaren")).to_be_focused()
    thread.get_by_label("Redigera kommentaren").fill("Fin inledning, tydlig struktur")
    thread.get_by_label("Vem ser kommentaren").select_option("shared")
    thread.get_by_role("button", name="Spara").click()
    expect(thread.locator(".comment-body")).to_have_text("Fin inledning, tydlig struktur")
    expect(thread.locator(".badge-private")).to_have_count(0)
    expect(thread.locator(".comment-meta")).to_contain_text("redigerad")

    thread.get_by_label("Löst").check()
    expect(thread).to_have_class(RESOLVED)
    thread.get_by_label("Löst").uncheck()
    expect(thread).not_to_have_class(RESOLVED)

    ApiClient(app, film["emails"]["uploader"]).call(
        "POST", f"/recordings/{film['recording']}/comments", json={"parent_id": comment["id"], "body": "Tack!"})
    page.once("dialog", lambda dialog: dialog.accept())
    thread.get_by_role("button", name="Ta bort").click()
    expect(thread.locator(".comment-body").first).to_have_text("(borttagen)")
    expect(thread.locator(".reply .comment-body")).to_have_text("Tack!")  # the thread keeps its replies
    expect(page.locator("#player-status")).to_have_text("Kommentaren är borttagen.")


def test_a_missing_film_is_retried_a_few_times_then_explained(page, app, factory):
    film = ready_film(app, factory, duration=float(CLIP_SECONDS))  # no media bytes in storage
    plays = []
    page.on("request", lambda r: plays.append(r.url) if r.url.endswith("/play") else None)
    open_player(page, film, "supervisor", ready=False)
    expect(page.locator("#player-error")).to_have_text(
        "Filmen gick inte att läsa in. Ladda om sidan för att försöka igen.")
    assert len(plays) == 4  # the first load and three fresh URLs, then it stops


def test_the_last_position_is_remembered(page, film):
    open_player(page, film, "uploader")
    page.get_by_role("button", name="Spela upp").click()
    wait_for_time(page, 0.3)
    page.keyboard.press("l")
    wait_for_time(page, 10)
    with page.expect_response(lambda r: r.url.endswith("/position")) as saved:
        page.keyboard.press("k")  # pause
    position = saved.value.json()["position"]
    assert 10 <= position < 14
    page.reload()
    expect(page.locator("#player")).to_have_attribute("data-state", "ready")
    wait_for_time(page, position - 0.3, position + 0.3)
    expect(page.locator("#resume-note")).to_be_visible()
    page.get_by_role("button", name="Börja från början").click()
    wait_for_time(page, 0, 0.5)


def test_a_leader_of_another_group_gets_404(app, factory):
    film = ready_film(app, factory)
    # a second group in the same organisation, with its own two leaders
    others = [factory.user(("leader",), f"other{n}@example.org", film["organisation"]) for n in (1, 2)]
    with app.app_context():
        admin, supervisor, uploader, co_leader = (db.session.get(User, i) for i in (
            film["admin"], film["supervisor"], *others))
        groups.create_group(admin, db.session.get(Organisation, film["organisation"]), programs.seed_programs()[0],
                            "Grupp B", date(2026, 2, 2), uploader, co_leader, "certification",
                            supervisors=[supervisor])
        db.session.commit()
    outsider = ApiClient(app, "other1@example.org")
    assert outsider.client.get(f"/review/recordings/{film['recording']}").status_code == 404
    leader = ApiClient(app, film["emails"]["uploader"])
    assert leader.client.get(f"/review/recordings/{film['recording']}").status_code == 200
