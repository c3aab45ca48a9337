"""Publishing a film as HLS, segment by segment, under a run's claim (issue 19).

A run (its token is the recording's ``job_token`` and the last folder of its ``output_prefix``)
publishes each segment in two steps: its bytes go to storage, then a transaction checks the
claim (the recording still ``processing`` under this run, and for a chunk job its part still
``working`` under the job's token), inserts the ``FilmSegment`` rows and updates
``playable_seconds``: at once for a writer's first segment, then for what was uploaded since, at
most once a second, and with the part's end for the rest. A superseded run's transaction
changes nothing and it deletes its prefix, so only the current run's segments are ever listed;
the unique constraint on the segment rows is the last guard against a duplicate.

The last part to finish makes the recording ``ready`` in one guarded transaction with its audit
row (``finish_run``); the poster comes from the published segments. The storyboard's tiles are
drawn by each chunk job for its part (``draw_tiles``), so they grow with the film, and the finished
film's WebVTT track lists them; a film whose parts have none (the copy path) gets its storyboard
drawn whole, after it is ready.
"""

import logging
import os
import shutil
import tempfile
import time
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.media import CHUNK_DONE, CHUNK_WORKING, VIDEO, FilmPart, FilmSegment
from portal.models.recordings import PROCESSING, READY, Recording, SourceFile
from portal.services import audit, hls
from portal.services import recordings as recording_service
from portal.services.recording_state import part_transition, transition
from portal.services.storage import get_storage, object_key
from workers.media import pictures, transcode
from workers.media.pipeline import job_timeout

log = logging.getLogger(__name__)
parts_table = FilmPart.__table__
LIST_EVERY_S = 1.0  # a writer lists its first segment at once, then what it uploaded at most once a second


class Superseded(RuntimeError):
    """This run (or chunk job) lost its claim: the recording was deleted or given to another run."""


def run_prefix(recording, run):
    """Where run ``run`` of ``recording`` writes its output."""
    return object_key(recording.organisation_id, "rec", recording.public_id, "out", run)


@dataclass
class PartWriter:
    """Publishes the segments of one part, under the run's claim (and the part's, for a chunk job)."""

    recording_id: int
    run: str
    prefix: str
    part_id: int
    track: str
    part: int
    attempt: int
    part_token: str | None = None  # a chunk job's own claim on the part; None: the run holds it
    init_key: str | None = None
    published: set = None
    pending: list = None  # [(idx, duration, name)] in storage, not listed yet
    listed_at: float | None = None  # when this writer last listed segments (monotonic)

    def __post_init__(self):
        self.pending = []
        self.published = set(db.session.scalars(db.select(FilmSegment.idx).where(
            FilmSegment.recording_id == self.recording_id, FilmSegment.run == self.run,
            FilmSegment.track == self.track, FilmSegment.part == self.part)))
        db.session.commit()

    def __call__(self, init_path, segment_path, duration, idx):
        """Upload one finished segment and list it. :raise Superseded: when the claim is gone."""
        if idx in self.published:  # published by an earlier attempt of this part
            return
        storage = get_storage()
        if self.init_key is None:
            # Per attempt: a retry on another machine may write another initialisation segment.
            name = f"{self.track}/p{self.part:04d}-a{self.attempt}-init.mp4"
            storage.upload_from(init_path, f"{self.prefix}/{name}", "video/mp4")
            self.init_key = name
        name = f"{self.track}/p{self.part:04d}-{idx:05d}.m4s"
        storage.upload_from(segment_path, f"{self.prefix}/{name}", "video/iso.segment", final=True)
        self.pending.append((idx, duration, name))
        self.published.add(idx)
        if self.listed_at is None or time.monotonic() - self.listed_at >= LIST_EVERY_S:
            self._list()

    def _list(self):
        """List the pending segments and the film's playable length in one transaction: one per
        segment cost a 2.5-hour copy about 10 s of its 28 (3000 segments)."""
        try:
            self.hold()
            self._add_pending()
            update_playable(self.recording_id)
            db.session.commit()
            self.pending, self.listed_at = [], time.monotonic()
        except BaseException:
            db.session.rollback()
            raise

    def _add_pending(self):
        db.session.add_all([FilmSegment(recording_id=self.recording_id, run=self.run, track=self.track,
                                        part=self.part, idx=idx, duration=round(duration, 6), name=name,
                                        init=self.init_key) for idx, duration, name in self.pending])
        db.session.flush()

    def hold(self, **recording_values):
        """Check (and refresh) the claims in the session's transaction. :raise Superseded:"""
        now = utcnow()
        if self.part_token is not None and not part_transition(
                self.part_id, CHUNK_WORKING, expect=CHUNK_WORKING, token=self.part_token, heartbeat_at=now):
            raise Superseded(f"film part {self.part_id} is no longer held by this job")
        if self.part_token is None:
            recording_values.setdefault("heartbeat_at", now)
        if not transition(self.recording_id, PROCESSING, expect=PROCESSING, token=self.run, **recording_values):
            raise Superseded(f"recording {self.recording_id} is no longer held by run {self.run}")

    def done(self, progress=None, tiles=None):
        """Mark the part done (with the recording's progress, and its storyboard ``tiles`` from
        ``draw_tiles``); True when this call did it."""
        try:
            self.hold(**({"progress": round(progress, 3)} if progress is not None else {}))
            self._add_pending()  # the part's last segments and its end in one transaction
            won = part_transition(self.part_id, CHUNK_DONE, expect=CHUNK_WORKING,
                                  token=self.part_token or self.run, done_at=utcnow(), heartbeat_at=None,
                                  tiles=tiles)
            if not won:
                raise Superseded(f"film part {self.part_id} is no longer held")
            update_playable(self.recording_id)
            db.session.commit()
            self.pending = []
            return True
        except BaseException:
            db.session.rollback()
            raise


def draw_tiles(writer, init, segments, film_start, film_end, shift, duration, workdir, label):
    """Draw and store the storyboard tiles of one encoded part (``segments`` after ``init``, its
    first picture at film time ``shift``): those of the film times [film_start, film_end).
    Returns the part's ``tiles`` for ``PartWriter.done``, or None: best effort, the finished
    film's storyboard is then drawn whole (``finish_run``)."""
    interval = pictures.storyboard_interval(duration)
    first, count = pictures.tile_range(film_start, min(film_end, duration), interval)
    if not count or not segments:
        return None
    try:
        joined = os.path.join(workdir, "tiles-source.mp4")
        with open(joined, "wb") as out:
            for path in [init, *(path for path, _seconds in segments)]:
                with open(path, "rb") as src:
                    shutil.copyfileobj(src, out)
        folder = os.path.join(workdir, "tiles")
        os.makedirs(folder, exist_ok=True)
        stem = f"p{writer.part:04d}-a{writer.attempt}"
        sheets = pictures.part_storyboard(joined, shift, first, count, interval, folder, stem,
                                          timeout=job_timeout(film_end - film_start, "audio"))
        if not sheets:
            return None
        storage, names = get_storage(), []
        for sheet in sheets:
            name = f"storyboard/{os.path.basename(sheet)}"
            storage.upload_from(sheet, f"{writer.prefix}/{name}", "image/jpeg", final=True)
            names.append(name)
        return {"interval": interval, "first": first, "count": count, "rows": pictures.sheet_rows(count),
                "columns": pictures.COLUMNS, "width": pictures.TILE_WIDTH, "height": pictures.TILE_HEIGHT,
                "sheets": names}
    except Exception:  # noqa: BLE001 - the part is encoded; only its hover previews wait
        log.warning("job %s: no storyboard tiles for part %s of recording %s", label, writer.part_id,
                    writer.recording_id, exc_info=True)
        return None


def tiled_parts(recording_id, run, duration):
    """The storyboard tiles of every video part of ``run`` that is done, in film order: all of
    them, or None when a part was done without its tiles."""
    rows = hls.part_tiles(recording_id, run)
    interval = pictures.storyboard_interval(duration)
    if any(tiles is None or tiles.get("interval") != interval for tiles in rows):
        return None
    return sorted(rows, key=lambda tiles: tiles["first"])


def update_playable(recording_id):
    """Write how much of the film can be played now (in the caller's transaction)."""
    recording = db.session.get(Recording, recording_id, populate_existing=True)
    seconds = round(hls.playable_seconds(recording), 3)
    db.session.execute(Recording.__table__.update().where(Recording.__table__.c.id == recording_id)
                       .values(playable_seconds=seconds))
    return seconds


def remaining_parts(recording_id, run):
    """How many parts of ``run`` are not done."""
    return db.session.scalar(db.select(sa.func.count()).select_from(FilmPart).where(
        FilmPart.recording_id == recording_id, FilmPart.run == run, FilmPart.status != CHUNK_DONE))


def forget_other_runs(recording, run, previous_prefix=None):
    """Delete the parts, segments and stored output of every earlier run of ``recording`` (a run
    that lost its claim or was killed). Called by the run that holds the claim now."""
    others = set(db.session.scalars(db.select(FilmPart.run.distinct()).where(
        FilmPart.recording_id == recording.id, FilmPart.run != run)))
    others |= set(db.session.scalars(db.select(FilmSegment.run.distinct()).where(
        FilmSegment.recording_id == recording.id, FilmSegment.run != run)))
    prefixes = {run_prefix(recording, other) for other in others}
    if previous_prefix and previous_prefix != run_prefix(recording, run):
        prefixes.add(previous_prefix)
    for table in (FilmSegment, FilmPart):
        db.session.execute(sa.delete(table).where(table.recording_id == recording.id, table.run != run))
    db.session.commit()
    storage = get_storage()
    for prefix in sorted(prefixes):
        storage.delete_prefix(prefix)


def finish_run(recording_id, run, label, checksums=None):
    """Make the recording ``ready`` once every part of ``run`` is done: the poster, then one
    guarded transaction (status, checksums, audit row ``recording.ready``), then the notice and
    the storyboard. Exactly one caller wins; the others return False."""
    recording = db.session.get(Recording, recording_id, populate_existing=True)
    if recording is None or recording.status != PROCESSING or recording.job_token != run:
        return False
    if remaining_parts(recording_id, run):
        return False
    prefix, duration = recording.output_prefix, recording.duration or 0.0
    media_info = dict(recording.media_info or {}, storyboard=[])
    parts = tiled_parts(recording_id, run, duration)
    db.session.commit()
    workdir = tempfile.mkdtemp(prefix=f"finish-{recording_id}-", dir=current_app.config.get("WORKER_TMP_DIR"))
    try:
        _poster(recording_id, run, prefix, duration, workdir, label)
        if parts:  # drawn by the chunk jobs: the finished film's track lists them
            media_info["storyboard"] = _storyboard_of_parts(prefix, duration, parts, workdir, label)
        if not _publish(recording_id, run, prefix, media_info, checksums or {}, label):
            return False
        if not media_info["storyboard"]:
            _add_storyboard(recording_id, run, prefix, duration, media_info, workdir, label)
        return True
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _publish(recording_id, run, prefix, media_info, checksums, label):
    not_done = db.select(FilmPart.id).where(FilmPart.recording_id == recording_id, FilmPart.run == run,
                                            FilmPart.status != CHUNK_DONE)
    recording = db.session.get(Recording, recording_id)
    playable = round(hls.playable_seconds(recording), 3)
    won = transition(recording_id, READY, expect=PROCESSING, token=run, where=[~sa.exists(not_done)],
                     heartbeat_at=None, media_info=media_info, playable_seconds=playable, reason_code=None,
                     reason_detail=None)
    if not won:
        db.session.rollback()
        return False
    for source_id, digest in checksums.items():
        db.session.execute(SourceFile.__table__.update().where(SourceFile.__table__.c.id == source_id)
                           .values(sha256=digest))
    recording = db.session.get(Recording, recording_id, populate_existing=True)
    audit.record("recording.ready", recording, actor=None, path=media_info.get("path"),
                 duration=recording.duration)
    db.session.commit()
    recording_service.notify_ready(recording)
    # Issue 20: the speech lane's activity track, on the light queue, now that the whole film plays.
    from workers.activity import enqueue_analysis  # noqa: PLC0415 - workers.activity imports the workers
    enqueue_analysis(recording_id)
    log.info("job %s: recording %s is ready (%s, %s)", label, recording_id, media_info.get("path"), prefix)
    return True


def _segment_rows(recording_id, run, track=VIDEO):
    return db.session.scalars(db.select(FilmSegment).where(
        FilmSegment.recording_id == recording_id, FilmSegment.run == run, FilmSegment.track == track)
        .order_by(FilmSegment.part, FilmSegment.idx)).all()


def fragment_file(prefix, rows, path):
    """Write ``rows`` (segments of one part, in order) with their initialisation segment as one
    fragmented MP4 at ``path``."""
    storage = get_storage()
    with open(path, "wb") as out:
        for key in [rows[0].init, *(row.name for row in rows)]:
            with storage.open_read(f"{prefix}/{key}") as src:
                shutil.copyfileobj(src, out)


def _poster(recording_id, run, prefix, duration, workdir, label):
    """poster.jpg and thumb.jpg from the published segment 10 % into the film. Best effort: a
    film without a poster still plays (the pages show a placeholder)."""
    try:
        rows, at, elapsed = _segment_rows(recording_id, run), duration * 0.1, 0.0
        chosen = rows[-1] if rows else None
        for row in rows:
            if elapsed + row.duration > at:
                chosen = row
                break
            elapsed += row.duration
        if chosen is None:
            return
        source = os.path.join(workdir, "poster-source.mp4")
        fragment_file(prefix, [chosen], source)
        poster, thumb = pictures.poster_and_thumbnail(source, 0.0, workdir)
        storage = get_storage()
        for path in (poster, thumb):
            storage.upload_from(path, f"{prefix}/{os.path.basename(path)}", "image/jpeg")
    except Exception:  # noqa: BLE001 - the film plays without its poster
        db.session.rollback()
        log.warning("job %s: no poster for recording %s", label, recording_id, exc_info=True)


def joined_video(recording_id, run, prefix, workdir, duration):
    """The published video segments of ``run`` as one MP4 in ``workdir`` (for the storyboard)."""
    rows = _segment_rows(recording_id, run)
    db.session.commit()
    by_part = {}
    for row in rows:
        by_part.setdefault(row.part, []).append(row)
    files = []
    for number, part_rows in sorted(by_part.items()):
        path = os.path.join(workdir, f"joined-{number:04d}.mp4")
        fragment_file(prefix, part_rows, path)
        files.append(path)
    video = os.path.join(workdir, "video.mp4")
    transcode.join(files, video, workdir=workdir, timeout=job_timeout(duration, "copy"))
    return video


def _storyboard_of_parts(prefix, duration, parts, workdir, label):
    """Store the WebVTT track of the tiles the chunk jobs drew; their sheets' names, or [] when
    that failed (then the storyboard is drawn whole, after the film is ready)."""
    try:
        vtt = os.path.join(workdir, "storyboard.vtt")
        with open(vtt, "w", encoding="utf-8") as fh:
            fh.write(pictures.parts_vtt(duration, parts[0]["interval"], parts))
        get_storage().upload_from(vtt, f"{prefix}/storyboard.vtt", "text/vtt")
        return [name for tiles in parts for name in tiles["sheets"]]
    except Exception:  # noqa: BLE001 - drawn whole instead
        log.warning("job %s: the storyboard of %s's parts was not stored", label, prefix, exc_info=True)
        return []


def _add_storyboard(recording_id, run, prefix, duration, media_info, workdir, label):
    """Draw the published film's storyboard and add it to the recording. Best effort: the film is
    already watchable, so a failure here is logged and leaves it without hover previews."""
    try:
        video = joined_video(recording_id, run, prefix, workdir, duration)
        sheets, vtt = pictures.storyboard(video, duration, workdir, timeout=job_timeout(duration, "audio"))
        storage = get_storage()
        for path, content_type in [(vtt, "text/vtt"), *[(sheet, "image/jpeg") for sheet in sheets]]:
            storage.upload_from(path, f"{prefix}/{os.path.basename(path)}", content_type)
        info = dict(media_info, storyboard=[os.path.basename(sheet) for sheet in sheets])
        table = Recording.__table__
        with db.engine.begin() as conn:  # only while these outputs are still the published ones
            added = conn.execute(table.update().where(
                table.c.id == recording_id, table.c.status == READY,
                table.c.output_prefix == prefix).values(media_info=info)).rowcount == 1
        if not added:  # deleted or replaced meanwhile: these outputs belong to nobody now
            get_storage().delete_prefix(prefix)
            return
        log.info("job %s: recording %s has its storyboard (%d sheets)", label, recording_id, len(sheets))
    except Exception:  # noqa: BLE001 - the film stays ready; only its hover previews are missing
        db.session.rollback()
        log.warning("job %s: no storyboard for recording %s", label, recording_id, exc_info=True)
