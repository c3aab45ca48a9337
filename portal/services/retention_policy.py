"""The organisation's retention policy as an admin reads it: on the retention page and on the
start page at the admin's first login."""

from flask_babel import gettext as _
from flask_babel import ngettext

from portal.extensions import db
from portal.models import AuditEvent
from portal.services import withdrawal


def summary(organisation):
    """The policy in a few sentences, in the current language."""
    lines = [_("Films are deleted %(days)d days after the group's certification decision (in groups without "
               "certification: after the session's feedback is published), and at most %(max)d days after "
               "upload, also films that failed or were rejected.",
               days=organisation.retention_days or organisation.retention_max_days,
               max=organisation.retention_max_days),
             ngettext("After a withdrawal of consent, the films it affects stop playing at once and are deleted "
                      "after %(num)d day.",
                      "After a withdrawal of consent, the films it affects stop playing at once and are deleted "
                      "after %(num)d days.", withdrawal.grace_days(organisation))]
    if organisation.deletion_warning_days > 0:
        lines.append(_("The group's leaders and the administrators are warned %(n)d days before a scheduled "
                       "deletion.", n=organisation.deletion_warning_days))
    lines.append(_("Uploaded original files are kept until the film is deleted.") if organisation.keep_originals
                 else _("Uploaded original files are deleted once the film is processed."))
    return lines


def first_login(user):
    """True when this is the user's first session (one login in the audit log, or none)."""
    logins = db.session.scalar(db.select(db.func.count()).select_from(AuditEvent).where(
        AuditEvent.object_type == "user", AuditEvent.object_id == user.id, AuditEvent.action == "auth.login"))
    return logins <= 1


def at_first_login(user):
    """The policy lines to show ``user`` (an admin) on the start page at their first login, else None.
    Costs the same queries either way."""
    from portal.permissions import working_organisation

    return summary(working_organisation(user)) if first_login(user) else None
