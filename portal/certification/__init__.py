"""Certification: the leader's certification file, the supervisor's decision, recertification,
certificates, the register of certified leaders and the admins' overview.

Each view checks its object with a predicate in portal.permissions (404 for objects the user
may not know exist); the overview is for admins (403 for others)."""

from flask import Blueprint

bp = Blueprint("certification", __name__)

from portal.certification import routes  # noqa: E402,F401
