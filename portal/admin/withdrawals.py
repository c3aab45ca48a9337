"""Admin pages for withdrawals of consent: every withdrawal of the organisation with its films
and the day they go, and annulling one registered by mistake (with a reason, audited)."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from portal.admin import bp
from portal.errors import Refused
from portal.extensions import db
from portal.models import ConsentWithdrawal
from portal.permissions import admin_organisation_id, administers
from portal.services import recordings as recording_service
from portal.services import withdrawal as withdrawal_service


class AnnulForm(FlaskForm):
    reason = TextAreaField(_l("Why was the withdrawal registered by mistake?"),
                           validators=[DataRequired(_l("Say why the withdrawal is annulled.")),
                                       Length(max=withdrawal_service.MAX_REASON)])


def _own_withdrawal(withdrawal_id):
    """A withdrawal of the admin's organisation. :raise 404: otherwise."""
    withdrawal = db.session.get(ConsentWithdrawal, withdrawal_id)
    if withdrawal is None or not administers(current_user, withdrawal.participant.group.organisation_id):
        abort(404)
    return withdrawal


@bp.route("/withdrawals")
def withdrawals():
    """The organisation's withdrawals of consent, their films and the day those are deleted."""
    return render_template("admin/withdrawals.html",
                           withdrawals=withdrawal_service.for_organisation(admin_organisation_id(current_user)),
                           in_grace=withdrawal_service.in_grace, status_text=recording_service.status_text)


@bp.route("/withdrawals/<int:withdrawal_id>/annul", methods=["GET", "POST"])
def annul_withdrawal(withdrawal_id):
    """Annul a withdrawal registered by mistake, with a reason. :raise 404: for another
    organisation's withdrawal."""
    withdrawal = _own_withdrawal(withdrawal_id)
    form = AnnulForm()
    if form.validate_on_submit():
        try:
            withdrawal_service.annul(withdrawal, current_user, form.reason.data)
        except Refused as refusal:
            flash(refusal.message, "error")
        else:
            db.session.commit()
            flash(_("The withdrawal is annulled. The consent counts again and the films can be played."), "success")
            return redirect(url_for("admin.withdrawals"))
    return render_template("admin/withdrawal_annul.html", withdrawal=withdrawal, form=form,
                           in_grace=withdrawal_service.in_grace(withdrawal))
