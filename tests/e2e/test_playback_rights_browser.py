"""Playback stops in Chromium once the right to watch ends (issue 17 finding 5): the player's
next URL renewal is refused, and it stops instead of playing on from its buffer."""

import time

from playwright.sync_api import expect

from portal.extensions import db
from portal.models import GroupSession, User
from portal.models.base import utcnow
from portal.storage_local import routes as storage_routes
from tests.e2e import test_player_browser as player
from tests.e2e.conftest import forget_session
from tests.e2e.test_player_browser import open_player, video, wait_for_time

# the player tests' real ~24 s film, processed by the real worker, on SQLite
clip, film, database_url = player.clip, player.film, player.database_url

TTL = 3  # seconds; the player renews at 80 % of it. In production at most 60.


def withdraw_consent(app, film):
    group_session = db.session.get(GroupSession, film["session"])
    group_session.playback_blocked_at, group_session.playback_blocked_reason = utcnow(), "withdrawal"


def remove_role(app, film):
    db.session.get(User, film["supervisor"]).roles = ()


def test_playback_stops_after_consent_is_withdrawn_or_the_role_removed(page, app, film, monkeypatch):
    app.config["MEDIA_URL_TTL"] = TTL
    # many small answers, each one checked: an HLS film's segments (and, for a film published as MP4,
    # small range answers)
    monkeypatch.setattr(storage_routes, "FILM_RANGE_MAX_BYTES", 64 * 1024)
    parts = []
    page.on("response", lambda r: parts.append(r.status) if "/storage/object" in r.url else None)
    for end_right in (withdraw_consent, remove_role):
        forget_session(page)  # log in anew: a role change may end the session
        open_player(page, film, "supervisor")
        page.get_by_role("button", name="Spela upp").click()
        wait_for_time(page, 1)
        assert sum(status in (200, 206) for status in parts) > 2
        with app.app_context():
            end_right(app, film)
            db.session.commit()
        ended = time.monotonic()
        expect(page.locator("#player")).to_have_attribute("data-state", "revoked", timeout=TTL * 3000)
        print(f"{end_right.__name__}: stopped {time.monotonic() - ended:.1f} s after the right ended")
        expect(page.locator("#player-error")).to_contain_text("Du kan inte längre se filmen")
        at = video(page, "v.currentTime")
        # paused, its source gone and nothing left buffered (readyState HAVE_NOTHING)
        assert video(page, "[v.paused, v.getAttribute('src'), v.getAttribute('poster'), v.readyState]") == [
            True, None, None, 0]
        expect(page.get_by_role("button", name="Spela upp")).to_be_visible()
        time.sleep(1)
        assert video(page, "v.currentTime") == at  # nothing plays on from the buffer
        with app.app_context():  # give the right back for the next case
            group_session = db.session.get(GroupSession, film["session"])
            group_session.playback_blocked_at = group_session.playback_blocked_reason = None
            db.session.get(User, film["supervisor"]).roles = ("supervisor",)
            db.session.commit()
