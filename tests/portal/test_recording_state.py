"""The one transition helper of recordings and film parts: illegal changes are refused before any
SQL, a lost race returns False, the claim's conditions (token, extra WHERE) are honoured."""

import pytest

from portal.extensions import db
from portal.models.media import FilmPart
from portal.models.recordings import InvalidTransition, Recording
from portal.services.recording_state import allowed_from, part_transition, transition
from tests.films import ready_film


@pytest.fixture
def recording_id(app, factory):
    ids = ready_film(app, factory)
    with app.app_context():
        rec = db.session.get(Recording, ids["recording"])
        rec.status, rec.job_token = "processing", "run-a"
        db.session.commit()
    return ids["recording"]


def status(app, recording_id):
    with app.app_context():
        return db.session.get(Recording, recording_id).status


def test_an_illegal_transition_is_refused_before_any_sql(app, recording_id):
    with app.app_context():
        with pytest.raises(InvalidTransition):
            transition(recording_id, "uploading", expect="processing")
        with pytest.raises(InvalidTransition):
            transition(recording_id, "ready", expect=("processing", "deleted"))
        with pytest.raises(TypeError):
            transition(recording_id, "ready", expect="processing", status="ready")
        assert allowed_from("deleted") == {"awaiting_upload", "uploading", "uploaded", "processing", "ready",
                                           "failed", "rejected"}
    assert status(app, recording_id) == "processing"


def test_the_loser_of_a_race_gets_false(app, recording_id):
    with app.app_context():
        assert transition(recording_id, "ready", expect="processing", token="run-b") is False  # not its claim
        assert transition(recording_id, "ready", expect="processing", token="run-a") is True
        assert transition(recording_id, "ready", expect="processing", token="run-a") is False  # done already
        assert transition(recording_id, "failed", expect="processing") is False
        db.session.commit()
        rec = db.session.get(Recording, recording_id)
        assert rec.status == "ready" and rec.ready_at is not None and rec.progress == 1.0
        assert transition(recording_id, "deleted", where=[Recording.__table__.c.legal_hold_at.is_not(None)]) is False
        assert transition(recording_id, "deleted") is True
        db.session.commit()
    assert status(app, recording_id) == "deleted"


def test_film_parts_follow_their_own_machine(app, recording_id):
    with app.app_context():
        part = FilmPart(recording_id=recording_id, run="run-a", track="video", part=0)
        db.session.add(part)
        db.session.commit()
        with pytest.raises(InvalidTransition):
            part_transition(part.id, "done", expect="waiting")  # never done without being worked on
        assert part_transition(part.id, "working", job_token="job-1") is True
        assert part_transition(part.id, "working", expect="waiting", job_token="job-2") is False  # taken
        assert part_transition(part.id, "done", token="job-2") is False
        assert part_transition(part.id, "done", token="job-1") is True
        with pytest.raises(InvalidTransition):
            part_transition(part.id, "waiting", expect="done")
        db.session.commit()
        assert db.session.get(FilmPart, part.id).status == "done"
