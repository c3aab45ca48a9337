"""Groups: the group pages of leaders, supervisors and admins; participants and consent."""

from flask import Blueprint

bp = Blueprint("groups", __name__)

from portal.groups import life, routes  # noqa: E402,F401
