"""Admin exports for the right of access (GDPR Art. 15): a participant code's consents and
films, and a user's data with their access history, as JSON downloads. Each export asks for
the password again and is audited."""

import json

from flask import abort, current_app, render_template, url_for
from flask_login import current_user

from portal.admin import bp
from portal.extensions import db
from portal.models import Group, Participant, User
from portal.permissions import acting_organisation, admin_organisation_id, administers, require_manage_user
from portal.security import recent_auth_redirect
from portal.services import audit, gdpr_export


def _download(data, filename):
    """``data`` as a JSON attachment that no cache keeps."""
    response = current_app.response_class(json.dumps(data, ensure_ascii=False, indent=2),
                                          mimetype="application/json")
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/exports")
def exports():
    """The organisation's users and participant codes, each with its export."""
    org_id = admin_organisation_id(current_user)
    users = db.session.scalars(db.select(User).where(User.organisation_id == org_id).order_by(User.name)).all()
    groups = db.session.scalars(db.select(Group).where(Group.organisation_id == org_id)
                                .order_by(Group.start_date.desc(), Group.id.desc())).all()
    return render_template("admin/retention_exports.html", users=users, groups=groups)


@bp.route("/exports/participants/<int:participant_id>")
def export_participant(participant_id):
    """Download what is kept about a participant code. :raise 404: for another organisation's."""
    if (r := recent_auth_redirect(url_for("admin.export_participant", participant_id=participant_id))) is not None:
        return r
    participant = db.session.get(Participant, participant_id)
    if participant is None or not administers(current_user, participant.group.organisation_id):
        abort(404)
    data = gdpr_export.participant_export(participant)
    audit.record("gdpr.export", participant, kind="participant", group_id=participant.group_id)
    db.session.commit()
    return _download(data, f"export-participant-{participant.id}.json")


@bp.route("/exports/users/<int:user_id>")
def export_user(user_id):
    """Download a user's data and access history. :raise 404: for another organisation's user."""
    if (r := recent_auth_redirect(url_for("admin.export_user", user_id=user_id))) is not None:
        return r
    user = db.session.get(User, user_id)
    require_manage_user(user)
    film_content = acting_organisation(current_user) is None  # an acting platform admin watches no film
    data = gdpr_export.user_export(user, film_content=film_content)
    audit.record("gdpr.export", user, kind="user", **({} if film_content else {"comment_texts": "left out"}))
    db.session.commit()
    return _download(data, f"export-user-{user.id}.json")
