"""What a leader needs to know about a session's film: its place in the processing queue and
when it will be ready, the last attempt that needs a new upload, and whether the film may still
be replaced or removed.

The queue is read from the database (the source of truth), not from Redis: the films ahead of a
waiting one are those processing now and those uploaded before it.
"""

from datetime import UTC

from flask_babel import gettext, ngettext

from portal import permissions
from portal.errors import Refused
from portal.extensions import db
from portal.models.base import utcnow
from portal.models.recordings import (
    DELETED,
    FAILED,
    PROCESSING,
    READY,
    REJECTED,
    SOURCE_ABORTED,
    UPLOADED,
    Recording,
    SourceFile,
)
from portal.models.review_tools import ChecklistMark
from portal.models.supervision import NOT_STARTED, Comment, SessionSupervision
from portal.services import recordings as recording_service

# Until enough films have been processed here to measure, a film is taken to be processed at this
# many bytes a second (a camera film copied into segments; an encode is slower, and is measured).
DEFAULT_BYTES_PER_SECOND = 8 * 10**6
MEASURE_FROM = 20  # the latest ready films the processing rate is measured on
NEEDS_NEW_UPLOAD = (REJECTED, FAILED)
REMOVABLE = (UPLOADED, PROCESSING, READY, FAILED)


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)


def _sizes(recording_ids):
    """Bytes uploaded per recording, in one query."""
    if not recording_ids:
        return {}
    rows = db.session.execute(
        db.select(SourceFile.recording_id, db.func.sum(SourceFile.size))
        .where(SourceFile.recording_id.in_(recording_ids), SourceFile.status != SOURCE_ABORTED)
        .group_by(SourceFile.recording_id)).all()
    return {recording_id: int(total or 0) for recording_id, total in rows}


def bytes_per_second():
    """The processing rate of the latest ready films (bytes of originals a second of processing)."""
    rows = db.session.execute(
        db.select(Recording.id, Recording.processing_started_at, Recording.ready_at)
        .where(Recording.status == READY, Recording.processing_started_at.is_not(None),
               Recording.ready_at.is_not(None))
        .order_by(Recording.ready_at.desc()).limit(MEASURE_FROM)).all()
    sizes = _sizes([row.id for row in rows])
    seconds = sum(max(1.0, (_aware(r.ready_at) - _aware(r.processing_started_at)).total_seconds()) for r in rows)
    total = sum(sizes.values())
    return total / seconds if rows and total else DEFAULT_BYTES_PER_SECOND


def queue(recording, now=None):
    """Where ``recording`` stands in the processing queue: ``{"ahead": n, "seconds": s}``, the films
    processed or waiting before it and the seconds until it is ready (None when unknown). Films
    processed at the same time (several workers) shorten the wait in proportion."""
    if recording.status not in (UPLOADED, PROCESSING):
        return {"ahead": 0, "seconds": None}
    # Only the columns the estimate reads, of the films processed now and (for a waiting film)
    # those uploaded before it: every leader's page asks this every few seconds.
    columns = (Recording.id, Recording.status, Recording.progress, Recording.processing_started_at)
    processing = db.session.execute(db.select(*columns).where(
        Recording.status == PROCESSING, Recording.id != recording.id)).all()
    waiting = []
    if recording.status == UPLOADED:
        earlier = Recording.id < recording.id
        if recording.uploaded_at is not None:
            earlier = db.or_(Recording.uploaded_at < recording.uploaded_at,
                             db.and_(Recording.uploaded_at == recording.uploaded_at, earlier))
        waiting = db.session.execute(db.select(*columns).where(Recording.status == UPLOADED, earlier)).all()
    ahead = [] if recording.status == PROCESSING else [*processing, *waiting]
    rate = bytes_per_second()
    sizes = _sizes([r.id for r in (*ahead, recording)])

    def remaining(film):
        left = recording_service.seconds_left(film, now)
        if left is not None:
            return left
        whole = sizes.get(film.id, 0) / rate
        return whole * (1 - (film.progress or 0.0)) if film.status == PROCESSING else whole

    parallel = max(1, len(processing) + (recording.status == PROCESSING))
    seconds = remaining(recording) + sum(remaining(film) for film in ahead) / parallel
    return {"ahead": len(ahead), "seconds": round(seconds)}


def ahead_text(ahead):
    """"2 films ahead of yours" as a person reads it."""
    if ahead == 0:
        return gettext("Your film is next")
    return ngettext("%(num)d film ahead of yours", "%(num)d films ahead of yours", ahead)


def ready_in_text(seconds):
    """When a waiting film will be ready, roughly."""
    if seconds is None:
        return None
    if seconds < 60:
        return gettext("Ready in less than a minute")
    if seconds < 5400:
        return gettext("Ready in about %(n)d min", n=round(seconds / 60))
    return gettext("Ready in about %(n)d h", n=round(seconds / 3600))


def last_attempt(group_session):
    """The session's latest recording when it needs a new upload (rejected or failed), else None."""
    latest = db.session.scalar(db.select(Recording).where(Recording.group_session_id == group_session.id)
                               .order_by(Recording.id.desc()).limit(1))
    return latest if latest is not None and latest.status in NEEDS_NEW_UPLOAD else None


def last_attempts(group):
    """``last_attempt`` for every session of ``group`` in one query: ``{session_id: recording}``."""
    session_ids = [s.id for s in group.sessions]
    if not session_ids:
        return {}
    latest = db.select(db.func.max(Recording.id)).where(Recording.group_session_id.in_(session_ids)) \
        .group_by(Recording.group_session_id)
    rows = db.session.scalars(db.select(Recording).where(Recording.id.in_(latest),
                                                         Recording.status.in_(NEEDS_NEW_UPLOAD))).all()
    return {r.group_session_id: r for r in rows}


def supervision_started(recording):
    """True once the supervisor has started: a comment on the film, a checklist item of the session
    marked or linked, or the session's supervision begun or published."""
    if db.session.scalar(db.select(db.exists().where(Comment.recording_id == recording.id))):
        return True
    if db.session.scalar(db.select(db.exists().where(ChecklistMark.group_session_id == recording.group_session_id))):
        return True
    record = db.session.scalar(db.select(SessionSupervision)
                               .where(SessionSupervision.group_session_id == recording.group_session_id))
    return record is not None and (record.status != NOT_STARTED or record.published_at is not None)


def can_remove(user, recording):
    """A leader who may upload may replace or remove the film until supervision has started."""
    return (recording is not None and recording.status in REMOVABLE and recording.legal_hold_at is None
            and permissions.can_operate_upload(user, recording.group_session)
            and not supervision_started(recording))


def remove(user, recording):
    """Delete the film (bytes gone, tombstone and receipt) so the session can have a new upload.
    Commits. :raise Refused: when the film may not be removed (any more) or storage fails."""
    from portal.services import retention
    from portal.services.storage import StorageError

    if not can_remove(user, recording):
        raise Refused(409, "not_removable", gettext(
            "The film can no longer be replaced: the supervisor has started on it. Ask an administrator."))
    try:
        return retention.delete_recording(recording, user, retention.LEADER_REQUEST)
    except (retention.DeletionRefused, StorageError, OSError):
        db.session.rollback()
        raise Refused(503, "storage_unavailable", gettext(
            "The film could not be removed just now. Try again in a moment.")) from None


def unavailable_reason(user, recording):
    """Why a film the user had access to cannot be watched (consent withdrawn or deleted, with the
    date), or None: for people who are not of the group, and for films that can be watched."""
    from portal.services import retention

    if recording is None or not user.is_authenticated:
        return None
    group_session = recording.group_session
    group = group_session.group
    if not (permissions.leads_group(user, group) or permissions.supervises_group(user, group)):
        return None
    if recording.status == DELETED:
        day = _day(recording.deleted_at)
        if recording.reason_code == retention.RETENTION:
            return gettext("The film was deleted on %(date)s under the organisation's retention policy.", date=day)
        if recording.reason_code == retention.CONSENT_WITHDRAWN:
            return gettext("The film was deleted on %(date)s because a participant withdrew consent.", date=day)
        if recording.reason_code == retention.LEADER_REQUEST:
            return gettext("The film was removed by a leader on %(date)s to be replaced.", date=day)
        return gettext("The film was deleted on %(date)s.", date=day)
    if group_session.playback_blocked_at is not None:
        return gettext("The film cannot be watched: a participant withdrew consent on %(date)s.",
                       date=_day(group_session.playback_blocked_at))
    return None


def _day(moment):
    from flask_babel import format_date

    return format_date(_aware(moment or utcnow()), "yyyy-MM-dd")
