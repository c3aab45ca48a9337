"""The public page that confirms a certificate from the code printed on it: the leader's name,
the program and whether it is valid, nothing else. Rate-limited per address and audited."""

from flask import Blueprint, render_template

from portal.extensions import db, limiter
from portal.security import public
from portal.services import certificate
from portal.services import certification as rules

bp = Blueprint("verification", __name__)

# A person checks one certificate at a time; guessing 60-bit codes needs far more than this.
VERIFY_LIMIT = "20 per minute;200 per day"


@bp.route("/verify/<code>")
@public
@limiter.limit(VERIFY_LIMIT)
def verify(code):
    """Confirm the certificate with ``code``. :raise 404: for a code of no certificate."""
    found = certificate.find_by_code(code)
    certificate.audit_verification(code, found)
    db.session.commit()
    today = rules.today()
    html = render_template("certification/verify.html", certification=found,
                           valid=found is not None and found.valid_until is not None and found.valid_until >= today)
    # A person's name: not for search engines or shared caches.
    return html, (200 if found is not None else 404), {"Cache-Control": "no-store", "X-Robots-Tag": "noindex"}
