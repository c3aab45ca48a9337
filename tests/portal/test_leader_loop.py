"""The leader's loop around a film (issue 15 §2, §4): notices when a film is rejected or fails for
good, the place in the processing queue with an estimate that counts the films ahead, replacing
or removing a wrong film until supervision starts, and why a film can no longer be watched."""

from datetime import timedelta

from portal.extensions import db
from portal.models import AuditEvent, Comment, GroupSession, Notification, Recording, SourceFile
from portal.models.base import utcnow
from portal.models.recordings import PROCESSING, READY, UPLOADED
from portal.services import film_state, recordings, retention
from portal.services.storage import get_storage, object_key
from tests.conftest import AuthActions, csrf_from
from tests.films import ApiClient, group_with_session, small_parts, upload_clips


def add_recording(app, session_id, org_id, status, size=8 * 10**6, uploaded_ago=0, **values):
    """A recording of ``size`` bytes (one source) in ``status``, uploaded ``uploaded_ago`` seconds ago."""
    with app.app_context():
        now = utcnow()
        recording = Recording(organisation_id=org_id, group_session_id=session_id, status=status,
                              uploaded_at=now - timedelta(seconds=uploaded_ago), **values)
        db.session.add(recording)
        db.session.flush()
        db.session.add(SourceFile(recording_id=recording.id, position=1, filename="00001.MTS", size=size,
                                  content_type="video/mp2t",
                                  storage_key=object_key(org_id, "rec", recording.public_id, "src", "a"),
                                  part_size=5 * 2**20, status="uploaded"))
        db.session.commit()
        return recording.id


def test_the_queue_counts_the_films_ahead_and_the_estimate_adds_their_time(app, factory):
    ids = group_with_session(app, factory)
    org, sessions = ids["org"], ids["sessions"]
    # one film processing for 100 s at half-way, two waiting before ours, one after it
    add_recording(app, sessions[2], org, PROCESSING, uploaded_ago=400, progress=0.5,
                  processing_started_at=utcnow() - timedelta(seconds=100))
    add_recording(app, sessions[3], org, UPLOADED, uploaded_ago=300)
    add_recording(app, sessions[4], org, UPLOADED, uploaded_ago=200)
    mine = add_recording(app, ids["session"], org, UPLOADED, uploaded_ago=100)
    after = add_recording(app, sessions[5], org, UPLOADED, uploaded_ago=10)
    with app.test_request_context():
        place = film_state.queue(db.session.get(Recording, mine))
        # nothing measured yet: 8 MB at the default 8 MB/s is 1 s a film; the running one has 100 s left
        assert place["ahead"] == 3
        assert 100 + 1 + 1 + 1 - 2 <= place["seconds"] <= 100 + 3 + 2
        assert film_state.ahead_text(place["ahead"]) == "3 filmer före din"
        assert film_state.queue(db.session.get(Recording, after))["ahead"] == 4
        assert film_state.ahead_text(1) == "1 film före din"
        # a measured slow rate (one ready film: 8 MB in 800 s) makes every waiting film count 800 s
        done = add_recording(app, sessions[6], org, READY, uploaded_ago=2000)
        recording = db.session.get(Recording, done)
        recording.processing_started_at, recording.ready_at = utcnow() - timedelta(seconds=900), \
            utcnow() - timedelta(seconds=100)
        db.session.commit()
        slow = film_state.queue(db.session.get(Recording, mine))["seconds"]
        assert 100 + 3 * 800 - 5 <= slow <= 100 + 3 * 800 + 5
        assert film_state.ready_in_text(slow) == "Klar om ungefär 42 min"


def test_a_rejected_film_tells_both_leaders_why_and_what_to_do(app, factory, tmp_path, run_jobs, mail_server):
    small_parts(app)
    ids = group_with_session(app, factory)
    recording_id = upload_clips(app, ids, tmp_path, "playlist")
    run_jobs()  # processing rejects it
    run_jobs()  # the mails
    with app.app_context():
        assert db.session.get(Recording, recording_id).status == "rejected"
        notices = db.session.scalars(db.select(Notification).where(Notification.kind == "film_rejected")).all()
        assert sorted(n.user_id for n in notices) == sorted([ids["uploader"], ids["co_leader"]])
        assert notices[0].link == f"/sessions/{ids['session']}/upload"
    for role in ("uploader", "co_leader"):
        body = mail_server.wait_for(ids["emails"][role]).get_body(("plain",)).get_content()
        text = " ".join(body.split())
        with app.test_request_context():
            reason = " ".join(recordings.reason_text("not_a_video").split())
        assert "Principsession 1" in text and reason in text
        assert "Ladda upp själva filmfilen från kameran, till exempel 00001.MTS" in text


def test_a_film_given_up_by_the_reconciler_tells_the_leaders(app, factory):
    from workers.processing import MAX_ATTEMPTS

    ids = group_with_session(app, factory)
    recording_id = add_recording(app, ids["session"], ids["org"], PROCESSING, attempts=MAX_ATTEMPTS,
                                 heartbeat_at=utcnow() - timedelta(hours=1))
    with app.app_context():
        assert recordings.reconcile()["failed"] == 1
        notices = db.session.scalars(db.select(Notification).where(Notification.kind == "film_failed")).all()
        assert len(notices) == 2 and notices[0].params["reason"] == "worker_lost"
        from portal.services import notifications

        with app.test_request_context():
            text = notifications.message(notices[0])
        assert "kunde inte bearbetas" in text and "En administratör i er organisation kan försöka igen" in text
        assert db.session.get(Recording, recording_id).status == "failed"


def test_a_leader_removes_a_film_with_a_receipt_until_supervision_starts(app, factory):
    ids = group_with_session(app, factory)
    api = ApiClient(app, ids["emails"]["uploader"])
    info, etags = api.upload(ids["session"], b"x" * 1000)
    assert api.complete(info["upload_id"], etags).status_code == 200
    recording_id = info["recording_id"]
    token = csrf_from(api.client.get(f"/sessions/{ids['session']}/upload").get_data(as_text=True))
    response = api.client.post(f"/recordings/{recording_id}/remove", data={"csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        recording = db.session.get(Recording, recording_id)
        assert recording.status == "deleted" and recording.reason_code == retention.LEADER_REQUEST
        receipt = db.session.scalar(db.select(AuditEvent).where(AuditEvent.action == "recording.deleted"))
        assert receipt.actor_id == ids["uploader"] and receipt.detail["reason"] == "leader_request"
        assert not list(get_storage().path(f"org/{ids['org']}/rec/{recording.public_id}").rglob("*.*"))
    # the session is free: a new upload starts a new recording
    info, _etags = api.upload(ids["session"], b"y" * 1000, filename="00002.MTS")
    assert info["recording_id"] != recording_id


def test_a_film_the_supervisor_has_commented_cannot_be_removed(app, factory):
    ids = group_with_session(app, factory)
    recording_id = add_recording(app, ids["session"], ids["org"], READY)
    with app.app_context():
        db.session.add(Comment(recording_id=recording_id, author_id=ids["supervisor"], t_start=1.0,
                               category="content", body="Bra start"))
        db.session.commit()
    client = app.test_client()
    AuthActions(client).login(ids["emails"]["uploader"])
    html = client.get(f"/sessions/{ids['session']}/upload").get_data(as_text=True)
    assert "replace-film" not in html
    client.post(f"/recordings/{recording_id}/remove", data={"csrf_token": csrf_from(html)})
    with app.app_context():
        assert db.session.get(Recording, recording_id).status == READY


def test_people_of_the_group_learn_why_a_film_is_gone_and_outsiders_get_404(app, factory):
    ids = group_with_session(app, factory)
    other = group_with_session(app, factory)
    recording_id = add_recording(app, ids["session"], ids["org"], READY)
    with app.app_context():
        db.session.get(GroupSession, ids["session"]).playback_blocked_at = utcnow()
        db.session.commit()
    leader, outsider = app.test_client(), app.test_client()
    AuthActions(leader).login(ids["emails"]["co_leader"])
    AuthActions(outsider).login(other["emails"]["uploader"])
    response = leader.get(f"/review/recordings/{recording_id}")
    assert response.status_code == 403 and "återkallade sitt samtycke" in response.get_data(as_text=True)
    assert outsider.get(f"/review/recordings/{recording_id}").status_code == 404
    with app.app_context():
        retention.delete_recording(db.session.get(Recording, recording_id), None, retention.RETENTION)
    response = leader.get(f"/review/recordings/{recording_id}")
    assert response.status_code == 410
    assert "enligt organisationens gallringsregler" in response.get_data(as_text=True)
    assert outsider.get(f"/review/recordings/{recording_id}").status_code == 404


def test_the_to_do_list_costs_the_same_number_of_queries_for_1_and_4_groups(app, factory):
    from tests.conftest import counted_queries
    from tests.group_fixtures import make_group

    start = utcnow().date() - timedelta(days=15)
    first = make_group(app, factory, tag="q0", start=start)
    with app.app_context():
        from portal.models import User

        email = db.session.get(User, first["uploader"]).email
    client = app.test_client()
    AuthActions(client).login(email)

    def queries():
        client.get("/")  # warm up
        with counted_queries(app) as statements:
            html = client.get("/").get_data(as_text=True)
        return len(statements), html.count('data-todo="')

    def add_rejected(ids):
        add_recording(app, ids["sessions"][1], ids["org"], "rejected", reason_code="not_a_video")

    add_rejected(first)
    before, items_before = queries()
    for n in range(1, 4):
        with app.app_context():
            from portal.models import GroupLeader

            group_ids = make_group(app, factory, tag=f"q{n}", start=start, org_id=first["org"])
            db.session.add(GroupLeader(group_id=group_ids["group"], user_id=first["uploader"], role="co_leader"))
            db.session.commit()
        add_rejected(group_ids)
    after, items_after = queries()
    assert items_after > items_before >= 3
    assert after == before


def test_a_failed_film_offers_a_new_upload_that_replaces_it(app, factory):
    ids = group_with_session(app, factory)
    recording_id = add_recording(app, ids["session"], ids["org"], "failed", reason_code="processing_failed")
    client = app.test_client()
    AuthActions(client).login(ids["emails"]["uploader"])
    html = client.get(f"/sessions/{ids['session']}/upload").get_data(as_text=True)
    assert 'id="last-attempt"' in html and "uppy" not in html  # the failed film still holds the session
    assert f'action="/recordings/{recording_id}/remove"' in html
    client.post(f"/recordings/{recording_id}/remove", data={"csrf_token": csrf_from(html)})
    html = client.get(f"/sessions/{ids['session']}/upload").get_data(as_text=True)
    assert 'id="last-attempt"' not in html and 'id="uploader"' in html


def test_the_status_api_gives_the_place_in_the_queue_to_the_group_only(app, factory):
    ids = group_with_session(app, factory)
    other = group_with_session(app, factory)
    add_recording(app, other["sessions"][2], other["org"], UPLOADED, uploaded_ago=60)
    mine = add_recording(app, ids["session"], ids["org"], UPLOADED, uploaded_ago=5)
    state = ApiClient(app, ids["emails"]["co_leader"]).call("GET", f"/recordings/{mine}").get_json()
    assert state["queue"]["ahead"] == 1 and state["queue"]["text"] == "1 film före din"
    assert state["queue"]["seconds"] >= 1 and state["watch_url"] is None
    assert state["upload_url"] == f"/sessions/{ids['session']}/upload"
    assert ApiClient(app, other["emails"]["uploader"]).call("GET", f"/recordings/{mine}").status_code == 404


def test_the_leader_is_told_when_the_film_has_no_sound_or_no_voice(app, factory):
    """Known from the quick check (no file has a sound track) or from the speech lane (not one
    voice in a film of a minute or more): the status API and the session's page say what to check."""
    ids = group_with_session(app, factory)
    rec = add_recording(app, ids["session"], ids["org"], UPLOADED, uploaded_ago=5)
    api = ApiClient(app, ids["emails"]["uploader"])

    def state(media_info=None, activity=None, status=UPLOADED):
        with app.app_context():
            recording = db.session.get(Recording, rec)
            recording.media_info, recording.activity, recording.status = media_info, activity, status
            db.session.commit()
        return api.call("GET", f"/recordings/{rec}").get_json()

    assert (state()["sound_checked"], state()["sound_warning"]) == (False, None)  # nothing known yet
    silent = state({"checked": [{"audio_codec": None}, {"audio_codec": None}]})
    assert silent["sound_checked"] and silent["sound_warning"].startswith("Filmen saknar ljud")
    page = api.client.get(f"/sessions/{ids['session']}/upload").get_data(as_text=True)
    assert 'id="recording-sound"' in page and "Filmen saknar ljud, så handledaren kan inte höra" in page
    group_page = api.client.get(f"/groups/{ids['group']}").get_data(as_text=True)
    assert 'data-sound-warning>Saknar ljud</strong>' in group_page  # at a glance, in the list of sessions
    # one of two files with sound: the film has sound
    assert state({"checked": [{"audio_codec": None}, {"audio_codec": "aac"}]})["sound_warning"] is None

    sound = {"sources": [{"audio_codec": "aac"}]}
    assert state(sound, status=READY)["sound_checked"] is False  # the speech lane comes after ready
    lane = {"key": "k", "duration": 600.0, "speech_seconds": 0.0}
    mute = state(sound, lane, READY)
    assert mute["sound_checked"] and mute["sound_warning"].startswith("Ingen röst hörs")
    supervisor = ApiClient(app, ids["emails"]["supervisor"])  # the supervisor sees it in the group too
    assert 'data-sound-warning>Ingen röst hörs</strong>' in supervisor.client.get(
        f"/groups/{ids['group']}").get_data(as_text=True)
    assert state(sound, {**lane, "speech_seconds": 412.5}, READY)["sound_warning"] is None
    assert state(sound, {**lane, "duration": 30.0}, READY)["sound_warning"] is None  # a short clip: no verdict
    unreadable = state(sound, {"key": None, "error": "unreadable"}, READY)  # no lane, but no verdict either
    assert unreadable["sound_checked"] and unreadable["sound_warning"] is None
    page = api.client.get(f"/sessions/{ids['session']}/upload").get_data(as_text=True)
    assert 'id="recording-sound" class="flash flash-error" role="alert" hidden' in page
    assert "data-sound-warning" not in api.client.get(f"/groups/{ids['group']}").get_data(as_text=True)
