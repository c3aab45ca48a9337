"""Two-factor setup and re-authentication before sensitive actions."""

import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markupsafe import Markup

from portal.auth import bp
from portal.auth.forms import CodeForm, ReauthForm
from portal.extensions import db, limiter
from portal.services import accounts, audit, twofactor
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
