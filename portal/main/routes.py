"""Views of the main blueprint."""

from flask import current_app, jsonify, redirect, render_template, request, session, url_for
from flask_login import current_user

from portal.extensions import db
from portal.main import bp
from portal.security import public
from portal.services import health
from portal.utils import safe_next


@bp.route("/")
def index():
    """The start page for the signed-in user, by role."""
    from portal import permissions
    from portal.services import groups, leader_todo

    admin = permissions.admin_organisation_id(current_user)  # only admins see the organisation's lists
    return render_template("main/index.html", led=groups.led_groups(current_user),
                           todo=leader_todo.todo(current_user),
                           supervised=groups.supervised_groups(current_user),
                           new_groups=groups.newly_started(admin) if admin else [],
                           missing_evaluations=groups.missing_evaluations(admin)
                           if admin else [])


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Switch the interface language; remembered on the account when signed in."""
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            current_user.language = lang
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("main.index"))


@bp.route("/healthz")
@public
def healthz():
    """Database, Redis and storage reachability; 503 when any is down."""
    ok, checks = health.run_checks()
    return jsonify(status="ok" if ok else "degraded", checks=checks), (200 if ok else 503)
