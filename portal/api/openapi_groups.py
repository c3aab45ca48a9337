"""The OpenAPI paths and schemas of the groups API (merged into the document by openapi.py)."""


def _ref(name):
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema, description):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses):
    text = {400: "Not a JSON object, or no CSRF token", 403: "Not allowed to change this",
            404: "Not found, or not visible to the caller", 409: "Conflict (see the error code)",
            422: "A field is missing or of the wrong type (see error.field)"}
    return {str(s): _json(_ref("Error"), text[s]) for s in statuses}


def _id(name):
    return {"name": name, "in": "path", "required": True, "schema": {"type": "integer"}}


DATE = {"type": "string", "format": "date"}
IDS = {"type": "array", "items": {"type": "integer"}}

GROUP_SCHEMAS = {
    "Session": {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "number": {"type": "integer"}, "title": {"type": "string"},
                       "date": DATE, "consent_confirmed": {"type": "boolean"}, "attending": IDS,
                       "playback_blocked": {"type": "boolean"}, "cancelled": {"type": "boolean"}},
    },
    "Group": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "organisation_id": {"type": "integer"},
            "program_id": {"type": "integer"}, "title": {"type": "string"}, "language": {"type": "string"},
            "interpreter": {"type": "boolean"}, "start_date": DATE,
            "purpose": {"enum": ["certification", "recertification", "regular"]},
            "uploader_id": {"type": ["integer", "null"]}, "leader_ids": IDS, "supervisor_ids": IDS,
            "technical_assistant_id": {"type": ["integer", "null"]},
            "co_leader_may_upload": {"type": "boolean"},
            "closed_at": {"type": ["string", "null"], "format": "date-time"},
            "archived_at": {"type": ["string", "null"], "format": "date-time"},
            "sessions": {"type": "array", "items": _ref("Session")},
        },
    },
    "GroupCreate": {
        "type": "object",
        "required": ["program_id", "title", "start_date", "uploader_id", "co_leader_id", "purpose"],
        "properties": {
            "program_id": {"type": "integer"}, "title": {"type": "string"}, "start_date": DATE,
            "uploader_id": {"type": "integer"}, "co_leader_id": {"type": "integer"},
            "purpose": {"enum": ["certification", "recertification", "regular"]},
            "language": {"type": "string"}, "interpreter": {"type": "boolean"},
            "technical_assistant_id": {"type": ["integer", "null"]}, "supervisor_ids": IDS,
            "co_leader_may_upload": {"type": "boolean"},
        },
    },
    "GroupUpdate": {
        "type": "object",
        "description": "Only the fields given change. Leaders change their group's title and start date (and "
                       "the uploader the co-leader's upload permission); the organisation's admins everything. "
                       "The start date moves every session until one is confirmed. Audited with before and after.",
        "properties": {
            "title": {"type": "string"}, "start_date": DATE, "language": {"type": "string"},
            "interpreter": {"type": "boolean"}, "uploader_id": {"type": "integer"},
            "co_leader_id": {"type": "integer"}, "co_leader_may_upload": {"type": "boolean"},
            "technical_assistant_id": {"type": ["integer", "null"]}, "supervisor_ids": IDS,
        },
    },
    "Participant": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "code": {"type": "string"}, "has_consent": {"type": "boolean"},
            "consents": {"type": "array", "items": {"type": "object", "properties": {
                "kind": {"enum": ["given", "withdrawn"]}, "date": DATE,
                "method": {"enum": ["paper", "digital", "oral_on_film", None]},
                "timecode": {"type": ["string", "null"]}, "info_version": {"type": ["string", "null"]},
                "registered_by_id": {"type": ["integer", "null"]}}}},
        },
    },
}


def _body(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


GROUP_PATHS = {
    "/groups": {
        "get": {"summary": "Groups the caller may see (archived ones only with archived=true)",
                "operationId": "listGroups",
                "parameters": [{"name": "archived", "in": "query", "required": False,
                                "schema": {"type": "boolean"}}],
                "responses": {"200": _json({"type": "object", "properties": {
                    "groups": {"type": "array", "items": _ref("Group")}}}, "The groups")}},
        "post": {"summary": "Create a group (admins and leaders); mails the organisation's admins",
                 "operationId": "createGroup", "requestBody": _body(_ref("GroupCreate")),
                 "responses": {"201": _json(_ref("Group"), "The new group with its sessions"),
                               **_errors(400, 403, 422)}},
    },
    "/groups/{group_id}": {
        "get": {"summary": "One group with its sessions", "operationId": "getGroup",
                "parameters": [_id("group_id")],
                "responses": {"200": _json(_ref("Group"), "The group"), **_errors(404)}},
        "patch": {"summary": "Change a group (403 for a field the caller may not change, or an archived group)",
                  "operationId": "updateGroup", "parameters": [_id("group_id")],
                  "requestBody": _body(_ref("GroupUpdate")),
                  "responses": {"200": _json(_ref("Group"), "The changed group"), **_errors(400, 403, 404, 422)}},
    },
    "/groups/{group_id}/close": {
        "post": {"summary": "Close the group at the end of its round (422 without its evaluation)",
                 "operationId": "closeGroup", "parameters": [_id("group_id")],
                 "responses": {"200": _json(_ref("Group"), "The closed group"), **_errors(403, 404, 422)}},
    },
    "/groups/{group_id}/archive": {
        "post": {"summary": "Archive a closed group (admins): read-only, out of the working lists",
                 "operationId": "archiveGroup", "parameters": [_id("group_id")],
                 "responses": {"200": _json(_ref("Group"), "The archived group"), **_errors(403, 404, 422)}},
    },
    "/sessions/{session_id}": {
        "patch": {"summary": "Move a session (date) or cancel it (cancelled: true; 422 when it has a film)",
                  "operationId": "updateSession", "parameters": [_id("session_id")],
                  "requestBody": _body({"type": "object", "properties": {
                      "date": DATE, "cancelled": {"type": "boolean"}}}),
                  "responses": {"200": _json(_ref("Session"), "The session"), **_errors(400, 403, 404, 422)}},
    },
    "/groups/{group_id}/sessions": {
        "get": {"summary": "The group's sessions", "operationId": "listSessions",
                "parameters": [_id("group_id")],
                "responses": {"200": _json({"type": "object", "properties": {
                    "sessions": {"type": "array", "items": _ref("Session")}}}, "The sessions"),
                    **_errors(404)}},
        "post": {"summary": "Add a session after the last one", "operationId": "addSession",
                 "parameters": [_id("group_id")],
                 "requestBody": _body({"type": "object", "required": ["title", "date"],
                                       "properties": {"title": {"type": "string"}, "date": DATE}}),
                 "responses": {"201": _json(_ref("Session"), "The new session"), **_errors(400, 403, 404, 422)}},
    },
    "/groups/{group_id}/participants": {
        "get": {"summary": "Participants and their consent history", "operationId": "listParticipants",
                "parameters": [_id("group_id")],
                "responses": {"200": _json({"type": "object", "properties": {
                    "participants": {"type": "array", "items": _ref("Participant")}}}, "The participants"),
                    **_errors(404)}},
        "post": {"summary": "Register a participant by pseudonymous code (no personal identity "
                            "numbers, no e-mail addresses)", "operationId": "addParticipant",
                 "parameters": [_id("group_id")],
                 "requestBody": _body({"type": "object", "required": ["code"],
                                       "properties": {"code": {"type": "string", "maxLength": 20}}}),
                 "responses": {"201": _json(_ref("Participant"), "The participant"),
                               **_errors(400, 403, 404, 409, 422)}},
    },
    "/participants/{participant_id}/consents": {
        "post": {"summary": "Register consent to filming", "operationId": "giveConsent",
                 "parameters": [_id("participant_id")],
                 "requestBody": _body({"type": "object", "required": ["date", "method", "info_version"],
                                       "properties": {
                                           "date": DATE, "method": {"enum": ["paper", "digital", "oral_on_film"]},
                                           "info_version": {"type": "string"},
                                           "timecode": {"type": "string",
                                                        "description": "Required for oral_on_film"}}}),
                 "responses": {"201": _json(_ref("Participant"), "The participant"),
                               **_errors(400, 403, 404, 422)}},
    },
    "/participants/{participant_id}/withdrawal-preview": {
        "get": {"summary": "The films a withdrawal would take (sessions attended that have a film) and the grace "
                           "period, to confirm before POST .../withdraw; changes nothing",
                "operationId": "previewWithdrawal", "parameters": [_id("participant_id")],
                "responses": {"200": _json({"type": "object", "properties": {
                    "recording_ids": IDS, "session_ids": IDS, "grace_days": {"type": "integer"}}}, "The preview"),
                    **_errors(403, 404)}},
    },
    "/participants/{participant_id}/withdraw": {
        "post": {"summary": "Register a withdrawal: stops playback of the films of the sessions attended and "
                            "deletes them after the grace period (delete_after)",
                 "operationId": "withdrawConsent", "parameters": [_id("participant_id")],
                 "requestBody": _body({"type": "object", "required": ["date"], "properties": {"date": DATE}}),
                 "responses": {"200": _json({"type": "object", "properties": {
                     "participant": _ref("Participant"), "blocked_session_ids": IDS, "recording_ids": IDS,
                     "delete_after": {"type": "string", "format": "date-time"}}}, "Withdrawn"),
                     **_errors(400, 403, 404, 409, 422)}},
    },
    "/sessions/{session_id}/consent-confirmation": {
        "post": {"summary": "Mark who attended and confirm they all consented (409 consent_missing "
                            "names the codes without consent)",
                 "operationId": "confirmConsent", "parameters": [_id("session_id")],
                 "requestBody": _body({"type": "object", "required": ["attending"],
                                       "properties": {"attending": IDS}}),
                 "responses": {"201": _json(_ref("Session"), "The confirmed session"),
                               **_errors(400, 403, 404, 409, 422)}},
    },
}
