"""Issue 18: a platform administrator acts for an organisation. The choice is made with the
platform's "Manage" button (platform administrators only, with the CSRF token), kept in the
browser session of the person who made it, shown on every page and audited; while it lasts every
admin page and the admin API work on that organisation, and the platform administrator's own is
as foreign as any other."""

import pytest

from portal.extensions import db
from portal.models import ApiToken, AuditEvent, Organisation, User
from portal.permissions import ACTING_FOR
from tests.conftest import client_as, page
from tests.portal.test_access_matrix import act_for, login, make_objects

pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # sessions, not SQL

BANNER = "Du hanterar Kommun b som plattformsadministratör"
OWN = ("Lena own", "Grupp own", "Kommun own")


@pytest.fixture
def world(app, factory):
    """Organisation b with its group, film, comment and people; the platform administrator Maja
    is also the admin of her own organisation, which has a group of its own."""
    foreign, people = make_objects(app, factory, "b")
    own, _own_people = make_objects(app, factory, "own")
    maja = factory.user(("platform_admin", "admin"), "maja@example.org", own["organisation_id"],
                        name="Maja Metodgarant")
    return {"b": foreign, "own": own, "people": people, "maja": maja}


def admin_pages(app):
    """Every admin page without arguments (the audit CSV is a download, not a page)."""
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if r.endpoint.startswith("admin.") and not r.arguments and "GET" in r.methods
                  and r.endpoint != "admin.audit_export")


def test_only_a_platform_administrator_starts_acting_and_only_through_the_form(app, world):
    org_admin, token = login(app, "admin-own@example.org")
    assert act_for(org_admin, token, world["b"]["organisation_id"]).status_code == 403
    assert org_admin.post("/platform/acting/stop", data={"csrf_token": token}).status_code == 403
    assert "Lena b" not in page(org_admin, "/admin/users")

    maja, token = login(app, "maja@example.org")
    assert maja.post(f"/platform/organisations/{world['b']['organisation_id']}/act").status_code == 400  # no token
    assert act_for(maja, token, 99999).status_code == 404
    assert 'id="acting-banner"' not in page(maja, "/")
    with app.app_context():
        assert not db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "platform.act_for")).all()
    organisations = page(maja, "/platform/organisations")
    assert 'aria-label="Hantera Kommun b"' in organisations and ">Hantera</button>" in organisations


def test_acting_works_on_the_organisation_on_every_admin_page_under_a_banner_until_stopped(app, world):
    b = world["b"]
    maja, token = login(app, "maja@example.org")
    answer = act_for(maja, token, b["organisation_id"])
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/admin/users")

    pages = admin_pages(app)
    assert len(pages) >= 10
    for path in pages:
        html = page(maja, path)
        assert 'id="acting-banner"' in html and BANNER in html, path
        assert not [marker for marker in OWN if marker in html], path
    for path, marker in (("/admin/users", "Lena b"), ("/admin/groups", "Grupp b"), ("/admin/exports", "Lena b"),
                         ("/admin/organisations", 'value="Kommun b"'), ("/admin/boosters", "VT 2026"),
                         ("/groups/", "Grupp b"), ("/", BANNER)):
        assert marker in page(maja, path), (path, marker)
    assert [g["id"] for g in maja.get("/api/v1/groups").get_json()["groups"]] == [b["group_id"]]
    me = maja.get("/api/v1/me").get_json()  # a script in the page learns which organisation it works on
    assert me["acting_organisation_id"] == b["organisation_id"] and me["organisation_id"] != b["organisation_id"]

    # a change made while acting: the organisation's, audited with who acted for it
    maja.post("/admin/organisations/consent-text", data={"csrf_token": token, "consent-consent_text_version": "v9"})
    with app.app_context():
        assert db.session.get(Organisation, b["organisation_id"]).consent_text_version == "v9"
        start, change = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.in_(
            ["platform.act_for", "organisation.consent_text_version"])).order_by(AuditEvent.id)).all()
    assert (start.organisation_id, start.actor_id) == (b["organisation_id"], world["maja"])
    assert (change.organisation_id, change.actor_id) == (b["organisation_id"], world["maja"])
    assert change.detail["acting_for"] == b["organisation_id"]
    assert change.detail["platform_admin"] == "maja@example.org"
    admin_b, _token = login(app, "admin-b@example.org")
    assert "Maja Metodgarant" in page(admin_b, "/admin/audit?action=organisation.consent_text_version")

    answer = maja.post("/platform/acting/stop", data={"csrf_token": token})
    assert answer.status_code == 302
    users = page(maja, "/admin/users")
    assert 'id="acting-banner"' not in users and "Lena own" in users and "Lena b" not in users
    assert maja.get("/api/v1/me").get_json()["acting_organisation_id"] is None
    with app.app_context():
        end = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "platform.act_for_end")).one()
        assert (end.organisation_id, end.actor_id) == (b["organisation_id"], world["maja"])


def test_acting_belongs_to_the_person_who_chose_it_and_to_no_api_token(app, world):
    b = world["b"]
    org_admin, _token = login(app, "admin-own@example.org")  # not a platform administrator
    with org_admin.session_transaction() as session:
        session[ACTING_FOR] = {"user": world["maja"], "organisation": b["organisation_id"]}
    assert "Lena b" not in page(org_admin, "/admin/users")

    maja, token = login(app, "maja@example.org")
    with maja.session_transaction() as session:  # a choice made by someone else
        session[ACTING_FOR] = {"user": world["maja"] + 1, "organisation": b["organisation_id"]}
    assert "Lena b" not in page(maja, "/admin/users")

    act_for(maja, token, b["organisation_id"])
    with app.app_context():
        row, plaintext = ApiToken.issue(db.session.get(User, world["maja"]), name="script")
        db.session.add(row)
        db.session.commit()
    listed = maja.get("/api/v1/groups", headers={"Authorization": f"Bearer {plaintext}"}).get_json()["groups"]
    assert [g["id"] for g in listed] == [world["own"]["group_id"]]
    assert maja.get("/api/v1/me").get_json()["acting_organisation_id"] == b["organisation_id"]
    assert maja.get("/api/v1/me", headers={"Authorization": f"Bearer {plaintext}"}).get_json()[
        "acting_organisation_id"] is None


def test_an_acting_platform_administrators_user_export_leaves_out_the_comment_texts(app, world):
    """The comments a supervisor wrote are supervision of a film: an acting platform administrator
    exports that they exist, not what they say (the organisation's own admin gets the whole)."""
    with app.app_context():
        sara = db.session.scalar(db.select(User.id).where(User.email == "sara-b@example.org"))
    maja, token = login(app, "maja@example.org")
    act_for(maja, token, world["b"]["organisation_id"])
    export = maja.get(f"/admin/exports/users/{sara}").get_json()
    assert [c["body"] for c in export["comments"]] == [None] and "left_out" in export
    admin_b, _token = login(app, "admin-b@example.org")
    export = admin_b.get(f"/admin/exports/users/{sara}").get_json()
    assert [c["body"] for c in export["comments"]] == ["x"] and "left_out" not in export


def test_a_platform_administrator_sets_up_two_factor_login_before_anything_else(app, factory):
    """The role reaches every organisation's admin pages: like an admin, it needs two-factor login."""
    app.config["TWO_FACTOR_REQUIRED"] = True
    factory.user(("platform_admin",), "pia@example.org")
    client = client_as(app, "pia@example.org")
    assert client.get("/platform/organisations").headers["Location"].endswith("/account/two-factor")
