"""Views of a group's life after it is created: edit it, move, cancel or add a session, close it
at the end of the round and archive it. Thin: the rules live in portal.services.group_life."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.extensions import db
from portal.groups import bp
from portal.groups.forms import GroupEditForm, SessionAddForm
from portal.models import Group, GroupSession, User
from portal.services import group_life, groups, platform

PEOPLE = ("uploader", "co_leader", "technical_assistant", "supervisors")


def _editable_group(group_id):
    """The group if the user may change it. :raise 404: when hidden; 403 when not managed or archived."""
    group = db.session.get(Group, group_id)
    permissions.require_edit_group(group)
    return group


def _edit_form(group, fields):
    """The edit form with the group's values, without the fields the user may not change."""
    leaders = {r.role: r.user_id for r in group.leader_rows}
    form = GroupEditForm(data={
        "title": group.title, "start_date": group.start_date, "language": group.language,
        "interpreter": group.interpreter, "co_leader_may_upload": group.co_leader_may_upload,
        "uploader": leaders.get("uploader"), "co_leader": leaders.get("co_leader"),
        "technical_assistant": group.technical_assistant_id or 0,
        "supervisors": [r.user_id for r in group.supervisor_rows]})
    for name in [f.name for f in form if f.name != "csrf_token" and f.name not in fields]:
        delattr(form, name)
    if "uploader" in fields:
        org_id = group.organisation_id
        leaders = [(u.id, u.name) for u in groups.people(org_id, "leader")]
        form.uploader.choices = form.co_leader.choices = leaders
        form.technical_assistant.choices = [(0, _("None"))] + [(u.id, u.name) for u in groups.people(org_id)]
        pool, _suggested = platform.supervisor_choices()  # the program owner's pool, least loaded first
        pooled = {user_id for user_id, _label in pool}
        form.supervisors.choices = pool + [(r.user_id, r.user.name) for r in group.supervisor_rows
                                           if r.user_id not in pooled]  # one who left the pool stays until unticked
    return form


def _changes(form):
    """The form's values as keyword arguments of ``group_life.update_group``."""
    user = lambda user_id: db.session.get(User, user_id) if user_id else None  # noqa: E731
    changes = {}
    for f in form:
        if f.name == "csrf_token":
            continue
        if f.name == "supervisors":
            changes[f.name] = [user(i) for i in f.data]
        elif f.name in PEOPLE:
            changes[f.name] = user(f.data)
        else:
            changes[f.name] = f.data
    return changes


@bp.route("/<int:group_id>/edit", methods=["GET", "POST"])
def edit(group_id):
    """Change the group's title, dates and (for admins) its people. :raise 404, 403:"""
    group = _editable_group(group_id)
    fields = group_life.editable_fields(current_user, group)
    form = _edit_form(group, fields)
    if form.validate_on_submit():
        try:
            changed = group_life.update_group(group, current_user, **_changes(form))
        except groups.GroupError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The group is saved.") if changed else _("Nothing was changed."),
                  "success" if changed else "info")
            return redirect(url_for("groups.show", group_id=group.id))
    return render_template("groups/edit.html", group=group, form=form, session_form=SessionAddForm())


@bp.route("/<int:group_id>/sessions", methods=["POST"])
def add_session(group_id):
    """Add a session after the last one. :raise 404, 403:"""
    group = _editable_group(group_id)
    form = SessionAddForm()
    if form.validate_on_submit():
        group_session = group_life.add_session(group, form.title.data, form.date.data, current_user)
        db.session.commit()
        flash(_("%(session)s is added.", session=group_session.title), "success")
    else:
        flash(_("Enter the title and the date of the session."), "error")
    return redirect(url_for("groups.show", group_id=group.id))


@bp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
def cancel_session(session_id):
    """Mark a session as not held. :raise 404, 403:"""
    group_session = db.session.get(GroupSession, session_id)
    permissions.require_edit_group(group_session.group if group_session else None)
    _act(group_life.cancel_session, group_session, _("%(session)s is cancelled.", session=group_session.title))
    return redirect(url_for("groups.show", group_id=group_session.group_id))


@bp.route("/sessions/<int:session_id>/reinstate", methods=["POST"])
def reinstate_session(session_id):
    """Undo a session's cancellation. :raise 404, 403:"""
    group_session = db.session.get(GroupSession, session_id)
    permissions.require_edit_group(group_session.group if group_session else None)
    _act(group_life.reinstate_session, group_session,
         _("%(session)s is held after all: its film can be uploaded.", session=group_session.title))
    return redirect(url_for("groups.show", group_id=group_session.group_id))


@bp.route("/<int:group_id>/close", methods=["POST"])
def close(group_id):
    """Close the group at the end of its round. :raise 404, 403:"""
    group = _editable_group(group_id)
    _act(group_life.close_group, group, _("The group is closed."))
    return redirect(url_for("groups.show", group_id=group.id) + "#evaluation")


@bp.route("/<int:group_id>/archive", methods=["POST"])
def archive(group_id):
    """Archive a closed group: read-only, out of the working lists. :raise 404, 403:"""
    group = _editable_group(group_id)
    if not permissions.is_admin(current_user):
        abort(403)
    _act(group_life.archive_group, group, _("The group is archived. It stays reachable under archived groups."))
    return redirect(url_for("groups.show", group_id=group.id))


def _act(change, obj, done):
    """Run ``change(obj, current_user)``; commit and say ``done``, or show why it was refused."""
    try:
        change(obj, current_user)
    except groups.GroupError as error:
        db.session.rollback()
        flash(str(error), "error")
    else:
        db.session.commit()
        flash(done, "success")
