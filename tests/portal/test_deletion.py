"""Deletion leaves nothing behind (issue 17): a deleted film takes its comments, replies, private
notes, playback positions, notices, poster, storyboard and every derived file with it, on both
databases; no export holds anything of a deleted or blocked film; the session's supervision
summary stays and the exports say when the film was deleted."""

import json
import time
from datetime import date

import pytest

from portal.extensions import db
from portal.models import Comment, GroupSession, Notification, PlaybackPosition, Recording, SessionSupervision, User
from portal.services import comments, notifications, retention, supervision
from tests.conftest import AuthActions
from tests.films import ApiClient
from tests.group_fixtures import add_participants
from tests.portal.test_export import pdf_text, rows_of
from tests.portal.test_retention import stored, stored_film

SUMMARY = "Sammanfattningen om ledarnas arbete"
CONTENT = {
    "comment": "KOMMENTAR-zq81 om rundan",
    "reply": "SVAR-zq82 från ledaren",
    "note": "NOTERING-zq83 privat för handledaren",
    "probe": "KAMERA-zq84",
    "failure": "FEL-zq85",
    "file": "Anna Svensson grupp.MTS",  # the original's name (stored_film)
}


def film_with_everything(app, factory, tmp_path):
    """A ready film with stored bytes (original, video, poster, storyboard, an unfinished
    upload), a shared comment with a leader's reply, a private note, two playback positions, a
    reply notice and published feedback."""
    film = stored_film(app, factory, tmp_path)
    with app.test_request_context():
        recording = db.session.get(Recording, film["recording"])
        recording.duration = 4000.0
        recording.media_info = {"storyboard": ["storyboard-001.jpg"], "tags": {"title": CONTENT["probe"]}}
        recording.reason_detail = CONTENT["failure"]
        supervisor, leader = db.session.get(User, film["supervisor"]), db.session.get(User, film["uploader"])
        root = comments.add_comment(supervisor, recording, {"t_start": 12, "category": "content",
                                                            "body": CONTENT["comment"]})
        comments.add_comment(supervisor, recording, {"t_start": 30, "category": "content", "visibility": "private",
                                                     "body": CONTENT["note"]})
        supervision.save(supervisor, db.session.get(GroupSession, film["session"]), SUMMARY,
                         meeting_date=date(2026, 1, 22), publish=True)
        db.session.commit()
        reply = comments.add_comment(leader, recording, {"parent_id": root.id, "body": CONTENT["reply"]})
        db.session.commit()
        notifications.reply_added(reply)
    for person in ("supervisor", "uploader"):
        assert ApiClient(app, film["emails"][person]).call(
            "PUT", f"/recordings/{film['recording']}/position", json={"position": 42.5}).status_code == 200
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(PlaybackPosition)) == 2
        assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 3
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                                 .where(Notification.kind == "reply")) == 1
    return film


def database_text(app):
    """Every text, string and JSON column of every table, as one string per row."""
    found = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns
                       if isinstance(c.type, db.String | db.Text | db.JSON | db.Unicode | db.UnicodeText)]
            if not columns:
                continue
            for row in db.session.execute(db.select(*[db.cast(c, db.Text) for c in columns])):
                found.append(f"{table.name}: " + " | ".join(str(v) for v in row if v is not None))
    return found


def client_as(app, email):
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def every_export(app, film):
    """The text of every export that could hold the film: session and group PDF and CSV (with
    the private notes), the GDPR exports of the comments' authors and of a participant."""
    supervisor = client_as(app, film["emails"]["supervisor"])
    texts = {}
    for scope in (f"sessions/{film['session']}", f"groups/{film['group']}"):
        texts[f"{scope}.csv"] = json.dumps(rows_of(supervisor.get(f"/review/{scope}/export.csv?private=1")),
                                           ensure_ascii=False)
        texts[f"{scope}.pdf"] = pdf_text(supervisor.get(f"/review/{scope}/export.pdf?private=1"))
    admin = client_as(app, film["emails"]["admin"])
    with admin.session_transaction() as session:
        session["reauth_at"] = time.time()
    for person in ("supervisor", "uploader"):
        texts[f"user-{person}"] = admin.get(f"/admin/exports/users/{film[person]}").get_data(as_text=True)
    texts["participant"] = admin.get(f"/admin/exports/participants/{film['participant']}").get_data(as_text=True)
    return texts


def with_participant(app, film):
    codes = add_participants(app, film["group"], film["uploader"], ["A1"], consented=["A1"])
    with app.app_context():
        confirmation = db.session.get(GroupSession, film["session"]).confirmation
        confirmation.attending = [codes["A1"]]
        db.session.commit()
    return {**film, "participant": codes["A1"]}


def test_a_deleted_film_leaves_nothing_in_the_database_storage_or_any_export(app, factory, tmp_path):
    film = with_participant(app, film_with_everything(app, factory, tmp_path))
    before = every_export(app, film)
    assert CONTENT["comment"] in before["sessions/%d.csv" % film["session"]]  # the search can find it
    assert CONTENT["note"] in before["groups/%d.pdf" % film["group"]]
    assert CONTENT["reply"] in before["user-uploader"]
    assert any(CONTENT["probe"] in row for row in database_text(app))
    assert stored(app, film["folder"])[0]

    with app.app_context():
        receipt = retention.delete_recording(db.session.get(Recording, film["recording"]),
                                             db.session.get(User, film["admin"]), retention.ADMIN_REQUEST)
        assert receipt.detail["comments"] == 3 and receipt.detail["positions"] == 2
        assert receipt.detail["notifications"] == 1

    rows = database_text(app)
    for name, text in CONTENT.items():
        assert not [row for row in rows if text in row], name
    assert stored(app, film["folder"]) == ([], [])
    after = every_export(app, film)
    for export_name, text in after.items():
        for name, content in CONTENT.items():
            assert content not in text, (export_name, name)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(PlaybackPosition)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(Notification)
                                 .where(Notification.kind == "reply")) == 0
        record = db.session.scalars(db.select(SessionSupervision)).one()
        assert record.summary == SUMMARY  # the leader's supervision stays
        deleted_on = db.session.get(Recording, film["recording"]).deleted_at.strftime("%Y-%m-%d")
    session_rows = rows_of(client_as(app, film["emails"]["supervisor"]).get(
        f"/review/sessions/{film['session']}/export.csv?private=1"))
    assert [r["Text"] for r in session_rows if r["Rad"] == "Sammanfattning"] == [SUMMARY]
    [note] = [r["Text"] for r in session_rows if r["Rad"] == "Film"]
    assert note.startswith(f"Sessionens film raderades {deleted_on}")
    assert f"Sessionens film raderades {deleted_on}" in after[f"groups/{film['group']}.pdf"]


def test_a_blocked_films_comments_are_in_no_export(app, factory, tmp_path):
    film = with_participant(app, film_with_everything(app, factory, tmp_path))
    with app.app_context():
        db.session.get(GroupSession, film["session"]).playback_blocked_at = db.func.now()
        db.session.commit()
    texts = every_export(app, film)
    for export_name, text in texts.items():
        for name in ("comment", "reply", "note"):
            assert CONTENT[name] not in text, (export_name, name)
    session_rows = rows_of(client_as(app, film["emails"]["supervisor"]).get(
        f"/review/sessions/{film['session']}/export.csv"))
    assert [r["Text"] for r in session_rows if r["Rad"] == "Film"] == [
        "Samtycket återkallades: filmen och dess kommentarer är utelämnade."]


@pytest.mark.parametrize("reason", [retention.RETENTION, retention.CONSENT_WITHDRAWN, retention.ADMIN_REQUEST])
def test_every_path_forgets_the_comments(app, factory, tmp_path, reason):
    film = film_with_everything(app, factory, tmp_path)
    with app.app_context():
        retention.delete_recording(db.session.get(Recording, film["recording"]), None, reason)
        assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 0
        recording = db.session.get(Recording, film["recording"])
        assert (recording.status, recording.reason_code, recording.media_info) == ("deleted", reason, None)


def test_a_tombstone_from_before_forgets_its_comments_when_deleted_again(app, factory, tmp_path):
    film = film_with_everything(app, factory, tmp_path)
    with app.app_context():
        db.session.get(Recording, film["recording"]).status = "deleted"  # deleted by an older version
        db.session.commit()
        assert retention.delete_recording(db.session.get(Recording, film["recording"]), None,
                                          retention.RETENTION) is None
        assert db.session.scalar(db.select(db.func.count()).select_from(Comment)) == 0
