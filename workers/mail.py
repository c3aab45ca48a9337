"""Mail delivery job (light queue)."""

import logging

from rq import get_current_job

from portal.services import mail

log = logging.getLogger(__name__)


def deliver_mail(message):
    """Deliver one composed message; an SMTP error is raised so RQ retries it."""
    job = get_current_job()
    log.info("job %s: delivering mail", job.id if job else "-")
    mail.deliver(message)
