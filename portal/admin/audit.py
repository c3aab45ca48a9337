"""The organisation's audit log for admins: search, filter, export. Rows are never changed."""

import csv
import io
from datetime import datetime, timedelta

from flask import Response, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.clock import local_iso, start_of_day
from portal.extensions import db
from portal.models import AuditEvent, User
from portal.permissions import admin_organisation, admin_organisation_id
from portal.security import recent_auth_redirect
from portal.services import audit
from portal.services.export import safe_cell

PAGE = 50
EXPORT_MAX = 50000


def _date(name):
    try:
        return datetime.strptime(request.args.get(name, ""), "%Y-%m-%d").date()
    except ValueError:
        return None


def filters():
    """The filters in the query string, cleaned."""
    object_id = request.args.get("object_id", "").strip()
    return {
        "action": request.args.get("action", "").strip()[:64],
        "actor": request.args.get("actor", "").strip()[:254],
        "object_type": request.args.get("object_type", "").strip()[:32],
        "object_id": int(object_id) if object_id.isdigit() else None,
        "since": _date("since"),
        "until": _date("until"),
    }


def events_query(wanted):
    """The organisation's events matching ``wanted``, newest first."""
    query = (db.select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
             .where(AuditEvent.organisation_id == admin_organisation_id(current_user))
             .order_by(AuditEvent.id.desc()))
    if wanted["action"]:
        query = query.where(AuditEvent.action.startswith(wanted["action"], autoescape=True))
    if wanted["actor"]:
        needle = f"%{wanted['actor'].lower()}%"
        query = query.where(db.or_(db.func.lower(User.email).like(needle), db.func.lower(User.name).like(needle)))
    if wanted["object_type"]:
        query = query.where(AuditEvent.object_type == wanted["object_type"])
    if wanted["object_id"] is not None:
        query = query.where(AuditEvent.object_id == wanted["object_id"])
    if wanted["since"]:
        query = query.where(AuditEvent.at >= start_of_day(wanted["since"]))
    if wanted["until"]:
        query = query.where(AuditEvent.at < start_of_day(wanted["until"] + timedelta(days=1)))
    return query


@bp.route("/audit")
def audit_log():
    """The audit log of the admin's organisation, filtered and paged."""
    wanted = filters()
    page = max(1, request.args.get("page", 1, type=int))
    rows = db.session.execute(events_query(wanted).limit(PAGE + 1).offset((page - 1) * PAGE)).all()
    actions = db.session.scalars(db.select(AuditEvent.action).distinct()
                                 .where(AuditEvent.organisation_id == admin_organisation_id(current_user))
                                 .order_by(AuditEvent.action)).all()
    args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("admin/audit.html", rows=rows[:PAGE], wanted=wanted, page=page,
                           more=len(rows) > PAGE, actions=actions, args=args)


@bp.route("/audit/export.csv")
def audit_export():
    """The filtered log as CSV; asks for the password again and is itself audited."""
    if (again := recent_auth_redirect()) is not None:
        return again
    wanted = filters()
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("When"), _("Action"), _("Who"), _("Object"), _("Object id"), _("Address"), _("Detail")])
    count = 0
    for event, user in db.session.execute(events_query(wanted).limit(EXPORT_MAX)):
        count += 1
        writer.writerow([safe_cell(v) for v in (
            local_iso(event.at), event.action, user.email if user else "",
            event.object_type or "", event.object_id or "", event.ip or "", _detail(event.detail))])
    audit.record("audit.export", admin_organisation(current_user), rows=count,
                 filters={k: str(v) for k, v in wanted.items() if v})
    db.session.commit()
    response = Response(("\ufeff" + buffer.getvalue()).encode("utf-8"), mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f"attachment; filename=audit-{datetime.now():%Y-%m-%d}.csv"
    response.headers["Cache-Control"] = "no-store"
    return response


def _detail(detail):
    return ", ".join(f"{k}={v}" for k, v in sorted((detail or {}).items()))
