"""Supervision: the supervisor's queue, the player with time-coded comments, and each session's
feedback. Every film view is checked in portal.permissions and audited when played."""

from flask import Blueprint

bp = Blueprint("review", __name__)

from portal.review import export, hls, routes  # noqa: E402,F401
