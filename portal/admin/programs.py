"""Admin views for groups overview, organisations and programs."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from portal.admin import bp
from portal.extensions import db
from portal.permissions import admin_organisation, admin_organisation_id
from portal.services import accounts, consent, groups, paging
from portal.services.programs import current_programs


class ConsentTextForm(FlaskForm):
    consent_text_version = StringField(
        _l("Current version of the information text"), validators=[DataRequired(), Length(max=40)],
        description=_l("The version of the written information about filming that participants get before "
                       "they consent, such as its date or number. Leaders get it filled in when they register "
                       "consent; change it here when the text changes."))


class OrganisationDetailsForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)],
                       description=_l("Printed on every certificate."))
    details = StringField(_l("Details"), validators=[Length(max=300)],
                          description=_l("Printed under the name on certificates, such as the address or the "
                                         "organisation number. May be left empty."))


@bp.route("/groups")
def groups_overview():
    """The organisation's groups, new ones, missing evaluations and withdrawals to act on."""
    org_id = admin_organisation_id(current_user)
    q = paging.search_term(request.args.get("q"))
    page = groups.organisation_groups_page(org_id, q, paging.page_number(request.args.get("page")))
    return render_template("admin/groups.html", groups=page, q=q,
                           new_groups=groups.newly_started(org_id),
                           missing=groups.missing_evaluations(org_id),
                           withdrawals=consent.withdrawal_actions_pending(admin_organisation(current_user)))


@bp.route("/organisations")
def organisations():
    """The admin's own organisation: its details and the information text version. Creating
    organisations is the platform administrator's (portal.platform)."""
    organisation = admin_organisation(current_user)
    return render_template("admin/organisations.html", organisation=organisation,
                           consent_form=ConsentTextForm(prefix="consent", obj=organisation),
                           details_form=OrganisationDetailsForm(obj=organisation, prefix="org"))


@bp.route("/organisations/consent-text", methods=["POST"])
def consent_text():
    """Set the organisation's current version of the information text about filming."""
    form = ConsentTextForm(prefix="consent")
    if form.validate_on_submit():
        organisation = admin_organisation(current_user)
        consent.set_consent_text_version(organisation, form.consent_text_version.data, current_user)
        db.session.commit()
        flash(_("The current version of the information text is %(v)s.",
                v=organisation.consent_text_version), "success")
    else:
        flash(_("Enter the version of the information text (at most 40 characters)."), "error")
    return redirect(url_for("admin.organisations") + "#consent-text")


@bp.route("/organisation", methods=["POST"])
def organisation_details():
    """Rename the admin's own organisation and edit the details printed on its certificates."""
    organisation = admin_organisation(current_user)
    form = OrganisationDetailsForm(prefix="org")
    if form.validate_on_submit():
        try:
            accounts.update_organisation(organisation, form.name.data, form.details.data, actor=current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The organisation's details are saved."), "success")
            return redirect(url_for("admin.organisations"))
    else:
        flash(_("Enter the organisation's name."), "error")
    return redirect(url_for("admin.organisations"))


@bp.route("/programs")
def programs():
    """The program catalogue and its numbers; the platform administrator edits it."""
    return render_template("admin/programs.html", programs=current_programs())
