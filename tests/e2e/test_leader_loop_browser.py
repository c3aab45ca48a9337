"""The leader's loop in Chromium (issue 15 §2, §3 queue, §4): what happened to the film and what
to do next, the upload page following the film live, replacing a wrong film, the start page's
to-do list and refusals that explain themselves."""

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import AuditEvent, GroupSession, Recording, SourceFile, User
from portal.models.base import utcnow
from portal.models.recordings import PROCESSING, READY, UPLOADED
from portal.services import consent, notifications, supervision
from tests.conftest import PASSWORD
from tests.e2e.conftest import forget_session, login
from tests.e2e.test_upload_browser import choose, start_upload
from tests.films import ApiClient, group_with_session, small_parts, upload_clips
from tests.group_fixtures import make_group
from tests.workers import clips

# SQLite only: the services under these pages run on both databases in tests/portal/test_leader_loop.py
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def set_recording(app, recording_id, **values):
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        for key, value in values.items():
            setattr(recording, key, value)
        db.session.commit()


def waiting_film(app, org_id, session_id, seconds_ago, status=UPLOADED, **values):
    """Another film in the processing queue, uploaded ``seconds_ago``."""
    with app.app_context():
        recording = Recording(organisation_id=org_id, group_session_id=session_id, status=status,
                              uploaded_at=utcnow() - timedelta(seconds=seconds_ago), **values)
        db.session.add(recording)
        db.session.flush()
        db.session.add(SourceFile(recording_id=recording.id, position=1, filename="00001.MTS", size=50 * 10**6,
                                  content_type="video/mp2t", storage_key=f"org/{org_id}/rec/x{recording.id}/src/a",
                                  part_size=5 * 2**20, status="uploaded"))
        db.session.commit()


def test_a_rejected_film_is_explained_and_uploaded_again(page, app, factory, tmp_path, run_jobs):
    small_parts(app)
    ids = group_with_session(app, factory)
    upload_clips(app, ids, tmp_path / "clips", "playlist")  # a text file named like a film
    run_jobs()
    login(page, ids["emails"]["co_leader"], PASSWORD)  # the co-leader is told too
    page.goto("/notifications")
    expect(page.locator("#notices li").first).to_contain_text("Principsession 1")
    expect(page.locator("#notices li").first).to_contain_text(
        "Ladda upp själva filmfilen från kameran, till exempel 00001.MTS")
    forget_session(page)
    login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    attempt = page.locator("tr[data-session='1'] .film-attempt")
    expect(attempt).to_contain_text("Senaste försöket: Inte en användbar film.")
    expect(attempt).to_contain_text("Filen är")
    attempt.get_by_role("button", name="Ladda upp igen").click()
    expect(page.locator("#last-attempt")).to_contain_text("Filen är")
    expect(page.locator("#last-attempt")).to_contain_text("00001.MTS")
    page.locator("#last-attempt").get_by_role("button", name="Ladda upp igen").click()
    choose(page, clips.make("h264_aac", tmp_path))
    start_upload(page)
    expect(page.locator("#recording-status-text")).to_have_text("Uppladdad, väntar på bearbetning", timeout=30_000)
    page.reload()  # the new upload replaces the last attempt on both pages
    expect(page.locator("#last-attempt")).to_have_count(0)
    page.goto(f"/groups/{ids['group']}")
    expect(page.locator("tr[data-session='1'] .film-attempt")).to_have_count(0)


def test_the_upload_page_follows_the_film_live_to_ready(page, app, factory, tmp_path):
    small_parts(app)
    ids = group_with_session(app, factory)
    other = group_with_session(app, factory)  # films of another organisation ahead in the queue
    waiting_film(app, other["org"], other["sessions"][2], 600, status=PROCESSING, progress=0.5,
                 processing_started_at=utcnow() - timedelta(seconds=300))
    waiting_film(app, other["org"], other["sessions"][3], 300)
    login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/sessions/{ids['session']}/upload")
    navigations = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url))
    choose(page, clips.make("h264_aac", tmp_path))
    start_upload(page)
    queue = page.locator("#recording-queue")
    expect(queue).to_contain_text("2 filmer före din", timeout=30_000)
    expect(queue).to_contain_text(re.compile(r"Klar om ungefär \d+ min"))
    with app.app_context():
        recording_id = db.session.scalar(db.select(Recording.id).where(Recording.group_session_id == ids["session"]))
    set_recording(app, recording_id, status=PROCESSING, progress=0.5,
                  processing_started_at=utcnow() - timedelta(seconds=120))
    expect(page.locator("#recording-status-text")).to_have_text("Bearbetas")
    expect(page.locator("#recording-progress")).to_have_attribute("value", "50")
    expect(page.locator("#recording-time-left")).to_have_text("Ungefär 2 min kvar")
    expect(queue).to_be_hidden()
    # issue 19: the first minutes are published as HLS while the rest is processed
    set_recording(app, recording_id, output_kind="hls", playable_seconds=150.0)
    link = page.locator("#recording-watch a")
    expect(link).to_have_text("Titta på början")
    expect(page.locator("#recording-playable")).to_have_text("De första 2 minuterna kan spelas, resten bearbetas")
    set_recording(app, recording_id, status=READY, progress=1.0, ready_at=utcnow())
    expect(page.locator("#recording-status-text")).to_have_text("Klar att titta på")
    expect(link).to_have_text("Titta på filmen")
    expect(page.locator("#recording-playable")).to_be_hidden()
    expect(link).to_have_attribute("href", f"/review/recordings/{recording_id}")
    expect(page.locator("#recording-progress")).to_be_hidden()
    for box in ("#recording-status", ".uppy-StatusBar"):  # no "Klart Klart"
        words = page.locator(box).inner_text().split()
        assert all(a.lower() != b.lower() for a, b in zip(words, words[1:], strict=False)), words
    assert navigations == [], "the page followed the film without a reload"


def test_a_leader_replaces_a_wrong_film(page, app, factory):
    ids = group_with_session(app, factory)
    api = ApiClient(app, ids["emails"]["uploader"])
    info, etags = api.upload(ids["session"], b"wrong film" * 100, filename="semester.mp4")
    api.complete(info["upload_id"], etags)
    login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/sessions/{ids['session']}/upload")
    page.get_by_text("Fel film? Byt ut eller ta bort den").click()
    page.get_by_role("button", name="Ta bort filmen").click()
    expect(page.locator(".flash-success")).to_contain_text("Filmen är borttagen")
    expect(page.locator(".uppy-Dashboard")).to_be_visible()  # free for a new upload
    with app.app_context():
        recording = db.session.get(Recording, info["recording_id"])
        assert recording.status == "deleted"
        receipt = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "recording.deleted"))
        assert receipt.object_id == recording.id and receipt.actor_id == ids["uploader"]


def test_the_start_page_is_the_leaders_to_do_list(page, app, factory):
    today = utcnow().date()
    ids = make_group(app, factory, tag="t", start=today - timedelta(days=15))  # sessions 0, 1, 2 are held
    with app.app_context():
        sessions = [db.session.get(GroupSession, i) for i in ids["sessions"][:3]]
        leader = db.session.get(User, ids["uploader"])
        supervisor = db.session.get(User, ids["supervisor"])
        consent.confirm_attendance(sessions[1], [], leader)
        consent.confirm_attendance(sessions[2], [], leader)
        db.session.add(Recording(organisation_id=ids["org"], group_session_id=sessions[2].id, status="rejected",
                                 reason_code="not_a_video"))
        db.session.add(Recording(organisation_id=ids["org"], group_session_id=sessions[0].id, status=READY))
        supervision.save(supervisor, sessions[0], "Fin start", date(2026, 1, 20), "done", publish=True)
        db.session.flush()
        notifications.notify(leader, notifications.REPLY, "/review/recordings/1#comment-1", author=supervisor.name,
                             session=sessions[0].title, group="Grupp t")
        db.session.commit()
        titles = [s.title for s in sessions]
    login(page, ids_email(app, ids["uploader"]), PASSWORD)
    todo = page.locator("#todo li")
    expect(page.locator("#todo li[data-todo='consent']")).to_have_count(0)  # session 0 has its film
    expect(page.locator("#todo li[data-todo='upload']")).to_contain_text(f"Ladda upp filmen från {titles[1]}")
    expect(page.locator("#todo li[data-todo='new_upload']")).to_contain_text(titles[2])
    expect(page.locator("#todo li[data-todo='feedback']")).to_contain_text("från Sara t")
    expect(page.locator("#todo li[data-todo='reply']")).to_contain_text("Sara t svarade")
    expect(todo).to_have_count(4)
    page.locator("#todo li[data-todo='feedback'] a").click()
    expect(page).to_have_url(re.compile(rf"/review/sessions/{ids['sessions'][0]}$"))
    page.goto("/")
    expect(page.locator("#todo li[data-todo='feedback']")).to_have_count(0)  # read now
    page.locator("#todo li[data-todo='upload'] a").click()
    expect(page).to_have_url(re.compile(rf"/sessions/{ids['sessions'][1]}/upload$"))


def ids_email(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).email


def test_the_co_leader_learns_who_uploads_and_gets_the_right(page, app, factory):
    ids = group_with_session(app, factory)
    login(page, ids["emails"]["co_leader"], PASSWORD)
    page.goto(f"/sessions/{ids['session']}/upload")
    refusal = page.locator("#upload-refusal")
    expect(refusal).to_contain_text(f"{ids_name(app, ids['uploader'])} laddar upp gruppens filmer")
    expect(refusal).to_contain_text("Låt medledaren också ladda upp")
    expect(page.locator(".uppy-Dashboard")).to_have_count(0)
    forget_session(page)
    login(page, ids["emails"]["uploader"], PASSWORD)
    page.goto(f"/groups/{ids['group']}")
    page.locator("#uploader").get_by_role("button", name="Låt medledaren också ladda upp").click()
    expect(page.locator("#uploader")).to_contain_text("och medledaren laddar upp filmerna")
    forget_session(page)
    login(page, ids["emails"]["co_leader"], PASSWORD)
    page.goto(f"/sessions/{ids['session']}/upload")
    expect(page.locator(".uppy-Dashboard")).to_be_visible()


def ids_name(app, user_id):
    with app.app_context():
        return db.session.get(User, user_id).name


def test_a_withdrawn_or_deleted_film_says_why(page, app, factory):
    from portal.services import retention

    ids = group_with_session(app, factory)
    with app.app_context():
        recording = Recording(organisation_id=ids["org"], group_session_id=ids["session"], status=READY)
        db.session.add(recording)
        db.session.get(GroupSession, ids["session"]).playback_blocked_at = utcnow()
        db.session.commit()
        recording_id = recording.id
    login(page, ids["emails"]["supervisor"], PASSWORD)
    response = page.goto(f"/review/recordings/{recording_id}")
    assert response.status == 403
    today = datetime.now(ZoneInfo("Europe/Stockholm")).date().isoformat()
    expect(page.locator("#film-unavailable-reason")).to_have_text(
        f"Filmen kan inte visas: en deltagare återkallade sitt samtycke {today}.")
    with app.app_context():
        retention.delete_recording(db.session.get(Recording, recording_id), None, retention.RETENTION)
    response = page.goto(f"/review/recordings/{recording_id}")
    assert response.status == 410
    expect(page.locator("#film-unavailable-reason")).to_contain_text("enligt organisationens gallringsregler")
