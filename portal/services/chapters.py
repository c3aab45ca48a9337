"""Chapters of a film: the parts a leader or supervisor marks (start, the principle's review, role
play, break, closing), from the program's own list or with a free title. Audited; callers commit."""

from flask_babel import gettext as _

from portal import permissions
from portal.errors import Refused
from portal.extensions import db
from portal.models import Chapter
from portal.models.base import iso_utc, utcnow
from portal.models.review_tools import DEFAULT_CHAPTER_KINDS
from portal.services import audit
from portal.services.comments import _seconds as film_seconds

MAX_TITLE = 200


def kinds_for(program):
    """The chapter kinds ``program`` offers, in its order."""
    return list(program.chapter_kinds) if program is not None and program.chapter_kinds else \
        list(DEFAULT_CHAPTER_KINDS)


def clean_kinds(lines):
    """The kinds from the catalogue's form: trimmed, no duplicates; None (the seeded list) when empty
    or the seeded list itself, so saving an untouched form changes nothing."""
    kinds = []
    for line in lines or []:
        kind = str(line).strip()[:MAX_TITLE]
        if kind and kind not in kinds:
            kinds.append(kind)
    return kinds if kinds and kinds != DEFAULT_CHAPTER_KINDS else None


def chapters_of(recording):
    """The film's chapters in time order."""
    return db.session.scalars(db.select(Chapter).where(Chapter.recording_id == recording.id)
                              .order_by(Chapter.start, Chapter.id)).all()


def chapter_json(chapter, user):
    """A chapter as the API shows it to ``user``."""
    return {"id": chapter.id, "recording_id": chapter.recording_id, "title": chapter.title, "start": chapter.start,
            "created_by": {"id": chapter.created_by_id,
                           "name": chapter.created_by.name if chapter.created_by else None},
            "created_at": iso_utc(chapter.created_at), "updated_at": iso_utc(chapter.updated_at),
            "can_change": permissions.can_change_chapter(user, chapter)}


def _title(data):
    """The chapter's title: ``kind`` (any text; the program's list is a suggestion) or ``title``."""
    value = data.get("kind", data.get("title"))
    title = value.strip() if isinstance(value, str) else ""
    if not title:
        raise Refused(422, "invalid_title", _("Choose the kind of chapter or write its title."))
    if len(title) > MAX_TITLE:
        raise Refused(422, "invalid_title", _("A chapter title can be at most %(n)d characters.", n=MAX_TITLE))
    return title


def parse_timecode(text):
    """Seconds from ``m:ss``, ``h:mm:ss`` or plain seconds as a person types them; None when unreadable."""
    parts = (text or "").strip().replace(",", ".").split(":")
    if not 1 <= len(parts) <= 3 or not all(parts):
        return None
    try:
        numbers = [float(part) for part in parts]
    except ValueError:
        return None
    if any(n < 0 or n != n for n in numbers) or any(n >= 60 for n in numbers[1:]):
        return None
    seconds = 0.0
    for number in numbers:
        seconds = seconds * 60 + number
    return seconds


SAME_PLACE_SECONDS = 1.0  # a chapter of the same title this close is the one already there


def add_chapter(user, recording, data):
    """A new chapter at ``data['start']`` seconds, or the chapter of the same title already within
    ``SAME_PLACE_SECONDS`` of it (a double tap, a form sent twice: nothing added, nothing audited).
    Returns ``(chapter, created)``. :raise Refused: 403 unless ``user`` may add one, 422."""
    if not permissions.can_add_chapter(user, recording):
        raise Refused(403, "chapters_closed", _("Only the group's leaders and supervisors mark chapters."))
    title, start = _title(data), film_seconds(data.get("start"), "start", recording.duration or 0)
    same = db.session.scalar(db.select(Chapter).where(
        Chapter.recording_id == recording.id, Chapter.title == title,
        Chapter.start.between(start - SAME_PLACE_SECONDS, start + SAME_PLACE_SECONDS)).limit(1))
    if same is not None:
        return same, False
    chapter = Chapter(recording=recording, title=title, created_by_id=user.id, start=start)
    db.session.add(chapter)
    db.session.flush()
    audit.record("chapter.create", chapter, actor=user, recording_id=recording.id, title=chapter.title,
                 start=chapter.start)
    return chapter, True


def _require_change(user, chapter):
    """:raise Refused: 403 unless ``user`` may move or delete ``chapter``."""
    if not permissions.can_change_chapter(user, chapter):
        raise Refused(403, "supervisors_only", _("Only the group's supervisors and whoever added a chapter "
                                                  "move or delete it."))


def update_chapter(user, chapter, data):
    """Move a chapter (``start``) or rename it. :raise Refused: 403 unless ``user`` may change it, 422."""
    _require_change(user, chapter)
    before = {"title": chapter.title, "start": chapter.start}
    if "kind" in data or "title" in data:
        chapter.title = _title(data)
    if "start" in data:
        chapter.start = film_seconds(data["start"], "start", chapter.recording.duration or 0)
    after = {"title": chapter.title, "start": chapter.start}
    if after != before:
        chapter.updated_at = utcnow()
        audit.record("chapter.update", chapter, actor=user, recording_id=chapter.recording_id, before=before,
                     after=after)
    return chapter


def delete_chapter(user, chapter):
    """Delete a chapter. :raise Refused: 403 unless ``user`` may change it."""
    _require_change(user, chapter)
    audit.record("chapter.delete", chapter, actor=user, recording_id=chapter.recording_id, title=chapter.title,
                 start=chapter.start)
    db.session.delete(chapter)
    db.session.flush()
