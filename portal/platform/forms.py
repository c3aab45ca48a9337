"""Forms of the platform blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from portal.services import comments


class OrganisationCreateForm(FlaskForm):
    name = StringField(_l("Name of the organisation"), validators=[DataRequired(), Length(max=200)])
    admin_name = StringField(_l("Name of its first administrator"), validators=[DataRequired(), Length(max=200)])
    admin_email = EmailField(_l("E-mail of its first administrator"), validators=[DataRequired(), Length(max=254)])


class OrganisationRenameForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    details = StringField(_l("Details"), validators=[Length(max=300)])


class PersonForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail"), validators=[DataRequired(), Length(max=254)])


class ExistingPersonForm(FlaskForm):
    email = EmailField(_l("E-mail of an existing login"), validators=[DataRequired(), Length(max=254)])


class ConfirmForm(FlaskForm):
    """A button that only needs the CSRF token."""


def _number(label, low=0):
    return IntegerField(label, validators=[InputRequired(), NumberRange(min=low, max=1000)])


class CategoriesField(TextAreaField):
    """Program.comment_categories edited as lines of ``code | label | #colour``."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return comments.format_categories(self.data)

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        try:
            self.data = comments.parse_categories(valuelist[0] if valuelist else "")
        except ValueError as error:
            self.data = None
            raise ValidationError(str(error)) from error


class LinesField(TextAreaField):
    """A list of strings edited one per line (the session titles)."""

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        return "\n".join(self.data or [])

    def process_formdata(self, valuelist):
        self.raw_data = valuelist
        self.data = [line.strip() for line in (valuelist[0] if valuelist else "").splitlines() if line.strip()]


class ProgramForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    has_info_meeting = BooleanField(_l("Starts with an information meeting"))
    session_titles = LinesField(_l("Session titles"), render_kw={"rows": 9},
                                description=_l("One principle session per line, in order."))
    session_minutes = _number(_l("Length of a session, in minutes"), 1)
    min_participants = _number(_l("Minimum participants for certification"), 1)
    group_size_min = _number(_l("Recommended group size, from"), 1)
    group_size_max = _number(_l("Recommended group size, to"), 1)
    recert_years = _number(_l("Recertification after years"), 1)
    recert_groups = _number(_l("Recertification after groups"), 1)
    recert_films = _number(_l("Films for recertification"), 1)
    requires_technical_assistant = BooleanField(_l("Needs a technical assistant"))
    min_film_minutes = _number(_l("Shortest film that counts towards certification, in minutes"), 1)
    comment_categories = CategoriesField(_l("Comment categories"), render_kw={"rows": 6},
                                         description=_l("One per line: code | label | #colour. Leave empty for "
                                                        "the standard categories."))
    chapter_kinds = LinesField(_l("Chapter kinds"), render_kw={"rows": 6},
                               description=_l("The parts a film is marked with, one per line, in the program's own "
                                              "words. Leave empty for the standard list."))


class ProgramCreateForm(ProgramForm):
    key = StringField(_l("Key"), validators=[DataRequired(), Length(max=40)],
                      description=_l("A short name for links and the API: lower-case letters, digits and hyphens."))

