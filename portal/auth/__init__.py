"""Login, logout, invitations and password reset."""

from flask import Blueprint

bp = Blueprint("auth", __name__)

from portal.auth import account, routes  # noqa: E402,F401
