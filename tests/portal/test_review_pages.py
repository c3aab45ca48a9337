"""The supervisor's queue and a session's feedback page: who sees what, filters, publication
to the leaders, escaping, and a constant number of SQL queries whatever the amount of data."""

import re
from datetime import date

import pytest

from portal.extensions import db
from portal.models import Group, GroupSession, Notification, Organisation, Recording, User
from portal.models.recordings import READY
from portal.models.supervision import DONE, IN_PROGRESS, SessionSupervision
from portal.services import comments, groups, playback, programs
from tests.conftest import client_as, counted_queries, csrf_from, page
from tests.films import ApiClient, ready_film


@pytest.fixture
def film(app, factory):
    return ready_film(app, factory)


def queue_rows(html):
    """(recording id, status) of each row of the queue, in order."""
    return [(int(r), s) for r, s in re.findall(r'<tr data-recording="(\d+)" data-status="(\w+)">', html)]


def queries_for(app, client, path):
    client.get(path)  # warm up: the first request after login may load more
    with counted_queries(app) as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return len(statements)


def add_group(app, film, tag):
    """Another group in the film's organisation, supervised by the film's supervisor."""
    with app.app_context():
        org = db.session.get(Organisation, film["organisation"])
        leaders = []
        for n in (1, 2):
            user = User(email=f"{tag}-{n}@example.org", name=f"Ledare {tag}{n}", organisation=org, active=True)
            user.roles = ["leader"]
            db.session.add(user)
            leaders.append(user)
        db.session.flush()
        group = groups.create_group(db.session.get(User, film["admin"]), org, programs.seed_programs()[0],
                                    f"Grupp {tag}", date(2026, 2, 2), leaders[0], leaders[1], "certification",
                                    supervisors=[db.session.get(User, film["supervisor"])])
        db.session.commit()
        return group.id


def add_films(app, film, count, comments_each=0, replies_each=0):
    """Ready films (with comments and replies) on free sessions of the supervisor's groups, new
    groups as needed, until ``count`` films of the organisation are ready; returns the new ids."""
    made = []
    with app.app_context():
        existing = db.session.scalar(db.select(db.func.count(Recording.id)).where(
            Recording.status == READY, Recording.organisation_id == film["organisation"]))
    for _ in range(count - existing):
        with app.app_context():
            free = db.session.scalars(
                db.select(GroupSession).join(Group).where(
                    Group.organisation_id == film["organisation"],
                    ~GroupSession.id.in_(db.select(Recording.group_session_id)))
                .order_by(GroupSession.group_id, GroupSession.number)).first()
        if free is None:
            add_group(app, film, f"g{len(made)}")
            with app.app_context():
                free = db.session.scalars(
                    db.select(GroupSession).where(~GroupSession.id.in_(db.select(Recording.group_session_id)))
                    .order_by(GroupSession.group_id.desc(), GroupSession.number)).first()
        with app.app_context():
            recording = Recording(organisation_id=film["organisation"], group_session_id=free.id,
                                  created_by_id=film["uploader"], status=READY, duration=600.0, progress=1.0,
                                  output_prefix="test/out")
            db.session.add(recording)
            if free.number % 3 == 1:
                db.session.add(SessionSupervision(group_session_id=free.id, status=IN_PROGRESS, summary="x"))
            db.session.commit()
            made.append(recording.id)
        add_comments(app, film, recording.id, comments_each, replies_each)
    return made


def add_comments(app, film, recording_id, count, replies_each=0):
    """``count`` comments by the supervisor, half of them private, each with replies."""
    with app.app_context():
        supervisor = db.session.get(User, film["supervisor"])
        recording = db.session.get(Recording, recording_id)
        for n in range(count):
            root = comments.add_comment(supervisor, recording, {
                "t_start": n * 5, "category": "content", "body": f"Kommentar {n}",
                "visibility": "private" if n % 2 else "shared"})
            db.session.flush()
            for m in range(replies_each):
                comments.add_comment(supervisor, recording, {"parent_id": root.id, "body": f"Svar {n}.{m}"})
        db.session.commit()


def save_supervision(client, session_id, summary, publish=False, meeting_date="2026-01-22", status="in_progress"):
    html = page(client, f"/review/sessions/{session_id}")
    data = {"csrf_token": csrf_from(html), "summary": summary, "meeting_date": meeting_date, "status": status}
    data["publish" if publish else "save"] = ""
    return client.post(f"/review/sessions/{session_id}", data=data)


# The queue ------------------------------------------------------------------------------------

def test_the_queue_lists_only_the_supervisors_ready_films_by_due_date(app, factory, film):
    other = ready_film(app, factory)  # another supervisor's group
    info_meeting, second = add_films(app, film, 3)  # on sessions 0 and 2; the film is on session 1
    with app.app_context():
        db.session.add(Recording(organisation_id=film["organisation"], group_session_id=film["sessions"][5],
                                 status="processing", output_prefix="x"))  # not ready: not in the queue
        db.session.commit()
    html = page(client_as(app, film["emails"]["supervisor"]), "/review/")
    # feedback is due before the group's next session: the session after 0 comes first
    assert [r for r, _s in queue_rows(html)] == [info_meeting, film["recording"], second]
    due = re.findall(r'<tr data-recording="\d+" data-status="\w+">\s*<td>([^<]+)</td>', html)
    assert due == ["19 jan. 2026", "26 jan. 2026", "2 feb. 2026"]  # the Swedish way of writing a date
    assert other["recording"] not in [r for r, _s in queue_rows(html)]
    assert "Filmer: 3" in html


def test_the_queue_is_sorted_by_due_date_with_done_films_last(app, film):
    made = add_films(app, film, 4)
    with app.app_context():
        first = db.session.get(Recording, film["recording"]).group_session
        first.supervision = SessionSupervision(status=DONE, summary="klar")
        db.session.commit()
    rows = queue_rows(page(client_as(app, film["emails"]["supervisor"]), "/review/"))
    assert [r for r, _s in rows] == made + [film["recording"]]
    assert rows[-1][1] == DONE


def test_filters_by_group_and_status_and_their_empty_states(app, film):
    add_films(app, film, 12)  # fills the first group's ten sessions, then starts a second group
    client = client_as(app, film["emails"]["supervisor"])
    with app.app_context():
        second = db.session.scalar(db.select(Group.id).where(Group.id != film["group"],
                                                             Group.organisation_id == film["organisation"]))
    in_group = queue_rows(page(client, f"/review/?group={second}"))
    assert len(in_group) == 2
    html = page(client, f"/review/?group={film['group']}")
    assert len(queue_rows(html)) == 10 and 'id="group-export"' in html
    in_progress = queue_rows(page(client, "/review/?status=in_progress"))
    assert in_progress and {s for _r, s in in_progress} == {"in_progress"}
    not_started = queue_rows(page(client, "/review/?status=not_started"))
    assert {s for _r, s in not_started} == {"not_started"} and len(in_progress) + len(not_started) == 12
    nothing = page(client, "/review/?status=done")
    assert queue_rows(nothing) == [] and "Ingen film matchar filtret." in nothing
    # an unknown status is ignored, a group the user does not supervise shows nothing
    assert len(queue_rows(page(client, "/review/?status=bogus"))) == 12
    assert queue_rows(page(client, "/review/?group=999999")) == []


def test_the_empty_queue_explains_what_will_come(app, factory):
    factory.user(("supervisor",), "ny@example.org")
    html = page(client_as(app, "ny@example.org"), "/review/")
    assert "Inga filmer väntar." in html and 'id="queue"' not in html


def test_leaders_do_not_get_the_queue(app, film):
    assert client_as(app, film["emails"]["uploader"]).get("/review/").status_code == 403


def test_the_queue_costs_the_same_number_of_queries_for_3_and_30_films(app, film):
    client = client_as(app, film["emails"]["supervisor"])
    add_films(app, film, 3, comments_each=2, replies_each=1)
    few = queries_for(app, client, "/review/")
    assert len(queue_rows(page(client, "/review/"))) == 3
    add_films(app, film, 30, comments_each=2, replies_each=1)
    assert len(queue_rows(page(client, "/review/"))) == 30
    many = queries_for(app, client, "/review/")
    print(f"queue: {few} queries for 3 films, {many} for 30")
    assert few == many


@pytest.mark.parametrize("role", ["supervisor", "uploader"])
def test_the_player_and_the_comments_api_cost_the_same_for_5_and_100_comments(app, film, role):
    save_supervision(client_as(app, film["emails"]["supervisor"]), film["session"], "Sammanfattning", publish=True)
    rid = film["recording"]
    client = client_as(app, film["emails"][role])
    api = ApiClient(app, film["emails"][role])
    add_comments(app, film, rid, 5, replies_each=2)
    player_few = queries_for(app, client, f"/review/recordings/{rid}")
    api_few = queries_for(app, api.client, f"/api/v1/recordings/{rid}/comments")
    add_comments(app, film, rid, 95, replies_each=2)
    player_many = queries_for(app, client, f"/review/recordings/{rid}")
    api_many = queries_for(app, api.client, f"/api/v1/recordings/{rid}/comments")
    listed = api.client.get(f"/api/v1/recordings/{rid}/comments").get_json()["comments"]
    shared = 3 + 48  # the even-numbered comments of each batch
    assert len(listed) == (100 if role == "supervisor" else shared)
    assert all(len(c["replies"]) == 2 for c in listed)
    print(f"{role}: player {player_few}/{player_many}, comments API {api_few}/{api_many} (5/100 comments)")
    assert (player_few, api_few) == (player_many, api_many)


def test_the_session_page_costs_the_same_for_5_and_100_comments(app, film):
    rid = film["recording"]
    client = client_as(app, film["emails"]["supervisor"])
    add_comments(app, film, rid, 5, replies_each=2)
    few = queries_for(app, client, f"/review/sessions/{film['session']}")
    add_comments(app, film, rid, 95, replies_each=2)
    many = queries_for(app, client, f"/review/sessions/{film['session']}")
    print(f"session page: {few} queries for 5 comments, {many} for 100")
    assert few == many


# The session page -----------------------------------------------------------------------------

def test_supervisor_saves_then_publishes_and_the_leaders_are_notified(app, film):
    supervisor = client_as(app, film["emails"]["supervisor"])
    leader = client_as(app, film["emails"]["co_leader"])
    path = f"/review/sessions/{film['session']}"
    before = page(leader, path)
    assert "Handledaren har inte publicerat återkopplingen" in before and 'id="summary"' not in before
    assert 'id="export-form"' not in before

    saved = save_supervision(supervisor, film["session"], "Utkast till sammanfattning")
    assert saved.status_code == 302 and saved.headers["Location"] == path
    html = page(supervisor, path)
    assert "Handledningen är sparad." in html and 'id="not-published"' in html
    assert "Utkast till sammanfattning" in html and 'data-status="in_progress"' in html
    assert "Utkast till sammanfattning" not in page(leader, path)
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Notification.id))) == 0

    save_supervision(supervisor, film["session"], "Bra träff.\nFortsätt så.", publish=True, status="done")
    html = page(supervisor, path)
    assert "Återkopplingen är publicerad för gruppledarna." in html and 'id="not-published"' not in html
    with app.app_context():
        notices = db.session.scalars(db.select(Notification).order_by(Notification.user_id)).all()
        assert [(n.user_id, n.kind, n.link) for n in notices] == [
            (film["uploader"], "feedback_published", path), (film["co_leader"], "feedback_published", path)]
        record = db.session.get(GroupSession, film["session"]).supervision
        assert (record.status, record.meeting_date, record.published) == (DONE, date(2026, 1, 22), True)
    after = page(leader, path)
    summary = re.search(r'<div id="summary" class="prewrap">(.*?)</div>', after, re.S).group(1)
    assert summary == "Bra träff.\nFortsätt så."
    assert "Handledningstillfälle 22 jan. 2026" in after and 'id="export-form"' in after
    assert 'name="private"' not in after  # leaders never export private comments
    assert 'id="supervision-form"' not in after


def test_leaders_cannot_post_the_supervision(app, film):
    leader = client_as(app, film["emails"]["uploader"])
    html = page(leader, f"/review/sessions/{film['session']}")
    response = leader.post(f"/review/sessions/{film['session']}",
                           data={"csrf_token": csrf_from(html), "summary": "Nej", "publish": ""})
    assert response.status_code == 403


def test_a_post_without_csrf_is_refused(app, film):
    supervisor = client_as(app, film["emails"]["supervisor"])
    response = supervisor.post(f"/review/sessions/{film['session']}", data={"summary": "x", "publish": ""})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(GroupSession, film["session"]).supervision is None


def test_outsiders_get_404_on_the_session_page(app, factory, film):
    other = ready_film(app, factory)
    factory.user(("supervisor",), "annan-handledare@example.org", film["organisation"])
    path = f"/review/sessions/{film['session']}"
    for email in (other["emails"]["uploader"], film["emails"]["admin"], other["emails"]["supervisor"],
                  "annan-handledare@example.org"):
        client = client_as(app, email)
        assert client.get(path).status_code == 404, email
        assert client.post(path, data={"csrf_token": csrf_from(page(client, "/")), "summary": "x"}).status_code == 404
    assert client_as(app, film["emails"]["supervisor"]).get("/review/sessions/999999").status_code == 404


def test_a_summary_with_html_is_escaped(app, film):
    supervisor = client_as(app, film["emails"]["supervisor"])
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    save_supervision(supervisor, film["session"], evil, publish=True)
    for client in (supervisor, client_as(app, film["emails"]["uploader"])):
        html = page(client, f"/review/sessions/{film['session']}")
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;alert(" in html


def test_the_who_watched_table_lists_playbacks(app, film):
    path = f"/review/sessions/{film['session']}"
    supervisor = client_as(app, film["emails"]["supervisor"])
    assert "Ingen har tittat på filmen än." in page(supervisor, path)
    with app.app_context():
        playback.play(db.session.get(User, film["supervisor"]), db.session.get(Recording, film["recording"]))
        db.session.commit()
    html = page(supervisor, path)
    table = re.search(r'<table id="viewings">(.*?)</table>', html, re.S).group(1)
    assert "Sara film0" in table and table.count("<tr>") == 2  # header and one viewing
