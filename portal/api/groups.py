"""API v1: groups, their sessions, participants, consent and the consent confirmation."""

from datetime import date

from flask import jsonify, request
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.api import bp
from portal.errors import api_error
from portal.extensions import db
from portal.models import Group, GroupSession, Participant, Program, User
from portal.services import consent, groups, withdrawal


class InputError(ValueError):
    """A request body of the wrong shape: 400 when not a JSON object, else 422."""

    def __init__(self, message, status=422, field=None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.field = field


@bp.errorhandler(InputError)
def _input_error(error):
    extra = {"field": error.field} if error.field else {}
    return api_error(error.status, "invalid_json" if error.status == 400 else "invalid", error.message,
                     **extra)


@bp.errorhandler(consent.ConsentError)
def _consent_error(error):
    return api_error(error.status, error.code, error.message, **error.extra)


@bp.errorhandler(groups.GroupError)
def _group_error(error):
    return api_error(422, "invalid", str(error))


def body():
    """The request's JSON object. :raise InputError: 400 unless the body is a JSON object."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise InputError(_("The request body must be a JSON object."), status=400)
    return data


def field(data, name, kind, required=True, default=None):
    """``data[name]`` checked against ``kind`` (int, str, bool, list of int, or date).

    :raise InputError: 422 naming the field when missing or of the wrong type.
    """
    if name not in data or data[name] is None:
        if required:
            raise InputError(_("The field %(name)s is required.", name=name), field=name)
        return default
    value = data[name]
    if kind is date:
        try:
            return date.fromisoformat(value)
        except (TypeError, ValueError):
            _bad(name, kind)
    if kind == "ids":
        if isinstance(value, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in value):
            return value
        _bad(name, kind)
    if kind is int and isinstance(value, bool):
        _bad(name, kind)
    if not isinstance(value, kind):
        _bad(name, kind)
    return value


def _bad(name, kind):
    names = {int: _("an integer"), str: _("a string"), bool: _("true or false"),
             date: _("a date (YYYY-MM-DD)"), "ids": _("a list of integer ids")}
    raise InputError(_("The field %(name)s must be %(kind)s.", name=name, kind=names[kind]), field=name)


def group_json(group, detail=False):
    """The fields of a group (with sessions when ``detail``)."""
    data = {
        "id": group.id, "organisation_id": group.organisation_id, "program_id": group.program_id,
        "title": group.title, "language": group.language, "interpreter": group.interpreter,
        "start_date": group.start_date.isoformat(), "purpose": group.purpose,
        "uploader_id": group.uploader.id if group.uploader else None,
        "leader_ids": [u.id for u in group.leaders],
        "supervisor_ids": [u.id for u in group.supervisors],
        "technical_assistant_id": group.technical_assistant_id,
        "co_leader_may_upload": group.co_leader_may_upload,
        "closed_at": group.closed_at.isoformat() if group.closed_at else None,
        "archived_at": group.archived_at.isoformat() if group.archived_at else None,
    }
    if detail:
        data["sessions"] = [session_json(s) for s in group.sessions]
    return data


def session_json(group_session):
    """The fields of a session, with its consent confirmation."""
    confirmation = group_session.confirmation
    return {
        "id": group_session.id, "number": group_session.number, "title": group_session.title,
        "date": group_session.date.isoformat(),
        "consent_confirmed": confirmation is not None,
        "attending": confirmation.attending if confirmation else [],
        "playback_blocked": consent.session_playback_blocked(group_session),
        "cancelled": group_session.cancelled_at is not None,
    }


def participant_json(participant):
    """A participant with the history of its consent."""
    return {
        "id": participant.id, "code": participant.code, "has_consent": participant.has_consent,
        "consents": [{"kind": c.kind, "date": c.on_date.isoformat(), "method": c.method,
                      "timecode": c.timecode, "info_version": c.info_version,
                      "registered_by_id": c.registered_by_id} for c in participant.consents],
    }


def _visible(model, object_id):
    """The object whose group the current user may see. :raise 404: otherwise."""
    obj = db.session.get(model, object_id)
    permissions.require_view_group(obj if isinstance(obj, Group) or obj is None else obj.group)
    return obj


@bp.route("/groups")
def list_groups():
    """The groups the caller may see: the working ones, or the archived ones with ``?archived=true``."""
    archived = request.args.get("archived") in ("true", "1")
    return jsonify(groups=[group_json(g) for g in groups.visible_groups(current_user, archived=archived)])


@bp.route("/groups", methods=["POST"])
def create_group():
    """Create a group in the caller's organisation. :raise 403: unless admin or leader."""
    if not (permissions.is_admin(current_user) or permissions.is_leader(current_user)):
        return api_error(403, "forbidden", _("Only administrators and group leaders can create groups."))
    data = body()
    program = db.session.get(Program, field(data, "program_id", int))
    if program is None:
        raise InputError(_("There is no such program."), field="program_id")
    group = groups.create_group(
        current_user, permissions.working_organisation(current_user), program, field(data, "title", str),
        field(data, "start_date", date), db.session.get(User, field(data, "uploader_id", int)),
        db.session.get(User, field(data, "co_leader_id", int)), field(data, "purpose", str),
        language=field(data, "language", str, False, "sv"),
        interpreter=field(data, "interpreter", bool, False, False),
        technical_assistant=_user_or_none(field(data, "technical_assistant_id", int, False)),
        supervisors=[db.session.get(User, i) for i in field(data, "supervisor_ids", "ids", False, [])],
        co_leader_may_upload=field(data, "co_leader_may_upload", bool, False, False))
    db.session.commit()
    groups.notify_group_started(group)
    return jsonify(group_json(group, detail=True)), 201


def _user_or_none(user_id):
    return db.session.get(User, user_id) if user_id is not None else None


@bp.route("/groups/<int:group_id>")
def get_group(group_id):
    """One group with its sessions. :raise 404: when hidden from the caller."""
    return jsonify(group_json(_visible(Group, group_id), detail=True))


@bp.route("/groups/<int:group_id>/sessions")
def list_sessions(group_id):
    """The group's sessions. :raise 404: when hidden from the caller."""
    return jsonify(sessions=[session_json(s) for s in _visible(Group, group_id).sessions])


@bp.route("/groups/<int:group_id>/participants")
def list_participants(group_id):
    """The group's participants and their consent. :raise 404: when hidden from the caller."""
    return jsonify(participants=[participant_json(p) for p in _visible(Group, group_id).participants])


@bp.route("/groups/<int:group_id>/participants", methods=["POST"])
def add_participant(group_id):
    """Register a participant by pseudonymous code. :raise 404, 403, 409, 422:"""
    group = _visible(Group, group_id)
    permissions.require_edit_group(group)
    participant = consent.add_participant(group, field(body(), "code", str), current_user)
    db.session.commit()
    return jsonify(participant_json(participant)), 201


@bp.route("/participants/<int:participant_id>/consents", methods=["POST"])
def give_consent(participant_id):
    """Register a participant's consent to filming. :raise 404, 403, 422:"""
    participant = _visible(Participant, participant_id)
    permissions.require_edit_group(participant.group)
    data = body()
    consent.give_consent(participant, field(data, "date", date), field(data, "method", str),
                         field(data, "info_version", str), current_user,
                         timecode=field(data, "timecode", str, False))
    db.session.commit()
    return jsonify(participant_json(participant)), 201


@bp.route("/participants/<int:participant_id>/withdrawal-preview")
def withdrawal_preview(participant_id):
    """What a withdrawal would take, to show before registering it: the films of the sessions the
    participant attended and the grace period. Changes nothing. :raise 404, 403:"""
    participant = _visible(Participant, participant_id)
    permissions.require_manage_group(participant.group)
    rows = withdrawal.affected(participant)
    return jsonify(recording_ids=[r.id for row in rows for r in row.films],
                   session_ids=[row.group_session.id for row in rows],
                   grace_days=withdrawal.grace_days(participant.group.organisation))


@bp.route("/participants/<int:participant_id>/withdraw", methods=["POST"])
def withdraw(participant_id):
    """Register a withdrawal; blocks playback of the sessions attended. :raise 404, 403, 409:"""
    participant = _visible(Participant, participant_id)
    permissions.require_manage_group(participant.group)
    registered = withdrawal.register(participant, field(body(), "date", date), current_user)
    db.session.commit()
    films = registered.films
    return jsonify(participant=participant_json(participant),
                   blocked_session_ids=sorted({r.group_session_id for r in films}),
                   recording_ids=[r.id for r in films], delete_after=registered.delete_after.isoformat())


@bp.route("/sessions/<int:session_id>/consent-confirmation", methods=["POST"])
def confirm_session(session_id):
    """Mark who attended and confirm their consent. :raise 404, 403, 409 consent_missing:"""
    group_session = _visible(GroupSession, session_id)
    permissions.require_edit_group(group_session.group)
    consent.confirm_attendance(group_session, field(body(), "attending", "ids"), current_user)
    db.session.commit()
    return jsonify(session_json(group_session)), 201


from portal.api import group_life  # noqa: E402,F401  (its routes use the helpers above)
