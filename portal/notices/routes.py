"""Views of the notices blueprint: the list of notices and the user's settings."""

from flask import current_app, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.clock import when
from portal.extensions import db
from portal.models.base import iso_utc
from portal.notices import bp
from portal.notices.forms import MAIL, PORTAL, SettingsForm, timezone_choices
from portal.services import audit, notifications
from portal.utils import safe_next


@bp.app_context_processor
def inject_unread_notices():
    """``unread_notices()`` for the navigation: one COUNT per request, only when a page asks."""

    def unread_notices():
        if "unread_notices" not in g:
            g.unread_notices = notifications.unread_count(current_user) if current_user.is_authenticated else 0
        return g.unread_notices

    return {"unread_notices": unread_notices}


@bp.route("/notifications")
def index():
    """The user's latest notices, newest first. Viewing the list reads them: they are marked
    read, and the page shows which were new."""
    notices = notifications.recent(current_user)
    items = [{"id": n.id, "text": notifications.message(n), "link": safe_next(n.link), "new": n.read_at is None,
              "at": iso_utc(n.created_at), "when": when(n.created_at)}
             for n in notices]
    notifications.mark_read(current_user)
    db.session.commit()
    g.unread_notices = 0
    return render_template("notices/list.html", items=items)


@bp.route("/settings", methods=["GET", "POST"])
def settings():
    """Choose notices by mail and in the portal, or in the portal only."""
    form = SettingsForm(delivery=MAIL if current_user.notify_by_mail else PORTAL,
                        timezone=current_user.timezone or "")
    form.timezone.choices = timezone_choices(current_app.config["BABEL_DEFAULT_TIMEZONE"])
    if form.validate_on_submit():
        wanted = form.delivery.data == MAIL
        if wanted != current_user.notify_by_mail:
            current_user.notify_by_mail = wanted
            audit.record("user.notify_by_mail", current_user, notify_by_mail=wanted)
        zone = form.timezone.data or None
        if zone != current_user.timezone:
            audit.record("user.timezone", current_user, before=current_user.timezone, after=zone)
            current_user.timezone = zone
        db.session.commit()
        flash(_("Your settings are saved."), "success")
        return redirect(url_for("notices.settings"))
    return render_template("notices/settings.html", form=form)
