"""Organisations, the supervisor pool and the audit log across organisations."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.extensions import db
from portal.models import AuditEvent, Organisation, User
from portal.platform import bp
from portal.platform.forms import (
    ConfirmForm,
    ExistingPersonForm,
    OrganisationCreateForm,
    OrganisationRenameForm,
    PersonForm,
)
from portal.services import accounts, groups, platform

AUDIT_PAGE = 100


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    """Every organisation; create one and invite its first administrator by mail."""
    form = OrganisationCreateForm()
    if form.validate_on_submit():
        try:
            organisation, admin = platform.create_organisation(form.name.data, form.admin_name.data,
                                                               form.admin_email.data, current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            accounts.send_invitation(admin)
            flash(_("The organisation %(name)s is created and an invitation was sent to %(email)s.",
                    name=organisation.name, email=admin.email), "success")
            return redirect(url_for("platform.organisation", organisation_id=organisation.id))
    return render_template("platform/organisations.html", organisations=platform.organisations(), form=form)


@bp.route("/organisations/<int:organisation_id>")
def organisation(organisation_id):
    """One organisation: its name and details, its people and its groups. :raise 404:"""
    org = db.get_or_404(Organisation, organisation_id)
    people = db.session.scalars(db.select(User).where(User.organisation_id == org.id).order_by(User.name)).all()
    return render_template("platform/organisation.html", organisation=org, people=people,
                           groups=groups.organisation_groups(org.id), confirm_form=ConfirmForm(),
                           form=OrganisationRenameForm(obj=org))


@bp.route("/organisations/<int:organisation_id>/rename", methods=["POST"])
def rename_organisation(organisation_id):
    """Rename an organisation and set its certificate details. :raise 404:"""
    org = db.get_or_404(Organisation, organisation_id)
    form = OrganisationRenameForm()
    if form.validate_on_submit():
        try:
            accounts.update_organisation(org, form.name.data, form.details.data, actor=current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The organisation's details are saved."), "success")
    else:
        flash(_("Enter the organisation's name."), "error")
    return redirect(url_for("platform.organisation", organisation_id=org.id))


@bp.route("/organisations/<int:organisation_id>/active", methods=["POST"])
def toggle_organisation(organisation_id):
    """Deactivate an organisation (its people can no longer log in) or reactivate it. :raise 404:"""
    org = db.get_or_404(Organisation, organisation_id)
    if ConfirmForm().validate_on_submit():
        try:
            platform.set_organisation_active(org, not org.active, current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is active again.", name=org.name) if org.active
                  else _("%(name)s is deactivated; its people can no longer log in.", name=org.name), "success")
    return redirect(url_for("platform.organisation", organisation_id=org.id))


@bp.route("/supervisors", methods=["GET", "POST"])
def supervisors():
    """The supervisor pool with each supervisor's workload; invite a new supervisor or add an
    existing login to the pool."""
    invite, existing = PersonForm(prefix="invite"), ExistingPersonForm(prefix="add")
    if "invite-email" in request.form and invite.validate_on_submit():
        try:
            person = platform.invite_supervisor(invite.name.data, invite.email.data, current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            accounts.send_invitation(person)
            flash(_("%(name)s was created and an invitation was sent to %(email)s.",
                    name=person.name, email=person.email), "success")
            return redirect(url_for("platform.supervisors"))
    elif "add-email" in request.form and existing.validate_on_submit():
        person = db.session.scalar(db.select(User).where(User.email == accounts.normalise_email(existing.email.data)))
        if person is None or not person.active:
            flash(_("There is no active login with that e-mail address."), "error")
        else:
            platform.add_to_pool(person, current_user)
            db.session.commit()
            flash(_("%(name)s is in the supervisor pool.", name=person.name), "success")
            return redirect(url_for("platform.supervisors"))
    return render_template("platform/supervisors.html", workloads=platform.workloads(), invite=invite,
                           existing=existing, confirm_form=ConfirmForm(), due_days=platform.DUE_DAYS)


@bp.route("/supervisors/<int:user_id>/remove", methods=["POST"])
def remove_supervisor(user_id):
    """Take a supervisor out of the pool. :raise 404: for someone not in it."""
    person = db.session.get(User, user_id)
    if not platform.in_pool(person):
        abort(404)
    if ConfirmForm().validate_on_submit():
        try:
            platform.remove_from_pool(person, current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s is no longer in the supervisor pool.", name=person.name), "success")
    return redirect(url_for("platform.supervisors"))


@bp.route("/audit")
def audit_log():
    """The audit log across organisations, newest first, optionally of one organisation."""
    organisation_id = request.args.get("organisation", type=int)
    query = (db.select(AuditEvent, User).outerjoin(User, User.id == AuditEvent.actor_id)
             .order_by(AuditEvent.id.desc()).limit(AUDIT_PAGE))
    if organisation_id:
        query = query.where(AuditEvent.organisation_id == organisation_id)
    names = dict(db.session.execute(db.select(Organisation.id, Organisation.name)).all())
    return render_template("platform/audit.html", rows=db.session.execute(query).all(), names=names,
                           organisations=platform.organisations(), chosen=organisation_id, limit=AUDIT_PAGE)
