"""The OpenAPI paths and schemas of the upload and recording endpoints (merged by openapi.py)."""

from portal.api.openapi_groups import _body, _errors, _id, _json, _ref

UPLOAD_ID = {"name": "upload_id", "in": "path", "required": True, "schema": {"type": "string"}}
PART = {"type": "object", "required": ["number", "etag"],
        "properties": {"number": {"type": "integer", "minimum": 1}, "etag": {"type": "string"},
                       "size": {"type": "integer"}}}

UPLOAD_SCHEMAS = {
    "UploadStart": {
        "type": "object", "required": ["filename", "size", "content_type"],
        "properties": {
            "filename": {"type": "string", "maxLength": 255, "description": "Shown to people; never a storage key"},
            "size": {"type": "integer", "minimum": 1, "description": "Bytes; refused above the cap"},
            "content_type": {"type": "string"},
            "position": {"type": "integer", "minimum": 1, "description": "Place in the session's timeline"},
            "file_count": {"type": "integer", "minimum": 1, "maximum": 20},
            "last_modified": {"type": ["integer", "null"], "description": "File.lastModified, to find a resume"},
        },
    },
    "UploadStarted": {
        "type": "object",
        "properties": {"upload_id": {"type": "string"}, "recording_id": {"type": "integer"},
                       "resumed": {"type": "boolean"}, "part_size": {"type": "integer"},
                       "part_count": {"type": "integer"}, "max_file_bytes": {"type": "integer"}},
    },
    "UploadState": {
        "type": "object",
        "properties": {"upload_id": {"type": "string"},
                       "status": {"enum": ["uploading", "uploaded", "aborted"]},
                       "size": {"type": "integer"}, "part_size": {"type": "integer"},
                       "part_count": {"type": "integer"}, "parts": {"type": "array", "items": PART}},
    },
    "Recording": {
        "type": "object",
        "properties": {
            "id": {"type": "integer"}, "session_id": {"type": "integer"},
            "status": {"enum": ["awaiting_upload", "uploading", "uploaded", "processing", "ready", "failed",
                                "rejected", "deleted"]},
            "status_text": {"type": "string"}, "reason": {"type": ["string", "null"]},
            "reason_text": {"type": ["string", "null"]}, "progress": {"type": "number"},
            "seconds_left": {"type": ["integer", "null"], "description": "Estimate while processing"},
            "time_left_text": {"type": ["string", "null"]},
            "can_retry": {"type": "boolean", "description": "The caller may retry this failed recording"},
            "attempts": {"type": "integer"}, "duration": {"type": ["number", "null"]},
            "files": {"type": "array", "items": {"type": "object"}},
            "queue": {"type": ["object", "null"], "description": "While waiting or processing: the films "
                      "ahead in the processing queue and when this one will be ready",
                      "properties": {"ahead": {"type": "integer"}, "text": {"type": "string"},
                                     "seconds": {"type": ["integer", "null"]},
                                     "ready_in_text": {"type": ["string", "null"]}}},
            "sound_checked": {"type": "boolean", "description": "The film's sound is known: its files "
                              "probed, and for a film with sound its speech lane worked out"},
            "sound_warning": {"type": ["string", "null"], "description": "No file has a sound track, or no "
                              "voice is heard in a film of a minute or more: what the leader should check"},
            "watch_url": {"type": ["string", "null"], "description": "The player, once the caller may watch: "
                          "when ready, or (HLS) as soon as its first minutes can be played"},
            "playable_seconds": {"type": "number", "description": "Seconds playable from 0:00 now"},
            "complete": {"type": "boolean", "description": "True once the whole film is ready"},
            "playable_text": {"type": "string", "description": "How much can be played, in the caller's language"},
            "upload_url": {"type": "string", "description": "The session's upload page"},
        },
    },
}

UPLOAD_PATHS = {
    "/sessions/{session_id}/uploads": {
        "post": {"summary": "Start, or resume, the upload of one file of a session's film",
                 "operationId": "startUpload", "parameters": [_id("session_id")],
                 "requestBody": _body(_ref("UploadStart")),
                 "responses": {"200": _json(_ref("UploadStarted"), "Resumed: list the parts and send the rest"),
                               "201": _json(_ref("UploadStarted"), "Started"),
                               "413": _json(_ref("Error"), "Above the size cap"),
                               "415": _json(_ref("Error"), "Not a video"),
                               **_errors(400, 403, 404, 409, 422)}},
    },
    "/sessions/{session_id}/uploads/restart": {
        "post": {"summary": "Start the session's film over: abort every file's upload and drop what was sent",
                 "operationId": "restartUpload", "parameters": [_id("session_id")],
                 "responses": {"200": _json({"type": "object", "properties": {
                     "session_id": {"type": "integer"}, "recording_id": {"type": ["integer", "null"]},
                     "status": {"type": ["string", "null"]}}}, "Free for a new upload"),
                     **_errors(400, 404, 409)}},
    },
    "/uploads/{upload_id}/part-urls": {
        "post": {"summary": "Signed PUT URLs for parts", "operationId": "signParts",
                 "parameters": [UPLOAD_ID],
                 "requestBody": _body({"type": "object", "required": ["part_numbers"],
                                       "properties": {"part_numbers": {"type": "array", "maxItems": 100,
                                                                       "items": {"type": "integer"}}}}),
                 "responses": {"200": _json({"type": "object", "properties": {
                     "urls": {"type": "object", "additionalProperties": {"type": "string"}},
                     "expires_in": {"type": "integer"}}}, "A URL per part number"),
                     **_errors(400, 404, 409, 422)}},
    },
    "/uploads/{upload_id}": {
        "get": {"summary": "The upload's state and the parts storage holds", "operationId": "getUpload",
                "parameters": [UPLOAD_ID],
                "responses": {"200": _json(_ref("UploadState"), "State"), **_errors(404)}},
        "delete": {"summary": "Cancel the upload and drop its parts", "operationId": "cancelUpload",
                   "parameters": [UPLOAD_ID],
                   "responses": {"200": _json(_ref("UploadState"), "Cancelled"), **_errors(404)}},
    },
    "/uploads/{upload_id}/complete": {
        "post": {"summary": "Complete the file once its parts add up (idempotent)",
                 "operationId": "completeUpload", "parameters": [UPLOAD_ID],
                 "requestBody": _body({"type": "object", "required": ["parts"],
                                       "properties": {"parts": {"type": "array", "items": PART}}}),
                 "responses": {"200": _json({"type": "object", "properties": {
                     "upload_id": {"type": "string"}, "status": {"type": "string"},
                     "recording_id": {"type": "integer"}, "recording_uploaded": {"type": "boolean"}}},
                     "Completed"), **_errors(400, 404, 409, 422)}},
    },
    "/recordings/{recording_id}": {
        "get": {"summary": "A recording's state, progress and reason", "operationId": "getRecording",
                "parameters": [_id("recording_id")],
                "responses": {"200": _json(_ref("Recording"), "The recording"), **_errors(404)}},
    },
}
