"""The OpenAPI paths and schemas of the review tools (issue 20): chapters and the fidelity checklist."""

from portal.api.openapi_comments import SECONDS
from portal.api.openapi_groups import _body, _errors, _id, _json, _ref

PERSON = {"type": ["object", "null"], "properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}}
LINK = {"type": "object", "properties": {"id": {"type": "integer"}, "recording_id": {"type": "integer"},
                                         "start": SECONDS, "end": SECONDS}}
STATUS = {"enum": ["covered", "partly", "missing", None], "description": "null: not marked (yet)"}

REVIEW_TOOL_SCHEMAS = {
    "Chapter": {"type": "object", "properties": {
        "id": {"type": "integer"}, "recording_id": {"type": "integer"},
        "title": {"type": "string", "description": "A kind from the program's list or a free title; plain text"},
        "start": SECONDS, "created_by": PERSON, "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": ["string", "null"], "format": "date-time"},
        "can_change": {"type": "boolean", "description": "The caller may move or delete it"}}},
    "ChapterList": {"type": "object", "properties": {
        "chapters": {"type": "array", "items": _ref("Chapter")},
        "kinds": {"type": "array", "items": {"type": "string"}, "description": "The program's chapter kinds"},
        "can_add": {"type": "boolean"}}},
    "ChapterNew": {"type": "object", "required": ["start"], "properties": {
        "kind": {"type": "string", "maxLength": 200}, "title": {"type": "string", "maxLength": 200},
        "start": SECONDS}},
    "ChapterChange": {"type": "object", "properties": {
        "kind": {"type": "string", "maxLength": 200}, "title": {"type": "string", "maxLength": 200},
        "start": SECONDS}},
    "ChecklistRow": {"type": "object", "properties": {
        "item_id": {"type": "integer"}, "text": {"type": "string"}, "position": {"type": "integer"},
        "retired": {"type": "boolean", "description": "Taken out of the program's list since it was marked"},
        "status": STATUS, "marked_by": PERSON, "marked_at": {"type": ["string", "null"], "format": "date-time"},
        "links": {"type": "array", "items": LINK}}},
    "Checklist": {"type": "object", "properties": {
        "items": {"type": "array", "items": _ref("ChecklistRow")}, "can_mark": {"type": "boolean"}}},
    "ChecklistMark": {"type": "object", "required": ["status"], "properties": {"status": STATUS}},
    "ChecklistLinkNew": {"type": "object", "required": ["recording_id", "start", "end"], "properties": {
        "recording_id": {"type": "integer"}, "start": SECONDS, "end": SECONDS}},
}

RECORDING = _id("recording_id")
SESSION = _id("session_id")
ITEM = _id("item_id")

REVIEW_TOOL_PATHS = {
    "/recordings/{recording_id}/chapters": {
        "get": {"summary": "The film's chapters in time order, and the kinds its program offers",
                "operationId": "listChapters", "parameters": [RECORDING],
                "responses": {"200": _json(_ref("ChapterList"), "The chapters"), **_errors(404)}},
        "post": {"summary": "Mark a chapter (the group's leaders and supervisors; audited)",
                 "operationId": "addChapter", "parameters": [RECORDING], "requestBody": _body(_ref("ChapterNew")),
                 "responses": {"201": _json(_ref("Chapter"), "Created"),
                               "200": _json(_ref("Chapter"), "A chapter of the same title within a second of "
                                                             "that time is already there: nothing added"),
                               **_errors(400, 403, 404, 422)}},
    },
    "/chapters/{chapter_id}": {
        "patch": {"summary": "Move or rename a chapter (the group's supervisors, or the leader who added it; audited)",
                  "operationId": "changeChapter", "parameters": [_id("chapter_id")],
                  "requestBody": _body(_ref("ChapterChange")),
                  "responses": {"200": _json(_ref("Chapter"), "Changed"), **_errors(400, 403, 404, 422)}},
        "delete": {"summary": "Delete a chapter (the group's supervisors, or the leader who added it; audited)",
                   "operationId": "deleteChapter",
                   "parameters": [_id("chapter_id")],
                   "responses": {"204": {"description": "Deleted"}, **_errors(403, 404)}},
    },
    "/sessions/{session_id}/checklist": {
        "get": {"summary": "The session's fidelity checklist with marks and links (supervisors; leaders once "
                           "the feedback is published)",
                "operationId": "getChecklist", "parameters": [SESSION],
                "responses": {"200": _json(_ref("Checklist"), "The checklist"), **_errors(404)}},
    },
    "/sessions/{session_id}/checklist/{item_id}": {
        "put": {"summary": "Mark an item covered, partly covered or missing (the group's supervisors; audited)",
                "operationId": "markChecklistItem", "parameters": [SESSION, ITEM],
                "requestBody": _body(_ref("ChecklistMark")),
                "responses": {"200": _json(_ref("ChecklistRow"), "Marked"), **_errors(400, 403, 404, 422)}},
    },
    "/sessions/{session_id}/checklist/{item_id}/links": {
        "post": {"summary": "Link an item to a range of one of the session's films (the group's supervisors)",
                 "operationId": "linkChecklistItem", "parameters": [SESSION, ITEM],
                 "requestBody": _body(_ref("ChecklistLinkNew")),
                 "responses": {"201": _json(_ref("ChecklistRow"), "Linked"), **_errors(400, 403, 404, 422)}},
    },
    "/checklist-links/{link_id}": {
        "delete": {"summary": "Remove a link between an item and the film (the group's supervisors)",
                   "operationId": "unlinkChecklistItem", "parameters": [_id("link_id")],
                   "responses": {"204": {"description": "Removed"}, **_errors(403, 404)}},
    },
}
