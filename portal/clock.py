"""One clock for every page: dates and times in the user's time zone and language.

The database stores UTC (SQLite hands it back naive); pages show the time zone of
``DEFAULT_TIMEZONE`` (Europe/Stockholm unless configured) through Flask-Babel, so a comment
written at 02:46 UTC reads 03:46 in Stockholm on every page, the player included. Dates read
the way the language writes them: "3 dec. 2026" in Swedish, "Dec 3, 2026" in English.
"""

from datetime import UTC, datetime, time

from babel.dates import get_datetime_format
from flask_babel import format_date, format_time, get_locale, get_timezone

from portal.models.base import as_utc, iso_utc


def day(value):
    """A date (or the local date of a datetime) for reading: "3 dec. 2026"; "–" for None."""
    if value is None:
        return "–"
    return format_date(as_utc(value) if hasattr(value, "hour") else value, "medium")


def when(value, seconds=False):
    """A datetime in the user's zone for reading: "3 dec. 2026 03:46"; "–" for None."""
    if value is None:
        return "–"
    value = as_utc(value)
    pattern = get_datetime_format("medium", locale=get_locale())
    return pattern.replace("{1}", format_date(value, "medium")).replace(
        "{0}", format_time(value, "medium" if seconds else "short"))


def local_iso(value):
    """ISO 8601 in the user's zone with its offset (``2026-12-03T03:46:00+01:00``), for files
    people open in a spreadsheet; "" for None."""
    return as_utc(value).astimezone(get_timezone()).isoformat(timespec="seconds") if value else ""


def timezone_name():
    """The IANA name of the zone pages use (for the browser's ``Intl`` in the player)."""
    zone = get_timezone()
    return getattr(zone, "key", None) or str(zone)


def init_app(app):
    """Register the filters ``day``, ``when`` and ``when_iso`` and the template global ``timezone_name``."""
    app.add_template_filter(day, "day")
    app.add_template_filter(when, "when")
    app.add_template_filter(iso_utc, "when_iso")
    app.add_template_global(timezone_name, "timezone_name")


def start_of_day(value):
    """The UTC moment the user's local day ``value`` (a date) begins, for filtering by date."""
    return datetime.combine(value, time.min, tzinfo=get_timezone()).astimezone(UTC)


def today():
    """Today's date where the user is (Stockholm's date, not the server's or UTC's)."""
    return datetime.now(get_timezone()).date()
