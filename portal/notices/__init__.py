"""Notices in the portal: the user's notifications, their count in the navigation, and the
choice between notices by mail and in the portal or in the portal only."""

from flask import Blueprint

bp = Blueprint("notices", __name__)

from portal.notices import routes  # noqa: E402,F401
