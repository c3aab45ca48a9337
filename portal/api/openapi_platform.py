"""The OpenAPI paths and schemas of the platform administrator's API: organisations and the
program catalogue (merged into the document by openapi.py)."""

from portal.api.openapi_groups import _body, _errors, _id, _json, _ref

INTEGER = {"type": "integer", "minimum": 1, "maximum": 1000}
CATEGORIES = {"type": ["array", "null"], "items": {"type": "object", "required": ["code", "label"], "properties": {
    "code": {"type": "string"}, "label": {"type": "string"}, "color": {"type": "string"}}}}
RULES = {"name": {"type": "string"}, "session_titles": {"type": "array", "items": {"type": "string"}},
         "has_info_meeting": {"type": "boolean"}, "requires_technical_assistant": {"type": "boolean"},
         "session_minutes": INTEGER, "min_participants": INTEGER, "group_size_min": INTEGER,
         "group_size_max": INTEGER, "recert_years": INTEGER, "recert_groups": INTEGER, "recert_films": INTEGER,
         "min_film_minutes": INTEGER, "comment_categories": CATEGORIES}

PLATFORM_SCHEMAS = {
    "Organisation": {"type": "object", "properties": {
        "id": {"type": "integer"}, "name": {"type": "string"}, "details": {"type": "string"},
        "active": {"type": "boolean"}, "admin_id": {"type": "integer"}}},
    "OrganisationCreate": {"type": "object", "required": ["name", "admin_name", "admin_email"], "properties": {
        "name": {"type": "string"}, "admin_name": {"type": "string"}, "admin_email": {"type": "string"}}},
    "OrganisationUpdate": {"type": "object", "properties": {
        "name": {"type": "string"}, "details": {"type": "string"}, "active": {"type": "boolean"}}},
    "Program": {"type": "object", "properties": {
        "id": {"type": "integer"}, "key": {"type": "string"}, "version": {"type": "integer"},
        "current": {"type": "boolean"}, **RULES}},
    "ProgramCreate": {"type": "object", "required": ["key", "name"],
                      "properties": {"key": {"type": "string"}, **RULES}},
    "ProgramUpdate": {"type": "object", "properties": RULES},
}

ONLY = "Only the platform administrator (metodgarant) may call this."

PLATFORM_PATHS = {
    "/organisations": {
        "get": {"summary": "Every organisation", "description": ONLY, "operationId": "listOrganisations",
                "responses": {"200": _json({"type": "object", "properties": {
                    "organisations": {"type": "array", "items": _ref("Organisation")}}}, "The organisations"),
                    **_errors(403)}},
        "post": {"summary": "Create an organisation and mail its first administrator an invitation",
                 "description": ONLY, "operationId": "createOrganisation",
                 "requestBody": _body(_ref("OrganisationCreate")),
                 "responses": {"201": _json(_ref("Organisation"), "Created; admin_id is its first administrator"),
                               **_errors(400, 403, 422)}},
    },
    "/organisations/{organisation_id}": {
        "patch": {"summary": "Rename an organisation, set its certificate details, deactivate or reactivate it",
                  "description": ONLY, "operationId": "updateOrganisation", "parameters": [_id("organisation_id")],
                  "requestBody": _body(_ref("OrganisationUpdate")),
                  "responses": {"200": _json(_ref("Organisation"), "Saved"), **_errors(400, 403, 404, 422)}},
    },
    "/programs": {
        "get": {"summary": "The program catalogue: the current version of every program",
                "operationId": "listPrograms",
                "responses": {"200": _json({"type": "object", "properties": {
                    "programs": {"type": "array", "items": _ref("Program")}}}, "The programs")}},
        "post": {"summary": "Add a program to the catalogue", "description": ONLY, "operationId": "createProgram",
                 "requestBody": _body(_ref("ProgramCreate")),
                 "responses": {"201": _json(_ref("Program"), "Created"), **_errors(400, 403, 422)}},
    },
    "/programs/{program_id}": {
        "patch": {"summary": "Change a program's rules",
                  "description": ONLY + " When groups use this version, a new version is made and answered; "
                                        "running groups keep the rules they started with.",
                  "operationId": "updateProgram", "parameters": [_id("program_id")],
                  "requestBody": _body(_ref("ProgramUpdate")),
                  "responses": {"200": _json(_ref("Program"), "The current version"),
                                **_errors(400, 403, 404, 422)}},
    },
}
