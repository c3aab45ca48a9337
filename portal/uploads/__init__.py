"""The leader's upload page for a session's film (the bytes go straight to storage)."""

from flask import Blueprint

bp = Blueprint("uploads", __name__)

from portal.uploads import routes  # noqa: E402,F401
