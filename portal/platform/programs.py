"""The program catalogue: create a program and edit its rules; an edit of a program in use adds
a new version, so running groups keep the rules they started with."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal.errors import Refused
from portal.extensions import db
from portal.models import Program
from portal.platform import bp
from portal.platform.forms import ConfirmForm, ProgramCreateForm, ProgramForm
from portal.services import chapters, checklist, programs


def _values(form):
    return {name: form[name].data for name in programs.RULES}


@bp.route("/programs")
def programs_list():
    """The catalogue: the current version of every program."""
    return render_template("platform/programs.html", programs=programs.current_programs())


@bp.route("/programs/new", methods=["GET", "POST"])
def create_program():
    """Add a program to the catalogue."""
    form = ProgramCreateForm(data={"has_info_meeting": True, "session_titles": list(programs.PRINCIPLES),
                                   "session_minutes": 150, "min_participants": 6, "group_size_min": 8,
                                   "group_size_max": 16, "recert_years": 3, "recert_groups": 6, "recert_films": 3,
                                   "min_film_minutes": 45, "chapter_kinds": chapters.kinds_for(None)})
    if form.validate_on_submit():
        try:
            program = programs.create_program(form.key.data, _values(form), current_user)
        except programs.ProgramError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The program %(name)s is created.", name=program.name), "success")
            return redirect(url_for("platform.programs_list"))
    return render_template("platform/program_edit.html", form=form, program=None)


@bp.route("/programs/<int:program_id>", methods=["GET", "POST"])
def edit_program(program_id):
    """Change a program's rules. :raise 404: for an unknown program."""
    program = db.get_or_404(Program, program_id)
    form = ProgramForm(obj=program)
    if not form.is_submitted():
        form.chapter_kinds.data = chapters.kinds_for(program)
    if form.validate_on_submit():
        try:
            current = programs.update_program(program, _values(form), current_user)
        except programs.ProgramError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            if current.id != program.id:
                flash(_("The program %(name)s is saved as version %(version)d; running groups keep the rules they "
                        "started with.", name=current.name, version=current.version), "success")
            else:
                flash(_("The program %(name)s is saved.", name=current.name), "success")
            return redirect(url_for("platform.programs_list"))
    return render_template("platform/program_edit.html", form=form, program=program)


@bp.route("/programs/<int:program_id>/checklist", methods=["GET", "POST"])
def program_checklist(program_id):
    """The fidelity checklist of a program version: the manual's key content items per session,
    one per line. Edited in place, so running groups get the filled-in placeholders too; an item
    taken out is retired and keeps its marks. :raise 404: for an unknown program."""
    program = db.get_or_404(Program, program_id)
    numbers = list(range(1, len(program.session_titles or []) + 1))
    form = ConfirmForm()
    if form.validate_on_submit():
        texts = {n: request.form[f"session-{n}"].splitlines() for n in numbers if f"session-{n}" in request.form}
        try:
            checklist.set_items(program, texts, current_user)
        except Refused as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
        else:
            db.session.commit()
            flash(_("The checklist of %(name)s is saved.", name=program.name), "success")
            return redirect(url_for("platform.program_checklist", program_id=program.id))
    items = checklist.by_session(program)
    sessions = [(n, program.session_titles[n - 1], items.get(n, [])) for n in numbers]
    return render_template("platform/program_checklist.html", program=program, form=form, sessions=sessions)
