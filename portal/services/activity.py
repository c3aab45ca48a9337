"""The speech lane of a film and the break a supervisor confirms (issue 20); each user's review
settings (skip silence, skip the break, speed).

The worker (``workers.activity``) stores the track as JSON under the film's output prefix and its
summary on ``Recording.activity``, with the break it proposes. A supervisor of the group confirms,
moves or removes the break; every change is audited with before and after. Which ranges the player
skips is decided in the browser (``static/js/skip_plan.mjs``) from the track and these settings.
"""

import json

from flask import current_app
from flask_babel import gettext as _

from portal.errors import Refused
from portal.models.base import utcnow
from portal.models.recordings import READY
from portal.services import audit
from portal.services.storage import get_storage

SPEED_MIN, SPEED_MAX = 0.5, 2.5
DEFAULT_SETTINGS = {"skip_silence": False, "skip_break": False, "speed": 1.0}


def the_break(recording):
    """The break the player shows: ``{"start", "end", "confirmed"}`` or None. A supervisor's
    choice (a range, or "no break") wins over the worker's proposal."""
    summary = recording.activity or {}
    chosen = summary.get("break")
    if chosen is not None:
        if chosen.get("start") is None:
            return None
        return {"start": chosen["start"], "end": chosen["end"], "confirmed": True}
    proposed = summary.get("proposed_break")
    return {"start": proposed[0], "end": proposed[1], "confirmed": False} if proposed else None


def track_json(recording):
    """The film's activity for the player: ``{"status": "pending"}`` until the worker has stored
    it (``"unavailable"`` when it could not: a film without sound), then the track (speech and
    loudness per step), the quiet-stretch threshold and the break."""
    summary = recording.activity
    if summary and summary.get("error"):
        return {"status": "unavailable"}  # no sound to read: the player shows no lane
    if not summary or not summary.get("key"):
        # worked out once the whole film is processed: ``film_ready`` says whether that is done
        return {"status": "pending", "film_ready": recording.status == READY}
    with get_storage().open_read(summary["key"]) as handle:
        track = json.load(handle)
    return {"status": "ready", "step": track["step"], "duration": track["duration"], "speech": track["speech"],
            "loudness": track["loudness"], "speech_seconds": summary.get("speech_seconds"),
            "silence_skip_seconds": current_app.config["SILENCE_SKIP_SECONDS"], "break": the_break(recording)}


def _seconds(value, duration):
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value or not 0 <= value <= duration:
        raise Refused(422, "invalid_break", _("The break is a start and an end within the film, in seconds."))
    return round(float(value), 1)


def set_break(user, recording, start, end):
    """Confirm or move the break (``start``/``end`` in seconds), or say there is none (both None).
    Audited. Callers commit. :raise Refused: 409 before the track exists, 422 on a bad range."""
    summary = dict(recording.activity or {})
    if not summary.get("key"):
        raise Refused(409, "activity_pending", _("The film's speech lane is not ready yet."))
    if start is None and end is None:
        chosen = {"start": None, "end": None}
    else:
        duration = recording.duration or summary.get("duration") or 0
        chosen = {"start": _seconds(start, duration), "end": _seconds(end, duration)}
        if chosen["end"] - chosen["start"] < 1:
            raise Refused(422, "invalid_break", _("The break must end after it starts."))
    before = the_break(recording)
    summary["break"] = {**chosen, "by_id": user.id, "at": utcnow().isoformat(timespec="seconds")}
    recording.activity = summary  # a new dict, so the JSON column is written
    audit.record("recording.break_set", recording, actor=user, before=before, after=the_break(recording))
    return the_break(recording)


def review_settings(user):
    """The user's review settings, defaults filled in."""
    return {**DEFAULT_SETTINGS, **(user.review_settings or {})}


def save_review_settings(user, data):
    """Change some of the user's review settings. Callers commit. :raise Refused: 422 on bad values."""
    settings = review_settings(user)
    for name in ("skip_silence", "skip_break"):
        if name in data:
            if not isinstance(data[name], bool):
                raise Refused(422, "invalid_setting", _("The settings are on or off."))
            settings[name] = data[name]
    if "speed" in data:
        speed = data["speed"]
        if isinstance(speed, bool) or not isinstance(speed, int | float) or not SPEED_MIN <= speed <= SPEED_MAX:
            raise Refused(422, "invalid_speed", _("The speed is between 0.5 and 2.5."))
        settings["speed"] = round(float(speed), 2)
    user.review_settings = settings
    return settings
