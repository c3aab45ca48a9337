"""Admin views for groups overview, organisations and programs."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.admin import bp
from portal.extensions import db
from portal.models import Organisation, Program
from portal.services import accounts, audit, comments, consent, groups, paging


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


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


def _number(label, low=0):
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=low, max=1000)])


class CategoriesField(TextAreaField):
    """Program.comment_categories edited as lines of ``code | label | #colour``."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return comments.format_categories(self.data)

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        try:
            self.data = comments.parse_categories(valuelist[0] if valuelist else "")
        except ValueError as error:
            self.data = None
            raise ValidationError(str(error)) from error


class ProgramForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    has_info_meeting = BooleanField(_l("Starts with an information meeting"))
    min_participants = _number(_l("Minimum participants for certification"), 1)
    group_size_min = _number(_l("Recommended group size, from"), 1)
    group_size_max = _number(_l("Recommended group size, to"), 1)
    recert_years = _number(_l("Recertification after years"), 1)
    recert_groups = _number(_l("Recertification after groups"), 1)
    recert_films = _number(_l("Films for recertification"), 1)
    requires_technical_assistant = BooleanField(_l("Needs a technical assistant"))
    min_film_minutes = _number(_l("Shortest film that counts towards certification, in minutes"), 1)
    comment_categories = CategoriesField(_l("Comment categories"), render_kw={"rows": 6},
                                         description=_l("One per line: code | label | #colour. Leave empty for "
                                                        "the standard categories."))


@bp.route("/groups")
def groups_overview():
    """The organisation's groups, new ones, missing evaluations and withdrawals to act on."""
    org_id = current_user.organisation_id
    q = paging.search_term(request.args.get("q"))
    page = groups.organisation_groups_page(org_id, q, paging.page_number(request.args.get("page")))
    return render_template("admin/groups.html", groups=page, q=q,
                           new_groups=groups.newly_started(org_id),
                           missing=groups.missing_evaluations(org_id),
                           withdrawals=consent.withdrawal_actions_pending(current_user.organisation))


@bp.route("/organisations", methods=["GET", "POST"])
def organisations():
    """The admin's organisation, and creating another one."""
    form = OrganisationForm()
    if form.validate_on_submit():
        name = form.name.data.strip()
        if db.session.scalar(db.select(Organisation.id).where(Organisation.name == name)) is not None:
            flash(_("There is already an organisation called %(name)s.", name=name), "error")
        else:
            org = accounts.get_or_create_organisation(name)
            audit.record("organisation.create", org)
            db.session.commit()
            flash(_("The organisation %(name)s is created.", name=name), "success")
            return redirect(url_for("admin.organisations"))
    return render_template("admin/organisations.html", organisation=current_user.organisation, form=form,
                           consent_form=ConsentTextForm(prefix="consent", obj=current_user.organisation),
                           details_form=OrganisationDetailsForm(obj=current_user.organisation, prefix="org"))


@bp.route("/organisations/consent-text", methods=["POST"])
def consent_text():
    """Set the organisation's current version of the information text about filming."""
    form = ConsentTextForm(prefix="consent")
    if form.validate_on_submit():
        consent.set_consent_text_version(current_user.organisation, form.consent_text_version.data, current_user)
        db.session.commit()
        flash(_("The current version of the information text is %(v)s.",
                v=current_user.organisation.consent_text_version), "success")
    else:
        flash(_("Enter the version of the information text (at most 40 characters)."), "error")
    return redirect(url_for("admin.organisations") + "#consent-text")


@bp.route("/organisation", methods=["POST"])
def organisation_details():
    """Rename the admin's own organisation and edit the details printed on its certificates."""
    organisation = current_user.organisation
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
    """Every program and its numbers."""
    rows = db.session.scalars(db.select(Program).order_by(Program.name)).all()
    return render_template("admin/programs.html", programs=rows)


@bp.route("/programs/<int:program_id>", methods=["GET", "POST"])
def edit_program(program_id):
    """Change a program's numbers. :raise 404: for an unknown program."""
    program = db.get_or_404(Program, program_id)
    form = ProgramForm(obj=program)
    if form.validate_on_submit():
        if form.group_size_min.data > form.group_size_max.data:
            flash(_("The smallest group size is larger than the largest. Swap the two numbers and save again."),
                  "error")
        else:
            form.populate_obj(program)
            audit.record("program.update", program)
            db.session.commit()
            flash(_("The program %(name)s is saved.", name=program.name), "success")
            return redirect(url_for("admin.programs"))
    return render_template("admin/program_edit.html", program=program, form=form)
