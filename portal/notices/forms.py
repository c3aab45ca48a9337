"""Forms of the notices blueprint."""

from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField
from wtforms.validators import InputRequired

MAIL = "mail"
PORTAL = "portal"


class SettingsForm(FlaskForm):
    delivery = RadioField(_l("How you get notices"), validators=[InputRequired()],
                          choices=[(MAIL, _l("In the portal and by e-mail")), (PORTAL, _l("In the portal only"))])
    timezone = SelectField(_l("Time zone of the times you see"))


def timezone_choices(default_zone):
    """The portal's zone first ("" keeps following it), then every zone of the form Area/City."""
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith(("Etc/", "SystemV/")))
    portal_zone = ("", _l("The portal's time zone (%(zone)s)", zone=default_zone))
    return [portal_zone] + [(z, z.replace("_", " ")) for z in zones]
