"""Admin pages for retention and deletion: the organisation's policy, films scheduled for
deletion with their legal holds, deleting one film now, and deleting a session's films after a
withdrawal of consent. Every deletion asks for the password again and for a confirmation."""

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, IntegerField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from portal.admin import bp
from portal.extensions import db
from portal.models import GroupSession, Recording
from portal.models.recordings import DELETED
from portal.permissions import admin_organisation, administers
from portal.security import recent_auth_redirect
from portal.services import audit, retention
from portal.services import recordings as recording_service
from portal.services import retention_policy as policy_service

POLICY_FIELDS = ("retention_days", "retention_max_days", "withdrawal_grace_days", "deletion_warning_days",
                 "keep_originals", "leaders_require_2fa")


class RetentionPolicyForm(FlaskForm):
    retention_days = IntegerField(
        _l("Delete films this many days after the group's certification decision"),
        validators=[InputRequired(), NumberRange(min=1, max=3650)],
        description=_l("In groups without certification, the days count from the session's published feedback."))
    retention_max_days = IntegerField(_l("Delete every film at the latest this many days after upload"),
                                      validators=[InputRequired(), NumberRange(min=1, max=3650)])
    withdrawal_grace_days = IntegerField(
        _l("Delete the films of a withdrawal of consent this many days after it is registered"),
        validators=[Optional(), NumberRange(min=0, max=90)],
        description=_l("Leave empty for the portal's default; 0 deletes them within a minute."))
    deletion_warning_days = IntegerField(_l("Warn the leaders and administrators this many days before"),
                                         validators=[InputRequired(), NumberRange(min=0, max=365)])
    keep_originals = BooleanField(_l("Keep the uploaded original files after processing"))
    leaders_require_2fa = BooleanField(_l("Group leaders must use two-factor login"))


class LegalHoldForm(FlaskForm):
    hold = HiddenField(validators=[AnyOf(["set", "lift"])])
    reason = StringField(_l("Reason for the legal hold"), validators=[Optional(), Length(max=500)])


class DeleteForm(FlaskForm):
    confirm = BooleanField(_l("I understand that the deleted films cannot be restored"),
                           validators=[DataRequired(_l("Tick the box to confirm the deletion."))])


def _own_recording(recording_id):
    """A film of the admin's organisation that is not deleted. :raise 404: otherwise."""
    recording = db.session.get(Recording, recording_id)
    if recording is None or not administers(current_user, recording.organisation_id) or recording.status == DELETED:
        abort(404)
    return recording


def _blocked_session(session_id):
    """A session of the admin's organisation blocked by a withdrawal. :raise 404: otherwise."""
    group_session = db.session.get(GroupSession, session_id)
    if (group_session is None or not administers(current_user, group_session.group.organisation_id)
            or group_session.playback_blocked_at is None):
        abort(404)
    return group_session


@bp.app_template_global()
def retention_policy_at_first_login(user):
    """For the start page: the policy an admin sees at their first login (None later)."""
    return policy_service.at_first_login(user)


@bp.route("/retention", methods=["GET", "POST"])
def retention_policy():
    """The organisation's retention policy, the films scheduled for deletion and legal holds."""
    organisation = admin_organisation(current_user)
    form = RetentionPolicyForm(obj=organisation)
    if form.is_submitted() and (r := recent_auth_redirect(url_for("admin.retention_policy"))) is not None:
        return r
    if form.validate_on_submit():
        changes = {name: [getattr(organisation, name), form[name].data] for name in POLICY_FIELDS
                   if getattr(organisation, name) != form[name].data}
        if changes:
            for name, (_old, new) in changes.items():
                setattr(organisation, name, new)
            audit.record("organisation.retention_policy", organisation, changes=changes)
            db.session.commit()
        flash(_("The retention policy is saved."), "success")
        return redirect(url_for("admin.retention_policy"))
    rows, deleted = retention.overview(organisation.id)
    return render_template("admin/retention.html", form=form, rows=rows, deleted=deleted,
                           retention_policy=policy_service.summary(organisation),
                           hold_form=LegalHoldForm(), status_text=recording_service.status_text,
                           reason_text=retention.reason_text)


@bp.route("/retention/recordings/<int:recording_id>/hold", methods=["POST"])
def legal_hold(recording_id):
    """Set or lift a legal hold on a film; lifting asks for the password again. :raise 404:"""
    recording = _own_recording(recording_id)
    form = LegalHoldForm()
    if form.validate_on_submit():
        if form.hold.data == "set":
            if not (form.reason.data or "").strip():
                flash(_("Give the reason for the legal hold."), "error")
                return redirect(url_for("admin.retention_policy"))
            retention.set_legal_hold(recording, current_user, form.reason.data)
            flash(_("The film is under a legal hold and will not be deleted."), "success")
        else:
            if (r := recent_auth_redirect(url_for("admin.retention_policy"))) is not None:
                return r
            retention.lift_legal_hold(recording, current_user)
            flash(_("The legal hold is lifted; the retention policy applies again."), "success")
        db.session.commit()
    return redirect(url_for("admin.retention_policy"))


def _deleted_message(receipts):
    numbers = ", ".join(str(receipt.id) for receipt in receipts)
    return ngettext("%(num)d film deleted. Its receipt number in the audit log: %(numbers)s.",
                    "%(num)d films deleted. Their receipt numbers in the audit log: %(numbers)s.", len(receipts),
                    numbers=numbers)


def _failed():
    db.session.rollback()
    current_app.logger.warning("deletion failed", exc_info=True)
    flash(_("The storage could not delete everything. Nothing is marked as deleted; try again in a "
            "moment."), "error")


@bp.route("/retention/recordings/<int:recording_id>/delete", methods=["GET", "POST"])
def delete_recording_now(recording_id):
    """Confirm, then delete one film with its receipt. :raise 404: for another organisation's film."""
    if (r := recent_auth_redirect(url_for("admin.delete_recording_now", recording_id=recording_id))) is not None:
        return r
    recording = _own_recording(recording_id)
    form = DeleteForm()
    if form.validate_on_submit():
        try:
            receipt = retention.delete_recording(recording, current_user, retention.ADMIN_REQUEST)
        except retention.DeletionRefused:
            flash(_("The film is under a legal hold. Lift the hold before deleting it."), "error")
        except Exception:  # noqa: BLE001 - any storage failure: tell the admin, keep the row as it was
            _failed()
        else:
            flash(_deleted_message([receipt]), "success")
            return redirect(url_for("admin.retention_policy"))
    return render_template("admin/retention_delete.html", form=form, films=[recording],
                           group_session=recording.group_session, withdrawal=False,
                           status_text=recording_service.status_text)


@bp.route("/withdrawals/<int:session_id>/delete", methods=["GET", "POST"])
def delete_withdrawn_session(session_id):
    """Confirm, then delete the films of a session blocked by a withdrawal of consent, each with
    its receipt. :raise 404: for a session of another organisation or one not blocked."""
    if (r := recent_auth_redirect(url_for("admin.delete_withdrawn_session", session_id=session_id))) is not None:
        return r
    group_session = _blocked_session(session_id)
    form = DeleteForm()
    if form.validate_on_submit():
        try:
            receipts, held = retention.delete_session_films(group_session, current_user)
        except Exception:  # noqa: BLE001 - any storage failure: tell the admin; a retry finishes
            _failed()
        else:
            if receipts:
                flash(_deleted_message(receipts), "success")
            if held:
                flash(ngettext("%(num)d film is under a legal hold and was kept.",
                               "%(num)d films are under a legal hold and were kept.", len(held)), "error")
            return redirect(url_for("admin.groups_overview"))
    return render_template("admin/retention_delete.html", form=form, films=retention.live_films(group_session),
                           group_session=group_session, withdrawal=True,
                           status_text=recording_service.status_text)
