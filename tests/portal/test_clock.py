"""One clock (issue 16): the API writes datetimes with their UTC offset and every page shows the
user's time zone (Europe/Stockholm by default), at a moment when UTC and Stockholm differ."""

import json
import re
from datetime import UTC, date, datetime

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Notification, Recording, User
from portal.services import comments, playback
from portal.services.notifications import FEEDBACK_DUE
from tests.conftest import AuthActions, client_as, page
from tests.films import ApiClient, ready_film

WINTER = datetime(2026, 12, 3, 2, 46, tzinfo=UTC)  # 03:46 in Stockholm (UTC+1)
SUMMER = datetime(2026, 7, 1, 22, 30, tzinfo=UTC)  # 00:30 on 2 July in Stockholm (UTC+2)
ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


@pytest.fixture
def film(app, factory):
    return ready_film(app, factory)


def stamp_everything(app, film, moment):
    """A comment, a playback, a notice and every audit row of the film's organisation, all at
    ``moment`` (a frozen time: the rows are written, then dated)."""
    with app.app_context():
        supervisor = db.session.get(User, film["supervisor"])
        recording = db.session.get(Recording, film["recording"])
        comment = comments.add_comment(supervisor, recording, {"t_start": 5, "category": "content",
                                                                "body": "Bra start", "visibility": "shared"})
        playback.play(db.session.get(User, film["uploader"]), recording)
        db.session.add(Notification(user_id=film["uploader"], kind=FEEDBACK_DUE, link="/",
                                    params={"session": "x", "group": "y", "due": "2026-12-10"}))
        db.session.flush()
        comment.created_at = moment
        db.session.execute(db.update(Notification).values(created_at=moment))
        db.session.execute(db.update(AuditEvent).where(AuditEvent.organisation_id == film["organisation"])
                           .values(at=moment))
        db.session.commit()
        return comment.id


def offsetless(value, path="$"):
    """Paths in a JSON document whose value looks like a datetime but has no UTC offset."""
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in offsetless(v, f"{path}.{k}")]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in offsetless(v, f"{path}[{i}]")]
    if isinstance(value, str) and ISO_DATETIME.match(value) and not re.search(r"(Z|[+-]\d{2}:\d{2})$", value):
        return [path]
    return []


def test_the_api_writes_every_datetime_with_its_offset(app, film):
    stamp_everything(app, film, WINTER)
    api = ApiClient(app, film["emails"]["supervisor"])
    answers = {
        "comments": api.call("GET", f"/recordings/{film['recording']}/comments"),
        "play": api.call("POST", f"/recordings/{film['recording']}/play"),
        "recording": ApiClient(app, film["emails"]["uploader"]).call("GET", f"/recordings/{film['recording']}"),
        "group": api.call("GET", f"/groups/{film['group']}"),
        "me": api.call("GET", "/me"),
    }
    for name, response in answers.items():
        assert response.status_code == 200, name
        assert offsetless(response.get_json()) == [], name
    created = answers["comments"].get_json()["comments"][0]["created_at"]
    assert datetime.fromisoformat(created) == WINTER and created.endswith("+00:00")


@pytest.mark.parametrize("moment,shown", [(WINTER, "3 dec. 2026 03:46"), (SUMMER, "2 juli 2026 00:30")])
def test_every_page_shows_stockholm_time(app, film, moment, shown):
    stamp_everything(app, film, moment)
    utc_clock = f"{moment:%H:%M}"
    leader = client_as(app, film["emails"]["uploader"])
    pages = {
        "who watched": page(leader, "/review/views"),
        "notices": page(leader, "/notifications"),
        "session viewings": page(client_as(app, film["emails"]["supervisor"]), f"/review/sessions/{film['session']}"),
        "audit log": page(client_as(app, film["emails"]["admin"]), "/admin/audit"),
    }
    for name, html in pages.items():
        assert shown in html, name
        assert f" {utc_clock}" not in html, name  # the UTC clock nowhere
    assert "(UTC)" not in pages["audit log"] and f"{shown}:00" in pages["audit log"]  # seconds in the log


def test_the_player_formats_comment_times_in_the_portal_zone(app, film):
    stamp_everything(app, film, WINTER)
    html = page(client_as(app, film["emails"]["supervisor"]), f"/review/recordings/{film['recording']}")
    strings = json.loads(re.search(r'<script type="application/json" id="player-i18n">(.*?)</script>', html,
                                   re.S).group(1))
    assert strings["timeZone"] == "Europe/Stockholm"


def test_english_reads_as_english(app, film):
    stamp_everything(app, film, WINTER)
    leader = client_as(app, film["emails"]["uploader"])
    leader.post("/language", data={"lang": "en", "csrf_token": AuthActions(leader).csrf("/")})
    assert "Dec 3, 2026, 3:46\u202fAM" in page(leader, "/review/views").replace("&#8239;", "\u202f")


def test_the_audit_filter_takes_the_local_day(app, film):
    stamp_everything(app, film, datetime(2026, 12, 2, 23, 30, tzinfo=UTC))  # 3 December in Stockholm
    admin = client_as(app, film["emails"]["admin"])
    local_day = page(admin, "/admin/audit?since=2026-12-03&until=2026-12-03")
    assert local_day.count("<tr data-action=") > 0 and "3 dec. 2026 00:30" in local_day
    assert page(admin, "/admin/audit?since=2026-12-02&until=2026-12-02").count("<tr data-action=") == 0
    export = admin.get("/admin/audit/export.csv?since=2026-12-03&until=2026-12-03")
    assert export.status_code == 200 and "2026-12-03T00:30:00+01:00" in export.get_data(as_text=True)


def test_dates_read_the_swedish_way(app, film):
    html = page(client_as(app, film["emails"]["uploader"]), f"/groups/{film['group']}")
    assert "12 jan. 2026" in html  # the information meeting of a group that starts on 12 January
    assert date(2026, 1, 12).isoformat() not in html


def test_a_user_who_chooses_a_time_zone_sees_every_time_in_it(app, film):
    """The settings page offers the portal's zone (the default) and every Area/City zone; once a
    leader chooses New York, "who watched" and the notices show New York time, audited."""
    stamp_everything(app, film, WINTER)
    leader = client_as(app, film["emails"]["uploader"])
    settings = page(leader, "/settings")
    assert "Portalens tidszon (Europe/Stockholm)" in settings and 'value="America/New_York"' in settings
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', settings).group(1)
    saved = leader.post("/settings", data={"csrf_token": token, "delivery": "mail", "timezone": "America/New_York"})
    assert saved.status_code == 302
    assert "2 dec. 2026 21:46" in page(leader, "/review/views")  # 02:46 UTC is 21:46 the day before there
    assert "3 dec. 2026 03:46" in page(client_as(app, film["emails"]["co_leader"]), "/review/views")
    refused = leader.post("/settings", data={"csrf_token": token, "delivery": "mail", "timezone": "Mars/Base"})
    assert refused.status_code == 200
    with app.app_context():
        assert db.session.get(User, film["uploader"]).timezone == "America/New_York"
        event = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "user.timezone"))
        assert event.detail == {"before": None, "after": "America/New_York"}
