"""The certification pages: the supervisor's decision, the leader's file and certificate, the
register, recertification through the forms, the admins' overview, booster meetings, eConnect
training, and who is refused where."""

import io
import re
from datetime import date, timedelta

import pypdf
import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, BoosterMeeting, Certification, User
from portal.models.base import utcnow
from portal.services import certification as rules
from tests.certification_fixtures import add_films, certify, complete_group, register_groups
from tests.conftest import client_as, counted_queries, csrf_from, page
from tests.group_fixtures import make_group


def post(client, path, data, form_page=None):
    token = csrf_from(client.get(form_page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def pdf_text(response):
    reader = pypdf.PdfReader(io.BytesIO(response.get_data()))
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in reader.pages))


def only(app, model, **where):
    with app.app_context():
        return db.session.scalars(db.select(model).filter_by(**where)).one()


def decide_url(ids, leader="uploader"):
    return f"/certification/groups/{ids['group']}/leaders/{ids[leader]}"


# The decision and the certificate ---------------------------------------------------------------

def test_a_supervisor_certifies_and_the_leader_downloads_the_certificate(app, factory):
    ids = complete_group(app, factory, participants=6)
    supervisor = client_as(app, "sara-a@example.org")
    assert decide_url(ids) in page(supervisor, f"/groups/{ids['group']}")
    assert 'data-ready="yes"' in page(supervisor, decide_url(ids))
    response = post(supervisor, decide_url(ids), {"decision": "certified", "motivation": ""})
    assert response.status_code == 302
    row = only(app, Certification, leader_id=ids["uploader"])
    assert (row.status, row.valid_from, row.decided_by_id) == ("certified", utcnow().date(), ids["supervisor"])

    leader = client_as(app, "lena-a@example.org")
    file = page(leader, "/certification/")
    assert 'data-stage="certified"' in file and f"/certification/{row.id}/certificate.pdf" in file
    response = leader.get(f"/certification/{row.id}/certificate.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="certificate-{row.id}-{row.valid_from.isoformat()}.pdf"')
    text = pdf_text(response)
    for expected in ("Lena a", "Connect för föräldrar", "Kommun a", row.valid_from.isoformat(),
                     row.valid_until.isoformat(), "Sara a"):
        assert expected in text, expected
    event = only(app, AuditEvent, action="certification.certificate")
    assert (event.actor_id, event.object_id) == (ids["uploader"], row.id)


def test_who_may_download_a_certificate(app, factory):
    ids = complete_group(app, factory)
    other = make_group(app, factory, tag="b")
    certification_id = certify(app, ids)
    url = f"/certification/{certification_id}/certificate.pdf"
    allowed = {"lena-a@example.org": 200, "admin-a@example.org": 200, "sara-a@example.org": 200,
               "leo-a@example.org": 404, "admin-b@example.org": 404, "sara-b@example.org": 404,
               "lena-b@example.org": 404}
    for email, status in allowed.items():
        assert client_as(app, email).get(url).status_code == status, email
    assert client_as(app, "lena-a@example.org").get("/certification/999999/certificate.pdf").status_code == 404
    assert other["group"]


def test_not_yet_needs_a_motivation_that_the_leader_reads(app, factory):
    ids = complete_group(app, factory, participants=5)
    supervisor = client_as(app, "sara-a@example.org")
    html = page(supervisor, decide_url(ids))
    assert 'data-ready="no"' in html and "5" in html
    assert re.search(r'<input disabled id="decision-0" [^>]*value="certified"', html)
    response = post(supervisor, decide_url(ids), {"decision": "certified"})
    assert response.status_code == 200 and "flash-error" in response.get_data(as_text=True)
    response = post(supervisor, decide_url(ids), {"decision": "not_yet", "motivation": "  "})
    assert response.status_code == 200 and "flash-error" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(db.select(sa.func.count()).select_from(Certification)) == 0
    motivation = "Ni behöver minst sex deltagare. <b>Fortsätt!</b>"
    assert post(supervisor, decide_url(ids), {"decision": "not_yet", "motivation": motivation}).status_code == 302
    file = page(client_as(app, "lena-a@example.org"), "/certification/")
    assert "Ni behöver minst sex deltagare. &lt;b&gt;Fortsätt!&lt;/b&gt;" in file
    assert 'data-status="not_yet"' in file and 'data-stage="in_supervision"' in file


def test_the_decision_page_is_for_the_groups_supervisors_only(app, factory):
    ids = complete_group(app, factory)
    make_group(app, factory, tag="b")
    for email in ("lena-a@example.org", "leo-a@example.org", "admin-a@example.org", "sara-b@example.org"):
        client = client_as(app, email)
        assert client.get(decide_url(ids)).status_code == 404, email
    supervisor = client_as(app, "sara-a@example.org")
    assert supervisor.get(f"/certification/groups/{ids['group']}/leaders/{ids['admin']}").status_code == 404
    assert supervisor.get(f"/certification/groups/999999/leaders/{ids['uploader']}").status_code == 404


def test_the_leaders_file_is_seen_by_the_leader_admins_and_supervisors_of_their_groups(app, factory):
    ids = complete_group(app, factory, supervised=8)
    make_group(app, factory, tag="b")
    url = f"/certification/leaders/{ids['uploader']}"
    for email, status in {"lena-a@example.org": 200, "admin-a@example.org": 200, "sara-a@example.org": 200,
                          "leo-a@example.org": 404, "admin-b@example.org": 404, "sara-b@example.org": 404}.items():
        assert client_as(app, email).get(url).status_code == status, email
    admin = client_as(app, "admin-a@example.org")
    assert admin.get(f"/certification/leaders/{ids['admin']}").status_code == 404  # not a leader
    html = page(admin, url)
    slots = re.findall(r'<tr data-session="(\d+)" data-supervision="(\w+)" data-counts="(\w+)">', html)
    assert slots == [(str(n), "done", "yes") for n in range(1, 9)] + [("9", "not_started", "no")]
    assert 'data-ready="no"' in html and 'data-stage="in_supervision"' in html
    assert f"/admin/users/{ids['uploader']}" not in html  # the page is not the admin's user page
    assert f"/certification/leaders/{ids['uploader']}" in page(admin, f"/admin/users/{ids['uploader']}")


# The register ----------------------------------------------------------------------------------

def test_the_register_lists_the_organisations_certified_leaders_and_expired_ones(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b", org_id=ids["org"])
    make_group(app, factory, tag="c")
    certify(app, ids)
    certify(app, other, valid_from=rules.add_years(utcnow().date(), -3) - timedelta(days=1))  # expired yesterday
    admin = page(client_as(app, "admin-a@example.org"), "/certification/register")
    rows = re.findall(r'<tr data-leader="(\d+)" data-stage="(\w+)">', admin)
    assert rows == [(str(ids["uploader"]), "certified"), (str(other["uploader"]), "expired")]
    leader = page(client_as(app, "lena-a@example.org"), "/certification/register")
    assert re.findall(r'<tr data-leader="(\d+)"', leader) == [str(ids["uploader"])]
    uncertified = page(client_as(app, "leo-a@example.org"), "/certification/register")
    assert "data-leader=" not in uncertified
    assert client_as(app, "sara-a@example.org").get("/certification/register").status_code == 403
    assert "data-leader=" not in page(client_as(app, "admin-c@example.org"), "/certification/register")


# Recertification through the forms -------------------------------------------------------------

def test_a_leader_sends_films_and_a_supervisor_recertifies(app, factory):
    ids = make_group(app, factory)
    certify(app, ids, valid_from=utcnow().date() - timedelta(days=500))
    latest = register_groups(app, ids, 1, start=date(2031, 1, 13))[0]
    with app.app_context():
        films = sorted(add_films(latest, ids["uploader"], (2, 5, 7, 8)).values())
        db.session.commit()
    leader = client_as(app, "lena-a@example.org")
    html = page(leader, "/certification/")
    assert sorted(int(i) for i in re.findall(r'name="films"[^>]*value="(\d+)"', html)) == films
    response = post(leader, "/certification/recertification", {"films": films[:2]}, "/certification/")
    assert response.status_code == 302
    assert "flash-error" in page(leader, "/certification/")
    post(leader, "/certification/recertification", {"films": films[:3]}, "/certification/")
    request = only(app, Certification, kind="recertification")
    assert (request.status, request.films) == ("pending", films[:3])
    assert 'data-recertification="pending"' in page(leader, "/certification/")

    supervisor = client_as(app, "sara-a@example.org")
    assert f"/certification/{request.id}/review" in page(supervisor, "/certification/")
    review_url = f"/certification/{request.id}/review"
    html = page(supervisor, review_url)
    assert all(f"/review/recordings/{film}" in html for film in films[:3])
    assert client_as(app, "leo-a@example.org").get(review_url).status_code == 404
    assert client_as(app, "admin-a@example.org").get(review_url).status_code == 404
    assert post(supervisor, review_url, {"decision": "recertify"}).status_code == 302
    renewed = only(app, Certification, kind="recertification")
    assert (renewed.status, renewed.valid_from) == ("certified", utcnow().date())
    file = page(leader, "/certification/")
    assert 'data-stage="certified"' in file and f"/certification/{renewed.id}/certificate.pdf" in file
    assert "Omcertifiering" in pdf_text(leader.get(f"/certification/{renewed.id}/certificate.pdf"))


# The admins' overview --------------------------------------------------------------------------

def overview_queries(app, client):
    client.get("/certification/overview")  # warm up
    with counted_queries(app) as statements:
        assert client.get("/certification/overview").status_code == 200
    return len(statements)


def test_the_overview_is_for_admins_and_its_queries_do_not_grow_with_the_data(app, factory):
    ids = complete_group(app, factory, start=utcnow().date() - timedelta(weeks=4), supervised=6)
    certify(app, ids)
    admin = client_as(app, "admin-a@example.org")
    html = page(admin, "/certification/overview")
    assert html.count("<svg") == 4 and 'class="chart-bar"' in html and "certification.css" in html
    assert f'<tr data-supervisor="{ids["supervisor"]}" data-waiting="3">' in html
    assert f'<tr data-group="{ids["group"]}">' in html  # running
    for email in ("lena-a@example.org", "sara-a@example.org"):
        assert client_as(app, email).get("/certification/overview").status_code == 403
    def more(tag):  # a finished group missing its evaluation, leaders certified and leading more groups
        made = complete_group(app, factory, tag=tag, org_id=ids["org"], start=date(2025, 1, 6), supervised=3)
        certify(app, made, valid_from=date(2024, 2, 29))
        register_groups(app, made, 2)

    more("b")  # every part of the page has rows, so every eager load runs once
    before = overview_queries(app, admin)
    for tag in "cde":
        more(tag)
    assert overview_queries(app, admin) == before


# Admin pages: eConnect training and booster meetings --------------------------------------------

def test_an_admin_marks_a_leader_trained_for_econnect(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b")
    admin = client_as(app, "admin-a@example.org")
    url = f"/admin/users/{ids['uploader']}"
    assert 'name="trained"' in page(admin, url)
    assert post(admin, f"{url}/econnect", {"trained": "y"}, url).status_code == 302
    with app.app_context():
        assert db.session.get(User, ids["uploader"]).econnect_trained is True
    assert re.search(r'name="trained"[^>]*checked|checked[^>]*name="trained"', page(admin, url))
    post(admin, f"{url}/econnect", {}, url)
    with app.app_context():
        assert db.session.get(User, ids["uploader"]).econnect_trained is False
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "user.econnect_trained")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.actor_id, e.detail["trained"]) for e in events] == [(ids["admin"], True), (ids["admin"], False)]
    response = post(admin, f"/admin/users/{other['uploader']}/econnect", {"trained": "y"}, url)
    assert response.status_code == 404


def test_admins_record_booster_meetings_and_the_leader_sees_attendance(app, factory):
    ids = make_group(app, factory)
    make_group(app, factory, tag="b")
    admin = client_as(app, "admin-a@example.org")
    response = post(admin, "/admin/boosters", {"held_on": "2026-03-10", "term": "VT 2026", "title": "Vårträff"})
    assert response.status_code == 302
    meeting = only(app, BoosterMeeting, term="VT 2026")
    url = f"/admin/boosters/{meeting.id}"
    assert response.headers["Location"] == url
    html = page(admin, url)
    assert "Lena a" in html and "Leo a" in html and "Sara a" not in html
    post(admin, f"{url}/attendance", {"attended": [ids["uploader"]]}, url)
    file = page(client_as(app, "lena-a@example.org"), "/certification/")
    assert 'data-attended="yes"' in file
    assert 'data-attended="no"' in page(client_as(app, "leo-a@example.org"), "/certification/")
    assert client_as(app, "admin-b@example.org").get(url).status_code == 404
    assert post(admin, url, {"held_on": "2026-03-11", "term": "VT 2026", "title": "Flyttad"}).status_code == 302
    assert only(app, BoosterMeeting, id=meeting.id).held_on == date(2026, 3, 11)
    assert post(admin, f"{url}/delete", {}, url).status_code == 302
    with app.app_context():
        assert db.session.get(BoosterMeeting, meeting.id) is None


# Every certification route, for every role ------------------------------------------------------

@pytest.mark.parametrize("email", ["lena-a@example.org", "sara-a@example.org", "admin-a@example.org"])
def test_no_certification_route_fails_for_any_role(app, factory, email):
    ids = complete_group(app, factory)
    certification_id = certify(app, ids)
    client = client_as(app, email)
    token = csrf_from(page(client, "/"))
    values = {"group_id": ids["group"], "leader_id": ids["uploader"], "certification_id": certification_id,
              "meeting_id": 1, "user_id": ids["uploader"]}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/certification"):
            continue
        url = app.url_map.bind("localhost").build(rule.endpoint, {a: values[a] for a in rule.arguments})
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={"csrf_token": token} if method == "POST" else None)
            assert response.status_code in (200, 302, 403, 404), (email, method, url, response.status_code)
