"""Chapters and the fidelity checklist in Chromium (issue 20): a supervisor adds a chapter and the
chapter list jumps the film there; a checklist item linked to a range (one press at its start, the
T key at its end) plays that range; the certification file rolls the checklist up.

The player tests use a real ~12 s lavfi clip uploaded through the API and processed by the real
worker, as tests/e2e/test_player_browser.py does; the roll-up needs no media bytes.
"""

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import GroupSession, User
from portal.services import checklist
from tests.conftest import PASSWORD
from tests.e2e.conftest import login
from tests.e2e.test_player_browser import open_player, video, wait_for_time
from tests.films import ApiClient, group_with_session, ready_film
from tests.workers import clips

CLIP_SECONDS = 12


@pytest.fixture
def database_url(sqlite_url):
    """SQLite only, as the other player tests: the API tests cover both databases."""
    return sqlite_url


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return clips.make("h264_aac", tmp_path_factory.mktemp("clip"), seconds=CLIP_SECONDS).read_bytes()


@pytest.fixture
def film(app, factory, clip, run_jobs):
    ids = group_with_session(app, factory)
    api = ApiClient(app, ids["emails"]["uploader"])
    info, etags = api.upload(ids["session"], clip)
    assert api.complete(info["upload_id"], etags).status_code == 200
    run_jobs()
    ids["recording"] = info["recording_id"]
    return ids


def seek(page, seconds):
    video(page, f"(v.currentTime = {seconds}, true)")
    wait_for_time(page, seconds - 0.05, seconds + 0.05)


def test_a_supervisor_adds_chapters_and_the_list_jumps_the_film_and_a_linked_item_plays_its_range(page, film):
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    open_player(page, film, "supervisor")

    # (a) A chapter at the current time; the list jumps the film there; "Flytta hit" moves it.
    seek(page, 5)
    page.select_option("#new-chapter-kind", "Rollspel")
    page.get_by_role("button", name="Lägg till vid aktuell tid").click()
    chapter = page.locator("#chapter-list li")
    expect(chapter).to_have_count(1)
    expect(chapter.locator(".chapter-jump")).to_have_text("0:05 Rollspel")
    seek(page, 0)
    chapter.locator(".chapter-jump").click()
    wait_for_time(page, 4.9, 5.1)
    seek(page, 8)
    chapter.locator('[data-action="move"]').click()
    expect(chapter.locator(".chapter-jump")).to_have_text("0:08 Rollspel")

    # (b) Mark the first item, link it to 2-6 s (a button press, then T), play the range.
    items = page.locator("#checklist-items li")
    expect(items).to_have_count(3)
    first = items.nth(0)
    first.get_by_role("button", name="Täckt").click()
    expect(first.get_by_role("button", name="Täckt")).to_have_attribute("aria-pressed", "true")
    seek(page, 2)
    first.get_by_role("button", name="Koppla till tiden").click()
    expect(page.locator("#review-tools-status")).to_contain_text("Början satt till 0:02")
    seek(page, 6)
    page.keyboard.press("t")
    play = first.locator("[data-link]")
    expect(play).to_have_text("Spela 0:02–0:06")
    seek(page, 10)
    play.click()
    wait_for_time(page, 2, 6.3)
    page.wait_for_function("() => document.getElementById('video').paused", timeout=15_000)
    assert 2 <= video(page, "v.currentTime") <= 6.5  # it stops at the range's end
    assert errors == []


def test_a_double_tap_adds_one_chapter_and_the_leader_takes_back_their_own(page, film):
    """The leader's phone: a double tap on "add" marks one chapter (the button waits for the answer,
    and the server answers the one already there); the leader deletes the chapter they added."""
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_viewport_size({"width": 390, "height": 844})
    open_player(page, film, "uploader")
    seek(page, 4)
    page.select_option("#new-chapter-kind", "Rollspel")
    page.get_by_role("button", name="Lägg till vid aktuell tid").dblclick()
    chapter = page.locator("#chapter-list li")
    expect(chapter).to_have_count(1)
    expect(chapter.locator(".chapter-jump")).to_have_text("0:04 Rollspel")
    page.get_by_role("button", name="Lägg till vid aktuell tid").click()  # the same again, later
    expect(page.locator("#review-tools-status")).to_have_text("Det kapitlet finns redan.")
    expect(chapter).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    chapter.locator('[data-action="delete"]').click()
    expect(chapter).to_have_count(0)
    expect(page.locator("#review-tools-status")).to_have_text("Kapitlet är borttaget.")
    assert errors == []


def test_the_certification_file_rolls_the_checklist_up_across_the_sessions(page, app, factory):
    film = ready_film(app, factory)
    with app.app_context():
        supervisor = db.session.get(User, film["supervisor"])
        for number in (1, 2):
            group_session = db.session.get(GroupSession, film["sessions"][number])
            item = checklist.session_checklist(group_session)[0].item.id
            checklist.set_mark(supervisor, group_session, item, "covered")
        db.session.commit()
    login(page, film["emails"]["supervisor"], PASSWORD)
    page.goto(f"/certification/leaders/{film['uploader']}")
    rollup = page.locator(f'[data-checklist-rollup="{film["group"]}"]')
    expect(rollup).to_be_visible()
    expect(rollup.locator("tbody tr").first).to_contain_text("täckt i 2 av 9 träffar")
