"""Time-coded comments on a session film: who may write what, and the checks on each field.

Supervisors write comments at a point or on a range, shared with the leaders or private to
the supervisors; leaders answer in the thread of a comment they can see. Every change writes an
audit row; the caller commits.
"""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from portal import permissions
from portal.errors import Refused
from portal.extensions import db
from portal.models.base import iso_utc, utcnow
from portal.models.recordings import READY
from portal.models.supervision import SHARED, VISIBILITIES, Comment
from portal.services import audit
from portal.utils import database_id

MAX_BODY = 5000

# (code, label, colour of the timeline marker); a program may replace them (Program.comment_categories)
DEFAULT_CATEGORIES = (
    ("content", _l("Program content"), "#1d4ed8"),
    ("process", _l("Group process"), "#7e22ce"),
    ("strength", _l("Strength"), "#15803d"),
    ("develop", _l("To develop"), "#c2410c"),
    ("question", _l("Question"), "#0e7490"),
)


def categories_for(program):
    """The comment categories of ``program``: code, translated label and marker colour."""
    custom = program.comment_categories if program is not None else None
    if custom:
        return [{"code": c["code"], "label": c.get("label") or c["code"], "color": c.get("color") or "#475569"}
                for c in custom if isinstance(c, dict) and c.get("code")]
    return [{"code": code, "label": str(label), "color": color} for code, label, color in DEFAULT_CATEGORIES]


CATEGORY_LINE = re.compile(
    r"^(?P<code>[a-z0-9_-]{1,40})\s*\|\s*(?P<label>[^|]{1,60}?)\s*(?:\|\s*(?P<color>#[0-9a-fA-F]{6}))?$")
MAX_CATEGORIES = 12


def parse_categories(text):
    """A program's categories from lines ``code | label | #rrggbb`` (colour optional); an empty
    text means the built-in set (None). :raise ValueError: naming the first bad line."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return None
    categories, seen = [], set()
    for number, line in enumerate(lines, start=1):
        match = CATEGORY_LINE.match(line)
        if match is None or match["code"] in seen:
            raise ValueError(_("Line %(n)d: write code | label | #colour, with a unique code of lower-case "
                               "letters, digits, - or _.", n=number))
        seen.add(match["code"])
        categories.append({"code": match["code"], "label": match["label"], "color": match["color"] or "#475569"})
    if len(categories) > MAX_CATEGORIES:
        raise ValueError(_("At most %(n)d categories.", n=MAX_CATEGORIES))
    return categories


def format_categories(categories):
    """The text form of a program's own categories, for the admin's form ("" for the built-in)."""
    return "\n".join(f"{c['code']} | {c['label']} | {c['color']}" for c in categories or [])


def visible_comments(user, recording):
    """The comments on ``recording`` that ``user`` may see, threads in time order, in one query."""
    query = (db.select(Comment).where(Comment.recording_id == recording.id)
             .options(joinedload(Comment.author), selectinload(Comment.replies))
             .order_by(Comment.t_start, Comment.id))
    if not permissions.can_supervise_recording(user, recording):
        if not permissions.can_read_feedback(user, recording.group_session):
            return []
        query = query.where(Comment.visibility == SHARED)
    comments = db.session.scalars(query).unique().all()
    # A deleted comment stays only as the root of replies someone can still read.
    return [c for c in comments if c.deleted_at is None or any(r.deleted_at is None for r in c.replies)]


def _seconds(value, field, duration, processing=False):
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise Refused(422, f"invalid_{field}", _("A time must be a number of seconds."))
    if processing and value > duration + 0.5:
        raise Refused(422, f"invalid_{field}", _("That part of the film is still being processed. Comment on "
                                                 "it once it can be played."))
    if value < 0 or (duration and value > duration + 0.5):
        raise Refused(422, f"invalid_{field}", _("The time is outside the film."))
    return round(float(value), 3)


def _times(data, recording, current=None):
    """``(t_start, t_end)`` from ``data``, checked against the film's length; while the film is
    still processed (issue 19), against the part that can be played: a supervisor may start on
    the film, but only where they can have seen it."""
    processing = recording.status != READY
    duration = (recording.playable_seconds or 0) if processing else (recording.duration or 0)
    t_start = _seconds(data["t_start"], "t_start", duration, processing) if "t_start" in data else (
        current.t_start if current else None)
    if t_start is None:
        raise Refused(422, "invalid_t_start", _("Say where in the film the comment belongs."))
    t_end = data["t_end"] if "t_end" in data else (current.t_end if current else None)
    if t_end is not None:
        t_end = _seconds(t_end, "t_end", duration, processing)
        if t_end <= t_start:
            raise Refused(422, "invalid_t_end", _("A range must end after it starts."))
    return t_start, t_end


def _body(value):
    body = value.strip() if isinstance(value, str) else ""
    if not body:
        raise Refused(422, "invalid_body", _("Write something in the comment."))
    if len(body) > MAX_BODY:
        raise Refused(422, "invalid_body", _("A comment can be at most %(n)d characters.", n=MAX_BODY))
    return body


def _category(value, recording):
    codes = [c["code"] for c in categories_for(recording.group_session.group.program)]
    if value not in codes:
        raise Refused(422, "invalid_category", _("Choose one of the categories."))
    return value


def _visibility(value):
    if value not in VISIBILITIES:
        raise Refused(422, "invalid_visibility", _("Choose whether the leaders see the comment."))
    return value


def add_comment(user, recording, data):
    """A new comment or reply by ``user``. :raise Refused: 403/404/422 with the reason."""
    parent_id = data.get("parent_id")
    if parent_id is not None:
        parent = db.session.get(Comment, database_id(parent_id)) if database_id(parent_id) else None
        if parent is None or parent.recording_id != recording.id or not permissions.can_see_comment(user, parent):
            raise Refused(404, "parent_not_found", _("The comment you answer is gone or not visible to you."))
        parent = parent.parent or parent  # answers to a reply go into the same thread
        if parent.deleted_at is not None:
            raise Refused(409, "parent_deleted", _("The comment you answer has been deleted."))
        comment = Comment(recording=recording, author_id=user.id, parent_id=parent.id, t_start=parent.t_start,
                          t_end=parent.t_end, category=parent.category, visibility=parent.visibility,
                          body=_body(data.get("body")))
    else:
        if not permissions.can_supervise_recording(user, recording):
            raise Refused(403, "supervisors_only", _("Only the group's supervisors start a comment; "
                                                       "leaders answer in its thread."))
        t_start, t_end = _times(data, recording)
        comment = Comment(recording=recording, author_id=user.id, t_start=t_start, t_end=t_end,
                          category=_category(data.get("category"), recording),
                          visibility=_visibility(data.get("visibility", SHARED)), body=_body(data.get("body")))
    db.session.add(comment)
    db.session.flush()
    audit.record("comment.create", comment, actor=user, recording_id=recording.id, reply=parent_id is not None)
    return comment


def update_comment(user, comment, data):
    """Edit a comment (its author) or mark it resolved (anyone who sees it). :raise Refused: 403/422"""
    editing = {"body", "t_start", "t_end", "category", "visibility"} & data.keys()
    if editing and not permissions.can_edit_comment(user, comment):
        raise Refused(403, "not_author", _("Only the author can change a comment."))
    if editing and comment.parent_id is not None and editing - {"body"}:
        raise Refused(422, "reply_fields", _("A reply takes its time and category from its thread."))
    if "body" in data:
        comment.body = _body(data["body"])
    if editing & {"t_start", "t_end"}:
        comment.t_start, comment.t_end = _times(data, comment.recording, current=comment)
    if "category" in data:
        comment.category = _category(data["category"], comment.recording)
    if "visibility" in data:
        comment.visibility = _visibility(data["visibility"])
        for reply in comment.replies:
            reply.visibility = comment.visibility
    if editing:
        comment.updated_at = utcnow()
    if "resolved" in data:
        if not isinstance(data["resolved"], bool):
            raise Refused(422, "invalid_resolved", _("Resolved is true or false."))
        comment.resolved_at = utcnow() if data["resolved"] else None
        comment.resolved_by_id = user.id if data["resolved"] else None
    audit.record("comment.update", comment, actor=user, fields=sorted(data.keys() & (editing | {"resolved"})))
    return comment


def delete_comment(user, comment):
    """Delete the author's own comment: its text goes, the row stays as its thread's root.
    :raise Refused: 403 for someone else's comment."""
    if not permissions.can_edit_comment(user, comment):
        raise Refused(403, "not_author", _("Only the author can delete a comment."))
    comment.body = ""
    comment.deleted_at = utcnow()
    audit.record("comment.delete", comment, actor=user, recording_id=comment.recording_id)


def comment_json(comment, user):
    """A comment as the API and the player show it (the body is plain text, escaped by the page)."""
    return {
        "id": comment.id,
        "recording_id": comment.recording_id,
        "parent_id": comment.parent_id,
        "t_start": comment.t_start,
        "t_end": comment.t_end,
        "category": comment.category,
        "body": comment.body,
        "visibility": comment.visibility,
        "resolved": comment.resolved_at is not None,
        "deleted": comment.deleted_at is not None,
        "author": {"id": comment.author_id, "name": comment.author.name if comment.author else None},
        "created_at": iso_utc(comment.created_at),
        "updated_at": iso_utc(comment.updated_at),
        "can_edit": comment.author_id == user.id and comment.deleted_at is None,
    }


def threads_json(comments, user):
    """Top-level comments with their visible replies nested, for the player."""
    shown = {c.id for c in comments}
    out = []
    for comment in comments:
        if comment.parent_id is not None and comment.parent_id in shown:
            continue
        item = comment_json(comment, user)
        # replies share their root's visibility, so whoever sees the root sees them
        item["replies"] = [comment_json(r, user) for r in comment.replies if r.deleted_at is None]
        out.append(item)
    return out
