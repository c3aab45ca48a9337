"""Outgoing mail: rendered from templates/email/<name>.txt and .html in the recipient's
language, delivered by an RQ job on the light queue, through SMTP or (without MAIL_SERVER)
to the log."""

import hashlib
import hmac
import logging
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, render_template
from flask_babel import force_locale

log = logging.getLogger(__name__)


def email_digest(email):
    """A keyed hash (HMAC-SHA256 with SECRET_KEY) of a normalised e-mail address, for log lines
    and Redis keys: one address gives one value, and the value gives no address back."""
    key = current_app.config["SECRET_KEY"].encode()
    normal = (email or "").strip().lower().encode()
    return "e:" + hmac.new(key, b"email:" + normal, hashlib.sha256).hexdigest()[:32]


def compose(to, subject, template, language="sv", **context):
    """Render a mail to ``to`` in ``language``; returns a plain dict that a job can carry."""
    with force_locale(language):
        return {
            "to": to,
            "subject": str(subject),
            "text": render_template(f"email/{template}.txt", **context),
            "html": render_template(f"email/{template}.html", **context),
        }


def send(message):
    """Queue ``message`` (from ``compose``) for delivery; delivers inline if Redis is down."""
    from workers.mail import deliver_mail
    from workers.queues import LIGHT, enqueue

    try:
        enqueue(deliver_mail, message, queue=LIGHT, timeout=60)
    except Exception:  # noqa: BLE001 - a mail must not be lost because Redis is away
        log.warning("mail queue unavailable; delivering inline", exc_info=True)
        deliver(message)


def deliver(message):
    """Deliver ``message`` now through SMTP, or write it to the log when no server is set."""
    config = current_app.config
    if not config.get("MAIL_SERVER"):
        log.info("mail (no MAIL_SERVER set) to=%s subject=%s\n%s", email_digest(message["to"]),
                 message["subject"], message["text"])
        return
    email = EmailMessage()
    email["From"] = config["MAIL_FROM"]
    email["To"] = message["to"]
    email["Subject"] = message["subject"]
    email["Message-ID"] = make_msgid(domain="filmportalen")
    email.set_content(message["text"])
    email.add_alternative(message["html"], subtype="html")
    smtp_class = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    with smtp_class(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config["MAIL_TIMEOUT"]) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls()
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
        try:
            smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused:
            # The library's message holds the address, and RQ logs the error: name its hash.
            raise smtplib.SMTPException(f"recipient {email_digest(message['to'])} refused") from None
