"""The account page (two-factor login, personal API tokens), two-factor setup and
re-authentication before sensitive actions."""

import time

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.auth import bp
from portal.auth.forms import ApiTokenForm, CodeForm, ReauthForm, RevokeForm
from portal.errors import Refused
from portal.extensions import db, limiter
from portal.security import recent_auth_redirect
from portal.services import accounts, api_tokens, audit, twofactor
from portal.utils import safe_next

SETUP = "totp_setup"


@bp.route("/account/two-factor", methods=["GET", "POST"])
def two_factor_setup():
    """Connect an authenticator app: scan the code, confirm one code, keep the recovery codes."""
    user = current_user._get_current_object()
    if twofactor.enabled(user):
        return render_template("auth/two_factor_setup.html", enabled=True,
                               codes_left=twofactor.recovery_codes_left(user))
    secret = session.get(SETUP) or twofactor.new_secret()
    session[SETUP] = secret
    form = CodeForm()
    if form.validate_on_submit():
        codes = twofactor.enable(user, secret, form.code.data)
        if codes is not None:
            session.pop(SETUP)
            session["reauth_at"] = time.time()
            db.session.commit()
            return render_template("auth/two_factor_codes.html", codes=codes)
        flash(_("The code does not match. Check that the phone's clock is right and try the next code."), "error")
    uri = twofactor.provisioning_uri(user, secret)
    return render_template("auth/two_factor_setup.html", enabled=False, form=form, secret=secret,
                           qr=Markup(twofactor.qr_svg(uri)),  # noqa: S704 - SVG made by segno from our URI
                           required=twofactor.required_for(user))


@bp.route("/account/confirm", methods=["GET", "POST"])
@limiter.limit("10 per minute", key_func=lambda: f"reauth:{current_user.get_id()}", methods=["POST"],
               deduct_when=lambda response: response.status_code != 302)
def reauthenticate():
    """Give the password (and code) again before a sensitive action; then back to it."""
    form = ReauthForm(next=request.args.get("next", ""))
    user = current_user._get_current_object()
    if form.validate_on_submit():
        ok = accounts.check_password(user, form.password.data) and (
            not twofactor.enabled(user) or twofactor.verify_totp(user, form.code.data))
        audit.record("auth.reauth" if ok else "auth.reauth_failed", user, actor=user)
        db.session.commit()
        if ok:
            session["reauth_at"] = time.time()
            return redirect(safe_next(form.next.data) or url_for("main.index"))
        flash(_("The password or the code is not right."), "error")
    return render_template("auth/reauthenticate.html", form=form, needs_code=twofactor.enabled(user))


def _when(moment):
    return format_datetime(moment, "yyyy-MM-dd HH:mm") if moment is not None else None


def _account_page(form, new_token=None, status=200):
    user = current_user._get_current_object()
    rows = [{"id": row.id, "name": row.name, "created": _when(row.created_at), "last_used": _when(row.last_used_at),
             "expires": _when(row.expires_at)} for row in api_tokens.working(user)]
    return render_template("auth/account.html", user=user, two_factor_on=twofactor.enabled(user),
                           can_issue=api_tokens.meets_two_factor(user), tokens=rows, form=form,
                           revoke_form=RevokeForm(), new_token=new_token), status


@bp.route("/account")
def account():
    """The user's account: two-factor login and personal API tokens (name, created, last used)."""
    return _account_page(ApiTokenForm())


@bp.route("/account/tokens", methods=["POST"])
def create_api_token():
    """Create a personal API token, shown once; asks for the password again when it was given
    long ago. :raise 403: while the user must set up two-factor login and has not."""
    if (again := recent_auth_redirect(url_for("auth.account"))) is not None:
        return again
    form = ApiTokenForm()
    if not form.validate_on_submit():
        return _account_page(form, status=422)
    try:
        _row, plaintext = api_tokens.issue(current_user._get_current_object(), form.name.data)
    except Refused as refusal:
        abort(refusal.status)
    db.session.commit()
    return _account_page(ApiTokenForm(formdata=None), new_token=plaintext)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
def revoke_api_token(token_id):
    """Revoke one of the user's own API tokens at once. :raise 404: for anyone else's."""
    if RevokeForm().validate_on_submit():
        try:
            api_tokens.revoke(current_user._get_current_object(), token_id)
        except Refused as refusal:
            abort(refusal.status)
        db.session.commit()
        flash(_("The token is revoked; it no longer works."), "success")
    return redirect(url_for("auth.account"))
