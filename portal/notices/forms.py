"""Forms of the notices blueprint."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField
from wtforms.validators import InputRequired

MAIL = "mail"
PORTAL = "portal"


class SettingsForm(FlaskForm):
    delivery = RadioField(_l("How you get notices"), validators=[InputRequired()],
                          choices=[(MAIL, _l("In the portal and by e-mail")), (PORTAL, _l("In the portal only"))])
