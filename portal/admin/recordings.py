"""Films that need an admin: failed processing to retry, rejected files, work in progress,
and uploads that stopped moving."""

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmForm
from portal.extensions import db
from portal.models import Recording
from portal.permissions import admin_organisation_id, administers, can_retry_recording
from portal.services import paging
from portal.services import recordings as recording_service
from portal.services import uploads as upload_service
from portal.utils import safe_next


@bp.route("/recordings")
def recordings():
    """The organisation's films that failed, were refused, are on their way, or whose upload is stuck."""
    q = paging.search_term(request.args.get("q"))
    rows = recording_service.needing_attention(admin_organisation_id(current_user), q,
                                               paging.page_number(request.args.get("page")))
    stuck_hours = current_app.config["UPLOAD_STUCK_HOURS"]
    stuck = upload_service.stuck_uploads(admin_organisation_id(current_user), stuck_hours)
    return render_template("admin/recordings.html", rows=rows, q=q, form=ConfirmForm(), stuck=stuck,
                           stuck_hours=stuck_hours,
                           status_text=recording_service.status_text, reason_text=recording_service.reason_text)


@bp.route("/recordings/<int:recording_id>/retry", methods=["POST"])
def retry_recording(recording_id):
    """Process a failed film again from its kept original. :raise 404: for another
    organisation's film; a film that is not failed is left as it is."""
    recording = db.session.get(Recording, recording_id)
    if recording is None or not administers(current_user, recording.organisation_id):
        return render_template("errors/error.html", status=404, message=_("The film could not be found.")), 404
    if ConfirmForm().validate_on_submit() and can_retry_recording(current_user, recording):
        recording_service.retry(recording, current_user)
        db.session.commit()
        recording_service.enqueue_processing(recording)
        flash(_("The film is being processed again."), "success")
    else:
        flash(_("Only a film whose processing failed can be tried again."), "error")
    return redirect(safe_next(request.form.get("next")) or url_for("admin.recordings"))
