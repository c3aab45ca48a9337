"""The fidelity checklist: per program session, the manual's key content items; per group session,
the supervisor's mark on each (covered, partly covered, missing) and where in the film it was seen.

Items are the program's data, kept by the platform administrator. They start as marked
placeholders to be filled in from the manual: the portal never invents the manual's content.
Marks concern the leader's work and outlive the film; links are content of the film and are
deleted with it (``portal.services.deletion.forget_film``). Audited; callers commit.
"""

from collections import defaultdict
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from portal import permissions
from portal.errors import Refused
from portal.extensions import db
from portal.models import ChecklistItem, ChecklistLink, ChecklistMark, Recording
from portal.models.base import iso_utc, utcnow
from portal.models.recordings import READY
from portal.models.review_tools import COVERED, MARK_STATUSES, MISSING, PARTLY
from portal.services import audit
from portal.services.comments import _seconds as film_seconds

PLACEHOLDERS_PER_SESSION = 3
PLACEHOLDER = "Innehållspunkt {n} (fyll i från manualen)"
MAX_TEXT = 500


# The catalogue --------------------------------------------------------------------------------

def items_of(program_id, session_number=None):
    """The current items of a program version, by session number and position."""
    query = db.select(ChecklistItem).where(ChecklistItem.program_id == program_id, ChecklistItem.retired_at.is_(None))
    if session_number is not None:
        query = query.where(ChecklistItem.session_number == session_number)
    return db.session.scalars(query.order_by(ChecklistItem.session_number, ChecklistItem.position,
                                             ChecklistItem.id)).all()


def seed_placeholders(program):
    """Placeholder items for each principle session of ``program`` that has none yet. The caller commits."""
    have = {item.session_number for item in items_of(program.id)}
    for number in range(1, len(program.session_titles or []) + 1):
        if number not in have:
            db.session.add_all(ChecklistItem(program_id=program.id, session_number=number, position=n,
                                             text=PLACEHOLDER.format(n=n))
                               for n in range(1, PLACEHOLDERS_PER_SESSION + 1))
    db.session.flush()


def copy_items(old, new):
    """A new program version starts with its predecessor's items (running groups keep the old ones)."""
    db.session.add_all(ChecklistItem(program_id=new.id, session_number=item.session_number, position=item.position,
                                     text=item.text) for item in items_of(old.id))
    db.session.flush()


def by_session(program):
    """``{session number: [item text]}`` of a program version, for the catalogue's form."""
    out = defaultdict(list)
    for item in items_of(program.id):
        out[item.session_number].append(item.text)
    return out


def set_items(program, texts_by_session, actor):
    """Replace the items of ``program`` with ``{session number: [text]}``. Audited; the caller commits.

    A mark never changes its meaning: an item whose text stays keeps its id and its marks wherever
    it moves; a new or reworded text takes over an item no supervisor has marked yet (filling in
    the placeholders), else it is a new item, and a marked item whose text is gone is retired and
    keeps its marks (the checklists show it, retired, where it was marked).

    :raise Refused: 422 for an item text that is too long."""
    changed = []
    current = defaultdict(list)
    for item in items_of(program.id):
        current[item.session_number].append(item)
    ids = [item.id for items in current.values() for item in items]
    marked = set(db.session.scalars(db.select(ChecklistMark.item_id).where(ChecklistMark.item_id.in_(ids)))) \
        if ids else set()
    for number, texts in texts_by_session.items():
        texts = [t.strip() for t in texts if t and t.strip()]
        if any(len(t) > MAX_TEXT for t in texts):
            raise Refused(422, "invalid_item", _("A checklist item can be at most %(n)d characters.", n=MAX_TEXT))
        if _place_items(program, number, texts, current.get(number, []), marked):
            changed.append(number)
    db.session.flush()
    if changed:
        audit.record("program.checklist", program, actor=actor, version=program.version,
                     sessions=sorted(set(changed)))
    return sorted(set(changed))


def _place_items(program, number, texts, existing, marked):
    """Give session ``number`` the items ``texts`` in order (see ``set_items``); True if it changed."""
    left = list(existing)
    chosen = [None] * len(texts)
    for index, text in enumerate(texts):  # unchanged texts keep their items, wherever they move
        match = next((item for item in left if item.text == text), None)
        if match is not None:
            chosen[index] = match
            left.remove(match)
    for index in range(len(texts)):  # the rest: an unmarked item (the one at that place first)
        if chosen[index] is None:
            free = sorted((item for item in left if item.id not in marked),
                          key=lambda item: (item.position != index + 1, item.position))
            if free:
                chosen[index] = free[0]
                left.remove(free[0])
    changed = bool(left)
    for item in left:  # texts gone: retired, with their marks
        item.retired_at = utcnow()
    for position, (text, item) in enumerate(zip(texts, chosen, strict=True), start=1):
        if item is None:
            db.session.add(ChecklistItem(program_id=program.id, session_number=number, position=position, text=text))
            changed = True
        elif item.text != text or item.position != position:
            item.text, item.position = text, position
            changed = True
    return changed


# Marks and links ------------------------------------------------------------------------------

def mark_text(status):
    """A mark as a person reads it, in the current language."""
    return {COVERED: _("Covered"), PARTLY: _("Partly covered"), MISSING: _("Missing")}.get(status, _("Not marked"))


@dataclass
class Row:
    """One item of a session's checklist with its mark (None before any) and links."""

    item: ChecklistItem
    mark: ChecklistMark | None

    @property
    def status(self):
        return self.mark.status if self.mark is not None else None

    @property
    def links(self):
        return list(self.mark.links) if self.mark is not None else []


def session_checklist(group_session):
    """The checklist of a group session: its program's items for the session's number with their marks.

    Items retired since a mark was made still show with that mark."""
    marks = {m.item_id: m for m in db.session.scalars(
        db.select(ChecklistMark).where(ChecklistMark.group_session_id == group_session.id))}
    items = items_of(group_session.group.program_id, group_session.number)
    ids = {item.id for item in items}
    items += [m.item for item_id, m in marks.items() if item_id not in ids]
    return [Row(item, marks.get(item.id)) for item in items]


def row_json(row):
    """One checklist row as the API shows it."""
    mark = row.mark
    return {"item_id": row.item.id, "text": row.item.text, "position": row.item.position,
            "retired": row.item.retired_at is not None, "status": row.status,
            "marked_by": {"id": mark.marked_by_id, "name": mark.marked_by.name if mark.marked_by else None}
            if mark is not None and mark.status else None,
            "marked_at": iso_utc(mark.marked_at) if mark is not None else None,
            "links": [link_json(link) for link in row.links]}


def link_json(link):
    return {"id": link.id, "recording_id": link.recording_id, "start": link.start, "end": link.end}


def _item_of(group_session, item_id):
    """The item of the session's program and number. :raise Refused: 404 otherwise."""
    item = db.session.get(ChecklistItem, item_id)
    if item is None or item.program_id != group_session.group.program_id or \
            item.session_number != group_session.number:
        raise Refused(404, "item_not_found", _("The checklist item is not part of this session."))
    return item


def _require_marker(user, group_session):
    if not permissions.can_mark_checklist(user, group_session):
        raise Refused(403, "supervisors_only", _("Only the group's supervisors mark the checklist."))


def _mark_for(group_session, item):
    mark = db.session.scalar(db.select(ChecklistMark).where(ChecklistMark.group_session_id == group_session.id,
                                                            ChecklistMark.item_id == item.id))
    if mark is None:
        mark = ChecklistMark(group_session_id=group_session.id, item=item)
        db.session.add(mark)
    return mark


def set_mark(user, group_session, item_id, status):
    """Tick an item covered, partly covered or missing (None clears the tick). Audited.

    :raise Refused: 403 for anyone but the group's supervisors, 404 for another session's item, 422."""
    _require_marker(user, group_session)
    item = _item_of(group_session, item_id)
    if status is not None and status not in MARK_STATUSES:
        raise Refused(422, "invalid_status", _("Mark the item covered, partly covered or missing."))
    mark = _mark_for(group_session, item)
    before = mark.status
    mark.status, mark.marked_by_id, mark.marked_at = status, user.id, utcnow()
    db.session.flush()
    audit.record("checklist.mark", group_session, actor=user, item_id=item.id, before=before, after=status)
    return Row(item, mark)


def add_link(user, group_session, item_id, data):
    """Link an item to the range ``start..end`` of one of the session's ready films. Audited.

    :raise Refused: 403/404 as :func:`set_mark`, 404 for a film of another session, 422 for a bad range."""
    _require_marker(user, group_session)
    item = _item_of(group_session, item_id)
    recording = db.session.get(Recording, data.get("recording_id")) \
        if isinstance(data.get("recording_id"), int) and not isinstance(data.get("recording_id"), bool) else None
    if recording is None or recording.group_session_id != group_session.id or recording.status != READY:
        raise Refused(404, "recording_not_found", _("The film is not one of this session's films."))
    duration = recording.duration or 0
    start = film_seconds(data.get("start"), "start", duration)
    end = film_seconds(data.get("end"), "end", duration)
    if end <= start:
        raise Refused(422, "invalid_end", _("A range must end after it starts."))
    mark = _mark_for(group_session, item)
    link = ChecklistLink(mark=mark, recording_id=recording.id, start=start, end=end, created_by_id=user.id)
    db.session.add(link)
    db.session.flush()
    audit.record("checklist.link", group_session, actor=user, item_id=item.id, recording_id=recording.id,
                 start=start, end=end)
    return Row(item, mark)


def delete_link(user, link):
    """Remove a link. :raise Refused: 403 for anyone but the group's supervisors."""
    group_session = link.mark.group_session
    _require_marker(user, group_session)
    audit.record("checklist.unlink", group_session, actor=user, item_id=link.mark.item_id, link_id=link.id)
    db.session.delete(link)
    db.session.flush()


def forget_links(recording_id):
    """Delete the film's links (the marks stay: they concern the leader's work); returns how many."""
    return db.session.execute(db.delete(ChecklistLink).where(ChecklistLink.recording_id == recording_id)
                              .execution_options(synchronize_session=False)).rowcount


# Roll-up --------------------------------------------------------------------------------------

@dataclass
class Tally:
    """One item text across a group's sessions: how many sessions had it and how it was marked."""

    text: str
    sessions: int = 0
    covered: int = 0
    partly: int = 0
    missing: int = 0

    @property
    def summary(self):
        """"täckt i 8 av 9 träffar" in the reader's language."""
        return ngettext("covered in %(covered)d of %(num)d session", "covered in %(covered)d of %(num)d sessions",
                        self.sessions, covered=self.covered)


def rollup(group, published_only=False):
    """Each checklist item text of the group's sessions with how often it was covered, partly
    covered or missing (an item recurring in several sessions adds up), in session order.
    ``published_only``: count only sessions whose feedback is published (what leaders may read)."""
    tallies = {}
    for group_session in group.sessions:
        if group_session.cancelled_at is not None or group_session.number < 1:
            continue
        record = group_session.supervision
        if published_only and (record is None or not record.published):
            continue
        for row in session_checklist(group_session):
            tally = tallies.setdefault(row.item.text, Tally(row.item.text))
            tally.sessions += 1
            tally.covered += row.status == COVERED
            tally.partly += row.status == PARTLY
            tally.missing += row.status == MISSING
    return list(tallies.values())


def rollups_for(groups, viewer):
    """The roll-up of each group in ``groups`` by id, as ``viewer`` may see it: the group's
    supervisors count every session, everyone else (its leaders, the organisation's admins) the
    sessions whose feedback is published."""
    return {group.id: rollup(group, published_only=not permissions.supervises_group(viewer, group))
            for group in groups}
