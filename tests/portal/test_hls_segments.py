"""What of an HLS film may be played: every segment of the finished parts in order, then what is
published so far of the first unfinished part, never past a hole (issue 19)."""

from portal.extensions import db
from portal.models import Recording
from portal.models.media import AUDIO, CHUNK_DONE, CHUNK_WORKING, VIDEO, FilmPart, FilmSegment
from portal.models.recordings import PROCESSING
from portal.services import hls
from portal.services.storage import object_key
from tests.group_fixtures import make_group


def hls_recording(app, factory):
    ids = make_group(app, factory, tag="hls")
    with app.app_context():
        recording = Recording(organisation_id=ids["org"], group_session_id=ids["sessions"][0], status=PROCESSING,
                              output_kind="hls")
        db.session.add(recording)
        db.session.flush()
        recording.output_prefix = object_key(ids["org"], "rec", recording.public_id, "out", "run1")
        db.session.commit()
        return recording.id


def add(recording_id, track, part, status, indexes, duration=6.0, run="run1"):
    db.session.add(FilmPart(recording_id=recording_id, run=run, track=track, part=part, status=status))
    for idx in indexes:
        db.session.add(FilmSegment(recording_id=recording_id, run=run, track=track, part=part, idx=idx,
                                   duration=duration, name=f"{track}/p{part:04d}-{idx:05d}.m4s",
                                   init=f"{track}/init-{part:04d}.mp4"))


def test_segments_of_finished_parts_then_the_growing_part_and_never_past_a_hole(app, factory):
    recording_id = hls_recording(app, factory)
    with app.app_context():
        add(recording_id, VIDEO, 0, CHUNK_DONE, [0, 1, 2])
        add(recording_id, VIDEO, 1, CHUNK_WORKING, [0, 1])  # growing
        add(recording_id, VIDEO, 2, CHUNK_DONE, [0, 1, 2, 3])  # finished early: waits for part 1
        add(recording_id, AUDIO, 0, CHUNK_WORKING, [0, 1, 3])  # a hole after idx 1
        add(recording_id, VIDEO, 0, CHUNK_DONE, [0], run="older")  # another run's output: never shown
        db.session.commit()
        recording = db.session.get(Recording, recording_id)

        video = hls.visible_segments(recording, VIDEO)
        assert [(s.part, s.idx) for s in video] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1)]
        assert [(s.part, s.idx) for s in hls.visible_segments(recording, AUDIO)] == [(0, 0), (0, 1)]
        assert hls.playable_seconds(recording) == 12.0  # the shorter track

        db.session.execute(FilmPart.__table__.update().where(FilmPart.part == 1).values(status=CHUNK_DONE))
        db.session.commit()
        assert len(hls.visible_segments(recording, VIDEO)) == 3 + 2 + 4


def test_an_mp4_film_has_no_segments(app, factory):
    recording_id = hls_recording(app, factory)
    with app.app_context():
        add(recording_id, VIDEO, 0, CHUNK_DONE, [0])
        db.session.commit()
        recording = db.session.get(Recording, recording_id)
        recording.output_kind = "mp4"
        assert hls.visible_segments(recording, VIDEO) == []
        assert hls.playable_seconds(recording) == 0.0
