"""Views of the API blueprint."""

from flask import jsonify
from flask_login import current_user

from portal import permissions
from portal.api import bp
from portal.api.openapi import build_spec
from portal.errors import Refused, api_error
from portal.security import public


def user_json(user):
    """The public fields of a user."""
    return {
        "id": user.id,
        "email": user.email,
        "name": user.name,
        "roles": list(user.roles),
        "organisation_id": user.organisation_id,
        "language": user.language,
    }


@bp.errorhandler(Refused)
def refused(error):
    """A refusal from a service, as a JSON error with its code and translated message."""
    return api_error(error.status, error.code, error.message)


@bp.route("/me")
def me():
    """The authenticated user, and the organisation a platform administrator acts for in this
    browser session (None otherwise, and always for an API token)."""
    acting = permissions.acting_organisation(current_user)
    return jsonify({**user_json(current_user), "acting_organisation_id": acting.id if acting else None})


@bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_spec())
