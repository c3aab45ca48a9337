"""Views of the auth blueprint: login (with its second step), logout, password links."""

import time

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from portal.auth import bp
from portal.auth.forms import LoginForm, RequestResetForm, SetPasswordForm
from portal.extensions import db, limiter
from portal.models import User
from portal.security import public, start_session
from portal.services import accounts, api_tokens, audit, mail, tokens, twofactor
from portal.services.passwords import password_problem
from portal.utils import safe_next

PENDING = "pending_2fa"
PENDING_SECONDS = 300


def login_failed(response):
    """Count only refused attempts against the limits (a login that works redirects)."""
    return response.status_code != 302


def account_key():
    """The throttling key of the account being tried, known or not (same treatment for both);
    the address is hashed, so Redis holds no e-mail address."""
    return "account:" + mail.email_digest(request.form.get("email", "")[:254])


@bp.errorhandler(429)
def throttled(_error):
    """Too many failed attempts: the same answer for every account, known or not."""
    message = _("Too many failed attempts. Wait a few minutes and try again.")
    if request.endpoint == "auth.two_factor":
        return render_template("auth/two_factor.html", form=None, message=message), 429
    return render_template("auth/login.html", form=LoginForm(), message=message), 429


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_IP"], methods=["POST"], deduct_when=login_failed)
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"], key_func=account_key, methods=["POST"],
               deduct_when=login_failed)
def login():
    """Log in with e-mail and password, then the authenticator code when the user has one; the
    same answer for every kind of failure. :raise 429: after repeated failures."""
    form = LoginForm(next=request.args.get("next", ""))
    if current_user.is_authenticated:
        return redirect(safe_next(form.next.data) or url_for("main.index"))
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is not None:
            session.clear()  # a fresh session on login (no fixation)
            if twofactor.enabled(user):
                session[PENDING] = {"user": user.id, "stamp": user.security_stamp, "at": time.time(),
                                    "next": safe_next(form.next.data)}
                db.session.commit()
                return redirect(url_for("auth.two_factor"))
            start_session(user)
            db.session.commit()
            return redirect(safe_next(form.next.data) or url_for("main.index"))
        db.session.commit()
        flash(_("Wrong e-mail address or password."), "error")
    return render_template("auth/login.html", form=form)


def pending_user():
    """The user who gave the right password and owes the second step, or None."""
    pending = session.get(PENDING)
    if not pending or time.time() - pending.get("at", 0) > PENDING_SECONDS:
        return None
    user = db.session.get(User, pending.get("user"))
    if user is None or not user.active or user.security_stamp != pending.get("stamp"):
        return None
    return user


def pending_key():
    return f"2fa:{(session.get(PENDING) or {}).get('user')}"


@bp.route("/login/code", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"], key_func=pending_key, methods=["POST"],
               deduct_when=login_failed)
def two_factor():
    """The second step: a code from the authenticator app, or a recovery code; each works once.
    :raise 429: after repeated failures."""
    from portal.auth.forms import CodeForm

    user = pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Log in again: the login was not completed in time."), "info")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if form.validate_on_submit():
        code = form.code.data
        how = "totp" if twofactor.verify_totp(user, code) else (
            "recovery_code" if twofactor.use_recovery_code(user, code) else None)
        if how is not None:
            target = session[PENDING].get("next")
            session.pop(PENDING)
            audit.record("auth.2fa_ok", user, actor=user, method=how)
            start_session(user)
            db.session.commit()
            if how == "recovery_code":
                flash(_("You used a recovery code; %(n)d are left.", n=twofactor.recovery_codes_left(user)), "info")
            return redirect(target or url_for("main.index"))
        audit.record("auth.2fa_failed", user, actor=None)
        db.session.commit()
        flash(_("The code is not right, or it was already used. Wait for the next code and try again."),
              "error")
    return render_template("auth/two_factor.html", form=form)


@bp.route("/logout", methods=["POST"])
@public
def logout():
    """Log out and end every session of this user on every device; with ``everywhere`` (the
    account page's button) the personal API tokens end too."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        everywhere = request.form.get("everywhere") == "1"
        old_stamp = user.security_stamp
        user.end_all_sessions()
        if not everywhere:
            api_tokens.keep_through_logout(user, old_stamp)
        audit.record("auth.logout_everywhere" if everywhere else "auth.logout", user, actor=user)
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
