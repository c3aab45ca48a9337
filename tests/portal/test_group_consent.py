"""Consent for a whole group at once (issue 16): one row per participant, one submit, all or
nothing with the reason on each row, and the organisation's current information-text version."""

import re
from datetime import date, timedelta

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Group, Organisation, Participant, User
from portal.services import consent
from portal.services.consent import ConsentRow
from tests.conftest import AuthActions, csrf_from
from tests.group_fixtures import add_participants, make_group


@pytest.fixture
def group(app, factory):
    ids = make_group(app, factory)
    ids["participants"] = add_participants(app, ids["group"], ids["uploader"], ["A1", "B2", "C3", "D4"],
                                           consented=("D4",))
    return ids


def login(app, email):
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def consents_of(app, participant_id):
    with app.app_context():
        return [(c.kind, c.method, c.info_version) for c in db.session.get(Participant, participant_id).consents]


def test_the_service_saves_every_row_or_none(app, group):
    p = group["participants"]
    with app.app_context():
        g = db.session.get(Group, group["group"])
        leader = db.session.get(User, group["uploader"])
        rows = [ConsentRow(p["A1"], True, date(2026, 1, 10), "paper"),
                ConsentRow(p["B2"], True, None, "digital"),
                ConsentRow(p["C3"], True, date(2026, 1, 10), "oral_on_film", "")]
        registered, errors = consent.give_group_consent(g, rows, "v3", leader)
        assert registered == [] and set(errors) == {p["B2"], p["C3"]}
        assert "datum" in errors[p["B2"]] and "tidkod" in errors[p["C3"]]
        db.session.commit()
    assert consents_of(app, p["A1"]) == []  # nothing saved while a row is wrong
    with app.app_context():
        g = db.session.get(Group, group["group"])
        leader = db.session.get(User, group["uploader"])
        rows = [ConsentRow(p["A1"], True, date(2026, 1, 10), "paper"),
                ConsentRow(p["B2"], False, None, ""),  # not ticked: left alone
                ConsentRow(p["C3"], True, date(2026, 1, 10), "oral_on_film", "0:02:15"),
                ConsentRow(p["D4"], True, date(2026, 1, 10), "digital")]  # already consented: left alone
        registered, errors = consent.give_group_consent(g, rows, "v3", leader)
        assert errors == {} and [x.code for x in registered] == ["A1", "C3"]
        db.session.commit()
        assert db.session.scalar(db.select(db.func.count()).where(AuditEvent.action == "consent.given")) == 3
    assert consents_of(app, p["A1"]) == [("given", "paper", "v3")]
    assert consents_of(app, p["B2"]) == []
    assert consents_of(app, p["D4"]) == [("given", "paper", "v1")]


def test_a_participant_of_another_group_is_refused(app, factory, group):
    other = make_group(app, factory, tag="b")
    stranger = add_participants(app, other["group"], other["uploader"], ["X9"])["X9"]
    with app.app_context():
        with pytest.raises(consent.ConsentError):
            consent.give_group_consent(db.session.get(Group, group["group"]),
                                       [ConsentRow(stranger, True, date(2026, 1, 10), "paper")], "v1",
                                       db.session.get(User, group["uploader"]))


def test_a_consent_date_in_the_future_is_refused(app, group):
    with app.app_context():
        with pytest.raises(consent.ConsentError, match="framtiden"):
            consent.check_consent(date.today() + timedelta(days=3), "paper", "v1")


def test_leader_registers_the_group_on_one_page(app, group):
    p = group["participants"]
    client = login(app, "lena-a@example.org")
    url = f"/groups/{group['group']}/consent"
    html = client.get(url).get_data(as_text=True)
    assert f'href="{url}"' in client.get(f"/groups/{group['group']}").get_data(as_text=True)
    assert html.count("<tr data-participant=") == 4 and 'data-consent="given"' in html  # D4 already has one
    assert re.search(r'<input[^>]*id="info_version"[^>]*value=""', html)  # no organisation version yet
    token = csrf_from(html)
    bad = client.post(url, data={"csrf_token": token, "info_version": "2026-01",
                                 f"p{p['A1']}-given": "y", f"p{p['A1']}-on_date": "2026-01-10",
                                 f"p{p['A1']}-method": "paper",
                                 f"p{p['B2']}-given": "y", f"p{p['B2']}-on_date": "inte ett datum",
                                 f"p{p['B2']}-method": "digital"})
    page = bad.get_data(as_text=True)
    assert bad.status_code == 200 and "1 rad kunde inte sparas" in page
    row = re.search(r'<tr data-participant="B2" class="row-error">(.*?)</tr>\s*<tr data-error-for="B2">(.*?)</tr>',
                    page, re.S)
    assert 'aria-invalid="true"' in row.group(1) and "B2: Ange datum för samtycket." in row.group(2)
    assert f'id="p{p["A1"]}-given" ' in page and "checked" in re.search(
        r'<tr data-participant="A1">(.*?)</tr>', page, re.S).group(1)  # what was entered stays
    assert consents_of(app, p["A1"]) == []
    good = client.post(url, data={"csrf_token": token, "info_version": "2026-01",
                                  f"p{p['A1']}-given": "y", f"p{p['A1']}-on_date": "2026-01-10",
                                  f"p{p['A1']}-method": "paper",
                                  f"p{p['B2']}-given": "y", f"p{p['B2']}-on_date": "2026-01-11",
                                  f"p{p['B2']}-method": "digital"}, follow_redirects=True)
    assert "Samtyckena för 2 deltagare är registrerade." in good.get_data(as_text=True)
    assert consents_of(app, p["B2"]) == [("given", "digital", "2026-01")]


def test_the_version_defaults_to_the_organisations_current_one(app, group):
    admin = login(app, "admin-a@example.org")
    html = admin.get("/admin/organisations").get_data(as_text=True)
    response = admin.post("/admin/organisations/consent-text",
                          data={"consent-csrf_token": csrf_from(html), "consent-consent_text_version": "Info 2026:2"},
                          follow_redirects=True)
    assert "Informationstextens aktuella version är nu Info 2026:2." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Organisation, group["org"]).consent_text_version == "Info 2026:2"
        assert db.session.scalar(db.select(AuditEvent.action).order_by(AuditEvent.id.desc())) == \
            "organisation.consent_text_version"
    leader = login(app, "lena-a@example.org")
    html = leader.get(f"/groups/{group['group']}/consent").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="info_version"[^>]*value="Info 2026:2"', html)
    assert "Organisationens administratör anger den aktuella versionen." in html  # the field is explained


@pytest.mark.parametrize("who,status", [("sara-a@example.org", 403), ("lena-b@example.org", 404)])
def test_others_may_not_register_the_groups_consent(app, factory, group, who, status):
    make_group(app, factory, tag="b")
    client = login(app, who)
    assert client.get(f"/groups/{group['group']}/consent").status_code == status


def test_an_empty_group_says_what_to_do(app, factory):
    ids = make_group(app, factory, tag="e")
    html = login(app, "lena-e@example.org").get(f"/groups/{ids['group']}/consent").get_data(as_text=True)
    assert "Gruppen har inga deltagare än. Lägg till dem med kod" in html


def test_a_missing_version_and_a_bad_row_show_at_once(app, group):
    p = group["participants"]
    client = login(app, "lena-a@example.org")
    url = f"/groups/{group['group']}/consent"
    page = client.post(url, data={"csrf_token": csrf_from(client.get(url).get_data(as_text=True)), "info_version": " ",
                                  f"p{p['A1']}-given": "y", f"p{p['A1']}-on_date": "2026-01-10",
                                  f"p{p['A1']}-method": "fax"}).get_data(as_text=True)
    assert "1 rad kunde inte sparas" in page and "Välj hur samtycket lämnades." in page
    assert re.search(r'id="info_version-errors" class="field-error">Ange versionen av informationstexten', page)
    assert consents_of(app, p["A1"]) == []
