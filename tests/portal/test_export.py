"""Export of a session's or a group's supervision as PDF and CSV: what goes in, who may export,
and that user text can neither break the PDF nor run as a spreadsheet formula."""

import csv
import io
import re

import pypdf
import pytest

from portal.extensions import db
from portal.models import AuditEvent, GroupSession, Recording, User
from portal.services import comments, export, supervision
from tests.conftest import AuthActions
from tests.films import ready_film

SUMMARY = "Åsa och Örjan höll i rundan; fäderna var aktiva."


@pytest.fixture
def film(app, factory):
    return ready_film(app, factory, duration=4000.0)


def comment(app, film, author="supervisor", **fields):
    """Add a comment (or, with parent_id, a reply) through the service; returns its id."""
    with app.app_context():
        user = db.session.get(User, film[author])
        data = {"t_start": 750, "category": "content", "body": "Bra start", **fields}
        made = comments.add_comment(user, db.session.get(Recording, film["recording"]), data)
        db.session.commit()
        return made.id


def publish(app, film, summary=SUMMARY, publish=True):
    from datetime import date

    with app.app_context():
        supervision.save(db.session.get(User, film["supervisor"]), db.session.get(GroupSession, film["session"]),
                         summary, meeting_date=date(2026, 1, 22), publish=publish)
        db.session.commit()


def client_as(app, email):
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def rows_of(response):
    """The CSV answer parsed: a list of dicts keyed by the (Swedish) header."""
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf"), "CSV must start with a UTF-8 BOM for Excel"
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))


def pdf_text(response):
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    return re.sub(r"\s+", " ", " ".join(page.extract_text() for page in reader.pages))


def assert_download(response, extension):
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    disposition = response.headers["Content-Disposition"]
    name = re.fullmatch(r'attachment; filename="([A-Za-z0-9._-]+)"', disposition)
    assert name and name.group(1).endswith(f".{extension}"), disposition
    return name.group(1)


def test_supervisor_exports_a_session_as_csv_with_shared_comments_and_replies(app, film):
    root = comment(app, film, t_start=750, t_end=3725, body="Bra start på rundan", category="process")
    comment(app, film, t_start=100, body="Bara för handledare", visibility="private")
    publish(app, film)
    comment(app, film, author="uploader", parent_id=root, body="Tack, vi tar med det")
    response = client_as(app, film["emails"]["supervisor"]).get(f"/review/sessions/{film['session']}/export.csv")
    name = assert_download(response, "csv")
    assert response.mimetype == "text/csv"
    assert name.startswith(f"supervision-group-{film['group']}-session-1-")
    assert "Sara" not in name and "Lena" not in name
    rows = rows_of(response)
    assert [r["Rad"] for r in rows] == ["Sammanfattning", "Kommentar", "Svar"]
    summary, first, reply = rows
    assert summary["Text"] == SUMMARY and summary["Handledningstillfälle"] == "2026-01-22"
    assert summary["Status"] == "Påbörjad" and summary["Publicerad"]
    assert (first["Start"], first["Slut"], first["Kategori"]) == ("0:12:30", "1:02:05", "Gruppprocess")
    assert first["Synlighet"] == "Delas med gruppledarna" and first["Författare"] == "Sara film0"
    assert (reply["Text"], reply["Författare"], reply["Tråd"]) == ("Tack, vi tar med det", "Lena film0", str(root))
    assert "Bara för handledare" not in response.get_data(as_text=True)


def test_private_comments_only_when_the_supervisor_asks(app, film):
    comment(app, film, body="Delad")
    comment(app, film, body="Privat notering", visibility="private")
    client = client_as(app, film["emails"]["supervisor"])
    response = client.get(f"/review/sessions/{film['session']}/export.csv?private=1")
    assert assert_download(response, "csv").endswith("-with-private.csv")
    bodies = [r["Text"] for r in rows_of(response) if r["Rad"] == "Kommentar"]
    assert bodies == ["Delad", "Privat notering"]
    assert "Privat notering" in pdf_text(client.get(f"/review/sessions/{film['session']}/export.pdf?private=1"))
    assert "Privat notering" not in pdf_text(client.get(f"/review/sessions/{film['session']}/export.pdf"))


def test_the_pdf_holds_the_summary_and_the_comments_with_time_codes(app, film):
    comment(app, film, t_start=3725, body="Tydlig genomgång av principen")
    comment(app, film, t_start=30, body="Ett mycket långt ord: " + "Föräldraskapsstödsprogram" * 20)
    comment(app, film, t_start=40, body="Emoji 👍🏽🧑‍🤝‍🧑 och styrtecken \x07 och tab\tslut")
    publish(app, film)
    response = client_as(app, film["emails"]["supervisor"]).get(f"/review/sessions/{film['session']}/export.pdf")
    assert assert_download(response, "pdf").startswith(f"supervision-group-{film['group']}-session-1-")
    assert response.mimetype == "application/pdf" and response.get_data().startswith(b"%PDF-")
    text = pdf_text(response)
    assert SUMMARY in text
    assert "1:02:05" in text and "Tydlig genomgång av principen" in text
    assert "Principsession 1" in text or "Session 1" in text
    assert "Emoji" in text and "och tab slut" in text


def test_the_pdf_falls_back_to_a_core_font_without_dejavu(app, film, monkeypatch):
    monkeypatch.setattr(export, "FONT_DIR", "/nonexistent")
    comment(app, film, body="Åäö och emoji 🧑 – slut")
    publish(app, film)
    text = pdf_text(client_as(app, film["emails"]["supervisor"]).get(f"/review/sessions/{film['session']}/export.pdf"))
    assert SUMMARY in text and "Åäö och emoji ? ? slut" in text


def test_csv_cells_that_look_like_formulas_are_neutralised(app, film):
    for body in ('=HYPERLINK("http://evil.example","x")', "+1+2", "-3", "@SUM(A1)", "vanlig text"):
        comment(app, film, body=body)
    publish(app, film, summary="=cmd|' /C calc'!A0")
    rows = rows_of(client_as(app, film["emails"]["supervisor"]).get(f"/review/sessions/{film['session']}/export.csv"))
    assert rows[0]["Text"] == "'=cmd|' /C calc'!A0"
    assert sorted(r["Text"] for r in rows[1:]) == sorted([
        "'=HYPERLINK(\"http://evil.example\",\"x\")", "'+1+2", "'-3", "'@SUM(A1)", "vanlig text"])


def test_leaders_export_published_feedback_only_and_never_private_comments(app, film):
    comment(app, film, body="Delad")
    comment(app, film, body="Privat", visibility="private")
    leader = client_as(app, film["emails"]["co_leader"])
    session_csv = f"/review/sessions/{film['session']}/export.csv"
    assert leader.get(session_csv).status_code == 404  # not published yet
    group_rows = rows_of(leader.get(f"/review/groups/{film['group']}/export.csv"))
    assert group_rows == []
    publish(app, film)
    rows = rows_of(leader.get(session_csv + "?private=1"))
    assert [r["Text"] for r in rows] == [SUMMARY, "Delad"]
    group_rows = rows_of(leader.get(f"/review/groups/{film['group']}/export.csv?private=1"))
    assert [r["Text"] for r in group_rows] == [SUMMARY, "Delad"]
    assert "Privat" not in pdf_text(leader.get(f"/review/groups/{film['group']}/export.pdf?private=1"))


def test_a_group_export_lists_every_session_for_its_supervisor(app, film):
    comment(app, film, body="Session ett")
    publish(app, film)
    response = client_as(app, film["emails"]["supervisor"]).get(f"/review/groups/{film['group']}/export.csv")
    assert re.fullmatch(rf"supervision-group-{film['group']}-exported-\d{{4}}-\d{{2}}-\d{{2}}\.csv",
                        assert_download(response, "csv"))
    rows = rows_of(response)
    summaries = [r for r in rows if r["Rad"] == "Sammanfattning"]
    assert [r["Träff"] for r in summaries] == [str(n) for n in range(10)]  # information meeting + 9
    assert summaries[1]["Text"] == SUMMARY and summaries[2]["Status"] == "Inte påbörjad"
    assert [r["Text"] for r in rows if r["Rad"] == "Kommentar"] == ["Session ett"]
    text = pdf_text(client_as(app, film["emails"]["supervisor"]).get(f"/review/groups/{film['group']}/export.pdf"))
    assert SUMMARY in text and "Session ett" in text


def test_every_export_is_audited(app, film):
    client = client_as(app, film["emails"]["supervisor"])
    client.get(f"/review/sessions/{film['session']}/export.pdf?private=1")
    client.get(f"/review/groups/{film['group']}/export.csv")
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "supervision.export")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.object_type, e.object_id, e.actor_id, e.detail["format"], e.detail["private"]) for e in events] == [
            ("groupsession", film["session"], film["supervisor"], "pdf", True),
            ("group", film["group"], film["supervisor"], "csv", False)]
        assert len(events[1].detail["sessions"]) == 10


def test_everyone_else_gets_404(app, factory, film):
    publish(app, film)
    other = ready_film(app, factory)
    lone_supervisor = factory.user(("supervisor",), "ensam@example.org", film["organisation"])
    assert lone_supervisor
    paths = [f"/review/sessions/{film['session']}/export.pdf", f"/review/sessions/{film['session']}/export.csv",
             f"/review/groups/{film['group']}/export.pdf", f"/review/groups/{film['group']}/export.csv",
             "/review/sessions/999999/export.csv", "/review/groups/999999/export.pdf"]
    for email in (other["emails"]["uploader"], other["emails"]["supervisor"], film["emails"]["admin"],
                  "ensam@example.org"):
        client = client_as(app, email)
        assert [client.get(p).status_code for p in paths] == [404] * len(paths), email
    assert client_as(app, film["emails"]["supervisor"]).get(
        f"/review/sessions/{film['session']}/export.xls").status_code == 404
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count()).select_from(AuditEvent)
                                 .where(AuditEvent.action == "supervision.export")) == 0


def test_helpers():
    assert [export.hms(s) for s in (None, 0, 59.9, 750, 3725, 36000)] == [
        "", "0:00:00", "0:00:59", "0:12:30", "1:02:05", "10:00:00"]
    assert [export.safe_cell(v) for v in ("=1", "+1", "-1", "@a", "\tx", "a=1", "", None, 3)] == [
        "'=1", "'+1", "'-1", "'@a", "'\tx", "a=1", "", "", "3"]


def test_a_group_export_costs_the_same_number_of_queries_for_5_and_100_comments(app, film):
    from tests.portal.test_review_pages import add_comments, add_films, queries_for

    publish(app, film)
    add_films(app, film, 3)
    client = client_as(app, film["emails"]["supervisor"])
    add_comments(app, film, film["recording"], 5, replies_each=2)
    paths = [f"/review/groups/{film['group']}/export.{kind}?private=1" for kind in ("csv", "pdf")]
    few = [queries_for(app, client, path) for path in paths]
    with app.app_context():
        for recording_id in db.session.scalars(db.select(Recording.id)):
            add_comments(app, film, recording_id, 33, replies_each=2)
    many = [queries_for(app, client, path) for path in paths]
    rows = rows_of(client.get(f"/review/groups/{film['group']}/export.csv?private=1"))
    assert len([r for r in rows if r["Rad"] == "Kommentar"]) == 5 + 3 * 33
    print(f"group export: csv {few[0]}/{many[0]}, pdf {few[1]}/{many[1]} queries (5/104 comments)")
    assert few == many


def test_a_deleted_comment_stays_as_the_root_of_its_answers(app, film):
    from portal.models import Comment

    kept = comment(app, film, body="Rot som tas bort")
    gone = comment(app, film, t_start=20, body="Borttagen utan svar")
    publish(app, film)
    comment(app, film, author="uploader", parent_id=kept, body="Svaret finns kvar")
    with app.app_context():
        for comment_id in (kept, gone):
            comments.delete_comment(db.session.get(User, film["supervisor"]), db.session.get(Comment, comment_id))
        db.session.commit()
    rows = rows_of(client_as(app, film["emails"]["co_leader"]).get(f"/review/sessions/{film['session']}/export.csv"))
    assert [(r["Rad"], r["Text"]) for r in rows] == [
        ("Sammanfattning", SUMMARY), ("Kommentar", "(borttagen)"), ("Svar", "Svaret finns kvar")]


def test_an_export_asks_for_the_password_again_when_it_is_old(app, film):
    import time

    publish(app, film)
    client = client_as(app, film["emails"]["supervisor"])
    with client.session_transaction() as session:
        session["reauth_at"] = time.time() - 3600
    answer = client.get(f"/review/sessions/{film['session']}/export.csv")
    assert answer.status_code == 302 and "/account/confirm" in answer.headers["Location"]
    with client.session_transaction() as session:
        session["reauth_at"] = time.time()
    assert client.get(f"/review/sessions/{film['session']}/export.csv").status_code == 200
