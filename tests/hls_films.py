"""Test helpers for films published as HLS (issue 19): real fMP4 segments cut by ffmpeg from a
lavfi clip, put in storage under a recording's output prefix with one FilmSegment row each, as the
worker publishes them."""

import subprocess  # noqa: S404 - ffmpeg on generated clips

from portal.extensions import db
from portal.models import Recording
from portal.models.media import AUDIO, CHUNK_DONE, VIDEO, FilmPart, FilmSegment
from portal.models.recordings import PROCESSING
from portal.services.storage import get_storage
from tests.films import group_with_session

SOURCES = {VIDEO: ["-f", "lavfi", "-i", "testsrc=size=160x90:rate=25:duration=3", "-c:v", "libx264",
                   "-preset", "ultrafast", "-g", "25", "-an"],
           AUDIO: ["-f", "lavfi", "-i", "sine=duration=3", "-c:a", "aac", "-vn"]}


def make_segments(folder):
    """Cut a 3 s clip into 1 s fMP4 segments per track: ``{track: {"init": bytes, "segments":
    [(bytes, duration)]}}``."""
    made = {}
    for track, source in SOURCES.items():
        out = folder / track
        out.mkdir(parents=True)
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", *source, "-f", "hls", "-hls_time", "1",  # noqa: S603,S607
                        "-hls_segment_type", "fmp4", "-hls_fmp4_init_filename", "init.mp4",
                        "-hls_segment_filename", str(out / "s%03d.m4s"), "-hls_playlist_type", "vod",
                        str(out / "index.m3u8")], check=True, timeout=60)
        lines = (out / "index.m3u8").read_text().splitlines()
        segments = [((out / name).read_bytes(), float(info.split(":")[1].rstrip(",")))
                    for info, name in zip(lines, lines[1:], strict=False) if info.startswith("#EXTINF:")]
        made[track] = {"init": (out / "init.mp4").read_bytes(), "segments": segments}
    return made


def hls_film(app, factory, status=PROCESSING, duration=600.0):
    """A group whose first session's film is published as HLS (no segment yet) in ``status``.
    Returns the ids of ``group_with_session`` plus ``recording``."""
    ids = group_with_session(app, factory)
    with app.app_context():
        recording = Recording(organisation_id=ids["organisation"], group_session_id=ids["session"],
                              created_by_id=ids["uploader"], status=status, duration=duration, output_kind="hls",
                              progress=0.5)
        db.session.add(recording)
        db.session.flush()
        recording.output_prefix = f"org/{ids['organisation']}/recordings/{recording.public_id}/out/run1"
        db.session.commit()
        ids["recording"] = recording.id
    return ids


def publish(app, recording_id, made, track, part=0, indexes=None, status=CHUNK_DONE, init=None):
    """Store ``made[track]``'s segments at ``indexes`` (default: all) as ``part`` of ``track``, each
    with a FilmSegment row, and its init segment (named ``init`` or per part); update
    ``playable_seconds`` as the worker does. Returns the segment ids in order."""
    from portal.services import hls

    data = made[track]
    indexes = range(len(data["segments"])) if indexes is None else indexes
    with app.app_context():
        storage = get_storage()
        recording = db.session.get(Recording, recording_id)
        init = init or f"{track}/init-{part:04d}.mp4"
        put(storage, recording, init, data["init"])
        db.session.add(FilmPart(recording_id=recording_id, run=hls.run_of(recording), track=track, part=part,
                                status=status))
        rows = []
        for idx in indexes:
            body, duration = data["segments"][idx]
            name = f"{track}/p{part:04d}-{idx:05d}.m4s"
            put(storage, recording, name, body)
            rows.append(FilmSegment(recording_id=recording_id, run=hls.run_of(recording), track=track, part=part,
                                    idx=idx, duration=duration, name=name, init=init))
        db.session.add_all(rows)
        db.session.flush()
        recording.playable_seconds = hls.playable_seconds(recording)
        db.session.commit()
        return [row.id for row in rows]


def put(storage, recording, name, body):
    import tempfile

    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(body)
        tmp.flush()
        storage.upload_from(tmp.name, f"{recording.output_prefix}/{name}", "video/mp4")
