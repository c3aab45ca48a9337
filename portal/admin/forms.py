"""Forms of the admin blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, SelectMultipleField, StringField, widgets
from wtforms.validators import DataRequired, Length


def role_choices():
    return [("leader", _l("Group leader")), ("supervisor", _l("Supervisor")),
            ("admin", _l("Administrator"))]


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


class UserRolesForm(FlaskForm):
    roles = MultiCheckboxField(_l("Roles"), choices=role_choices)


class ConfirmForm(FlaskForm):
    """An empty form: only the CSRF token, for buttons that change state."""
