"""Chapters and the fidelity checklist (issue 20): the API with its access rules and audit rows,
the program catalogue's lists, deletion (links go with the film, marks stay), the roll-up in the
certification file, the supervision page and the exports."""

import pytest

from portal.extensions import db
from portal.models import (
    AuditEvent,
    Chapter,
    ChecklistItem,
    ChecklistLink,
    ChecklistMark,
    GroupSession,
    Program,
    Recording,
    User,
)
from portal.models.base import utcnow
from portal.models.review_tools import DEFAULT_CHAPTER_KINDS
from portal.services import chapters, checklist, film_state, programs, retention, supervision
from tests.conftest import client_as, csrf_from, page
from tests.films import ApiClient, ready_film, user_email
from tests.group_fixtures import make_group
from tests.portal.test_export import rows_of


def actions(app, prefix):
    with app.app_context():
        return db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.action.like(prefix + "%"))
                                  .order_by(AuditEvent.id)).all()


def items_of_session(app, film):
    with app.app_context():
        group_session = db.session.get(GroupSession, film["session"])
        return [row.item.id for row in checklist.session_checklist(group_session)]


# Pages and files over services the API tests run on both databases: SQLite is enough here.
sqlite_only = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)


def publish(app, film):
    with app.app_context():
        supervision.save(db.session.get(User, film["supervisor"]), db.session.get(GroupSession, film["session"]),
                         "Sammanfattning", publish=True)
        db.session.commit()


def test_leaders_add_chapters_supervisors_move_and_delete_them(app, factory):
    film = ready_film(app, factory)
    rec = film["recording"]
    leader, co_leader = ApiClient(app, film["emails"]["uploader"]), ApiClient(app, film["emails"]["co_leader"])
    supervisor = ApiClient(app, film["emails"]["supervisor"])

    listing = leader.call("GET", f"/recordings/{rec}/chapters").get_json()
    assert listing["kinds"] == DEFAULT_CHAPTER_KINDS and listing["chapters"] == [] and listing["can_add"]
    answer = leader.call("POST", f"/recordings/{rec}/chapters", json={"kind": "Rollspel", "start": 125})
    assert answer.status_code == 201, answer.get_json()
    chapter = answer.get_json()
    assert chapter["title"] == "Rollspel" and chapter["start"] == 125 and chapter["can_change"]
    own = co_leader.call("POST", f"/recordings/{rec}/chapters", json={"title": "Egen rubrik", "start": 10})
    assert own.status_code == 201
    # A leader moves and deletes only what they added; supervisors whatever anyone added.
    assert not [c for c in leader.call("GET", f"/recordings/{rec}/chapters").get_json()["chapters"]
                if c["id"] == own.get_json()["id"]][0]["can_change"]
    assert leader.call("PATCH", f"/chapters/{own.get_json()['id']}", json={"start": 5}).status_code == 403
    assert leader.call("DELETE", f"/chapters/{own.get_json()['id']}").status_code == 403
    assert leader.call("PATCH", f"/chapters/{chapter['id']}", json={"start": 126}).get_json()["start"] == 126
    moved = supervisor.call("PATCH", f"/chapters/{chapter['id']}", json={"start": 200.5})
    assert moved.status_code == 200 and moved.get_json()["start"] == 200.5 and moved.get_json()["can_change"]
    titles = [c["title"] for c in supervisor.call("GET", f"/recordings/{rec}/chapters").get_json()["chapters"]]
    assert titles == ["Egen rubrik", "Rollspel"]  # time order
    assert supervisor.call("DELETE", f"/chapters/{chapter['id']}").status_code == 204
    assert leader.call("POST", f"/recordings/{rec}/chapters", json={"kind": "Paus", "start": 30}).status_code == 201
    mine = [c for c in leader.call("GET", f"/recordings/{rec}/chapters").get_json()["chapters"] if c["title"] == "Paus"]
    assert leader.call("DELETE", f"/chapters/{mine[0]['id']}").status_code == 204
    assert actions(app, "chapter.") == ["chapter.create", "chapter.create", "chapter.update", "chapter.update",
                                        "chapter.delete", "chapter.create", "chapter.delete"]

    # Refused input: no title, a time outside the film, not a number, not JSON.
    for body in ({"start": 3}, {"kind": " ", "start": 3}, {"kind": "Paus", "start": 601},
                 {"kind": "Paus", "start": "1:00"}, {"kind": "x" * 201, "start": 3}, {"kind": "Paus"}):
        assert supervisor.call("POST", f"/recordings/{rec}/chapters", json=body).status_code == 422, body
    assert supervisor.call("POST", f"/recordings/{rec}/chapters", json=[1]).status_code == 400

    # Someone of another group sees nothing.
    other = ready_film(app, factory)
    outsider = ApiClient(app, other["emails"]["supervisor"])
    assert outsider.call("GET", f"/recordings/{rec}/chapters").status_code == 404
    first = supervisor.call("GET", f"/recordings/{rec}/chapters").get_json()["chapters"][0]
    assert outsider.call("PATCH", f"/chapters/{first['id']}", json={"start": 1}).status_code == 404
    assert outsider.call("DELETE", f"/chapters/{first['id']}").status_code == 404


@sqlite_only
def test_a_chapter_sent_twice_is_added_once(app, factory):
    """A double tap, or the form sent again: the same title within a second of a chapter that is
    there answers that chapter (200), adds nothing and audits nothing; a second apart is new."""
    film = ready_film(app, factory)
    rec = film["recording"]
    leader, supervisor = ApiClient(app, film["emails"]["uploader"]), ApiClient(app, film["emails"]["supervisor"])
    first = leader.call("POST", f"/recordings/{rec}/chapters", json={"kind": "Rollspel", "start": 60.2})
    assert first.status_code == 201
    again = leader.call("POST", f"/recordings/{rec}/chapters", json={"kind": "Rollspel", "start": 60.9})
    assert again.status_code == 200 and again.get_json()["id"] == first.get_json()["id"]
    by_other = supervisor.call("POST", f"/recordings/{rec}/chapters", json={"kind": "Rollspel", "start": 59.5})
    assert by_other.status_code == 200 and by_other.get_json()["id"] == first.get_json()["id"]
    for body in ({"kind": "Paus", "start": 60.2}, {"kind": "Rollspel", "start": 61.5}):  # another title; 1.3 s on
        assert leader.call("POST", f"/recordings/{rec}/chapters", json=body).status_code == 201
    listing = leader.call("GET", f"/recordings/{rec}/chapters").get_json()["chapters"]
    assert [(c["title"], c["start"]) for c in listing] == [("Rollspel", 60.2), ("Paus", 60.2), ("Rollspel", 61.5)]
    assert actions(app, "chapter.") == ["chapter.create"] * 3


def test_a_leader_removes_a_chapter_of_their_own_from_the_sessions_page(app, factory):
    film = ready_film(app, factory)
    rec = film["recording"]
    leader, co_leader = ApiClient(app, film["emails"]["uploader"]), ApiClient(app, film["emails"]["co_leader"])
    mine = leader.call("POST", f"/recordings/{rec}/chapters", json={"kind": "Rollspel", "start": 60}).get_json()
    theirs = co_leader.call("POST", f"/recordings/{rec}/chapters", json={"kind": "Paus", "start": 90}).get_json()
    with app.app_context():
        session_id = db.session.get(Recording, rec).group_session_id
    html = leader.client.get(f"/sessions/{session_id}/upload").get_data(as_text=True)
    assert f"/chapters/{mine['id']}/delete" in html and f"/chapters/{theirs['id']}/delete" not in html
    refused = leader.client.post(f"/chapters/{theirs['id']}/delete", data={"csrf_token": leader.token})
    assert refused.status_code == 302
    assert "Bara gruppens handledare och den som lade till" in leader.client.get(
        refused.headers["Location"]).get_data(as_text=True)
    assert leader.client.post(f"/chapters/{mine['id']}/delete").status_code == 400  # no CSRF token
    removed = leader.client.post(f"/chapters/{mine['id']}/delete", data={"csrf_token": leader.token})
    assert removed.status_code == 302 and removed.headers["Location"].endswith("#chapters")
    assert "Kapitlet är borttaget." in leader.client.get(removed.headers["Location"]).get_data(as_text=True)
    titles = [c["title"] for c in leader.call("GET", f"/recordings/{rec}/chapters").get_json()["chapters"]]
    assert titles == ["Paus"]
    outsider = ApiClient(app, user_email(app, factory.user(("leader",), "other-org-leader@example.org")))
    assert outsider.client.post(f"/chapters/{theirs['id']}/delete",
                                data={"csrf_token": outsider.token}).status_code == 404
    assert actions(app, "chapter.") == ["chapter.create", "chapter.create", "chapter.delete"]


def test_the_leaders_form_on_the_sessions_page_adds_a_chapter(app, factory):
    film = ready_film(app, factory)
    with app.app_context():  # "when uploading or afterwards": the film is still being processed
        db.session.get(Recording, film["recording"]).status = "processing"
        db.session.commit()
    client = client_as(app, film["emails"]["co_leader"])
    html = page(client, f"/sessions/{film['session']}/upload")
    assert 'id="chapter-form"' in html and "Genomgång av principen" in html
    token = csrf_from(html)
    answer = client.post(f"/recordings/{film['recording']}/chapters",
                         data={"csrf_token": token, "kind": "Genomgång av principen", "start": "5:02"})
    assert answer.status_code == 302
    bad = client.post(f"/recordings/{film['recording']}/chapters",
                      data={"csrf_token": token, "kind": "Paus", "start": "tolv"}, follow_redirects=True)
    assert "minuter:sekunder" in bad.get_data(as_text=True)
    with app.app_context():
        assert [(c.title, c.start) for c in db.session.scalars(db.select(Chapter))] == [
            ("Genomgång av principen", 302.0)]
    assert chapters.parse_timecode("12:30") == 750 and chapters.parse_timecode("1:02:03") == 3723
    assert chapters.parse_timecode("1:75") is None and chapters.parse_timecode("") is None


def test_supervisors_mark_and_link_the_checklist_leaders_read_it_once_published(app, factory):
    film = ready_film(app, factory)
    session = film["session"]
    supervisor, leader = ApiClient(app, film["emails"]["supervisor"]), ApiClient(app, film["emails"]["uploader"])
    sheet = supervisor.call("GET", f"/sessions/{session}/checklist").get_json()
    assert sheet["can_mark"] and len(sheet["items"]) == 3
    assert all("fyll i från manualen" in item["text"] for item in sheet["items"])  # placeholders, not invented
    item = sheet["items"][0]["item_id"]

    assert leader.call("GET", f"/sessions/{session}/checklist").status_code == 404  # not published yet
    marked = supervisor.call("PUT", f"/sessions/{session}/checklist/{item}", json={"status": "partly"})
    assert marked.status_code == 200 and marked.get_json()["status"] == "partly"
    linked = supervisor.call("POST", f"/sessions/{session}/checklist/{item}/links",
                             json={"recording_id": film["recording"], "start": 61.5, "end": 90})
    assert linked.status_code == 201
    assert linked.get_json()["links"][0]["start"] == 61.5 and linked.get_json()["status"] == "partly"
    for body in ({"status": "done"}, {"status": 1}):
        assert supervisor.call("PUT", f"/sessions/{session}/checklist/{item}", json=body).status_code == 422
    for body in ({"recording_id": film["recording"], "start": 90, "end": 90},
                 {"recording_id": film["recording"], "start": 10, "end": 900}, {"start": 1, "end": 2}):
        assert supervisor.call("POST", f"/sessions/{session}/checklist/{item}/links",
                               json=body).status_code in (404, 422), body
    other_item = items_of_session(app, {"session": film["sessions"][2]})[0]  # session 2's item
    assert supervisor.call("PUT", f"/sessions/{session}/checklist/{other_item}",
                           json={"status": "covered"}).status_code == 404
    assert actions(app, "checklist.") == ["checklist.mark", "checklist.link"]

    publish(app, film)
    read = leader.call("GET", f"/sessions/{session}/checklist")
    assert read.status_code == 200 and not read.get_json()["can_mark"]
    assert read.get_json()["items"][0]["status"] == "partly"
    assert leader.call("PUT", f"/sessions/{session}/checklist/{item}", json={"status": "covered"}).status_code == 403
    link_id = read.get_json()["items"][0]["links"][0]["id"]
    assert leader.call("DELETE", f"/checklist-links/{link_id}").status_code == 403
    html = page(client_as(app, film["emails"]["uploader"]), f"/review/sessions/{session}")
    assert 'id="session-checklist"' in html and "Delvis" in html and "1:01–1:30" in html

    outsider = ApiClient(app, ready_film(app, factory)["emails"]["supervisor"])
    assert outsider.call("GET", f"/sessions/{session}/checklist").status_code == 404
    assert outsider.call("PUT", f"/sessions/{session}/checklist/{item}", json={"status": "covered"}).status_code == 404
    assert outsider.call("DELETE", f"/checklist-links/{link_id}").status_code == 404
    assert supervisor.call("DELETE", f"/checklist-links/{link_id}").status_code == 204
    with app.app_context():  # an archived group is read-only
        db.session.get(GroupSession, session).group.archived_at = utcnow()
        db.session.commit()
    archived = supervisor.call("PUT", f"/sessions/{session}/checklist/{item}", json={"status": "covered"})
    assert archived.status_code == 403
    assert supervisor.call("GET", f"/sessions/{session}/checklist").get_json()["can_mark"] is False


def test_deleting_the_film_takes_chapters_and_links_and_keeps_the_marks(app, factory):
    film = ready_film(app, factory)
    supervisor = ApiClient(app, film["emails"]["supervisor"])
    item = items_of_session(app, film)[0]
    supervisor.call("PUT", f"/sessions/{film['session']}/checklist/{item}", json={"status": "covered"})
    supervisor.call("POST", f"/sessions/{film['session']}/checklist/{item}/links",
                    json={"recording_id": film["recording"], "start": 1, "end": 2})
    supervisor.call("POST", f"/recordings/{film['recording']}/chapters", json={"kind": "Start", "start": 0})
    with app.app_context():
        recording = db.session.get(Recording, film["recording"])
        assert film_state.supervision_started(recording)  # the leader can no longer swap the film
        receipt = retention.delete_recording(db.session.get(Recording, film["recording"]), None, "retention")
        assert receipt.detail["chapters"] == 1 and receipt.detail["checklist_links"] == 1
        assert db.session.scalar(db.select(db.func.count()).select_from(Chapter)) == 0
        assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistLink)) == 0
        mark = db.session.scalars(db.select(ChecklistMark)).one()
        assert (mark.item_id, mark.status) == (item, "covered")  # the tick concerns the leader's work


@sqlite_only
def test_the_roll_up_counts_each_item_across_the_sessions(app, factory):
    film = ready_film(app, factory)
    with app.app_context():
        supervisor = db.session.get(User, film["supervisor"])
        for n, status in ((1, "covered"), (2, "covered"), (3, "missing")):
            group_session = db.session.get(GroupSession, film["sessions"][n])
            checklist.set_mark(supervisor, group_session, checklist.session_checklist(group_session)[0].item.id,
                               status)
        db.session.commit()
    supervisor_view = page(client_as(app, film["emails"]["supervisor"]), f"/certification/leaders/{film['uploader']}")
    assert "täckt i 2 av 9 träffar" in supervisor_view
    # Leaders and the organisation's admins count the published sessions only.
    publish(app, film)
    admin_view = page(client_as(app, film["emails"]["admin"]), f"/certification/leaders/{film['uploader']}")
    assert "täckt i 1 av 1 träff" in admin_view
    assert "täckt i 1 av 1 träff" in page(client_as(app, film["emails"]["uploader"]), "/certification/")


@sqlite_only
def test_the_catalogue_edits_chapter_kinds_and_checklist_and_versions_copy_them(app, factory):
    ids = make_group(app, factory, tag="cat")
    factory.user(("platform_admin",), "maja@example.org", factory.organisation("Programägaren"))
    client = client_as(app, "maja@example.org")
    with app.app_context():
        program = db.session.get(Program, db.session.scalar(
            db.select(Program.id).where(Program.key == "connect-parents")))
        program_id, old_items = program.id, checklist.by_session(program)
    assert old_items[1] == [f"Innehållspunkt {n} (fyll i från manualen)" for n in (1, 2, 3)]
    html = page(client, f"/platform/programs/{program_id}/checklist")
    answer = client.post(f"/platform/programs/{program_id}/checklist", data={
        "csrf_token": csrf_from(html), "session-1": "Hemuppgiften följs upp\nPrincipen presenteras",
        "session-2": "<b>Rollspel</b>"})
    assert answer.status_code == 302
    html = page(client, f"/platform/programs/{program_id}/checklist")
    assert "&lt;b&gt;Rollspel&lt;/b&gt;" in html
    with app.app_context():
        program = db.session.get(Program, program_id)
        assert checklist.by_session(program)[1] == ["Hemuppgiften följs upp", "Principen presenteras"]
        assert db.session.scalar(db.select(db.func.count()).select_from(ChecklistItem).where(
            ChecklistItem.program_id == program_id, ChecklistItem.retired_at.is_not(None))) == 3  # 1 + 2
        # The program is in use: a change of its rules makes a new version with the same lists.
        current = programs.update_program(program, {"chapter_kinds": ["Start", "Övning"]},
                                          db.session.get(User, ids["admin"]))
        db.session.commit()
        assert current.id != program_id and chapters.kinds_for(current) == ["Start", "Övning"]
        assert checklist.by_session(current)[1] == ["Hemuppgiften följs upp", "Principen presenteras"]
        assert chapters.kinds_for(program) == DEFAULT_CHAPTER_KINDS
    assert actions(app, "program.checklist") == ["program.checklist"]


@sqlite_only
def test_an_edited_checklist_never_moves_a_mark_to_another_text(app, factory):
    film = ready_film(app, factory)
    session = film["session"]
    supervisor = ApiClient(app, film["emails"]["supervisor"])
    sheet = supervisor.call("GET", f"/sessions/{session}/checklist").get_json()["items"]
    first = sheet[0]
    assert supervisor.call("PUT", f"/sessions/{session}/checklist/{first['item_id']}",
                           json={"status": "covered"}).status_code == 200
    with app.app_context():
        program = db.session.get(Program, db.session.scalar(
            db.select(Program.id).where(Program.key == "connect-parents")))
        admin = db.session.get(User, film["admin"])
        # a new item first, the marked one second, the unmarked placeholder reworded, the third dropped
        checklist.set_items(program, {1: ["Hemuppgiften följs upp", first["text"], "Principen presenteras"]}, admin)
        db.session.commit()
        items = {item.text: item for item in checklist.items_of(program.id) if item.session_number == 1}
        assert items[first["text"]].id == first["item_id"] and items[first["text"]].position == 2
        # the unmarked placeholders were filled in: no mark to move
        assert {items["Hemuppgiften följs upp"].id, items["Principen presenteras"].id} == {
            item["item_id"] for item in sheet[1:]}
        # the marked item reworded: a new item; the old one retired with its mark
        checklist.set_items(program, {1: ["Hemuppgiften följs upp", "Rollspelet övas", "Principen presenteras"]},
                            admin)
        db.session.commit()
        old = db.session.get(ChecklistItem, first["item_id"])
        assert old.retired_at is not None and old.text == first["text"]
    rows = supervisor.call("GET", f"/sessions/{session}/checklist").get_json()["items"]
    by_text = {row["text"]: row for row in rows}
    assert by_text[first["text"]]["status"] == "covered" and by_text[first["text"]]["retired"]
    assert by_text["Rollspelet övas"]["status"] is None and not by_text["Rollspelet övas"]["retired"]
    assert by_text["Hemuppgiften följs upp"]["status"] is None


@sqlite_only
def test_exports_hold_chapters_and_the_checklist(app, factory):
    film = ready_film(app, factory)
    supervisor = ApiClient(app, film["emails"]["supervisor"])
    item = items_of_session(app, film)[0]
    supervisor.call("PUT", f"/sessions/{film['session']}/checklist/{item}", json={"status": "missing"})
    supervisor.call("POST", f"/sessions/{film['session']}/checklist/{item}/links",
                    json={"recording_id": film["recording"], "start": 60, "end": 75})
    supervisor.call("POST", f"/recordings/{film['recording']}/chapters", json={"kind": "Rollspel", "start": 125})
    rows = rows_of(supervisor.client.get(f"/review/sessions/{film['session']}/export.csv"))
    assert [r["Rad"] for r in rows] == ["Sammanfattning", "Kapitel", "Checklista", "Checklista", "Checklista"]
    assert (rows[1]["Start"], rows[1]["Text"]) == ("0:02:05", "Rollspel")
    marked = [r for r in rows if r["Markering"] == "Saknas"]
    assert len(marked) == 1 and marked[0]["Start"] == "0:01:00" and "Innehållspunkt 1" in marked[0]["Text"]
    with app.test_request_context():
        from portal.services import gdpr_export

        data = gdpr_export.user_export(db.session.get(User, film["supervisor"]))
        assert [c["title"] for c in data["chapters"]] == ["Rollspel"]
        assert data["checklist_marks"][0]["status"] == "missing"
