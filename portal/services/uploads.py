"""Resumable, direct-to-storage uploads of a session's film files.

The browser sends bytes straight to storage through part URLs signed here; this module only
decides, signs and records. A file is resumed, not restarted, when the same file (name, size,
last-modified time, position) is chosen again for the same session: the client lists the
parts already stored and sends only the missing ones (and any whose size is not the part's).
"Start over" drops everything sent of a film still uploading; uploads with no progress for
UPLOAD_STUCK_HOURS are listed for admins.
"""

from collections import namedtuple
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _

from portal.errors import Refused
from portal.extensions import db
from portal.models import Group, GroupSession
from portal.models.base import as_utc, utcnow
from portal.models.recordings import (
    AWAITING_UPLOAD,
    FINISHED_OR_GONE,
    SOURCE_ABORTED,
    SOURCE_UPLOADED,
    SOURCE_UPLOADING,
    UPLOADED,
    UPLOADING,
    Recording,
    SourceFile,
    new_public_id,
)
from portal.services import audit, recording_state
from portal.services.storage import StorageError, folder_prefix, get_storage, object_key, part_size_for

MAX_FILES_PER_SESSION = 20
MAX_PART_NUMBERS_PER_CALL = 100
# Browsers report camera formats (.MTS, .MOD) as "" or application/octet-stream.
VIDEO_TYPE_PREFIXES = ("video/", "application/octet-stream")
# Camera and DVD films some systems name after something else (a .MOD as an "audio/x-mod" tune).
VIDEO_EXTENSIONS = (".mts", ".m2ts", ".mod", ".tod", ".mpg", ".mpeg", ".vob")


class UploadRefused(Refused):
    """An upload request we will not act on: HTTP status, machine code and a message."""


def current_recording(group_session):
    """The session's recording that holds its slot (not rejected or deleted), or None."""
    return db.session.scalar(
        db.select(Recording)
        .where(Recording.group_session_id == group_session.id,
               Recording.status.not_in(FINISHED_OR_GONE))
        .order_by(Recording.id.desc()).limit(1))


def human_size(size):
    """``size`` bytes as people read it: "6.2 GB", "350 MB"."""
    from flask_babel import format_decimal

    if size >= 10**9:
        return f"{format_decimal(round(size / 10**9, 1))} GB"
    return f"{format_decimal(max(1, round(size / 10**6)))} MB"


def _check_request(filename, size, content_type, position, file_count):
    cap = current_app.config["UPLOAD_MAX_FILE_BYTES"]
    if not isinstance(size, int) or isinstance(size, bool) or size <= 0:
        raise UploadRefused(422, "invalid_size", _("The file is empty or its size is unknown."))
    if size > cap:
        raise UploadRefused(413, "too_large", _(
            "The file is %(size)s; the largest file accepted is %(cap)s. Split the film into several "
            "files and upload them to the same session.", size=human_size(size), cap=human_size(cap)))
    if not isinstance(filename, str) or not filename.strip() or len(filename) > 255:
        raise UploadRefused(422, "invalid_filename", _("The file needs a name of at most 255 characters."))
    if not isinstance(content_type, str) or (content_type and not content_type.startswith(VIDEO_TYPE_PREFIXES)
                                             and not filename.strip().lower().endswith(VIDEO_EXTENSIONS)):
        raise UploadRefused(415, "not_a_video", _("Only video files can be uploaded."))
    if not isinstance(file_count, int) or not 1 <= file_count <= MAX_FILES_PER_SESSION:
        raise UploadRefused(422, "invalid_file_count", _(
            "A session can have from 1 to %(n)d files.", n=MAX_FILES_PER_SESSION))
    if not isinstance(position, int) or not 1 <= position <= file_count:
        raise UploadRefused(422, "invalid_position", _("The file's place in the order is not valid."))


def start_upload(user, group_session, filename, size, content_type, position=1, file_count=1,
                 last_modified=None):
    """Start (or resume) the upload of one file for ``group_session``; returns ``(source, resumed)``.

    The caller has passed the consent gate. :raise UploadRefused: on a bad request or when the
    session's film is already uploaded.
    """
    _check_request(filename, size, content_type, position, file_count)
    try:
        part_size = part_size_for(size, minimum=current_app.config["UPLOAD_PART_BYTES"])
    except StorageError:
        raise UploadRefused(413, "too_large", _("The file is too large.")) from None
    recording = current_recording(group_session)
    if recording is not None and recording.status not in (AWAITING_UPLOAD, UPLOADING):
        raise UploadRefused(409, "already_uploaded", _(
            "This session's film is already uploaded. Ask an administrator if it must be replaced."))
    if recording is None:
        recording = Recording(organisation_id=group_session_organisation_id(group_session),
                              group_session_id=group_session.id, created_by_id=user.id,
                              expected_files=file_count)
        db.session.add(recording)
        db.session.flush()
    if recording.status == AWAITING_UPLOAD:
        recording.set_status(UPLOADING)
    recording.expected_files = max(file_count, max((s.position for s in recording.active_sources), default=1))

    for source in recording.active_sources:
        if source.position != position:
            continue
        same_file = (source.filename, source.size, source.last_modified) == (filename, size, last_modified)
        if same_file:
            return source, True  # resume: the client lists the parts it has and sends the rest
        if source.status == SOURCE_UPLOADED:
            raise UploadRefused(409, "position_taken", _(
                "Another file is already uploaded as number %(n)d of this session.", n=position))
        _abort(source, user, reason="replaced")

    storage = get_storage()
    public_id = new_public_id()
    source = SourceFile(recording=recording, position=position, filename=filename.strip()[:255],
                        size=size, content_type=content_type or "application/octet-stream",
                        last_modified=last_modified if isinstance(last_modified, int) else None,
                        public_id=public_id, part_size=part_size, uploaded_by_id=user.id,
                        storage_key=object_key(recording.organisation_id, "rec", recording.public_id,
                                               "src", public_id))
    source.upload_id = storage.create_multipart(source.storage_key, source.content_type)
    db.session.add(source)
    db.session.flush()
    audit.record("upload.started", recording, actor=user, source_id=source.id, position=position,
                 size=size)
    return source, False


def group_session_organisation_id(group_session):
    """The organisation owning the session's group (its films live under its prefix)."""
    return group_session.group.organisation_id


def sign_parts(source, part_numbers):
    """Signed PUT URLs for ``part_numbers`` of ``source``; returns ``(urls_by_number, expires_in)``.

    :raise UploadRefused: for numbers outside the file, or when the upload is no longer open.
    """
    if source.status != SOURCE_UPLOADING:
        raise UploadRefused(409, "upload_closed", _("This upload is finished or cancelled."))
    if (not isinstance(part_numbers, list) or not part_numbers
            or len(part_numbers) > MAX_PART_NUMBERS_PER_CALL
            or not all(isinstance(n, int) and not isinstance(n, bool) and 1 <= n <= source.part_count
                       for n in part_numbers)):
        raise UploadRefused(422, "invalid_parts", _("The part numbers are not valid for this file."))
    ttl = current_app.config["UPLOAD_PART_URL_TTL"]
    storage = get_storage()
    return {n: storage.sign_part(source.storage_key, source.upload_id, n, ttl) for n in part_numbers}, ttl


def expected_part_size(source, number):
    """How many bytes part ``number`` of ``source`` holds: ``part_size``, the last one the rest."""
    if number < source.part_count:
        return source.part_size
    return source.size - (source.part_count - 1) * source.part_size


def stored_parts(source):
    """The whole parts of ``source`` already in storage: ``[{"number", "size", "etag"}]``.

    A stored part whose size is not its expected size (torn by a closed connection before
    storage refused such parts, or cut with another part size) is left out: the client
    sends it again, and the new one replaces it.
    """
    if source.status != SOURCE_UPLOADING:
        return []
    return [part for part in get_storage().list_parts(source.storage_key, source.upload_id)
            if 1 <= part["number"] <= source.part_count
            and part["size"] == expected_part_size(source, part["number"])]


def complete_upload(user, source, parts):
    """Complete ``source`` after checking its parts; idempotent. The caller commits, then calls
    ``finish_recording`` to see whether the whole recording is in.

    :raise UploadRefused: when the parts don't add up or the upload was cancelled.
    """
    if source.status == SOURCE_UPLOADED:
        return
    if source.status == SOURCE_ABORTED:
        raise UploadRefused(409, "upload_closed", _("This upload was cancelled."))
    try:
        get_storage().complete_multipart(source.storage_key, source.upload_id, parts, source.size)
    except StorageError as error:
        raise UploadRefused(409 if error.code == "no_such_upload" else 422, error.code, _(
            "The uploaded parts do not make up the whole file. Choose the file again to send "
            "what is missing.")) from None
    source.status = SOURCE_UPLOADED
    source.completed_at = utcnow()
    audit.record("upload.completed", source.recording, actor=user, source_id=source.id, size=source.size)


def finish_recording(user, recording_id):
    """After a file's completion is committed: mark the recording ``uploaded`` once every
    expected file is in. True for the one call that did it (the caller enqueues processing).

    Files of one session complete concurrently; each completion checks again after its own
    commit, so the last one sees all files, and the conditional UPDATE lets only one call win.
    """
    recording = db.session.get(Recording, recording_id, populate_existing=True)
    if recording is None or recording.status != UPLOADING or not recording.all_uploaded:
        return False
    won = recording_state.transition(recording_id, UPLOADED, expect=UPLOADING, uploaded_at=utcnow())
    if won:
        db.session.expire(recording)
        audit.record("recording.uploaded", recording, actor=user, files=len(recording.active_sources))
    db.session.commit()
    return won


def cancel_upload(user, source):
    """Abort ``source``'s multipart upload; idempotent."""
    if source.status == SOURCE_UPLOADING:
        _abort(source, user, reason="cancelled")
    recording = source.recording
    if recording.status == UPLOADING and not recording.active_sources:
        recording.set_status(AWAITING_UPLOAD)


def restart_upload(user, group_session):
    """Start the session's film over: abort every file's upload, drop what was stored, and
    free the session for a new upload (an audit row says who). Returns the recording or None.

    :raise UploadRefused: 409 once the whole film is in (replacing it is another step).
    """
    recording = current_recording(group_session)
    if recording is None:
        return None
    if recording.status not in (AWAITING_UPLOAD, UPLOADING):
        raise UploadRefused(409, "already_uploaded", _(
            "This session's film is already uploaded, so there is nothing to start over."))
    sources = recording.active_sources
    for source in sources:
        if source.status == SOURCE_UPLOADING:
            _abort(source, user, reason="restarted")
        else:
            source.status = SOURCE_ABORTED
    try:  # files already complete, and anything a torn upload left behind
        get_storage().delete_prefix(folder_prefix(object_key(recording.organisation_id, "rec", recording.public_id)))
    except StorageError:
        current_app.logger.warning("files of recording %s not deleted; the sweeper will retry", recording.id)
    if recording.status == UPLOADING:
        recording.set_status(AWAITING_UPLOAD)
    audit.record("upload.restarted", recording, actor=user, files=len(sources))
    return recording


StuckUpload = namedtuple("StuckUpload", "source recording group_session group last_progress")


def stuck_uploads(organisation_id, hours, now=None):
    """Files of ``organisation_id`` still uploading with no stored byte for ``hours`` hours,
    oldest progress first (one storage listing per file started before the cut-off)."""
    cutoff = (now or utcnow()) - timedelta(hours=hours)
    rows = db.session.execute(
        db.select(SourceFile, Recording, GroupSession, Group)
        .join(Recording, SourceFile.recording_id == Recording.id)
        .join(GroupSession, Recording.group_session_id == GroupSession.id)
        .join(Group, GroupSession.group_id == Group.id)
        .where(Recording.organisation_id == organisation_id, Recording.status == UPLOADING,
               SourceFile.status == SOURCE_UPLOADING, SourceFile.created_at < cutoff)).all()
    storage, stuck = get_storage(), []
    for source, recording, group_session, group in rows:
        try:
            progress = storage.last_progress(source.storage_key, source.upload_id)
        except StorageError:
            progress = None
        progress = as_utc(progress or source.created_at)
        if progress < cutoff:
            stuck.append(StuckUpload(source, recording, group_session, group, progress))
    return sorted(stuck, key=lambda row: row.last_progress)


def _abort(source, user, reason):
    try:
        get_storage().abort_multipart(source.storage_key, source.upload_id)
    except StorageError:
        current_app.logger.warning("abort of source %s failed; the sweeper will retry", source.id)
    source.status = SOURCE_ABORTED
    audit.record("upload.aborted", source.recording, actor=user, source_id=source.id, reason=reason)
