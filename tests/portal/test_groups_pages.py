"""The group pages: a leader's flow through the forms, what each role sees, admin pages."""

from portal.extensions import db
from portal.models import Group, Program
from tests.conftest import AuthActions, counted_queries
from tests.group_fixtures import add_participants, make_group


def login(app, email):
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(email)
    return client, auth


def test_leader_registers_participants_consent_and_confirms(app, factory):
    ids = make_group(app, factory)
    client, auth = login(app, "lena-a@example.org")
    page = client.get("/").get_data(as_text=True)
    assert "Grupp a" in page
    group_url = f"/groups/{ids['group']}"
    token = auth.csrf(group_url)
    response = client.post(f"{group_url}/participants", data={"code": "850312-1234", "csrf_token": token},
                           follow_redirects=True)
    assert "personnummer" in response.get_data(as_text=True)
    client.post(f"{group_url}/participants", data={"code": "A1", "csrf_token": token})
    with app.app_context():
        participant = db.session.get(Group, ids["group"]).participants[0]
    url = f"/groups/participants/{participant.id}"
    response = client.post(url, data={"consent-on_date": "2026-01-10", "consent-method": "paper",
                                      "consent-info_version": "v1", "consent-csrf_token": auth.csrf(url)},
                           follow_redirects=True)
    assert "Samtycke lämnat" in response.get_data(as_text=True)
    confirm_url = f"/groups/sessions/{ids['sessions'][1]}/confirm"
    response = client.post(confirm_url, data={"attending": [participant.id], "confirm": "y",
                                              "csrf_token": auth.csrf(confirm_url)}, follow_redirects=True)
    assert "Samtycke bekräftat (1)" in response.get_data(as_text=True)


def test_roles_see_and_are_refused(app, factory):
    ids = make_group(app, factory)
    other = make_group(app, factory, tag="b", password=None)
    add_participants(app, ids["group"], ids["uploader"], ["A1"])
    client, auth = login(app, "sara-a@example.org")
    assert client.get(f"/groups/{ids['group']}").status_code == 200
    assert client.get(f"/groups/{other['group']}").status_code == 404
    response = client.post(f"/groups/{ids['group']}/participants",
                           data={"code": "B2", "csrf_token": auth.csrf("/")})
    assert response.status_code == 403
    assert client.get(f"/groups/sessions/{other['sessions'][0]}/confirm").status_code == 404
    client, _auth = login(app, "admin-a@example.org")
    page = client.get("/admin/groups").get_data(as_text=True)
    assert "Grupp a" in page and "Grupp b" not in page
    assert client.get(f"/groups/{other['group']}").status_code == 404


def test_an_organisation_admin_reads_programs_but_no_longer_edits_them_or_creates_organisations(app, factory):
    """Issue 18: the program catalogue and new organisations are the platform administrator's."""
    make_group(app, factory)
    client, auth = login(app, "admin-a@example.org")
    with app.app_context():
        program = db.session.scalars(db.select(Program).where(Program.key == "econnect")).one()
    page = client.get("/admin/programs").get_data(as_text=True)
    assert "eConnect" in page and f"/platform/programs/{program.id}" not in page
    assert client.get(f"/platform/programs/{program.id}").status_code == 403
    response = client.post("/admin/organisations", data={"name": "Ny kommun", "csrf_token": auth.csrf("/admin/users")})
    assert response.status_code == 405


def test_leader_creates_a_group_through_the_form(app, factory, mail_server, run_jobs):
    ids = make_group(app, factory)
    client, auth = login(app, "lena-a@example.org")
    with app.app_context():
        program_id = db.session.scalars(db.select(Program.id).where(Program.key == "connect-foster")).one()
    data = {"title": "Familjehemsgruppen", "program": program_id, "start_date": "2026-08-17",
            "language": "sv", "uploader": ids["uploader"], "co_leader": ids["co_leader"],
            "technical_assistant": 0, "supervisors": [ids["supervisor"]], "purpose": "certification",
            "csrf_token": auth.csrf("/groups/new")}  # not certified in this program: a certification group
    response = client.post("/groups/new", data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Familjehemsgruppen" in page and "19 okt. 2026" in page
    run_jobs()
    assert "admin-a@example.org" in [m["To"] for m in mail_server.messages]


def test_the_start_page_costs_the_same_number_of_queries_for_2_and_8_groups(app, factory):
    from datetime import date

    first = make_group(app, factory, tag="a", start=date(2025, 1, 6))  # finished, no evaluation yet

    def queries(email):
        client, _auth = login(app, email)
        client.get("/")  # warm up
        with counted_queries(app) as statements:
            html = client.get("/").get_data(as_text=True)
        return len(statements), html

    make_group(app, factory, tag="b", start=date(2025, 2, 3), org_id=first["org"])
    before = {email: queries(email)[0] for email in ("admin-a@example.org", "lena-a@example.org")}
    for tag in "cdefgh":
        make_group(app, factory, tag=tag, start=date(2025, 3, 3), org_id=first["org"])
    after = {email: queries(email) for email in ("admin-a@example.org", "lena-a@example.org")}
    admin_html = after["admin-a@example.org"][1]
    # both of the admin's lists name all eight groups: new (created today) and missing an evaluation
    assert all(admin_html.count(f"Grupp {tag}<") == 2 for tag in "abcdefgh")
    assert "Grupp b<" not in after["lena-a@example.org"][1]  # a leader sees her own groups only
    assert {email: n for email, (n, _html) in after.items()} == before
