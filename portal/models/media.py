"""A film published as HLS: its fMP4 segments and the chunk jobs that make them (issue 19).

A recording published as HLS (``Recording.output_kind == "hls"``) has two renditions, ``video``
and ``audio``, each a list of fMP4 segments under the recording's ``output_prefix``. The rows
here are the source of truth for what is published: a segment row exists only once its bytes
are in storage, so the app can serve a playlist of exactly what may be played.

Each track is made of *parts*, in order: a chunk of the encode path, or a whole source file on
the copy path. A part's segments are published in ``idx`` order, one by one as they are written,
so the playlist shows every segment of the finished parts in order and the segments published so
far of the first part that is not finished (``portal.services.hls.visible_segments``).
"""

from portal.extensions import db
from portal.models.base import utcnow

VIDEO = "video"
AUDIO = "audio"
TRACKS = (VIDEO, AUDIO)

CHUNK_WAITING = "waiting"
CHUNK_WORKING = "working"
CHUNK_DONE = "done"
CHUNK_FAILED = "failed"  # for good, after its last attempt
CHUNK_STATUSES = (CHUNK_WAITING, CHUNK_WORKING, CHUNK_DONE, CHUNK_FAILED)
CHUNK_TRANSITIONS = {
    CHUNK_WAITING: {CHUNK_WORKING},
    CHUNK_WORKING: {CHUNK_WORKING, CHUNK_WAITING, CHUNK_DONE, CHUNK_FAILED},  # WORKING again: a stale run taken over
    CHUNK_FAILED: {CHUNK_WAITING},
    CHUNK_DONE: set(),
}


class FilmPart(db.Model):
    """One part of one track of a run's output: a chunk job's range, or one source file copied."""

    __tablename__ = "film_parts"

    id = db.Column(db.Integer, primary_key=True)
    recording_id = db.Column(db.Integer, db.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    run = db.Column(db.String(32), nullable=False)  # the run's token, the last part of its output prefix
    track = db.Column(db.String(8), nullable=False)
    part = db.Column(db.Integer, nullable=False)  # order within the track, from 0
    source_index = db.Column(db.Integer, nullable=False, default=0)  # which camera file, in timeline order
    start = db.Column(db.Float, nullable=False, default=0.0)  # seconds into that source file
    end = db.Column(db.Float)  # seconds into that source file; None: to its end
    offset = db.Column(db.Float, nullable=False, default=0.0)  # where ``start`` lies on the film's timeline
    status = db.Column(db.String(10), nullable=False, default=CHUNK_WAITING)
    attempts = db.Column(db.Integer, nullable=False, default=0)
    job_token = db.Column(db.String(32))
    heartbeat_at = db.Column(db.DateTime(timezone=True))
    reason_code = db.Column(db.String(40))
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)
    done_at = db.Column(db.DateTime(timezone=True))
    # a video part's storyboard tiles, drawn by its job: {"interval", "first", "count", "rows",
    # "columns", "width", "height", "sheets"} (``workers.publishing.draw_tiles``); None: drawn
    # whole when the film is ready
    tiles = db.Column(db.JSON)

    __table_args__ = (
        db.UniqueConstraint("recording_id", "run", "track", "part", name="uq_film_parts_part"),
        db.CheckConstraint("status IN ('waiting', 'working', 'done', 'failed')", name="film_part_status"),
    )

    def __repr__(self):
        return f"<FilmPart {self.recording_id}/{self.run} {self.track}#{self.part} {self.status}>"


class FilmSegment(db.Model):
    """One published fMP4 segment: its bytes are in storage at ``{output_prefix}/{name}``."""

    __tablename__ = "film_segments"

    id = db.Column(db.Integer, primary_key=True)
    recording_id = db.Column(db.Integer, db.ForeignKey("recordings.id", ondelete="CASCADE"), nullable=False,
                             index=True)
    run = db.Column(db.String(32), nullable=False)
    track = db.Column(db.String(8), nullable=False)
    part = db.Column(db.Integer, nullable=False)
    idx = db.Column(db.Integer, nullable=False)  # order within the part, from 0
    duration = db.Column(db.Float, nullable=False)  # seconds
    name = db.Column(db.String(200), nullable=False)  # key under the output prefix, e.g. video/p0003-00007.m4s
    init = db.Column(db.String(200), nullable=False)  # key of its initialisation segment (EXT-X-MAP)
    created_at = db.Column(db.DateTime(timezone=True), nullable=False, default=utcnow)

    __table_args__ = (
        db.UniqueConstraint("recording_id", "run", "track", "part", "idx", name="uq_film_segments_segment"),
    )

    def __repr__(self):
        return f"<FilmSegment {self.recording_id}/{self.run} {self.track}#{self.part}.{self.idx}>"
