"""The OpenAPI paths and schemas of supervision, certification and notifications."""

from portal.api.openapi_groups import DATE, _body, _errors, _id, _json, _ref

TIME = {"type": ["string", "null"], "format": "date-time"}

SUPERVISION_SCHEMAS = {
    "Supervision": {"type": "object", "properties": {
        "session_id": {"type": "integer"}, "status": {"enum": ["not_started", "in_progress", "done"]},
        "summary": {"type": ["string", "null"], "description": "Null for a leader before publication"},
        "meeting_date": {**DATE, "type": ["string", "null"]}, "published": {"type": "boolean"},
        "published_at": TIME, "can_edit": {"type": "boolean"}}},
    "SupervisionSave": {
        "type": "object", "required": ["summary"],
        "properties": {"summary": {"type": "string", "maxLength": 20000},
                       "meeting_date": {**DATE, "type": ["string", "null"]},
                       "status": {"enum": ["not_started", "in_progress", "done"]},
                       "publish": {"type": "boolean", "description": "Publish to the leaders (told once)"}}},
    "Certification": {"type": ["object", "null"], "properties": {
        "id": {"type": "integer"}, "kind": {"enum": ["initial", "recertification"]},
        "status": {"enum": ["pending", "certified", "not_yet"]}, "group_id": {"type": ["integer", "null"]},
        "program_id": {"type": "integer"}, "valid_from": {**DATE, "type": ["string", "null"]},
        "valid_until": {**DATE, "type": ["string", "null"]}, "motivation": {"type": ["string", "null"]},
        "decided_at": TIME}},
    "CertificationFile": {"type": "object", "properties": {
        "leader_id": {"type": "integer"}, "name": {"type": "string"},
        "status": {"type": "object", "properties": {
            "stage": {"type": "string"}, "text": {"type": "string"}, "due": {**DATE, "type": ["string", "null"]},
            "groups_since": {"type": "integer"}, "certification": _ref("Certification")}},
        "groups": {"type": "array", "items": {"type": "object", "properties": {
            "group_id": {"type": "integer"}, "title": {"type": "string"}, "participants": {"type": "integer"},
            "reasons": {"type": "array", "items": {"type": "string"}}, "decision": _ref("Certification"),
            "sessions": {"type": "array", "items": {"type": "object", "properties": {
                "session_id": {"type": "integer"}, "number": {"type": "integer"}, "date": DATE,
                "supervision_status": {"type": "string"}, "counts": {"type": "boolean"},
                "reasons": {"type": "array", "items": {"type": "string"},
                            "description": "Why the session does not count towards certification"}}}}}}},
        "history": {"type": "array", "items": _ref("Certification")}}},
    "CertificationDecision": {
        "type": "object", "required": ["certified"],
        "properties": {"certified": {"type": "boolean"},
                       "motivation": {"type": "string", "description": "Required when certified is false"}}},
    "RecertificationDecision": {
        "type": "object", "required": ["recertified"],
        "properties": {"recertified": {"type": "boolean"},
                       "motivation": {"type": "string", "description": "Required when recertified is false"}}},
    "Notification": {"type": "object", "properties": {
        "id": {"type": "integer"}, "kind": {"type": "string"}, "text": {"type": "string"},
        "link": {"type": ["string", "null"]}, "read": {"type": "boolean"}, "created_at": TIME}},
    "NotificationList": {"type": "object", "properties": {
        "unread": {"type": "integer"}, "notifications": {"type": "array", "items": _ref("Notification")}}},
    "Unread": {"type": "object", "properties": {"unread": {"type": "integer"}}},
}

SESSION = _id("session_id")

SUPERVISION_PATHS = {
    "/sessions/{session_id}/supervision": {
        "get": {"summary": "A session's supervision: its supervisors always, its leaders once published",
                "operationId": "getSupervision", "parameters": [SESSION],
                "responses": {"200": _json(_ref("Supervision"), "The supervision"), **_errors(404)}},
        "put": {"summary": "Save the supervision summary, meeting date and status; publish it to the leaders",
                "operationId": "saveSupervision", "parameters": [SESSION],
                "requestBody": _body(_ref("SupervisionSave")),
                "responses": {"200": _json(_ref("Supervision"), "Saved"), **_errors(400, 403, 404, 422)}},
    },
    "/certification/leaders/{leader_id}": {
        "get": {"summary": "A leader's certification file: status, sessions that do not count and why, history",
                "operationId": "getCertificationFile", "parameters": [_id("leader_id")],
                "responses": {"200": _json(_ref("CertificationFile"), "The file"), **_errors(404)}},
    },
    "/certification/groups/{group_id}/leaders/{leader_id}/decision": {
        "post": {"summary": "The supervisor decides: certified, or not yet with a motivation",
                 "operationId": "decideCertification", "parameters": [_id("group_id"), _id("leader_id")],
                 "requestBody": _body(_ref("CertificationDecision")),
                 "responses": {"201": _json(_ref("Certification"), "Decided"),
                               **_errors(400, 404, 409, 422)}},
    },
    "/certification/{certification_id}/decision": {
        "post": {"summary": "The supervisor decides on a recertification request: recertified, or more asked for",
                 "operationId": "decideRecertification", "parameters": [_id("certification_id")],
                 "requestBody": _body(_ref("RecertificationDecision")),
                 "responses": {"200": _json(_ref("Certification"), "Decided"),
                               **_errors(400, 404, 409, 422)}},
    },
    "/notifications": {
        "get": {"summary": "The caller's latest notices, newest first, and the unread count",
                "operationId": "listNotifications",
                "responses": {"200": _json(_ref("NotificationList"), "The notices")}},
    },
    "/notifications/read": {
        "post": {"summary": "Mark all the caller's notices read", "operationId": "readNotifications",
                 "responses": {"200": _json(_ref("Unread"), "All read"), **_errors(400)}},
    },
}
