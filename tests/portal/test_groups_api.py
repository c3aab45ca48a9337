"""The groups API: who sees what (404 for everything hidden), strict input, the consent
confirmation naming missing codes, withdrawal blocking playback, the OpenAPI document."""

import pytest

from portal.extensions import db
from portal.models import ApiToken, AuditEvent, User
from tests.group_fixtures import add_participants, make_group


def bearer(app, user_id):
    with app.app_context():
        row, plaintext = ApiToken.issue(db.session.get(User, user_id))
        db.session.add(row)
        db.session.commit()
    return {"Authorization": f"Bearer {plaintext}"}


@pytest.fixture
def world(app, factory):
    """Group "a" in organisation A, group "a2" in the same organisation with other people,
    and group "b" in organisation B."""
    a = make_group(app, factory, tag="a")
    a2 = make_group(app, factory, tag="a2", org_id=a["org"], password=None)
    b = make_group(app, factory, tag="b", password=None)
    a["people"] = add_participants(app, a["group"], a["uploader"], ["A1", "B2"], consented=["A1"])
    return {"a": a, "a2": a2, "b": b}


def urls_of(ids):
    """Every URL of group ``ids`` with the method and a body."""
    p = ids["people"]["A1"]
    s = ids["sessions"][1]
    g = ids["group"]
    return [
        ("GET", f"/api/v1/groups/{g}", None),
        ("GET", f"/api/v1/groups/{g}/sessions", None),
        ("GET", f"/api/v1/groups/{g}/participants", None),
        ("POST", f"/api/v1/groups/{g}/participants", {"code": "Z9"}),
        ("POST", f"/api/v1/participants/{p}/consents",
         {"date": "2026-01-10", "method": "paper", "info_version": "v1"}),
        ("POST", f"/api/v1/participants/{p}/withdraw", {"date": "2026-01-10"}),
        ("POST", f"/api/v1/sessions/{s}/consent-confirmation", {"attending": [p]}),
    ]


def test_hidden_objects_answer_404_for_every_role(app, client, world):
    # leader and supervisor of another group of the same organisation; every role of another one
    for who in [("a2", "uploader"), ("a2", "supervisor"), ("b", "uploader"), ("b", "supervisor"),
                ("b", "admin")]:
        headers = bearer(app, world[who[0]][who[1]])
        for method, url, body in urls_of(world["a"]):
            response = client.open(url, method=method, json=body, headers=headers)
            assert response.status_code == 404, (who, method, url)
            assert response.get_json()["error"]["code"] == "not_found"
        listed = client.get("/api/v1/groups", headers=headers).get_json()["groups"]
        assert world["a"]["group"] not in [g["id"] for g in listed]


def test_people_of_the_group_see_it(app, client, world):
    for who in ["uploader", "co_leader", "supervisor", "admin"]:
        headers = bearer(app, world["a"][who])
        listed = client.get("/api/v1/groups", headers=headers).get_json()["groups"]
        assert world["a"]["group"] in [g["id"] for g in listed]
        assert world["b"]["group"] not in [g["id"] for g in listed]
        for method, url, _body in urls_of(world["a"])[:3]:
            assert client.open(url, method=method, headers=headers).status_code == 200, (who, url)


def test_supervisor_may_look_but_not_change(app, client, world):
    headers = bearer(app, world["a"]["supervisor"])
    for method, url, body in urls_of(world["a"])[3:]:
        assert client.open(url, method=method, json=body, headers=headers).status_code == 403, url


def test_confirmation_is_refused_naming_the_missing_code(app, client, world):
    a = world["a"]
    headers = bearer(app, a["uploader"])
    url = f"/api/v1/sessions/{a['sessions'][1]}/consent-confirmation"
    response = client.post(url, json={"attending": [a["people"]["A1"], a["people"]["B2"]]}, headers=headers)
    assert response.status_code == 409
    error = response.get_json()["error"]
    assert error["code"] == "consent_missing" and error["missing"] == ["B2"]
    assert "B2" in error["message"] and "samtycke" in error["message"]

    response = client.post(url, json={"attending": [a["people"]["A1"]]}, headers=headers)
    assert response.status_code == 201
    assert response.get_json()["consent_confirmed"] is True
    with app.app_context():
        event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "consent.confirmed")).one()
        assert event.actor_id == a["uploader"] and event.detail["attending"] == [a["people"]["A1"]]


def test_participant_consent_and_withdrawal_through_the_api(app, client, world):
    a = world["a"]
    headers = bearer(app, a["uploader"])
    response = client.post(f"/api/v1/groups/{a['group']}/participants", json={"code": "850312-1234"},
                           headers=headers)
    assert response.status_code == 422
    assert response.get_json()["error"]["code"] == "identifying_code"
    assert "personnummer" in response.get_json()["error"]["message"]
    response = client.post(f"/api/v1/groups/{a['group']}/participants", json={"code": "C3"}, headers=headers)
    assert response.status_code == 201
    pid = response.get_json()["id"]

    url = f"/api/v1/participants/{pid}/consents"
    response = client.post(url, json={"date": "2026-01-12", "method": "oral_on_film", "info_version": "v2"},
                           headers=headers)
    assert response.status_code == 422  # oral consent on film needs a timecode
    response = client.post(url, json={"date": "2026-01-12", "method": "oral_on_film", "info_version": "v2",
                                      "timecode": "0:02:15"}, headers=headers)
    assert response.status_code == 201 and response.get_json()["has_consent"] is True

    session_id = a["sessions"][2]
    client.post(f"/api/v1/sessions/{session_id}/consent-confirmation", json={"attending": [pid]},
                headers=headers)
    response = client.post(f"/api/v1/participants/{pid}/withdraw", json={"date": "2026-02-01"}, headers=headers)
    assert response.status_code == 200
    # The session has no film: nothing to block or delete (its upload is refused, see test_groups).
    assert response.get_json()["blocked_session_ids"] == [] and response.get_json()["recording_ids"] == []
    assert response.get_json()["delete_after"]
    history = response.get_json()["participant"]["consents"]
    assert [c["kind"] for c in history] == ["given", "withdrawn"]
    sessions = client.get(f"/api/v1/groups/{a['group']}/sessions", headers=headers).get_json()["sessions"]
    assert [s["playback_blocked"] for s in sessions if s["id"] == session_id] == [False]
    with app.app_context():
        actions = db.session.scalars(db.select(AuditEvent.action)).all()
        assert {"participant.create", "consent.given", "consent.withdrawn"} <= set(actions)


@pytest.mark.parametrize("body,status,field", [
    ("not json", 400, None),
    ([1, 2], 400, None),
    ({}, 422, "attending"),
    ({"attending": "1"}, 422, "attending"),
    ({"attending": [True]}, 422, "attending"),
    ({"attending": [999999]}, 422, None),
])
def test_wrong_input_is_refused_clearly(app, client, world, body, status, field):
    headers = bearer(app, world["a"]["uploader"])
    url = f"/api/v1/sessions/{world['a']['sessions'][1]}/consent-confirmation"
    if isinstance(body, str):
        response = client.post(url, data=body, headers=headers, content_type="application/json")
    else:
        response = client.post(url, json=body, headers=headers)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["message"]
    if field:
        assert error["field"] == field


def test_leader_creates_a_group_through_the_session_cookie(app, client, auth, world, mail_server, run_jobs):
    a = world["a"]
    auth.login("lena-a@example.org")
    token = auth.csrf("/")
    body = {"program_id": 1, "title": "Höstgruppen", "start_date": "2026-09-01",
            "uploader_id": a["uploader"], "co_leader_id": a["co_leader"], "purpose": "regular",
            "supervisor_ids": [a["supervisor"]], "interpreter": True, "language": "ar"}
    with app.app_context():
        from portal.models import Program

        body["program_id"] = db.session.scalars(db.select(Program.id).where(Program.key == "connect-parents")).one()
    assert client.post("/api/v1/groups", json=body).status_code == 400  # no CSRF header
    response = client.post("/api/v1/groups", json=dict(body, start_date=5), headers={"X-CSRFToken": token})
    assert response.status_code == 422 and response.get_json()["error"]["field"] == "start_date"
    response = client.post("/api/v1/groups", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 201
    created = response.get_json()
    assert len(created["sessions"]) == 10 and created["sessions"][1]["date"] == "2026-09-08"
    assert created["uploader_id"] == a["uploader"] and created["interpreter"] is True
    mail_server.clear()
    run_jobs()
    assert "admin-a@example.org" in [m["To"] for m in mail_server.messages]


def test_openapi_describes_the_group_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/groups", "/groups/{group_id}", "/groups/{group_id}/participants",
                 "/participants/{participant_id}/consents", "/participants/{participant_id}/withdraw",
                 "/groups/{group_id}/sessions", "/sessions/{session_id}/consent-confirmation"):
        assert path in paths, path
