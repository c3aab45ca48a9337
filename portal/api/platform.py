"""API v1 for the platform administrator (issue 18): organisations and the program catalogue.
Everyone signed in reads the catalogue; changes are the platform administrator's."""

from flask import jsonify
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.api import bp
from portal.api.groups import InputError, body, field
from portal.errors import api_error
from portal.extensions import db
from portal.models import Organisation, Program
from portal.services import accounts, comments, platform, programs

NUMBERS = ("session_minutes", "min_participants", "group_size_min", "group_size_max", "recert_years",
           "recert_groups", "recert_films", "min_film_minutes")
FLAGS = ("has_info_meeting", "requires_technical_assistant")


def _refuse_unless_platform_admin():
    if not permissions.is_platform_admin(current_user):
        return api_error(403, "forbidden", _("Only the platform administrator can do this."))
    return None


def organisation_json(organisation):
    """The fields of an organisation."""
    return {"id": organisation.id, "name": organisation.name, "details": organisation.details,
            "active": organisation.active}


def program_json(program):
    """The fields of one version of a program."""
    return {"id": program.id, "key": program.key, "version": program.version,
            "current": program.superseded_at is None, "name": program.name,
            "session_titles": list(program.session_titles), "has_info_meeting": program.has_info_meeting,
            "requires_technical_assistant": program.requires_technical_assistant,
            "comment_categories": comments.categories_for(program) if program.comment_categories else None,
            **{name: getattr(program, name) for name in NUMBERS}}


@bp.errorhandler(programs.ProgramError)
def _program_error(error):
    extra = {"field": error.field} if error.field else {}
    return api_error(422, "invalid", error.message, **extra)


@bp.errorhandler(accounts.AccountError)
def _account_error(error):
    return api_error(422, "invalid", str(error))


@bp.route("/organisations")
def list_organisations():
    """Every organisation. :raise 403: unless platform administrator."""
    if (refused := _refuse_unless_platform_admin()) is not None:
        return refused
    return jsonify(organisations=[organisation_json(o) for o in platform.organisations()])


@bp.route("/organisations", methods=["POST"])
def create_organisation():
    """Create an organisation and invite its first admin by mail. :raise 403:"""
    if (refused := _refuse_unless_platform_admin()) is not None:
        return refused
    data = body()
    organisation, admin = platform.create_organisation(
        field(data, "name", str), field(data, "admin_name", str), field(data, "admin_email", str), current_user)
    db.session.commit()
    accounts.send_invitation(admin)
    return jsonify({**organisation_json(organisation), "admin_id": admin.id}), 201


@bp.route("/organisations/<int:organisation_id>", methods=["PATCH"])
def update_organisation(organisation_id):
    """Rename, set the certificate details, deactivate or reactivate. :raise 403, 404:"""
    if (refused := _refuse_unless_platform_admin()) is not None:
        return refused
    organisation = db.get_or_404(Organisation, organisation_id)
    data = body()
    name = field(data, "name", str, required=False, default=organisation.name)
    details = field(data, "details", str, required=False, default=organisation.details)
    active = field(data, "active", bool, required=False, default=organisation.active)
    accounts.update_organisation(organisation, name, details, actor=current_user)
    if active != organisation.active:
        platform.set_organisation_active(organisation, active, current_user)
    db.session.commit()
    return jsonify(organisation_json(organisation))


@bp.route("/programs")
def list_programs():
    """The program catalogue: the current version of every program."""
    return jsonify(programs=[program_json(p) for p in programs.current_programs()])


def _rules(data):
    """The program rules in ``data``, type-checked. :raise InputError: naming a bad field."""
    values = {}
    if "name" in data:
        values["name"] = field(data, "name", str)
    for name in NUMBERS:
        if name in data:
            values[name] = field(data, name, int)
    for name in FLAGS:
        if name in data:
            values[name] = field(data, name, bool)
    if "session_titles" in data:
        titles = data["session_titles"]
        if not isinstance(titles, list) or not all(isinstance(t, str) for t in titles):
            raise InputError(_("The field %(name)s must be a list of strings.", name="session_titles"),
                             field="session_titles")
        values["session_titles"] = titles
    if "comment_categories" in data:
        values["comment_categories"] = _categories(data["comment_categories"])
    return values


def _categories(value):
    """``[{"code", "label", "color"}]`` or null (the standard set). :raise InputError:"""
    if value is None:
        return None
    wrong = InputError(_("The field %(name)s must be a list of categories with a code and a label.",
                         name="comment_categories"), field="comment_categories")
    if not isinstance(value, list) or not all(
            isinstance(c, dict) and all(isinstance(c.get(k, ""), str) for k in ("code", "label", "color"))
            and "|" not in "".join(c.get(k, "") for k in ("code", "label", "color")) for c in value):
        raise wrong
    text = "\n".join(f"{c.get('code', '')} | {c.get('label', '')}" + (f" | {c['color']}" if c.get("color") else "")
                     for c in value)
    try:
        return comments.parse_categories(text)
    except ValueError as error:
        raise InputError(str(error), field="comment_categories") from error


@bp.route("/programs", methods=["POST"])
def create_program():
    """Add a program to the catalogue. :raise 403:"""
    if (refused := _refuse_unless_platform_admin()) is not None:
        return refused
    data = body()
    program = programs.create_program(field(data, "key", str), _rules(data), current_user)
    db.session.commit()
    return jsonify(program_json(program)), 201


@bp.route("/programs/<int:program_id>", methods=["PATCH"])
def update_program(program_id):
    """Change a program's rules; answers the current version, a new one when groups use the old.
    :raise 403, 404:"""
    if (refused := _refuse_unless_platform_admin()) is not None:
        return refused
    program = db.get_or_404(Program, program_id)
    current = programs.update_program(program, _rules(body()), current_user)
    db.session.commit()
    return jsonify(program_json(current))
