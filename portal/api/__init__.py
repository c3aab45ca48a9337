"""JSON API v1: session cookie with the X-CSRFToken header, or ``Authorization: Bearer``."""

from flask import Blueprint, request
from flask_babel import gettext as _

from portal.errors import Refused

bp = Blueprint("api", __name__)


def json_body():
    """The request's JSON object. :raise Refused: 400 when the body is not one."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Refused(400, "invalid_json", _("The request body must be a JSON object."))
    return data


from portal.api import activity, comments, groups, platform, review_tools, routes, supervision, uploads  # noqa: E402,F401
