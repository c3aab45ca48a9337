"""The certificate of a certified leader as a PDF: name, the program's full name, the organisation's
name and details, the date of the decision, the date it is valid until and the verification code
anyone can check at /verify/<code>, in the reader's language.

It is drawn with the supervision export's writer (fpdf2 with DejaVu Sans, so Swedish names and
letters render; see portal.services.export). The file name holds ids and dates, never a name.
"""

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Certification, Organisation
from portal.models.certification import CERTIFIED, RECERTIFICATION
from portal.services import audit
from portal.services.export import _Writer


def filename(certification):
    """An ASCII file name from the certificate's id and date."""
    return f"certificate-{certification.id}-{certification.valid_from.isoformat()}.pdf"


def _centred(writer, text, size=12, style="", gap=3.0, color=(0, 0, 0)):
    from fpdf.enums import XPos, YPos

    pdf = writer.pdf
    pdf.set_font(writer.family, style, size)
    pdf.set_text_color(*color)
    pdf.multi_cell(pdf.epw, size * 0.55, writer.clean(text), align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(gap)


def to_pdf(certification):
    """The certificate as PDF bytes (A4, one page)."""
    writer = _Writer()
    pdf = writer.pdf
    leader, program = certification.leader, certification.program
    organisation = db.session.get(Organisation, certification.organisation_id)
    recertified = certification.kind == RECERTIFICATION
    pdf.footer_text = writer.clean(_("Certificate no. %(id)d, Filmportalen", id=certification.id))
    pdf.set_title(writer.clean(_("Certificate")))
    pdf.set_creator("Filmportalen")
    pdf.add_page()
    pdf.set_draw_color(60, 60, 60)
    pdf.set_line_width(0.6)
    pdf.rect(10, 10, pdf.w - 20, pdf.h - 28)
    pdf.set_y(48)
    grey = (80, 80, 80)
    _centred(writer, _("Certificate"), size=30, style="B", gap=4)
    _centred(writer, _("Recertification as a group leader") if recertified else _("Certification as a group leader"),
             size=14, color=grey, gap=22)
    _centred(writer, leader.name, size=24, style="B", gap=6)
    _centred(writer, _("is recertified as a group leader in %(program)s.", program=program.name) if recertified
             else _("is certified as a group leader in %(program)s.", program=program.name), size=14, gap=18)
    if organisation is not None:
        _centred(writer, _("Organisation: %(name)s", name=organisation.name), size=12, gap=2)
        if organisation.details:
            _centred(writer, organisation.details, size=10, color=grey, gap=2)
    _centred(writer, _("Date of the decision: %(date)s", date=certification.valid_from.isoformat()), size=12, gap=2)
    _centred(writer, _("Valid until: %(date)s", date=certification.valid_until.isoformat()), size=12, style="B",
             gap=2)
    _centred(writer, _("Recertification is due after %(years)d years or %(groups)d groups, whichever comes first.",
                       years=program.recert_years, groups=program.recert_groups), size=9, color=grey, gap=18)
    if certification.decided_by is not None:
        _centred(writer, _("Decided by %(name)s, supervisor.", name=certification.decided_by.name), size=11,
                 gap=14)
    _centred(writer, _("Verification code: %(code)s", code=certification.verification_code), size=11, style="B",
             gap=1)
    _centred(writer, _("Check that the certificate is valid at %(url)s", url=verify_url(certification)), size=9,
             color=grey)
    return bytes(pdf.output())


def verify_url(certification):
    """The public address that confirms the certificate."""
    from portal.services.accounts import external_url

    return external_url("verification.verify", code=certification.verification_code)


def find_by_code(code):
    """The decided-certified certification with verification ``code`` (any case, with or without
    dashes), or None."""
    cleaned = "".join(c for c in (code or "").upper() if c.isalnum())
    if len(cleaned) != 12:
        return None
    wanted = "-".join(cleaned[i:i + 4] for i in range(0, 12, 4))
    return db.session.scalar(db.select(Certification).where(Certification.verification_code == wanted,
                                                            Certification.status == CERTIFIED))


def audit_verification(code, certification):
    """An audit row for a lookup on the public verification page (found or not); the caller commits."""
    audit.record("certification.verify", certification, found=certification is not None,
                 code=code[:40] if certification is None else None)


def audit_download(certification, user):
    """An audit row for a download of the certificate; the caller commits."""
    audit.record("certification.certificate", certification, actor=user, leader_id=certification.leader_id)
