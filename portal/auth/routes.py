"""Views of the auth blueprint."""

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from portal.auth import bp
from portal.auth.forms import LoginForm, RequestResetForm, SetPasswordForm
from portal.extensions import db
from portal.security import public
from portal.services import accounts, audit, tokens
from portal.services.passwords import password_problem
from portal.utils import safe_next


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Log in with e-mail and password; the same answer for every kind of failure."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data) or url_for("main.index"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session on login (no fixation)
            login_user(user)
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("main.index"))
        db.session.commit()
        flash(_("Wrong e-mail address or password."), "error")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Log out and end every session of this user on every device."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        user.end_all_sessions()
        audit.record("auth.logout", user, actor=user)
        db.session.commit()
    logout_user()
    session.clear()
    flash(_("You are logged out."), "info")
    return redirect(url_for("auth.login"))


def _set_password_page(token, purpose, template):
    """Shared view for invitation and reset links: check the token, then set the password."""
    user = tokens.resolve_token(token, purpose)
    if user is None:
        return render_template("auth/link_invalid.html"), 400
    form = SetPasswordForm()
    if form.validate_on_submit():
        problem = password_problem(form.password.data, form.confirm.data)
        if problem is None:
            accounts.set_password(user, form.password.data)
            db.session.commit()
            logout_user()
            session.clear()
            flash(_("Your password is saved. Log in with it now."), "success")
            return redirect(url_for("auth.login"))
        flash(problem, "error")
    return render_template(template, form=form, user=user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token):
    """Set the first password from an invitation link. :raise 400: on a bad link."""
    return _set_password_page(token, tokens.INVITATION, "auth/accept_invitation.html")


@bp.route("/reset-password", methods=["GET", "POST"])
@public
def request_password_reset():
    """Ask for a reset link; the answer is the same whether or not the address exists."""
    form = RequestResetForm()
    if form.validate_on_submit():
        accounts.send_password_reset(form.email.data)
        db.session.commit()
        flash(_("If the address belongs to an account, a link to choose a new password is on "
                "its way. Check your inbox."), "info")
        return redirect(url_for("auth.login"))
    return render_template("auth/request_reset.html", form=form)


@bp.route("/reset-password/<token>", methods=["GET", "POST"])
@public
def reset_password(token):
    """Choose a new password from a reset link. :raise 400: on a bad link."""
    return _set_password_page(token, tokens.PASSWORD_RESET, "auth/reset_password.html")
