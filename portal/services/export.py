"""Export of a session's or a whole group's supervision, for the certification file: PDF and CSV.

An export holds each session's summary, status and meeting date, the comments on the
session's films with their time codes, category, author, visibility and replies, the films'
chapters and the session's fidelity checklist (each item's mark and where in the film it was seen). Only comments
shared with the leaders go in, unless a supervisor asks for the private ones too; leaders get
the sessions whose feedback is published, shared comments only.

CSV: UTF-8 with a byte-order mark and semicolons between fields, which is what Excel opens
correctly with Swedish regional settings (where the comma is the decimal separator). One row
per summary, comment or reply. A cell a spreadsheet would read as a formula (it starts with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets a leading apostrophe.

PDF: fpdf2 with DejaVu Sans (Debian's fonts-dejavu-core, installed by scripts/sysdeps.sh) so
Swedish letters render; a character the font lacks (most emoji) becomes "?" instead of
breaking the document, and long words wrap inside the margins. Without the font the export
falls back to the PDF core font Helvetica (Latin-1: Swedish still renders).
"""

import csv
import io
import logging
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import format_datetime
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from portal import permissions
from portal.extensions import db
from portal.models import Chapter, Group, GroupSession, Recording, User
from portal.models.base import utcnow
from portal.models.recordings import DELETED
from portal.models.supervision import NOT_STARTED, PRIVATE, SHARED, Comment, SessionSupervision
from portal.services import audit, checklist, comments, supervision

log = logging.getLogger(__name__)

FONT_DIR = "/usr/share/fonts/truetype/dejavu"
FONT_FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_DELIMITER = ";"
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


@dataclass
class Thread:
    """A comment and its replies, in the order they were written."""

    comment: Comment
    replies: list = field(default_factory=list)


@dataclass
class SessionPart:
    """One session in an export: its supervision record (None before any was written) and threads."""

    group_session: GroupSession
    record: SessionSupervision | None
    threads: list
    deleted_films: list = field(default_factory=list)  # when each of the session's films was deleted
    chapters: list = field(default_factory=list)  # of the session's films still there, in time order
    checklist: list = field(default_factory=list)  # portal.services.checklist.Row per item

    @property
    def blocked(self):
        """True when a withdrawal of consent stopped the film: its comments are left out."""
        return self.group_session.playback_blocked_at is not None

    def film_notes(self):
        """What the export says about the session's film in place of anything of it."""
        notes = [_("The session's film was deleted on %(date)s.", date=_when(moment)) for moment in self.deleted_films]
        if self.blocked and not notes:
            notes.append(_("Consent was withdrawn: the film and its comments are left out."))
        return notes

    @property
    def status(self):
        """The supervision status, ``not_started`` before any record was written."""
        return self.record.status if self.record is not None else NOT_STARTED


@dataclass
class Export:
    """What one export contains, loaded in a constant number of queries."""

    group: Group
    sessions: list
    user: User
    private: bool
    whole_group: bool
    at: datetime
    categories: dict

    @property
    def subject(self):
        """The object the export is audited on: the group, or the one session."""
        return self.group if self.whole_group else self.sessions[0].group_session


def gather(user, group, sessions, private=False, whole_group=False):
    """The supervision of ``sessions`` (all in ``group``) as ``user`` may export it: the group's
    supervisors get every session and, when they ask (``private``), the private comments too;
    everyone else the published sessions and shared comments only. The caller checks access."""
    supervisor = permissions.supervises_group(user, group)
    private = bool(private) and supervisor
    ids = [s.id for s in sessions]
    records = {r.group_session_id: r for r in db.session.scalars(
        db.select(SessionSupervision).where(SessionSupervision.group_session_id.in_(ids))
        .options(joinedload(SessionSupervision.supervisor)))} if ids else {}
    if not supervisor:
        sessions = [s for s in sessions if records.get(s.id) is not None and records[s.id].published]
    threads = _threads([s.id for s in sessions], private)
    deleted = _deletions([s.id for s in sessions])
    categories = {c["code"]: c["label"] for c in comments.categories_for(group.program)}
    marks = {s.id: _marked(checklist.session_checklist(s)) for s in sessions}
    marked = _chapters([s.id for s in sessions])
    parts = [SessionPart(s, records.get(s.id), threads.get(s.id, []), deleted.get(s.id, []), marked.get(s.id, []),
                         marks[s.id]) for s in sessions]
    return Export(group=group, sessions=parts, user=user, private=private, whole_group=whole_group,
                  at=utcnow(), categories=categories)


def _deletions(session_ids):
    """When each deleted film of the sessions was deleted, per session id, in one query."""
    out = defaultdict(list)
    if session_ids:
        for session_id, deleted_at in db.session.execute(
                db.select(Recording.group_session_id, Recording.deleted_at)
                .where(Recording.group_session_id.in_(session_ids), Recording.status == DELETED)
                .order_by(Recording.deleted_at)):
            out[session_id].append(deleted_at)
    return out


def _marked(rows):
    """A session's checklist rows if the supervisor marked any item; a checklist nobody used says nothing."""
    return rows if any(row.mark is not None for row in rows) else []


def _chapters(session_ids):
    """Chapters per session id in time order, in one query; none of a deleted or blocked film."""
    out = defaultdict(list)
    if session_ids:
        for chapter, session_id in db.session.execute(
                db.select(Chapter, Recording.group_session_id).join(Recording, Chapter.recording_id == Recording.id)
                .join(GroupSession, GroupSession.id == Recording.group_session_id)
                .where(Recording.group_session_id.in_(session_ids), Recording.status != DELETED,
                       GroupSession.playback_blocked_at.is_(None))
                .order_by(Chapter.start, Chapter.id)):
            out[session_id].append(chapter)
    return out


def _threads(session_ids, private):
    """Threads per session id, in time order, in one query (authors joined). Nothing of a deleted
    film or of one a withdrawal of consent stopped."""
    if not session_ids:
        return {}
    query = (db.select(Comment, Recording.group_session_id)
             .join(Recording, Comment.recording_id == Recording.id)
             .join(GroupSession, GroupSession.id == Recording.group_session_id)
             .where(Recording.group_session_id.in_(session_ids), Recording.status != DELETED,
                    GroupSession.playback_blocked_at.is_(None))
             .options(joinedload(Comment.author))
             .order_by(Comment.t_start, Comment.id))
    if not private:
        query = query.where(Comment.visibility == SHARED)  # replies share their thread's visibility
    rows = db.session.execute(query).all()
    replies = defaultdict(list)
    for comment, _session_id in rows:
        if comment.parent_id is not None and comment.deleted_at is None:
            replies[comment.parent_id].append(comment)
    out = defaultdict(list)
    for comment, session_id in rows:
        if comment.parent_id is not None:
            continue
        answers = sorted(replies.get(comment.id, []), key=lambda r: r.id)
        # A deleted comment stays only as the root of answers that are still there.
        if comment.deleted_at is None or answers:
            out[session_id].append(Thread(comment, answers))
    return out


def hms(seconds):
    """``h:mm:ss`` for a time in a film; empty when there is none."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _when(value):
    return format_datetime(value, "yyyy-MM-dd HH:mm") if value is not None else ""


def _visibility(comment):
    return _("Private to supervisors") if comment.visibility == PRIVATE else _("Shared with the leaders")


def _body(comment):
    return _("(deleted)") if comment.deleted_at is not None else comment.body


def filename(export, extension):
    """An ASCII file name made of ids and dates, never of people's or groups' names."""
    if export.whole_group:
        stem = f"supervision-group-{export.group.id}"
    else:
        group_session = export.sessions[0].group_session
        stem = f"supervision-group-{export.group.id}-session-{group_session.number}-{group_session.date.isoformat()}"
    suffix = "-with-private" if export.private else ""
    return f"{stem}-exported-{export.at.date().isoformat()}{suffix}.{extension}"


def audit_export(export, kind):
    """An audit row for the export; the caller commits."""
    audit.record("supervision.export", export.subject, actor=export.user, format=kind, private=export.private,
                 group_id=export.group.id, sessions=[p.group_session.id for p in export.sessions])


# CSV --------------------------------------------------------------------------------------------

def safe_cell(value):
    """A cell a spreadsheet will show as text, never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def _csv_columns():
    """(key, header) of every CSV column, headers in the current language."""
    return [("group", _("Group")), ("session", _("Session")), ("title", _("Session title")),
            ("date", _("Session date")), ("status", _("Status")), ("meeting", _("Supervision meeting")),
            ("published", _("Published")), ("entry", _("Entry")), ("thread", _("Thread")), ("start", _("Start")),
            ("end", _("End")), ("category", _("Category")), ("visibility", _("Visibility")),
            ("author", _("Author")), ("resolved", _("Resolved")), ("written", _("Written")), ("text", _("Text")),
            ("mark", _("Mark"))]


def _csv_rows(export):
    """One dict per summary, comment and reply, in session and time order."""
    for part in export.sessions:
        group_session, record = part.group_session, part.record
        session = {"group": export.group.title, "session": group_session.number, "title": group_session.title,
                   "date": group_session.date.isoformat(), "status": supervision.status_text(part.status)}
        if record is not None:
            session.update(meeting=record.meeting_date.isoformat() if record.meeting_date else "",
                           published=_when(record.published_at))
        yield {**session, "entry": _("Summary"), "text": record.summary if record is not None else "",
               "author": record.supervisor.name if record is not None and record.supervisor else "",
               "written": _when(record.updated_at) if record is not None and record.summary else ""}
        for note in part.film_notes():
            yield {**session, "entry": _("Film"), "text": note}
        for chapter in part.chapters:
            yield {**session, "entry": _("Chapter"), "start": hms(chapter.start), "text": chapter.title}
        for row in part.checklist:
            ranges = ([] if part.blocked else row.links) or [None]  # nothing of a film consent stopped
            for link in ranges:
                yield {**session, "entry": _("Checklist"), "text": row.item.text,
                       "mark": checklist.mark_text(row.status),
                       "start": hms(link.start) if link else "", "end": hms(link.end) if link else ""}
        for thread in part.threads:
            root = thread.comment
            about = {**session, "thread": root.id, "start": hms(root.t_start), "end": hms(root.t_end),
                     "category": export.categories.get(root.category, root.category),
                     "visibility": _visibility(root)}
            for comment in [root, *thread.replies]:
                yield {**about, "entry": _("Comment") if comment is root else _("Reply"),
                       "author": comment.author.name if comment.author else "",
                       "resolved": _("Yes") if comment is root and root.resolved_at else "",
                       "written": _when(comment.created_at), "text": _body(comment)}


def to_csv(export):
    """The export as CSV bytes: UTF-8 with BOM, ``;`` between fields, one row per entry."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    columns = _csv_columns()
    writer.writerow([header for _key, header in columns])
    for row in _csv_rows(export):
        writer.writerow([safe_cell(row.get(key)) for key, _header in columns])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


# PDF --------------------------------------------------------------------------------------------

def _pdf_class():
    from fpdf import FPDF

    class SupervisionPDF(FPDF):
        footer_text = ""

        def footer(self):
            self.set_y(-12)
            self.set_font(self.font_family, size=8)
            page = _("Page %(n)d", n=self.page_no())
            self.cell(0, 6, f"{self.footer_text} · {page}", align="C")

    return SupervisionPDF


class _Writer:
    """Writes paragraphs into an fpdf2 document in a font that can show them."""

    def __init__(self):
        logging.getLogger("fontTools").setLevel(logging.WARNING)  # it logs every subsetting step at INFO
        self.pdf = _pdf_class()(format="A4")
        self.pdf.set_auto_page_break(True, margin=18)
        self.pdf.set_margins(18, 18, 18)
        paths = {style: os.path.join(FONT_DIR, name) for style, name in FONT_FILES.items()}
        if all(os.path.exists(p) for p in paths.values()):
            for style, path in paths.items():
                self.pdf.add_font("dejavu", style, path)
            self.family = "dejavu"
            self.glyphs = set(self.pdf.fonts["dejavu"].cmap)
        else:
            log.warning("DejaVu Sans not found in %s; the PDF uses Helvetica (Latin-1 only)", FONT_DIR)
            self.family = "helvetica"
            self.glyphs = None
        self.pdf.set_font(self.family, size=10)

    def clean(self, text):
        """``text`` with control characters gone and what the font cannot show as "?"."""
        text = _CONTROL.sub("", str(text or "").replace("\t", "    ").replace("\r\n", "\n").replace("\r", "\n"))
        if self.glyphs is None:
            return text.encode("latin-1", "replace").decode("latin-1")
        return "".join(c if c == "\n" or ord(c) in self.glyphs else "?" for c in text)

    def para(self, text, size=10, style="", indent=0, gap=1.5, color=(0, 0, 0)):
        from fpdf.enums import XPos, YPos

        pdf = self.pdf
        pdf.set_font(self.family, style, size)
        pdf.set_text_color(*color)
        pdf.set_x(pdf.l_margin + indent)
        pdf.multi_cell(pdf.epw - indent, size * 0.5, self.clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(gap)


def to_pdf(export):
    """The export as PDF bytes."""
    writer = _Writer()
    pdf = writer.pdf
    pdf.footer_text = writer.clean(_("%(group)s, exported %(when)s", group=export.group.title,
                                     when=_when(export.at)))
    pdf.set_title(writer.clean(_("Supervision: %(group)s", group=export.group.title)))
    pdf.set_creator("Filmportalen")
    pdf.add_page()
    writer.para(_("Supervision: %(group)s", group=export.group.title), size=16, style="B", gap=2)
    writer.para(_("Exported %(when)s by %(name)s.", when=_when(export.at), name=export.user.name), size=9)
    writer.para(_("Includes comments private to the supervisors: not for the certification file.")
                if export.private else _("Comments shared with the leaders only."), size=9, gap=4)
    if not export.sessions:
        writer.para(_("No feedback has been published yet."))
    grey = (90, 90, 90)
    for part in export.sessions:
        group_session, record = part.group_session, part.record
        writer.para(group_session.title,
                    size=13, style="B", gap=1)
        facts = [group_session.date.isoformat(), supervision.status_text(part.status)]
        if record is not None and record.meeting_date:
            facts.append(_("Supervision meeting %(date)s", date=record.meeting_date.isoformat()))
        if record is not None and record.published_at:
            facts.append(_("Published %(when)s", when=_when(record.published_at)))
        writer.para(" · ".join(facts), size=9, color=grey, gap=2)
        for note in part.film_notes():
            writer.para(note, size=9, style="B", gap=2)
        writer.para(_("Summary of the supervision"), size=11, style="B", gap=0.5)
        summary = record.summary if record is not None else ""
        writer.para(summary or _("No summary written."), gap=3)
        if part.chapters:
            writer.para(_("Chapters"), size=11, style="B", gap=0.5)
            for chapter in part.chapters:
                writer.para(f"{hms(chapter.start)} {chapter.title}", size=9, gap=0.5)
            pdf.ln(2)
        if part.checklist:
            writer.para(_("Checklist"), size=11, style="B", gap=0.5)
            for row in part.checklist:
                spans = ", ".join(f"{hms(link.start)}–{hms(link.end)}" for link in ([] if part.blocked else row.links))
                writer.para(f"{checklist.mark_text(row.status)} · {row.item.text}" + (f" ({spans})" if spans else ""),
                            size=9, gap=0.5)
            pdf.ln(2)
        if part.threads:
            writer.para(_("Comments on the film"), size=11, style="B", gap=0.5)
        for thread in part.threads:
            root = thread.comment
            span = hms(root.t_start) + (f"–{hms(root.t_end)}" if root.t_end is not None else "")
            label = export.categories.get(root.category, root.category)
            author = root.author.name if root.author else ""
            writer.para(f"{span} · {label} · {author} · {_visibility(root)}", size=9, style="B", gap=0.5)
            writer.para(_body(root), gap=1)
            for reply in thread.replies:
                writer.para(_("Reply from %(name)s, %(when)s", name=reply.author.name if reply.author else "",
                              when=_when(reply.created_at)), size=8, indent=8, color=grey, gap=0.3)
                writer.para(reply.body, size=9, indent=8, gap=1)
            pdf.ln(1.5)
        pdf.ln(3)
    return bytes(pdf.output())
