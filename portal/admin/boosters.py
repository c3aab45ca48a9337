"""Views of the admin blueprint for booster meetings: record each term's meetings and who came."""

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import BoosterAttendanceForm, BoosterForm, ConfirmForm
from portal.errors import Refused
from portal.extensions import db
from portal.models import BoosterMeeting
from portal.permissions import admin_organisation_id, require_manage_booster
from portal.services import boosters


def _meeting(meeting_id):
    """The meeting if it belongs to the admin's organisation. :raise 404: otherwise."""
    meeting = db.session.get(BoosterMeeting, meeting_id)
    require_manage_booster(meeting)
    return meeting


def _save(form, meeting=None):
    """Save the meeting from ``form``; the meeting, or None after a flashed refusal."""
    try:
        meeting = boosters.save_meeting(admin_organisation_id(current_user), form.held_on.data, form.term.data,
                                        form.title.data, current_user, meeting=meeting)
    except Refused as refusal:
        db.session.rollback()
        flash(refusal.message, "error")
        return None
    return meeting


@bp.route("/boosters", methods=["GET", "POST"])
def boosters_list():
    """The organisation's booster meetings; record a new one."""
    form = BoosterForm()
    if form.validate_on_submit():
        meeting = _save(form)
        if meeting is not None:
            db.session.commit()
            flash(_("The booster meeting is recorded. Mark who attended."), "success")
            return redirect(url_for("admin.booster", meeting_id=meeting.id))
    return render_template("admin/boosters.html", meetings=boosters.meetings(admin_organisation_id(current_user)),
                           form=form, leaders=len(boosters.attendable(admin_organisation_id(current_user))))


def _attendance_form(meeting, **values):
    form = BoosterAttendanceForm(**values)
    form.attended.choices = [(u.id, u.name) for u in boosters.attendable(meeting.organisation_id)]
    return form


@bp.route("/boosters/<int:meeting_id>", methods=["GET", "POST"])
def booster(meeting_id):
    """One meeting: who attended; correct its date, term and title. :raise 404:"""
    meeting = _meeting(meeting_id)
    form = BoosterForm(obj=meeting)
    if form.validate_on_submit() and _save(form, meeting) is not None:
        db.session.commit()
        flash(_("The booster meeting is saved."), "success")
        return redirect(url_for("admin.booster", meeting_id=meeting.id))
    attendance = _attendance_form(meeting, attended=[a.user_id for a in meeting.attendance])
    return render_template("admin/booster.html", meeting=meeting, form=form, attendance=attendance,
                           confirm_form=ConfirmForm())


@bp.route("/boosters/<int:meeting_id>/attendance", methods=["POST"])
def booster_attendance(meeting_id):
    """Save who attended the meeting (leaders of the organisation). :raise 404:"""
    meeting = _meeting(meeting_id)
    form = _attendance_form(meeting)
    if form.validate_on_submit():
        boosters.set_attendance(meeting, form.attended.data, current_user)
        db.session.commit()
        flash(_("The attendance is saved."), "success")
    else:
        flash(_("The attendance could not be saved. Reload the page and try again."), "error")
    return redirect(url_for("admin.booster", meeting_id=meeting.id))


@bp.route("/boosters/<int:meeting_id>/delete", methods=["POST"])
def delete_booster(meeting_id):
    """Remove a meeting recorded by mistake. :raise 404:"""
    meeting = _meeting(meeting_id)
    if ConfirmForm().validate_on_submit():
        boosters.delete_meeting(meeting, current_user)
        db.session.commit()
        flash(_("The booster meeting is removed."), "success")
    return redirect(url_for("admin.boosters_list"))
