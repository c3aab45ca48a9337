"""The OpenAPI document for /api/v1, kept beside the routes it describes."""

from portal.api.openapi_activity import ACTIVITY_PATHS, ACTIVITY_SCHEMAS
from portal.api.openapi_comments import COMMENT_PATHS, COMMENT_SCHEMAS
from portal.api.openapi_groups import GROUP_PATHS, GROUP_SCHEMAS
from portal.api.openapi_platform import PLATFORM_PATHS, PLATFORM_SCHEMAS
from portal.api.openapi_review_tools import REVIEW_TOOL_PATHS, REVIEW_TOOL_SCHEMAS
from portal.api.openapi_supervision import SUPERVISION_PATHS, SUPERVISION_SCHEMAS
from portal.api.openapi_uploads import UPLOAD_PATHS, UPLOAD_SCHEMAS

ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
        }
    },
}

USER = {
    "type": "object",
    "required": ["id", "email", "name", "roles", "organisation_id", "language"],
    "properties": {
        "id": {"type": "integer"},
        "email": {"type": "string"},
        "name": {"type": "string"},
        "roles": {"type": "array", "items": {"enum": ["admin", "supervisor", "leader", "platform_admin"]}},
        "organisation_id": {"type": "integer"},
        "language": {"enum": ["sv", "en"]},
        "acting_organisation_id": {"type": ["integer", "null"], "description": "GET /me only: the organisation "
                                   "a platform administrator acts for in this browser session; null otherwise "
                                   "and for an API token"},
    },
}


def build_spec():
    """Return the OpenAPI document as a dict."""
    return {
        "openapi": "3.1.0",
        "info": {"title": "Filmportalen API", "version": "1"},
        "servers": [{"url": "/api/v1"}],
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer",
                           "description": "Personal token from the account page (/account) or `flask portal "
                                          "create-token`; it expires after API_TOKEN_DAYS (default 90)."},
                "session": {"type": "apiKey", "in": "cookie", "name": "session",
                            "description": "Browser session; state changes need X-CSRFToken."},
            },
            "schemas": {"Error": ERROR, "User": USER, **GROUP_SCHEMAS, **UPLOAD_SCHEMAS, **COMMENT_SCHEMAS,
                        **PLATFORM_SCHEMAS, **SUPERVISION_SCHEMAS, **ACTIVITY_SCHEMAS,
                        **REVIEW_TOOL_SCHEMAS},
        },
        "security": [{"bearer": []}, {"session": []}],
        "paths": {
            "/me": {
                "get": {
                    "summary": "The authenticated user",
                    "operationId": "getMe",
                    "responses": {
                        "200": {"description": "The user",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/User"}}}},
                        "401": {"description": "Not authenticated",
                                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
                    },
                }
            },
            **GROUP_PATHS,
            **UPLOAD_PATHS,
            **COMMENT_PATHS,
            **PLATFORM_PATHS,
            **SUPERVISION_PATHS,
            **ACTIVITY_PATHS,
            **REVIEW_TOOL_PATHS,
        },
    }
