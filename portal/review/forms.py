"""Forms of the review blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import Length, Optional

from portal.models.supervision import DONE, IN_PROGRESS, NOT_STARTED
from portal.services.supervision import MAX_SUMMARY


def status_choices():
    return [(NOT_STARTED, _l("Not started")), (IN_PROGRESS, _l("In progress")), (DONE, _l("Supervised"))]


class SupervisionForm(FlaskForm):
    summary = TextAreaField(_l("Summary of the supervision"), validators=[Length(max=MAX_SUMMARY)],
                            render_kw={"rows": 10})
    meeting_date = DateField(_l("Date of the supervision meeting"), validators=[Optional()])
    status = SelectField(_l("Status"), choices=status_choices, default=NOT_STARTED)
