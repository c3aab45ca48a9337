"""Administration: logins and roles. The whole blueprint is for admins only."""

from flask import Blueprint

from portal.permissions import require_admin

bp = Blueprint("admin", __name__)
bp.before_request(require_admin)

from portal.admin import audit, boosters, exports, programs, recordings, retention, routes, withdrawals  # noqa: E402,F401,I001
