"""Notifications about films: each one a mail in the recipient's language, via the light queue.

The mail says which group and session, never who is in the film, and links to the portal,
where the access check and the audit happen.
"""

from flask_babel import lazy_gettext as _l

from portal.services import mail
from portal.services.accounts import external_url


def film_ready(recording):
    """Tell the group's supervisors that the film of a session is ready to watch."""
    group_session = recording.group_session
    group = group_session.group
    link = external_url("groups.show", group_id=group.id)
    for supervisor in group.supervisors:
        if not supervisor.active:
            continue
        mail.send(mail.compose(supervisor.email, _l("A film is ready for supervision"), "film_ready",
                               language=supervisor.language, user=supervisor, group=group,
                               group_session=group_session, link=link))
