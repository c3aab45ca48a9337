"""Retention and deletion of films (GDPR Art. 5(1)(e) and 17).

Every film has a clock. It starts at a moment stored once on the recording
(``retention_started_at``): the group's certification decision, or for groups without one the
session's feedback publication. The film is deleted ``retention_days`` (default 90) after that,
and at most ``retention_max_days`` (default 365) after upload, failed and rejected films too.
The group's leaders and the organisation's admins are warned ``deletion_warning_days`` before;
a film is never deleted sooner than that after its warning. A legal hold stops every deletion.
Originals go once the film is ready, unless the organisation keeps them.

All bytes of a recording live in one folder, ``org/<org>/rec/<public_id>/``: the originals
under ``src/`` and each processing run's outputs under ``out/<run>/``. Deleting removes that
folder's objects and unfinished multipart uploads, checks that storage holds nothing more, and
only then turns the row into a tombstone with one ``recording.deleted`` receipt in the audit
log. An interrupted deletion leaves the row as it was; running it again finishes the work.
"""

import logging
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask_babel import lazy_gettext as _l

from portal.extensions import db
from portal.models import Certification, Group, GroupSession, Organisation, Recording, SessionSupervision, User
from portal.models.base import utcnow
from portal.models.recordings import (
    DELETED,
    FAILED,
    PROCESSING,
    READY,
    REJECTED,
    SOURCE_ABORTED,
    SOURCE_UPLOADING,
)
from portal.models.users import ADMIN, UserRole
from portal.services import audit, deletion, notifications, recording_state
from portal.services.storage import (
    LocalStorage,
    StorageError,
    folder_prefix,
    get_storage,
    object_key,
)

log = logging.getLogger(__name__)

RETENTION = "retention"
CONSENT_WITHDRAWN = "consent_withdrawn"
ADMIN_REQUEST = "admin_request"
LEADER_REQUEST = "leader_request"  # a leader replaced or removed a wrong film before supervision began
REASONS = {
    RETENTION: _l("Retention period ended"),
    CONSENT_WITHDRAWN: _l("Consent withdrawn"),
    ADMIN_REQUEST: _l("Deleted by an administrator"),
    LEADER_REQUEST: _l("Removed by a leader to be replaced"),
}
MAX_KEYS_IN_RECEIPT = 200


class DeletionRefused(Exception):
    """A deletion we will not do (a legal hold, a film already gone)."""


class Inventory(NamedTuple):
    """What storage holds under one folder."""

    keys: list
    bytes: int
    uploads: int


class Scheduled(NamedTuple):
    """A ready film with its retention clock running."""

    recording: Recording
    organisation: Organisation
    policy_date: date  # deletion_date(): the clock's start plus retention_days, capped after upload

    def delete_on(self, today):
        """The day the film goes: the policy date, but never before its warning has run its course."""
        days = self.organisation.deletion_warning_days
        if days <= 0:
            return self.policy_date
        warned = self.recording.deletion_warned_at
        return max(self.policy_date, (warned.date() if warned else today) + timedelta(days=days))

    def warn_on(self):
        """The day the leaders and admins are warned."""
        return self.policy_date - timedelta(days=max(0, self.organisation.deletion_warning_days))


def recording_folder(recording):
    """The folder holding every object of ``recording`` (``org/<org>/rec/<public_id>/``)."""
    return folder_prefix(object_key(recording.organisation_id, "rec", recording.public_id))


def storage_prefixes(recording):
    """The folders to empty: the recording's own, plus its output folder if that lies elsewhere
    in the organisation (older layouts). Never a folder that could hold another recording."""
    own = recording_folder(recording)
    prefixes = [own]
    output = recording.output_prefix
    if output and not (output.rstrip("/") + "/").startswith(own):
        try:
            candidate = folder_prefix(output)
        except StorageError:
            candidate = None
        organisation = f"org/{recording.organisation_id}/"
        deep_enough = candidate is not None and len(candidate.rstrip("/").split("/")) >= 4
        if deep_enough and candidate.startswith(organisation) and not candidate.startswith(organisation + "rec/"):
            prefixes.append(candidate)
        else:
            log.warning("recording %s: output prefix outside its folder left alone", recording.id)
    return prefixes


def inventory(storage, prefix):
    """Objects and unfinished uploads under the folder ``prefix``; None for an unknown backend.

    :raise StorageError: or the backend's error when storage cannot be listed.
    """
    if isinstance(storage, LocalStorage):
        root = storage.root / prefix
        files = [p for p in root.rglob("*") if p.is_file()] if root.is_dir() else []
        uploads = [key for key, _folder in storage._all_uploads() if key.startswith(prefix)]
        return Inventory(sorted(str(p.relative_to(storage.root)) for p in files),
                         sum(p.stat().st_size for p in files), len(uploads))
    from portal.services.storage_s3 import S3Storage

    if isinstance(storage, S3Storage):
        keys, size = [], 0
        for page in storage.client.get_paginator("list_objects_v2").paginate(Bucket=storage.bucket, Prefix=prefix):
            for obj in page.get("Contents", []):
                keys.append(obj["Key"])
                size += obj["Size"]
        return Inventory(sorted(keys), size, len(list(storage._uploads(prefix))))
    return None


def _purge(storage, prefixes, keys):
    """Empty ``prefixes`` and check that nothing is left there or at ``keys``.

    Returns what was found before. :raise StorageError: when something is still stored.
    """
    before = [inventory(storage, prefix) for prefix in prefixes]
    for prefix in prefixes:
        storage.delete_prefix(prefix)
    after = [inventory(storage, prefix) for prefix in prefixes]
    left = sum(len(i.keys) + i.uploads for i in after if i is not None)
    left += sum(1 for key in keys if storage.head(key) is not None)
    if left:
        raise StorageError(f"{left} objects or uploads are still stored under {', '.join(prefixes)}")
    found = [i for i in before if i is not None]
    return Inventory([k for i in found for k in i.keys], sum(i.bytes for i in found), sum(i.uploads for i in found))


def _outside(keys, prefixes):
    return [key for key in keys if key and not any(key.startswith(prefix) for prefix in prefixes)]


def _revoke_processing(recording):
    """Take the recording away from a running processing job: its next heartbeat or its publish
    finds the claim gone, and it removes its own outputs."""
    recording.job_token = None
    recording.heartbeat_at = utcnow()  # so the reconciler does not hand it to a new run at once
    db.session.commit()


def _mark_deleted(recording, reason):
    """Turn the row into a tombstone in one conditional UPDATE, so that of two deletions running
    at once only one writes a receipt. True for the one that did."""
    won = recording_state.transition(recording.id, DELETED, reason_code=reason, reason_detail=None,
                                     job_token=None, heartbeat_at=None)
    if not won:
        db.session.rollback()
    db.session.expire(recording)
    return won


def delete_recording(recording, actor, reason):
    """Delete every object and unfinished upload of ``recording`` and keep its row as a tombstone,
    with one ``recording.deleted`` receipt in the audit log. Commits.

    The one deletion every path uses (retention, withdrawal, a leader's replacement, an admin):
    the film's comments, replies, private notes, playback positions and
    notices go with it (``deletion.forget_film``), as do its poster, storyboard and derived files.

    Safe to run again: on a tombstone it empties the folder once more and writes no receipt.
    Returns the receipt (an AuditEvent), or None when the film was deleted before.
    :raise DeletionRefused: under a legal hold. :raise StorageError: (or the backend's error)
        when storage fails or still holds something; the row is then left as it was.
    """
    if recording.status != DELETED and recording.legal_hold_at is not None:
        raise DeletionRefused(f"recording {recording.id} is under a legal hold")
    if recording.status == PROCESSING:
        _revoke_processing(recording)
    storage = get_storage()
    prefixes = storage_prefixes(recording)
    stray = _outside([s.storage_key for s in recording.sources], prefixes)
    for source in recording.sources:
        if source.storage_key in stray and source.upload_id and source.status == SOURCE_UPLOADING:
            storage.abort_multipart(source.storage_key, source.upload_id)
    removed = _purge(storage, prefixes, stray)
    if recording.status == DELETED or not _mark_deleted(recording, reason):
        deletion.forget_film(recording)  # a tombstone from before forgets what it still held
        db.session.commit()
        return None
    forgotten = deletion.forget_film(recording)
    sources = recording.sources
    group_session = recording.group_session
    for source in sources:  # the tombstone keeps sizes and dates, nothing a person typed
        source.filename = f"{source.position:05d}"
        source.last_modified = None
        source.sha256 = None
        source.upload_id = None
        if source.status == SOURCE_UPLOADING:
            source.status = SOURCE_ABORTED
    receipt = audit.record(
        "recording.deleted", recording, actor=actor, reason=reason, group_id=group_session.group_id,
        group_session_id=group_session.id, session_number=group_session.number, prefixes=prefixes,
        objects=len(removed.keys), bytes=removed.bytes, unfinished_uploads=removed.uploads,
        keys=removed.keys[:MAX_KEYS_IN_RECEIPT], source_files=len(sources),
        source_bytes=sum(s.size for s in sources), originals_deleted_before=recording.originals_deleted_at is not None,
        **forgotten)
    db.session.commit()
    log.info("recording %s deleted (%s): %d objects, %d bytes", recording.id, reason, len(removed.keys),
             removed.bytes)
    return receipt


def originals_prefix(recording):
    """The folder of the recording's uploaded originals."""
    return folder_prefix(object_key(recording.organisation_id, "rec", recording.public_id, "src"))


def delete_originals(recording, actor=None):
    """Delete the uploaded originals of a ready film, unless its organisation keeps them or a
    legal hold holds them, and those of a rejected upload (not a film: kept by no policy).
    Idempotent; commits. True when this call deleted them.

    :raise StorageError: when storage fails or keeps something; nothing is marked then.
    """
    organisation = db.session.get(Organisation, recording.organisation_id)
    rejected = recording.status == REJECTED
    if (recording.status not in (READY, REJECTED) or recording.originals_deleted_at is not None
            or recording.legal_hold_at is not None or (organisation.keep_originals and not rejected)):
        return False
    prefix = originals_prefix(recording)
    keys = [s.storage_key for s in recording.sources]
    removed = _purge(get_storage(), [prefix], _outside(keys, [prefix]))
    recording.originals_deleted_at = utcnow()
    audit.record("recording.originals_deleted", recording, actor=actor, source_files=len(keys),
                 objects=len(removed.keys), bytes=removed.bytes, unfinished_uploads=removed.uploads,
                 **({"reason": recording.reason_code or "rejected"} if rejected else {}))
    db.session.commit()
    return True


def originals_due():
    """Ready films whose originals are still stored and not kept by policy or a legal hold, and
    rejected uploads whose bytes are still stored (their deletion right after the rejection failed)."""
    return db.session.scalars(
        db.select(Recording).join(Organisation, Organisation.id == Recording.organisation_id)
        .where(Recording.originals_deleted_at.is_(None), Recording.legal_hold_at.is_(None),
               db.or_(Recording.status == REJECTED,
                      db.and_(Recording.status == READY, Organisation.keep_originals.is_(False))))
        .order_by(Recording.id)).all()


CLOCK_STATUSES = (READY, FAILED, REJECTED)
REGULAR = "regular"  # a group purpose without a certification decision


def _day(moment):
    return moment.date() if isinstance(moment, datetime) else moment


def _decisions():
    """The first certification decision of each group, as a subquery (group_id, decided_at)."""
    return (db.select(Certification.group_id, db.func.min(Certification.decided_at).label("decided_at"))
            .where(Certification.decided_at.is_not(None), Certification.group_id.is_not(None))
            .group_by(Certification.group_id).subquery())


def start_clocks(group_id=None):
    """Store when each film's retention clock started, once: the group's certification decision
    for certification and recertification groups, the session's feedback publication for other
    groups. A stored start never moves (an edit of the supervision does not touch it).

    Returns how many clocks were started. Callers commit.
    """
    decided = _decisions()
    query = (db.select(Recording, Group.purpose, SessionSupervision.published_at, decided.c.decided_at)
             .join(GroupSession, GroupSession.id == Recording.group_session_id)
             .join(Group, Group.id == GroupSession.group_id)
             .outerjoin(SessionSupervision, SessionSupervision.group_session_id == GroupSession.id)
             .outerjoin(decided, decided.c.group_id == Group.id)
             .where(Recording.retention_started_at.is_(None), Recording.status.in_(CLOCK_STATUSES)))
    if group_id is not None:
        query = query.where(Group.id == group_id)
    started = 0
    for recording, purpose, published_at, decided_at in db.session.execute(query):
        moment = published_at if purpose == REGULAR else decided_at
        if moment is not None:
            recording.retention_started_at = moment
            started += 1
    return started


def deletion_date(recording, organisation):
    """The day the policy deletes ``recording``: ``retention_days`` after its clock started, and
    at most ``retention_max_days`` after upload (failed and rejected films too)."""
    uploaded = _day(recording.uploaded_at or recording.created_at)
    dates = [uploaded + timedelta(days=organisation.retention_max_days)]
    if recording.retention_started_at is not None and organisation.retention_days is not None:
        dates.append(_day(recording.retention_started_at) + timedelta(days=organisation.retention_days))
    return min(dates)


def scheduled(organisation_id=None):
    """Every film the policy will delete (ready, failed or rejected), as ``Scheduled`` rows."""
    query = (db.select(Recording, Organisation).join(Organisation, Organisation.id == Recording.organisation_id)
             .where(Recording.status.in_(CLOCK_STATUSES)).order_by(Recording.id))
    if organisation_id is not None:
        query = query.where(Recording.organisation_id == organisation_id)
    return [Scheduled(recording, organisation, deletion_date(recording, organisation))
            for recording, organisation in db.session.execute(query)]


def due_for_deletion(today=None):
    """Films to delete on ``today``: the retention period is over, no legal hold, and the warning
    (if the organisation warns) went out at least ``deletion_warning_days`` ago."""
    today = today or utcnow().date()
    return [row.recording for row in scheduled()
            if row.recording.legal_hold_at is None and row.delete_on(today) <= today
            and (row.recording.deletion_warned_at is not None or row.organisation.deletion_warning_days <= 0)]


def to_warn(today=None):
    """Scheduled films whose warning is due on ``today`` and not yet sent."""
    today = today or utcnow().date()
    return [row for row in scheduled()
            if row.recording.legal_hold_at is None and row.recording.deletion_warned_at is None
            and row.organisation.deletion_warning_days > 0 and row.warn_on() <= today]


def organisation_admins(organisation_id):
    """The active admins of an organisation."""
    return db.session.scalars(
        db.select(User).join(UserRole, UserRole.user_id == User.id)
        .where(User.organisation_id == organisation_id, User.active.is_(True), UserRole.role == ADMIN)
        .order_by(User.id)).all()


def warn_before_deletion(today=None):
    """Tell the group's leaders and the organisation's admins, once per film, the day it will be
    deleted. Commits. Returns how many films were announced."""
    today = today or utcnow().date()
    rows = to_warn(today)
    for row in rows:
        recording = row.recording
        group_session = recording.group_session
        params = {"group": group_session.group.title, "session": group_session.title,
                  "date": row.delete_on(today).isoformat()}
        leaders = {u.id: u for u in group_session.group.leaders}
        for user in leaders.values():
            notifications.notify(user, notifications.DELETION_WARNING,
                                 notifications.path("groups.show", group_id=group_session.group_id), **params)
        for user in organisation_admins(recording.organisation_id):
            if user.id not in leaders:
                notifications.notify(user, notifications.DELETION_WARNING, notifications.path("admin.retention_policy"),
                                     **params)
        recording.deletion_warned_at = utcnow()
        audit.record("recording.deletion_warned", recording, actor=None, delete_on=params["date"])
    db.session.commit()
    return len(rows)


def run_retention(today=None, dry_run=False):
    """One retention round: warnings, deletions that are due, then originals of ready films.

    One film's failure is logged and counted and does not stop the others; the next round tries
    again. Returns ``{"warned", "deleted", "originals_deleted", "failed"}`` (with ``dry_run``: what
    would be done, and nothing is changed).
    """
    today = today or utcnow().date()
    if start_clocks():
        db.session.commit()
    if dry_run:
        due = {recording.id for recording in due_for_deletion(today)}
        return {"warned": len(to_warn(today)), "deleted": len(due),
                "originals_deleted": len([r for r in originals_due() if r.id not in due]), "failed": 0}
    counts = {"warned": warn_before_deletion(today), "deleted": 0, "originals_deleted": 0, "failed": 0}

    def attempt(counter, action, recording, *args):
        recording_id = recording.id
        try:
            if action(recording, *args) is not False:
                counts[counter] += 1
        except Exception:  # noqa: BLE001 - one film's storage error must not stop the round
            db.session.rollback()
            counts["failed"] += 1
            log.warning("retention: %s of recording %s failed; the next round retries", action.__name__,
                        recording_id, exc_info=True)

    for recording in due_for_deletion(today):
        attempt("deleted", delete_recording, recording, None, RETENTION)
    for recording in originals_due():
        attempt("originals_deleted", delete_originals, recording)
    if any(counts.values()):
        log.info("retention: %s", counts)
    return counts


def set_legal_hold(recording, actor, reason=None):
    """Stop every deletion of ``recording`` (retention or a withdrawal of consent) until the hold
    is lifted; ``reason`` says why. Callers commit.

    :raise DeletionRefused: for a film already deleted.
    """
    if recording.status == DELETED:
        raise DeletionRefused(f"recording {recording.id} is deleted")
    if recording.legal_hold_at is not None:
        return False
    recording.legal_hold_at = utcnow()
    recording.legal_hold_by_id = actor.id
    recording.legal_hold_reason = (reason or "").strip()[:500] or None
    audit.record("recording.legal_hold_set", recording, actor=actor, reason=recording.legal_hold_reason)
    return True


def lift_legal_hold(recording, actor):
    """Let scheduled deletion take ``recording`` again. Callers commit."""
    if recording.legal_hold_at is None:
        return False
    recording.legal_hold_at = None
    recording.legal_hold_by_id = None
    recording.legal_hold_reason = None
    audit.record("recording.legal_hold_lifted", recording, actor=actor)
    return True


def delete_session_films(group_session, actor):
    """After a withdrawal of consent: delete every film of the blocked session, each with its
    receipt. Returns ``(receipts, held)``: the receipts written and the films kept by a legal hold.

    :raise DeletionRefused: when no withdrawal blocks the session. :raise StorageError: as
        ``delete_recording``; films deleted before the failure stay deleted.
    """
    if group_session.playback_blocked_at is None:
        raise DeletionRefused(f"session {group_session.id} is not blocked by a withdrawal")
    receipts, held = [], []
    for recording in list(group_session.recordings):
        if recording.status == DELETED:
            continue
        if recording.legal_hold_at is not None:
            held.append(recording)
            continue
        receipts.append(delete_recording(recording, actor, CONSENT_WITHDRAWN))
    return receipts, held


def live_films(group_session):
    """The session's films that still hold bytes (not deleted)."""
    return [r for r in group_session.recordings if r.status != DELETED]


def overview(organisation_id, today=None, recent=20):
    """For the admin page: scheduled films (with their deletion day), films under a legal hold
    that have no schedule, and the latest deletions."""
    today = today or utcnow().date()
    rows = [(row.recording, row.delete_on(today)) for row in scheduled(organisation_id)]
    listed = {recording.id for recording, _day in rows}
    held = db.session.scalars(
        db.select(Recording).where(Recording.organisation_id == organisation_id,
                                   Recording.legal_hold_at.is_not(None), Recording.status != DELETED)
        .order_by(Recording.id)).all()
    rows += [(recording, None) for recording in held if recording.id not in listed]
    rows.sort(key=lambda pair: (pair[1] is None, pair[1] or today, pair[0].id))
    deleted = db.session.scalars(
        db.select(Recording).where(Recording.organisation_id == organisation_id, Recording.status == DELETED)
        .order_by(Recording.deleted_at.desc()).limit(recent)).all()
    return rows, deleted


def reason_text(code):
    """The deletion reason as a person reads it."""
    message = REASONS.get(code)
    return str(message) if message is not None else code or ""

