"""API v1: a group's life after it is created: edit it, add, move or cancel a session, close and
archive it. The same rules as the pages (portal.services.group_life)."""

from datetime import date

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.api import bp
from portal.api.groups import InputError, _visible, body, field, group_json, session_json
from portal.errors import api_error
from portal.extensions import db
from portal.models import Group, GroupSession, User
from portal.services import group_life, groups

# JSON field -> (keyword of group_life.update_group, kind)
GROUP_FIELDS = {"title": ("title", str), "start_date": ("start_date", date), "language": ("language", str),
                "interpreter": ("interpreter", bool), "uploader_id": ("uploader", int),
                "co_leader_id": ("co_leader", int), "co_leader_may_upload": ("co_leader_may_upload", bool),
                "technical_assistant_id": ("technical_assistant", int), "supervisor_ids": ("supervisors", "ids")}


def _person(user_id, name):
    """The user with ``user_id``. :raise InputError: naming the field when there is none."""
    user = db.session.get(User, user_id) if 0 < user_id < 2**31 else None
    if user is None:
        raise InputError(_("There is no such person."), field=name)
    return user


def _editable(model, object_id):
    """The object if the caller may change its group. :raise 404, 403: (403 also when archived)"""
    obj = _visible(model, object_id)
    permissions.require_edit_group(obj if isinstance(obj, Group) else obj.group)
    return obj


@bp.route("/groups/<int:group_id>", methods=["PATCH"])
def update_group(group_id):
    """Change the fields given; leaders their group's title and start date, admins everything.
    Audited with before and after. :raise 404, 403, 422:"""
    group = _editable(Group, group_id)
    data = body()
    changes = {}
    for name, (keyword, kind) in GROUP_FIELDS.items():
        if name not in data:
            continue
        if name == "technical_assistant_id" and data[name] is None:
            changes[keyword] = None
            continue
        value = field(data, name, kind)
        if name == "supervisor_ids":
            value = [_person(v, name) for v in value]
        elif name.endswith("_id"):
            value = _person(value, name)
        changes[keyword] = value
    refused = sorted(k for k in changes if k not in group_life.editable_fields(current_user, group))
    if refused:
        return api_error(403, "forbidden", _("You cannot change this in the group: %(fields)s.",
                                             fields=", ".join(refused)))
    group_life.update_group(group, current_user, **changes)
    db.session.commit()
    return jsonify(group_json(group, detail=True))


@bp.route("/groups/<int:group_id>/sessions", methods=["POST"])
def add_session(group_id):
    """Add a session after the last one. :raise 404, 403, 422:"""
    group = _editable(Group, group_id)
    data = body()
    group_session = group_life.add_session(group, field(data, "title", str), field(data, "date", date),
                                           current_user)
    db.session.commit()
    return jsonify(session_json(group_session)), 201


@bp.route("/sessions/<int:session_id>", methods=["PATCH"])
def update_session(session_id):
    """Move a session (``date``) or cancel it (``cancelled: true``). :raise 404, 403, 422:"""
    group_session = _editable(GroupSession, session_id)
    data = body()
    new_date = field(data, "date", date, required=False)
    cancelled = field(data, "cancelled", bool, required=False)
    if cancelled is False:
        raise InputError(_("A cancelled session cannot be taken back; add a session instead."), field="cancelled")
    if new_date is not None and new_date != group_session.date:
        groups.set_session_date(group_session, new_date, current_user)
    if cancelled:
        group_life.cancel_session(group_session, current_user)
    db.session.commit()
    return jsonify(session_json(group_session))


@bp.route("/groups/<int:group_id>/close", methods=["POST"])
def close_group(group_id):
    """Close the group at the end of its round (its evaluation recorded). :raise 404, 403, 422:"""
    group = _editable(Group, group_id)
    group_life.close_group(group, current_user)
    db.session.commit()
    return jsonify(group_json(group))


@bp.route("/groups/<int:group_id>/archive", methods=["POST"])
def archive_group(group_id):
    """Archive a closed group (admins): read-only from now on. :raise 404, 403, 422:"""
    group = _editable(Group, group_id)
    if not permissions.is_admin(current_user):
        return api_error(403, "forbidden", _("Only administrators archive groups."))
    group_life.archive_group(group, current_user)
    db.session.commit()
    return jsonify(group_json(group))
