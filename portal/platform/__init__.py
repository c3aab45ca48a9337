"""The platform administrator's area (metodgarant, issue 18): organisations, the program
catalogue, the supervisor pool and the audit log across organisations. The whole blueprint is
for platform administrators only."""

from flask import Blueprint

from portal.permissions import require_platform_admin

bp = Blueprint("platform", __name__)
bp.before_request(require_platform_admin)

from portal.platform import acting, programs, routes  # noqa: E402,F401,I001
