"""Languages a group can be held in, shown by name ("arabiska") rather than by code ("ar")."""

from babel import Locale
from flask_babel import get_locale

# Swedish first; then the languages groups in Sweden are most often held in, and the national
# minority languages. Stored as ISO 639 codes in Group.language.
GROUP_LANGUAGES = ("sv", "ar", "so", "fa", "ti", "ku", "ckb", "en", "pl", "bs", "sr", "hr", "sq", "tr", "uk",
                   "ru", "es", "fr", "de", "am", "th", "fi", "fit", "se", "sma", "smj", "yi", "rom")


def language_name(code):
    """The name of the language ``code`` in the user's language; an unknown value as it is."""
    return Locale.parse(str(get_locale())).languages.get(code, code)


def language_choices():
    """(code, name) pairs for a select: Swedish first, the rest by name."""
    first, *rest = GROUP_LANGUAGES
    return [(first, language_name(first))] + sorted(((c, language_name(c)) for c in rest), key=lambda c: c[1])


def init_app(app):
    """Register the template filter ``language_name``."""
    app.add_template_filter(language_name, "language_name")
