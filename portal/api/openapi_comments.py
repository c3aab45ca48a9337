"""The OpenAPI paths and schemas of the supervision endpoints: comments, playback, position."""

from portal.api.openapi_groups import _body, _errors, _id, _json, _ref

SECONDS = {"type": "number", "minimum": 0, "description": "Seconds from the start of the film"}
AUTHOR = {"type": "object", "properties": {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}}
COMMENT_FIELDS = {
    "id": {"type": "integer"}, "recording_id": {"type": "integer"}, "parent_id": {"type": ["integer", "null"]},
    "t_start": SECONDS, "t_end": {**SECONDS, "type": ["number", "null"]}, "category": {"type": "string"},
    "body": {"type": "string", "description": "Plain text; clients must escape it"},
    "visibility": {"enum": ["shared", "private"]}, "resolved": {"type": "boolean"},
    "deleted": {"type": "boolean"}, "author": AUTHOR, "created_at": {"type": "string", "format": "date-time"},
    "updated_at": {"type": ["string", "null"], "format": "date-time"}, "can_edit": {"type": "boolean"},
}
SIGNED_URL = {"type": "string", "description": "Short-lived; never log it"}

COMMENT_SCHEMAS = {
    "Comment": {"type": "object", "properties": COMMENT_FIELDS},
    "CommentThread": {"type": "object", "properties": {
        **COMMENT_FIELDS, "replies": {"type": "array", "items": _ref("Comment")}}},
    "CommentList": {"type": "object", "properties": {
        "comments": {"type": "array", "items": _ref("CommentThread")},
        "categories": {"type": "array", "items": {"type": "object", "properties": {
            "code": {"type": "string"}, "label": {"type": "string"}, "color": {"type": "string"}}}}}},
    "CommentNew": {
        "type": "object", "required": ["body"],
        "description": "A new comment (supervisors: t_start and category required) or a reply (parent_id: "
                       "time, category and visibility come from the thread)",
        "properties": {"t_start": SECONDS, "t_end": {**SECONDS, "type": ["number", "null"]},
                       "category": {"type": "string"}, "body": {"type": "string", "maxLength": 5000},
                       "parent_id": {"type": ["integer", "null"]}, "visibility": {"enum": ["shared", "private"]}},
    },
    "CommentChange": {
        "type": "object",
        "description": "Authors change the text, time, category and visibility; anyone who sees the "
                       "comment may mark it resolved",
        "properties": {"t_start": SECONDS, "t_end": {**SECONDS, "type": ["number", "null"]},
                       "category": {"type": "string"}, "body": {"type": "string", "maxLength": 5000},
                       "visibility": {"enum": ["shared", "private"]}, "resolved": {"type": "boolean"}},
    },
    "Playback": {"type": "object", "properties": {
        "video": {**SIGNED_URL, "description": "A film published before HLS (one MP4 file): short-lived; "
                                               "never log it. Absent for an HLS film"},
        "hls": {"type": "string", "description": "A film published as HLS: the app URL of its master playlist. "
                "The playlists and each segment check the caller's right on every request and redirect "
                "to short-lived storage URLs, so the URL does not expire. Absent for an MP4 film"},
        "poster": {**SIGNED_URL, "type": ["string", "null"],
                   "description": "Short-lived; null while the film is processed and has no poster yet"},
        "thumbnail": {**SIGNED_URL, "type": ["string", "null"]},
        "playable_seconds": {"type": "number", "minimum": 0,
                             "description": "Seconds playable from 0:00 now (the whole film once complete)"},
        "duration": {"type": ["number", "null"], "description": "The film's length in seconds, when known"},
        "complete": {"type": "boolean",
                     "description": "False while the film is still processed (HLS): more becomes playable"},
        "playable_text": {"type": "string", "description": "How much can be played, in the caller's language"},
        "storyboard": {"type": ["object", "null"], "description":
                       "Hover previews: a WebVTT track once the film is ready; while it is encoded, the grid "
                       "of tiles drawn so far (tile i shows the film at i * interval seconds)", "properties": {
            "vtt": {**SIGNED_URL, "type": ["string", "null"]},
            "grid": {"type": ["object", "null"], "properties": {
                "interval": {"type": "number"}, "columns": {"type": "integer"}, "width": {"type": "integer"},
                "height": {"type": "integer"}, "duration": {"type": ["number", "null"]},
                "parts": {"type": "array", "items": {"type": "object", "properties": {
                    "first": {"type": "integer"}, "count": {"type": "integer"}, "rows": {"type": "integer"},
                    "sheets": {"type": "array", "items": {"type": "string"}}}}}}},
            "sheets": {"type": "object", "additionalProperties": SIGNED_URL}}},
        "expires_in": {"type": "integer", "description": "Seconds the URLs stay valid"},
        "expires_at": {"type": "string", "format": "date-time"},
        "position": {"type": "number", "description": "Where the caller last was"}}},
    "Position": {"type": "object", "required": ["position"], "properties": {"position": SECONDS}},
}

RECORDING = _id("recording_id")
COMMENT = _id("comment_id")

COMMENT_PATHS = {
    "/recordings/{recording_id}/comments": {
        "get": {"summary": "The comments on a film the caller may see, as threads in time order",
                "operationId": "listComments", "parameters": [RECORDING],
                "responses": {"200": _json(_ref("CommentList"), "The threads"), **_errors(404)}},
        "post": {"summary": "Comment at a time or on a range, or answer in a thread",
                 "operationId": "addComment", "parameters": [RECORDING], "requestBody": _body(_ref("CommentNew")),
                 "responses": {"201": _json(_ref("Comment"), "Created"), **_errors(400, 403, 404, 409, 422)}},
    },
    "/comments/{comment_id}": {
        "patch": {"summary": "Change one's own comment, or mark a comment resolved",
                  "operationId": "changeComment", "parameters": [COMMENT],
                  "requestBody": _body(_ref("CommentChange")),
                  "responses": {"200": _json(_ref("Comment"), "Changed"), **_errors(400, 403, 404, 422)}},
        "delete": {"summary": "Delete one's own comment (its thread stays)", "operationId": "deleteComment",
                   "parameters": [COMMENT],
                   "responses": {"204": {"description": "Deleted"}, **_errors(403, 404)}},
    },
    "/recordings/{recording_id}/play": {
        "post": {"summary": "Media URLs for a film that can be played (ready, or HLS and partly processed), "
                         "after the access check (audited)",
                 "operationId": "playRecording", "parameters": [RECORDING],
                 "requestBody": {"required": False, "content": {"application/json": {"schema": {
                     "type": "object", "properties": {"renewal": {
                         "type": "boolean", "description": "Fresh URLs during the same viewing; a new viewing "
                         "unless the caller played this film in the last 10 minutes"}}}}}},
                 "responses": {"200": _json(_ref("Playback"), "The URLs and their expiry"), **_errors(404)}},
    },
    "/recordings/{recording_id}/position": {
        "put": {"summary": "Remember where the caller is in the film", "operationId": "savePosition",
                "parameters": [RECORDING], "requestBody": _body(_ref("Position")),
                "responses": {"200": _json(_ref("Position"), "Saved (clamped to the film)"),
                              **_errors(400, 404, 422)}},
    },
}
