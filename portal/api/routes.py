"""Views of the API blueprint."""

from flask import jsonify
from flask_login import current_user

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
    """The authenticated user."""
    return jsonify(user_json(current_user))


@bp.route("/openapi.json")
@public
def openapi():
    """The OpenAPI 3.1 description of this API."""
    return jsonify(build_spec())
