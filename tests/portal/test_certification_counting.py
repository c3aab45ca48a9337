"""Issue 18's certification rules: a session counts only when its date has passed and it has a
ready film of the program's minimum length with published supervision; regular and
recertification groups need certified leaders; the certificate carries the organisation's real
name and a code that /verify/<code> confirms; admins rename their organisation; bootstrap names
the first one."""

import io
import re
from datetime import timedelta

import pypdf
import pytest
from babel.dates import format_date
from flask_babel import force_locale

from portal import create_app
from portal.errors import Refused
from portal.extensions import db
from portal.models import AuditEvent, Certification, Group, GroupSession, Organisation, Program, Recording, User
from portal.models.base import utcnow
from portal.services import certificate, certification_decisions, groups, programs
from portal.services import certification as rules
from tests.certification_fixtures import certify, complete_group
from tests.conftest import AuthActions, csrf_from, make_config
from tests.group_fixtures import make_group


def today():
    return utcnow().date()


def client_as(app, email):
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def reasons_of(app, group_id):
    with app.test_request_context(), force_locale("en"):
        return rules.readiness(db.session.get(Group, group_id), today())


def set_duration(app, recording_id, seconds):
    with app.app_context():
        db.session.get(Recording, recording_id).duration = seconds
        db.session.commit()


# What counts ------------------------------------------------------------------------------------

def test_sessions_dated_today_or_later_do_not_count(app, factory):
    # Session n is n weeks after the start: 8 is today, 9 next week.
    ids = complete_group(app, factory, start=today() - timedelta(weeks=8))
    session_8, session_9 = (today(), today() + timedelta(weeks=1))
    assert reasons_of(app, ids["group"]) == [
        f"Principsession 8 is dated {format_date(session_8, 'medium', locale='en')}, which has not passed yet.",
        f"Principsession 9 is dated {format_date(session_9, 'medium', locale='en')}, which has not passed yet."]
    with app.app_context(), pytest.raises(Refused) as refused:
        certification_decisions.decide(db.session.get(User, ids["supervisor"]), db.session.get(User, ids["uploader"]),
                                       db.session.get(Group, ids["group"]), True, "", today())
    assert refused.value.code == "not_ready"


def test_a_film_shorter_than_the_programs_minimum_does_not_count(app, factory):
    ids = complete_group(app, factory)
    set_duration(app, ids["recordings"][3], 20.0)
    assert reasons_of(app, ids["group"]) == [
        "The film of Principsession 3 is 0:20 long; at least 45 minutes are needed."]
    set_duration(app, ids["recordings"][3], 45 * 60.0)  # exactly the minimum counts
    assert reasons_of(app, ids["group"]) == []
    set_duration(app, ids["recordings"][3], 15 * 60.0)
    with app.app_context():  # the minimum is the program's setting
        db.session.scalars(db.select(Program).where(Program.key == "connect-parents")).one().min_film_minutes = 15
        db.session.commit()
    assert reasons_of(app, ids["group"]) == []


def test_supervision_done_but_not_published_does_not_count(app, factory):
    ids = complete_group(app, factory)
    with app.app_context():
        db.session.get(GroupSession, ids["sessions"][5]).supervision.published_at = None
        db.session.commit()
    assert reasons_of(app, ids["group"]) == ["The supervision of Principsession 5 is not yet published to the leaders."]


def test_the_file_names_each_session_that_does_not_count_and_why(app, factory):
    ids = complete_group(app, factory, start=today() - timedelta(weeks=8))
    set_duration(app, ids["recordings"][2], 20.0)
    html = client_as(app, "lena-a@example.org").get("/certification/").get_data(as_text=True)
    counts = dict(re.findall(r'<tr data-session="(\d+)" data-supervision="\w+" data-counts="(\w+)">', html))
    assert counts == {str(n): "no" if n in (2, 8, 9) else "yes" for n in range(1, 10)}
    assert "Filmen från Principsession 2 är 0:20 lång; minst 45 minuter behövs." in html
    next_week = format_date(today() + timedelta(weeks=1), "medium", locale="sv")
    assert f"Principsession 9 är daterad {next_week}, som inte har passerat än." in html


# Who may lead which group -----------------------------------------------------------------------

def test_regular_and_recertification_groups_need_certified_leaders(app, factory):
    ids = make_group(app, factory)
    expired = make_group(app, factory, tag="b", org_id=ids["org"])
    certify(app, expired, valid_from=rules.add_years(today(), -3) - timedelta(days=1))
    certify(app, expired, leader="co_leader", valid_from=rules.add_years(today(), -3) - timedelta(days=1))

    def create(case, purpose):
        with app.test_request_context(), force_locale("en"):
            person = lambda key: db.session.get(User, case[key])  # noqa: E731
            program = programs.seed_programs()[0]
            try:
                group = groups.create_group(person("admin"), db.session.get(Organisation, case["org"]), program,
                                            "Omgång", today() + timedelta(days=30), person("uploader"),
                                            person("co_leader"), purpose)
            except groups.GroupError as error:
                db.session.rollback()
                return str(error)
            db.session.commit()
            return group.purpose

    assert create(ids, "regular") == ("Lena a is not certified in Connect för föräldrar: their first group is a "
                                      "certification group.")
    assert create(ids, "recertification").startswith("Lena a is not certified")
    certify(app, ids)
    assert create(ids, "regular").startswith("Leo a is not certified")  # both leaders, not only the first
    certify(app, ids, leader="co_leader")
    assert create(ids, "regular") == "regular"
    until = (rules.add_years(today(), -3) - timedelta(days=1) + timedelta(days=365 * 3)).isoformat()
    assert create(expired, "regular").startswith("Lena b's certification in Connect för föräldrar was valid until")
    assert until[:4] in create(expired, "regular")
    assert create(expired, "recertification") == "recertification"  # an expired certification may be renewed
    assert create(make_group(app, factory, tag="c"), "certification") == "certification"


def test_the_group_form_says_why_a_regular_group_is_refused(app, factory):
    ids = make_group(app, factory)
    client = client_as(app, "lena-a@example.org")
    with app.app_context():
        program_id = programs.seed_programs()[0].id
    data = {"title": "Höstgruppen", "program": program_id, "start_date": "2027-08-16", "language": "sv",
            "uploader": ids["uploader"], "co_leader": ids["co_leader"], "technical_assistant": 0,
            "supervisors": [ids["supervisor"]], "purpose": "regular",
            "csrf_token": csrf_from(client.get("/groups/new").get_data(as_text=True))}
    html = client.post("/groups/new", data=data, follow_redirects=True).get_data(as_text=True)
    assert "Lena a är inte certifierad i Connect för föräldrar: den första gruppen är en certifieringsgrupp." in html
    with app.app_context():
        assert db.session.scalar(db.select(db.func.count(Group.id))) == 1


# The certificate and its verification ---------------------------------------------------------

def pdf_text(data):
    return re.sub(r"\s+", " ", " ".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(data)).pages))


def test_the_certificate_has_the_organisations_name_the_programs_full_name_and_a_code(app, factory):
    ids = make_group(app, factory)
    certification_id = certify(app, ids)
    full_name = "Connect för föräldrar: anknytningsbaserat föräldrastöd i grupp för föräldrar till barn 3–18 år"
    with app.app_context():
        db.session.get(Group, ids["group"]).program.name = full_name
        db.session.commit()
        code = db.session.get(Certification, certification_id).verification_code
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}", code)

    admin = client_as(app, "admin-a@example.org")
    token = csrf_from(admin.get("/admin/organisations").get_data(as_text=True))
    response = admin.post("/admin/organisation", data={"csrf_token": token, "org-name": "Malmö stad",
                                                        "org-details": "Box 123, 205 00 Malmö"})
    assert response.status_code == 302
    text = pdf_text(client_as(app, "lena-a@example.org")
                    .get(f"/certification/{certification_id}/certificate.pdf").get_data())
    for expected in ("Malmö stad", "Box 123, 205 00 Malmö", full_name, code, f"/verify/{code}"):
        assert expected in text, expected
    assert "Kommun a" not in text
    with app.app_context():
        event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "organisation.update")).one()
        assert (event.actor_id, event.organisation_id) == (ids["admin"], ids["org"])
        assert event.detail["before"]["name"] == "Kommun a" and event.detail["after"]["name"] == "Malmö stad"


def test_an_organisation_cannot_take_another_ones_name(app, factory):
    ids = make_group(app, factory)
    factory.organisation("Lunds kommun")
    admin = client_as(app, "admin-a@example.org")
    token = csrf_from(admin.get("/admin/organisations").get_data(as_text=True))
    response = admin.post("/admin/organisation", data={"csrf_token": token, "org-name": "Lunds kommun",
                                                        "org-details": ""}, follow_redirects=True)
    assert "Det finns redan en organisation som heter Lunds kommun." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Organisation, ids["org"]).name == "Kommun a"


def test_the_verification_page_confirms_name_program_and_validity_and_nothing_else(app, factory):
    ids = make_group(app, factory)
    certification_id = certify(app, ids)
    with app.app_context():
        row = db.session.get(Certification, certification_id)
        code, until = row.verification_code, row.valid_until.isoformat()
    anonymous = app.test_client()
    response = anonymous.get(f"/verify/{code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-valid="yes"' in html
    assert (response.headers["Cache-Control"], response.headers["X-Robots-Tag"]) == ("no-store", "noindex")
    main = html[html.index("<main"):html.index("</main>")]
    for expected in ("Lena a", "Connect för föräldrar", f"Giltigt till och med {until}"):
        assert expected in main, expected
    for private in ("Kommun a", "lena-a@example.org", "Sara a", "Grupp a"):
        assert private not in main, private
    typed = code.replace("-", "").lower()  # as someone types it from paper
    assert anonymous.get(f"/verify/{typed}").status_code == 200
    assert anonymous.get("/verify/AAAA-BBBB-CCCC").status_code == 404
    with app.app_context():
        events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "certification.verify")
                                    .order_by(AuditEvent.id)).all()
        assert [(e.object_id, e.organisation_id, e.detail["found"]) for e in events] == [
            (certification_id, ids["org"], True), (certification_id, ids["org"], True), (None, None, False)]


def test_an_expired_or_undecided_certification_is_not_confirmed(app, factory):
    ids = make_group(app, factory)
    expired_id = certify(app, ids, valid_from=rules.add_years(today(), -3) - timedelta(days=1))
    with app.app_context():
        expired = db.session.get(Certification, expired_id)
        pending = Certification(leader_id=ids["co_leader"], organisation_id=ids["org"], program_id=expired.program_id,
                                group_id=ids["group"], kind="initial", status="not_yet", films=[])
        db.session.add(pending)
        db.session.commit()
        codes = expired.verification_code, pending.verification_code, expired.valid_until.isoformat()
    client = app.test_client()
    html = client.get(f"/verify/{codes[0]}").get_data(as_text=True)
    assert 'data-valid="no"' in html and f"Inte giltigt: gick ut {codes[2]}" in html
    assert client.get(f"/verify/{codes[1]}").status_code == 404


def test_the_verification_page_is_rate_limited(app, factory):
    client = app.test_client()
    statuses = [client.get(f"/verify/AAAA-BBBB-CC{n:02d}").status_code for n in range(21)]
    assert statuses == [404] * 20 + [429]


def test_certificate_lookup_ignores_case_and_dashes_but_not_length(app, factory):
    ids = make_group(app, factory)
    certification_id = certify(app, ids)
    with app.app_context():
        code = db.session.get(Certification, certification_id).verification_code
        assert certificate.find_by_code(code.lower()).id == certification_id
        assert certificate.find_by_code(" " + code.replace("-", " ") + " ").id == certification_id
        assert certificate.find_by_code(code[:-1]) is None and certificate.find_by_code("") is None


# The first organisation ---------------------------------------------------------------------------

def test_bootstrap_names_the_first_organisation_from_the_setting(redis_server, tmp_path):
    app = create_app(make_config(f"sqlite:///{tmp_path}/first.sqlite3", redis_server.url, tmp_path / "storage"))
    result = app.test_cli_runner().invoke(args=["portal", "bootstrap"], env={
        "PORTAL_ORGANISATION_NAME": "Region Skåne", "PORTAL_ADMIN_PASSWORD": "a long enough password",
        "PORTAL_ADMIN_EMAIL": "metodgarant@example.org"})
    assert result.exit_code == 0, result.output
    with app.app_context():
        admin = db.session.scalars(db.select(User)).one()
        assert (admin.email, admin.organisation.name, admin.roles) == ("metodgarant@example.org", "Region Skåne",
                                                                       ("admin", "platform_admin"))
    result = app.test_cli_runner().invoke(args=["portal", "create-user", "--email", "sara@example.org", "--name",
                                                "Sara", "--role", "supervisor", "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    with app.app_context():  # later users join the first organisation, not a new "Min organisation"
        assert [o.name for o in db.session.scalars(db.select(Organisation))] == ["Region Skåne"]
        db.engine.dispose()
