"""Forms of the certification blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import InputRequired, Length

from portal.admin.forms import MultiCheckboxField
from portal.services.certification_decisions import MAX_MOTIVATION

CERTIFY = "certified"
NOT_YET = "not_yet"
RECERTIFY = "recertify"
MORE = "more"


class DecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[(CERTIFY, _l("Certified")), (NOT_YET, _l("Not yet"))],
                          validators=[InputRequired(_l("Choose a decision."))])
    motivation = TextAreaField(_l("Motivation"), validators=[Length(max=MAX_MOTIVATION)], render_kw={"rows": 6},
                               description=_l("Required for “not yet”: the leader reads it."))


class RecertificationDecisionForm(FlaskForm):
    decision = RadioField(_l("Decision"), choices=[(RECERTIFY, _l("Recertify")), (MORE, _l("Ask for more"))],
                          validators=[InputRequired(_l("Choose a decision."))])
    motivation = TextAreaField(_l("Motivation"), validators=[Length(max=MAX_MOTIVATION)], render_kw={"rows": 6},
                               description=_l("Required when you ask for more: the leader reads it."))


class RecertificationRequestForm(FlaskForm):
    films = MultiCheckboxField(_l("Films to send"), coerce=int)
