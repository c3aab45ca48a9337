"""Export views of the review blueprint: a session's or a group's supervision as PDF or CSV.

The group's assigned supervisors export any session, with private comments only when they ask
(``?private=1``); leaders export their own group's published feedback. Everyone else gets 404.
"""

from flask import Response, abort, request
from flask_login import current_user

from portal import permissions
from portal.extensions import db
from portal.models import Group, GroupSession
from portal.review import bp
from portal.security import recent_auth_redirect
from portal.services import export

FORMATS = {
    "pdf": ("application/pdf", export.to_pdf),
    "csv": ("text/csv; charset=utf-8", export.to_csv),
}


def _may_export(group):
    return group is not None and (permissions.supervises_group(current_user, group)
                                  or permissions.leads_group(current_user, group))


def _require_format(kind):
    """:raise 404: for a format we do not offer."""
    if kind not in FORMATS:
        abort(404)


def _download(data, kind):
    """Build the file, audit it and send it as an attachment that no cache keeps."""
    content_type, render = FORMATS[kind]
    body, name = render(data), export.filename(data, kind)
    export.audit_export(data, kind)
    db.session.commit()
    response = Response(body, content_type=content_type)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/sessions/<int:session_id>/export.<kind>")
def export_session(session_id, kind):
    """One session's supervision as PDF or CSV. :raise 404: unless the user supervises the
    group, or leads it and the feedback is published."""
    _require_format(kind)
    group_session = db.session.get(GroupSession, session_id)
    group = group_session.group if group_session is not None else None
    if not _may_export(group) or not permissions.can_read_feedback(current_user, group_session):
        abort(404)
    if (again := recent_auth_redirect()) is not None:
        return again
    data = export.gather(current_user, group, [group_session], private=request.args.get("private") == "1")
    return _download(data, kind)


@bp.route("/groups/<int:group_id>/export.<kind>")
def export_group(group_id, kind):
    """Every session of a group as PDF or CSV (leaders: the published ones). :raise 404: unless
    the user supervises or leads the group."""
    _require_format(kind)
    group = db.session.get(Group, group_id)
    if not _may_export(group):
        abort(404)
    if (again := recent_auth_redirect()) is not None:
        return again
    data = export.gather(current_user, group, list(group.sessions), private=request.args.get("private") == "1",
                         whole_group=True)
    return _download(data, kind)
