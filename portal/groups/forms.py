"""Forms of the groups blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from portal.admin.forms import MultiCheckboxField
from portal.languages import language_choices


def purpose_choices():
    return [("certification", _l("Certification")), ("recertification", _l("Recertification")),
            ("regular", _l("Regular group"))]


def method_choices():
    return [("paper", _l("Paper form")), ("digital", _l("Digital form")),
            ("oral_on_film", _l("Orally on film"))]


class GroupForm(FlaskForm):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    program = SelectField(_l("Program"), coerce=int)
    start_date = DateField(_l("Start date"), validators=[DataRequired()])
    language = SelectField(_l("Language of the group"), choices=language_choices, default="sv")
    interpreter = BooleanField(_l("An interpreter is used"))
    uploader = SelectField(_l("Leader who uploads the films"), coerce=int)
    co_leader = SelectField(_l("Co-leader"), coerce=int)
    co_leader_may_upload = BooleanField(_l("The co-leader may also upload"))
    technical_assistant = SelectField(_l("Technical assistant (eConnect)"), coerce=int)
    supervisors = MultiCheckboxField(_l("Supervisors"), coerce=int)
    purpose = RadioField(_l("Purpose"), choices=purpose_choices, default="certification")


class ParticipantForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=20)])


class ParticipantsForm(FlaskForm):
    codes = TextAreaField(_l("Participant codes"), validators=[DataRequired(), Length(max=10000)],
                          render_kw={"rows": 6},
                          description=_l("One code a line: initials or a number, never a name, personal "
                                         "identity number or e-mail address."))


class ConsentForm(FlaskForm):
    on_date = DateField(_l("Date"), validators=[DataRequired()])
    method = SelectField(_l("How"), choices=method_choices)
    timecode = StringField(_l("Timecode"), validators=[Optional(), Length(max=20)])
    info_version = StringField(_l("Version of the information text"),
                               validators=[DataRequired(), Length(max=40)])


class GroupConsentForm(FlaskForm):
    """The group consent page: the version applies to every row; the rows are read by the view."""

    info_version = StringField(_l("Version of the information text"),  # checked by the service, with the rows
                               description=_l("The written information about filming that the participants got "
                                              "before consenting, such as its date or number. It shows later "
                                              "which text each consent refers to. Your organisation's "
                                              "administrator sets the current version."))


class WithdrawForm(FlaskForm):
    on_date = DateField(_l("Date of withdrawal"), validators=[DataRequired()])
    confirmed = HiddenField()  # "1" once the affected films were shown and confirmed


class AttendanceForm(FlaskForm):
    attending = MultiCheckboxField(_l("Present at the session"), coerce=int)
    confirm = BooleanField(_l("I confirm that everyone present has consented to filming"),
                           validators=[DataRequired()])


class SessionDateForm(FlaskForm):
    date = DateField(_l("Date"), validators=[DataRequired()])


class EvaluationForm(FlaskForm):
    done_on = DateField(_l("Date of the evaluation"), validators=[DataRequired()])
    respondents = IntegerField(_l("Number of respondents"), validators=[InputRequired(), NumberRange(min=0)])
    summary = TextAreaField(_l("Summary (optional)"), validators=[Optional(), Length(max=5000)])


class GroupEditForm(FlaskForm):
    """Change a group after it is created; the view drops the fields the user may not change."""

    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=200)])
    start_date = DateField(_l("Start date"), validators=[DataRequired()],
                           description=_l("Moves every session with it, until the first session is confirmed."))
    language = SelectField(_l("Language of the group"), choices=language_choices)
    interpreter = BooleanField(_l("An interpreter is used"))
    uploader = SelectField(_l("Leader who uploads the films"), coerce=int)
    co_leader = SelectField(_l("Co-leader"), coerce=int)
    co_leader_may_upload = BooleanField(_l("The co-leader may also upload"))
    technical_assistant = SelectField(_l("Technical assistant (eConnect)"), coerce=int)
    supervisors = MultiCheckboxField(_l("Supervisors"), coerce=int)


class SessionAddForm(FlaskForm):
    title = StringField(_l("Title of the session"), validators=[DataRequired(), Length(max=200)])
    date = DateField(_l("Date"), validators=[DataRequired()])
