"""Views of the admin blueprint: the organisation's logins."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal.admin import bp
from portal.admin.forms import ConfirmForm, EconnectForm, InviteManyForm, UserCreateForm, UserRolesForm, role_choices
from portal.extensions import db
from portal.models import User
from portal.permissions import admin_organisation, admin_organisation_id, require_manage_user
from portal.security import recent_auth_redirect
from portal.services import accounts, bulk, certification, paging, twofactor


def _managed_user(user_id):
    """The user if the current admin may manage them. :raise 404: otherwise."""
    user = db.session.get(User, user_id)
    require_manage_user(user)
    return user


@bp.route("/users")
def users():
    """The logins of the admin's organisation, searched by name or e-mail and paged."""
    q = paging.search_term(request.args.get("q"))
    users = accounts.people(admin_organisation_id(current_user), q, paging.page_number(request.args.get("page")))
    return render_template("admin/users.html", users=users, q=q, confirm_form=ConfirmForm())


@bp.route("/users/new", methods=["GET", "POST"])
def create_user():
    """Create a login and mail its invitation."""
    form = UserCreateForm()
    if form.validate_on_submit():
        try:
            user = accounts.create_user(form.email.data, form.name.data, form.roles.data,
                                        admin_organisation(current_user), language=form.language.data,
                                        actor=current_user)
        except accounts.AccountError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            accounts.send_invitation(user)
            flash(_("%(name)s was created and an invitation was sent to %(email)s.",
                    name=user.name, email=user.email), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_new.html", form=form)


@bp.route("/users/invite", methods=["GET", "POST"])
def invite_many():
    """Invite several people from a pasted list; every line is checked and nothing is created
    while a line is wrong."""
    form = InviteManyForm()
    outcome = None
    if form.validate_on_submit():
        try:
            outcome = bulk.invite_people(form.people.data, admin_organisation(current_user), current_user,
                                         language=form.language.data,
                                         allowed_roles={role for role, _label in role_choices()})
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            if outcome.done:
                db.session.commit()
                bulk.send_invitations(outcome)
                flash(ngettext("%(num)d person was created and invited.",
                               "%(num)d people were created and invited.", len(outcome.lines)), "success")
                return redirect(url_for("admin.users"))
            db.session.rollback()
    return render_template("admin/invite_many.html", form=form, outcome=outcome)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
def edit_user(user_id):
    """Change a login's roles. :raise 404: for a user of another organisation."""
    user = _managed_user(user_id)
    form = UserRolesForm(roles=list(user.roles))
    if form.validate_on_submit():
        if (again := recent_auth_redirect(url_for("admin.edit_user", user_id=user.id))) is not None:
            return again
        try:
            # Roles the form does not offer (platform administrator; supervisor, which is the pool's)
            # are not the organisation admin's to give or take: kept as they are.
            offered = {value for value, _label in role_choices()}
            kept = [role for role in user.roles if role not in offered]
            accounts.change_roles(user, [*form.roles.data, *kept], actor=current_user)
        except accounts.AccountError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("The roles of %(name)s were saved.", name=user.name), "success")
            return redirect(url_for("admin.edit_user", user_id=user.id))
    return render_template("admin/user_edit.html", user=user, form=form, confirm_form=ConfirmForm(),
                           econnect_form=EconnectForm(trained=user.econnect_trained))


@bp.route("/users/<int:user_id>/active", methods=["POST"])
def toggle_active(user_id):
    """Deactivate (ending every session at once) or reactivate a login."""
    user = _managed_user(user_id)
    if ConfirmForm().validate_on_submit():
        if (again := recent_auth_redirect(url_for("admin.edit_user", user_id=user.id))) is not None:
            return again
        try:
            accounts.set_active(user, not user.active, actor=current_user)
        except accounts.AccountError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s can log in again.", name=user.name) if user.active
                  else _("%(name)s is deactivated and logged out everywhere.", name=user.name),
                  "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/invite", methods=["POST"])
def resend_invitation(user_id):
    """Send a fresh invitation link to a login that has no password yet."""
    user = _managed_user(user_id)
    if ConfirmForm().validate_on_submit() and user.active and not user.has_password:
        accounts.send_invitation(user)
        flash(_("A new invitation was sent to %(email)s.", email=user.email), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/two-factor/reset", methods=["POST"])
def reset_two_factor(user_id):
    """Turn off a login's two-factor login (a lost phone); its sessions end. :raise 404:"""
    user = _managed_user(user_id)
    if ConfirmForm().validate_on_submit():
        if (again := recent_auth_redirect(url_for("admin.edit_user", user_id=user.id))) is not None:
            return again
        twofactor.reset(user, actor=current_user)
        db.session.commit()
        flash(_("Two-factor login of %(name)s is reset; they set it up again at their next login.",
                name=user.name), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))


@bp.route("/users/<int:user_id>/econnect", methods=["POST"])
def econnect_training(user_id):
    """Mark whether a leader is trained for eConnect (needed to lead its groups). :raise 404:"""
    user = _managed_user(user_id)
    form = EconnectForm()
    if form.validate_on_submit():
        certification.set_econnect_trained(user, form.trained.data, actor=current_user)
        db.session.commit()
        flash(_("%(name)s is marked as trained for eConnect.", name=user.name) if user.econnect_trained
              else _("%(name)s is no longer marked as trained for eConnect.", name=user.name), "success")
    return redirect(url_for("admin.edit_user", user_id=user.id))
