"""Acting for an organisation: a platform administrator chooses "Manage" for an organisation and,
until they stop, every admin page and admin API works on it (``permissions.admin_organisation``).
The choice gives no right to watch a film: that stays with the group's leaders and supervisors."""

from flask import flash, redirect, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import Organisation
from portal.permissions import ACTING_FOR, acting_organisation
from portal.platform import bp
from portal.platform.forms import ConfirmForm
from portal.services import audit


@bp.route("/organisations/<int:organisation_id>/act", methods=["POST"])
def act_for(organisation_id):
    """Start managing an organisation as its admin would; audited. :raise 404: for an unknown one."""
    organisation = db.get_or_404(Organisation, organisation_id)
    if not ConfirmForm().validate_on_submit():
        return redirect(url_for("platform.organisations"))
    session[ACTING_FOR] = {"user": current_user.id, "organisation": organisation.id}
    audit.record("platform.act_for", organisation, actor=current_user)
    db.session.commit()
    return redirect(url_for("admin.users"))


@bp.route("/acting/stop", methods=["POST"])
def stop_acting():
    """Stop managing the organisation chosen with ``act_for``; audited."""
    organisation = acting_organisation(current_user)
    if ConfirmForm().validate_on_submit() and organisation is not None:
        audit.record("platform.act_for_end", organisation, actor=current_user)
        session.pop(ACTING_FOR, None)
        db.session.commit()
        flash(_("You no longer manage %(name)s.", name=organisation.name), "success")
    return redirect(url_for("platform.organisations"))
