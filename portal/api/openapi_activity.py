"""The OpenAPI paths and schemas of the speech lane (issue 20): activity track, break, review settings."""

from portal.api.openapi_comments import RECORDING, SECONDS
from portal.api.openapi_groups import _body, _errors, _json, _ref

BREAK = {"type": ["object", "null"], "description": "null: no break", "properties": {
    "start": SECONDS, "end": SECONDS,
    "confirmed": {"type": "boolean", "description": "false: proposed by the analysis, not yet confirmed"}}}
SETTINGS = {"skip_silence": {"type": "boolean"}, "skip_break": {"type": "boolean"},
            "speed": {"type": "number", "minimum": 0.5, "maximum": 2.5}}

ACTIVITY_SCHEMAS = {
    "Activity": {"type": "object", "required": ["status"], "properties": {
        "status": {"enum": ["pending", "ready", "unavailable"],
                   "description": "pending: the analysis has not run yet; unavailable: the film has no sound"},
        "film_ready": {"type": "boolean", "description": "With pending: whether the film is processed "
                                                         "(the analysis follows within minutes) or not yet"},
        "step": {"type": "number", "description": "Seconds per value (0.5)"},
        "duration": {"type": "number"},
        "speech": {"type": "string", "description": "One '1' (speech) or '0' per step"},
        "loudness": {"type": "array", "items": {"type": "integer"}, "description": "RMS level in dB per step"},
        "speech_seconds": {"type": ["number", "null"]},
        "silence_skip_seconds": {"type": "integer", "description": "Quiet stretches at least this long may "
                                                                   "be skipped (SILENCE_SKIP_SECONDS)"},
        "break": BREAK}},
    "BreakChange": {"type": "object", "description": "A range in seconds, or both null for no break",
                    "properties": {"start": {**SECONDS, "type": ["number", "null"]},
                                   "end": {**SECONDS, "type": ["number", "null"]}}},
    "BreakAnswer": {"type": "object", "properties": {"break": BREAK}},
    "ReviewSettings": {"type": "object", "properties": SETTINGS},
}

ACTIVITY_PATHS = {
    "/recordings/{recording_id}/activity": {
        "get": {"summary": "Where people talk in a film (per 0.5 s) and its break", "operationId": "getActivity",
                "parameters": [RECORDING], "responses": {"200": _json(_ref("Activity"), "The track"), **_errors(404)}},
    },
    "/recordings/{recording_id}/break": {
        "put": {"summary": "Confirm, move or remove the film's break (its supervisors; audited)",
                "operationId": "setBreak", "parameters": [RECORDING], "requestBody": _body(_ref("BreakChange")),
                "responses": {"200": _json(_ref("BreakAnswer"), "The break now"),
                              **_errors(400, 403, 404, 409, 422)}},
    },
    "/me/review-settings": {
        "get": {"summary": "The caller's review settings", "operationId": "getReviewSettings",
                "responses": {"200": _json(_ref("ReviewSettings"), "The settings")}},
        "put": {"summary": "Change some of the caller's review settings", "operationId": "saveReviewSettings",
                "requestBody": _body(_ref("ReviewSettings")),
                "responses": {"200": _json(_ref("ReviewSettings"), "Saved"), **_errors(400, 422)}},
    },
}
