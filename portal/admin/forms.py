"""Forms of the admin blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    RadioField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import DataRequired, Length, Optional


def role_choices():
    """The roles an admin gives. Supervisors belong to the program owner's pool (issue 18): only a
    platform administrator makes one."""
    from flask_login import current_user

    from portal.permissions import is_platform_admin

    pool = [("supervisor", _l("Supervisor"))] if is_platform_admin(current_user) else []
    return [("leader", _l("Group leader")), *pool, ("admin", _l("Administrator"))]


def language_choices():
    return [("sv", "Svenska"), ("en", "English")]


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class UserCreateForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)
    language = RadioField(_l("Language"), choices=language_choices, default="sv")


class InviteManyForm(FlaskForm):
    people = TextAreaField(_l("People to invite"), validators=[DataRequired()], render_kw={"rows": 8},
                           description=_l("One person a line: name, e-mail address, role. The role is "
                                          "gruppledare, handledare or administratör; join several with +."))
    language = RadioField(_l("Language"), choices=language_choices, default="sv")


class UserRolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)


class ConfirmForm(FlaskForm):
    """An empty form: only the CSRF token, for buttons that change state."""


class EconnectForm(FlaskForm):
    trained = BooleanField(_l("Trained to lead eConnect groups"))


class BoosterForm(FlaskForm):
    held_on = DateField(_l("Date"), validators=[DataRequired()])
    term = StringField(_l("Term"), validators=[DataRequired(), Length(max=20)],
                       description=_l("Such as VT 2026 or HT 2026."))
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])


class BoosterAttendanceForm(FlaskForm):
    attended = MultiCheckboxField(_l("Leaders who attended"), coerce=int)
