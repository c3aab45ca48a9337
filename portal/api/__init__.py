"""JSON API v1: session cookie with the X-CSRFToken header, or ``Authorization: Bearer``."""

from flask import Blueprint

bp = Blueprint("api", __name__)

from portal.api import groups, routes, uploads  # noqa: E402,F401
