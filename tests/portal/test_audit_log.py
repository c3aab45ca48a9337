"""The audit log: admins search, filter and export their organisation's; leaders see who watched."""

import csv
import io
import time

from portal.extensions import db
from portal.models import AuditEvent, User
from portal.services import audit
from tests.conftest import AuthActions
from tests.films import ApiClient, ready_film


def admin_client(app, film):
    client = app.test_client()
    AuthActions(client).login(film["emails"]["admin"])
    return client


def test_admins_see_only_their_organisations_events_and_filter_them(app, factory):
    film, other = ready_film(app, factory), ready_film(app, factory)
    ApiClient(app, film["emails"]["supervisor"]).call("POST", f"/recordings/{film['recording']}/play")
    ApiClient(app, other["emails"]["supervisor"]).call("POST", f"/recordings/{other['recording']}/play")
    client = admin_client(app, film)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert 'data-action="recording.play"' in page and 'data-action="group.create"' in page
    with app.app_context():
        foreign = db.session.get(User, other["supervisor"]).name
    assert foreign not in page
    only_plays = client.get("/admin/audit?action=recording.play").get_data(as_text=True)
    assert only_plays.count('data-action="') == 1
    by_actor = client.get("/admin/audit?actor=sara").get_data(as_text=True)
    assert 'data-action="recording.play"' in by_actor and 'data-action="group.create"' not in by_actor
    none = client.get("/admin/audit?since=2000-01-01&until=2000-01-02").get_data(as_text=True)
    assert 'data-action="' not in none


def test_non_admins_cannot_read_the_log(app, factory):
    film = ready_film(app, factory)
    client = app.test_client()
    AuthActions(client).login(film["emails"]["supervisor"])
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_export_asks_for_the_password_again_quotes_formulas_and_is_audited(app, factory):
    film = ready_film(app, factory)
    with app.app_context():
        audit.record("note.test", db.session.get(User, film["admin"]), actor=db.session.get(User, film["admin"]),
                     text="=HYPERLINK(1)")
        db.session.commit()
    client = admin_client(app, film)
    with client.session_transaction() as session:
        session["reauth_at"] = time.time() - 3600
    assert "/account/confirm" in client.get("/admin/audit/export.csv").headers["Location"]
    with client.session_transaction() as session:
        session["reauth_at"] = time.time()
    answer = client.get("/admin/audit/export.csv?action=note.")
    assert answer.headers["Cache-Control"] == "no-store" and answer.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff")), delimiter=";"))
    assert len(rows) == 2 and rows[1][1] == "note.test" and rows[1][6] == "text==HYPERLINK(1)"
    with app.app_context():
        export = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "audit.export"))
        assert export.detail["rows"] == 1 and export.organisation_id == film["organisation"]


def test_leaders_see_every_playback_of_their_films(app, factory):
    film, other = ready_film(app, factory), ready_film(app, factory)
    ApiClient(app, film["emails"]["supervisor"]).call("POST", f"/recordings/{film['recording']}/play")
    ApiClient(app, other["emails"]["supervisor"]).call("POST", f"/recordings/{other['recording']}/play")
    client = app.test_client()
    AuthActions(client).login(film["emails"]["co_leader"])
    page = client.get("/review/views").get_data(as_text=True)
    assert page.count('data-recording="') == 1 and f'data-recording="{film["recording"]}"' in page
    with app.app_context():
        assert db.session.get(User, film["supervisor"]).name in page


def test_denials_are_audited_with_the_ids_asked_for(app, factory):
    film, other = ready_film(app, factory), ready_film(app, factory)
    api = ApiClient(app, film["emails"]["supervisor"])
    assert api.call("POST", f"/recordings/{other['recording']}/play").status_code == 404
    assert api.client.get("/admin/audit").status_code == 403
    assert api.client.get("/no-such-page").status_code == 404  # not a denial: nothing was asked for
    with app.app_context():
        denials = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "access.denied")
                                     .order_by(AuditEvent.id)).all()
        assert [(d.detail["status"], d.detail["endpoint"]) for d in denials] == [
            (404, "api.play"), (403, "admin.audit_log")]
        assert denials[0].detail["ids"] == {"recording_id": other["recording"]}
        assert denials[0].actor_id == film["supervisor"] and denials[0].organisation_id == film["organisation"]
