"""What of a film published as HLS may be played now (issue 19).

The worker publishes segments one by one (``FilmSegment`` rows written after their bytes are in
storage); a part of a track is finished when its ``FilmPart`` is ``done``. A track's playable
segments are all segments of its parts in order, up to and including the segments published so
far of its first unfinished part, so a viewer never meets a hole. The playlist routes and the
"how much is ready" figure both read this.
"""

from portal.extensions import db
from portal.models.media import CHUNK_DONE, TRACKS, VIDEO, FilmPart, FilmSegment


def visible_segments(recording, track, columns=None):
    """The segments of ``track`` a viewer may play now, in order (empty for an MP4 film); rows of
    ``columns`` (FilmSegment's part and idx among them) instead of whole segments when given."""
    if recording.output_kind != "hls" or not recording.output_prefix:
        return []
    run = run_of(recording)
    done = {p for (p,) in db.session.execute(
        db.select(FilmPart.part).where(FilmPart.recording_id == recording.id, FilmPart.run == run,
                                       FilmPart.track == track, FilmPart.status == CHUNK_DONE))}
    query = (db.select(*columns) if columns else db.select(FilmSegment)).where(
        FilmSegment.recording_id == recording.id, FilmSegment.run == run, FilmSegment.track == track
    ).order_by(FilmSegment.part, FilmSegment.idx)
    segments = db.session.execute(query).all() if columns else db.session.scalars(query).all()
    visible, part, expected = [], 0, 0
    for segment in segments:
        if segment.part != part:  # moving on to a later part: only when every earlier one is finished
            if part not in done or segment.part != part + 1 or segment.idx != 0:
                break
            part, expected = segment.part, 0
        if segment.idx != expected:  # a hole inside the part
            break
        visible.append(segment)
        expected += 1
    return visible


def playable_seconds(recording):
    """Seconds playable from 0:00: the shorter of the tracks that have any segment. Reads three
    columns, not whole rows: the worker asks after every few segments of a long film."""
    columns = (FilmSegment.part, FilmSegment.idx, FilmSegment.duration)
    lengths = [sum(s.duration for s in visible_segments(recording, track, columns)) for track in TRACKS]
    lengths = [length for length in lengths if length > 0]
    return min(lengths) if lengths else 0.0


def part_tiles(recording_id, run):
    """The storyboard ``tiles`` of the video parts of ``run`` that are done, in film order (None for
    a part done without them): what its chunk jobs drew (``workers.publishing.draw_tiles``)."""
    return db.session.scalars(db.select(FilmPart.tiles).where(
        FilmPart.recording_id == recording_id, FilmPart.run == run, FilmPart.track == VIDEO,
        FilmPart.status == CHUNK_DONE).order_by(FilmPart.part)).all()


def run_of(recording):
    """The run token of the recording's published output: the last part of its output prefix."""
    return (recording.output_prefix or "").rstrip("/").rsplit("/", 1)[-1]
