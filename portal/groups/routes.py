"""Views of the groups blueprint: thin, the rules live in portal.permissions and the work in
portal.services.groups and portal.services.consent."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from portal import clock, permissions
from portal.extensions import db
from portal.groups import bp
from portal.groups.forms import (
    AttendanceForm,
    ConsentForm,
    EvaluationForm,
    GroupConsentForm,
    GroupForm,
    ParticipantForm,
    ParticipantsForm,
    SessionDateForm,
    WithdrawForm,
    method_choices,
)
from portal.models import Group, GroupSession, Participant, Program, User
from portal.services import accounts, bulk, consent, film_state, group_life, groups, paging, platform, programs
from portal.services import recordings as recording_service
from portal.services import withdrawal as withdrawal_service
from portal.services.uploads import current_recording


def _get(model, object_id, manage=False, edit=False):
    """The object if its group is visible (and managed, with ``manage``; managed and not archived,
    with ``edit``). :raise 404, 403:"""
    obj = db.session.get(model, object_id)
    group = obj if isinstance(obj, Group) or obj is None else obj.group
    check = (permissions.require_edit_group if edit else
             permissions.require_manage_group if manage else permissions.require_view_group)
    check(group)
    return obj


@bp.route("/")
def index():
    """The groups the user may see, searched by title or program and paged: the working ones, or the
    archived ones with ``?archived=1``."""
    archived = request.args.get("archived") == "1"
    q = paging.search_term(request.args.get("q"))
    page = groups.visible_groups_page(current_user, q, paging.page_number(request.args.get("page")), archived=archived)
    return render_template("groups/list.html", groups=page, q=q, archived=archived)


def _fill_choices(form):
    org_id = permissions.working_organisation(current_user).id
    form.program.choices = [(p.id, p.name) for p in programs.current_programs()]
    leaders = [(u.id, u.name) for u in groups.people(org_id, "leader")]
    form.uploader.choices = leaders
    form.co_leader.choices = leaders
    form.technical_assistant.choices = [(0, _("None"))] + [(u.id, u.name) for u in groups.people(org_id)]
    form.supervisors.choices, form.suggested_supervisor = platform.supervisor_choices()  # the program owner's pool


@bp.route("/new", methods=["GET", "POST"])
def create():
    """Register a new group; the organisation's admins get a mail. :raise 403: for supervisors."""
    if not (permissions.is_admin(current_user) or permissions.is_leader(current_user)):
        abort(403)
    form = GroupForm()
    if not form.is_submitted() and permissions.is_leader(current_user):
        form.uploader.data = current_user.id
    _fill_choices(form)
    if form.validate_on_submit():
        user = lambda user_id: db.session.get(User, user_id) if user_id else None  # noqa: E731
        try:
            group = groups.create_group(
                current_user, permissions.working_organisation(current_user),
                db.session.get(Program, form.program.data), form.title.data, form.start_date.data,
                user(form.uploader.data), user(form.co_leader.data),
                form.purpose.data, language=form.language.data, interpreter=form.interpreter.data,
                technical_assistant=user(form.technical_assistant.data),
                supervisors=[user(i) for i in form.supervisors.data],
                co_leader_may_upload=form.co_leader_may_upload.data)
        except groups.GroupError as error:
            flash(str(error), "error")
        else:
            db.session.commit()
            groups.notify_group_started(group)
            flash(_("The group %(title)s is registered.", title=group.title), "success")
            return redirect(url_for("groups.show", group_id=group.id))
    return render_template("groups/new.html", form=form)


@bp.route("/<int:group_id>")
def show(group_id):
    """A group at a glance: sessions with their status, participants, evaluation. :raise 404:"""
    group = _get(Group, group_id)
    evaluation = group.evaluation
    form = EvaluationForm(obj=evaluation) if evaluation else EvaluationForm()
    participant_q = paging.search_term(request.args.get("q"))
    participants = consent.participants_page(group, participant_q, paging.page_number(request.args.get("page")))
    return render_template("groups/show.html", group=group, participant_form=ParticipantForm(),
                           participants=participants, participant_q=participant_q,
                           evaluation_form=form, manage=permissions.can_edit_group(current_user, group),
                           blocked=consent.session_playback_blocked, film=current_recording,
                           consent_state=withdrawal_service.session_state,
                           film_status=recording_service.status_text,
                           sound=lambda rec: recording_service.sound_warning(rec, short=True),
                           uploader=permissions.can_upload_to_group(current_user, group),
                           attempts=film_state.last_attempts(group), reason=recording_service.reason_text,
                           set_uploader=groups.can_set_co_leader_upload(current_user, group),
                           upload_link=lambda s: _upload_link(group, s), life=group_life)


def _upload_link(group_session_group, group_session):
    """True when the session's upload page has something for the user: they upload, and the gate
    lets them (or asks only for the consent confirmation, which that page explains)."""
    if not permissions.can_upload_to_group(current_user, group_session_group):
        return False
    refusal = consent.upload_gate(current_user, group_session)
    return refusal is None or refusal.code == "consent_not_confirmed"


@bp.route("/<int:group_id>/co-leader-upload", methods=["POST"])
def co_leader_upload(group_id):
    """Let the co-leader upload too, or only the designated uploader. :raise 404, 403:"""
    group = _get(Group, group_id, edit=True)
    if not groups.can_set_co_leader_upload(current_user, group):
        abort(403)
    allowed = request.form.get("allowed") == "1"
    groups.set_co_leader_upload(group, allowed, current_user)
    db.session.commit()
    flash(_("The co-leader may now upload films too.") if allowed
          else _("Only the designated uploader uploads films now."), "success")
    return redirect(url_for("groups.show", group_id=group.id) + "#uploader")


@bp.route("/<int:group_id>/participants", methods=["POST"])
def add_participant(group_id):
    """Register a participant by pseudonymous code. :raise 404, 403:"""
    group = _get(Group, group_id, edit=True)
    form = ParticipantForm()
    if form.validate_on_submit():
        try:
            participant = consent.add_participant(group, form.code.data, current_user)
        except consent.ConsentError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Participant %(code)s is registered.", code=participant.code), "success")
    else:
        flash(_("Enter a code for the participant."), "error")
    return redirect(url_for("groups.show", group_id=group.id) + "#participants")


@bp.route("/<int:group_id>/participants/many", methods=["GET", "POST"])
def add_participants(group_id):
    """Register several participants from a pasted list of codes; nothing is saved while a line
    is wrong, and each wrong line says why. :raise 404, 403:"""
    group = _get(Group, group_id, manage=True)
    form = ParticipantsForm()
    outcome = None
    if form.validate_on_submit():
        try:
            outcome = bulk.add_participants(group, form.codes.data, current_user)
        except accounts.AccountError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            if outcome.done:
                db.session.commit()
                flash(ngettext("%(num)d participant is registered.", "%(num)d participants are registered.",
                               len(outcome.lines)), "success")
                return redirect(url_for("groups.show", group_id=group.id) + "#participants")
            db.session.rollback()
    return render_template("groups/participants_many.html", group=group, form=form, outcome=outcome)


@bp.route("/participants/<int:participant_id>", methods=["GET", "POST"])
def participant(participant_id):
    """A participant's consent history; register consent. :raise 404:; 403 on POST for viewers."""
    participant = _get(Participant, participant_id)
    form = ConsentForm(prefix="consent")
    if form.is_submitted():
        permissions.require_edit_group(participant.group)
    if form.validate_on_submit():
        try:
            consent.give_consent(participant, form.on_date.data, form.method.data, form.info_version.data,
                                 current_user, timecode=form.timecode.data)
        except consent.ConsentError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("The consent of %(code)s is registered.", code=participant.code), "success")
            return redirect(url_for("groups.participant", participant_id=participant.id))
    return render_template("groups/participant.html", participant=participant, form=form,
                           withdraw_form=WithdrawForm(prefix="withdraw"), methods=dict(method_choices()),
                           manage=permissions.can_manage_group(current_user, participant.group))


def _consent_rows_from(form_data, group):
    """The group consent page's rows as ``consent.ConsentRow``; a date that is not one is None."""
    rows = []
    for participant in group.participants:
        prefix = f"p{participant.id}-"
        try:
            on_date = date.fromisoformat(form_data.get(prefix + "on_date", ""))
        except ValueError:
            on_date = None
        rows.append(consent.ConsentRow(participant.id, form_data.get(prefix + "given") == "y", on_date,
                                       form_data.get(prefix + "method", ""), form_data.get(prefix + "timecode")))
    return rows


def _registered_message(registered):
    if not registered:
        return _("Nothing was registered: tick \"Consent given\" on the rows to register."), "info"
    return ngettext("The consent of %(num)d participant is registered.",
                    "The consent of %(num)d participants is registered.", len(registered)), "success"


@bp.route("/<int:group_id>/consent", methods=["GET", "POST"])
def group_consent(group_id):
    """Register the consent of several participants in one go, one row each. :raise 404, 403:"""
    group = _get(Group, group_id, edit=True)
    form = GroupConsentForm(info_version=group.organisation.consent_text_version)
    errors = {}
    if form.validate_on_submit():
        try:
            registered, errors = consent.give_group_consent(group, _consent_rows_from(request.form, group),
                                                            form.info_version.data, current_user)
        except consent.ConsentError as error:
            flash(error.message, "error")
        else:
            version_error = errors.pop("info_version", None)
            if version_error:
                form.info_version.errors = [version_error]
            if not errors and not version_error:
                db.session.commit()
                flash(*_registered_message(registered))
                return redirect(url_for("groups.group_consent", group_id=group.id))
            flash(ngettext("%(num)d row could not be saved, so nothing was registered. Correct the row "
                           "marked below and save again.",
                           "%(num)d rows could not be saved, so nothing was registered. Correct the rows "
                           "marked below and save again.", len(errors)) if errors else
                  _("Nothing was registered: enter the version of the information text and save again."), "error")
    return render_template("groups/consent.html", group=group, form=form, rows=consent.consent_rows(group),
                           errors=errors, entered=request.form if form.is_submitted() else None,
                           methods=method_choices(), method_names=dict(method_choices()),
                           today=clock.today())


@bp.route("/participants/<int:participant_id>/withdraw", methods=["POST"])
def withdraw(participant_id):
    """Show the films a withdrawal would take and ask for confirmation; once confirmed, register
    it: playback stops now and the films are deleted after the grace period. :raise 404, 403:"""
    participant = _get(Participant, participant_id, manage=True)
    form = WithdrawForm(prefix="withdraw")
    if not form.validate_on_submit():
        flash(_("Enter the date of the withdrawal."), "error")
        return redirect(url_for("groups.participant", participant_id=participant.id))
    if not form.confirmed.data:
        return render_template("groups/withdraw_confirm.html", participant=participant, form=form,
                               affected=withdrawal_service.affected(participant),
                               grace_days=withdrawal_service.grace_days(participant.group.organisation),
                               film_status=recording_service.status_text)
    try:
        registered = withdrawal_service.register(participant, form.on_date.data, current_user)
    except consent.ConsentError as error:
        flash(error.message, "error")
    else:
        db.session.commit()
        films = len(registered.films)
        if films:
            flash(ngettext("The withdrawal is registered. Playback of %(num)d film is stopped; it will be deleted "
                           "on %(date)s.",
                           "The withdrawal is registered. Playback of %(num)d films is stopped; they will be deleted "
                           "on %(date)s.", films, date=clock.day(registered.delete_after)), "success")
        else:
            flash(_("The withdrawal is registered. No film is affected."), "success")
    return redirect(url_for("groups.participant", participant_id=participant.id))


@bp.route("/sessions/<int:session_id>/confirm", methods=["GET", "POST"])
def confirm(session_id):
    """Mark who attended a session and confirm their consent. :raise 404, 403:"""
    group_session = _get(GroupSession, session_id, edit=True)
    confirmation = group_session.confirmation
    form = AttendanceForm(attending=confirmation.attending if confirmation else [])
    form.attending.choices = [(p.id, p.code) for p in group_session.group.participants]
    if form.validate_on_submit():
        try:
            consent.confirm_attendance(group_session, form.attending.data, current_user)
        except consent.ConsentError as error:
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("Attendance and consent are confirmed for %(session)s.", session=group_session.title),
                  "success")
            return redirect(url_for("groups.show", group_id=group_session.group_id))
    return render_template("groups/confirm.html", group_session=group_session, form=form,
                           date_form=SessionDateForm(date=group_session.date),
                           has_film=consent.has_film(group_session))


@bp.route("/sessions/<int:session_id>/date", methods=["POST"])
def session_date(session_id):
    """Move a session to another date. :raise 404, 403:"""
    group_session = _get(GroupSession, session_id, edit=True)
    form = SessionDateForm()
    if form.validate_on_submit():
        groups.set_session_date(group_session, form.date.data, current_user)
        db.session.commit()
        flash(_("The date of %(session)s is saved.", session=group_session.title), "success")
    return redirect(url_for("groups.show", group_id=group_session.group_id))


@bp.route("/<int:group_id>/evaluation", methods=["POST"])
def evaluation(group_id):
    """Record the end-of-round evaluation. :raise 404, 403:"""
    group = _get(Group, group_id, edit=True)
    form = EvaluationForm()
    if form.validate_on_submit():
        groups.record_evaluation(group, form.done_on.data, form.respondents.data, form.summary.data,
                                 current_user)
        db.session.commit()
        flash(_("The evaluation is recorded."), "success")
    else:
        flash(_("Enter the date and the number of respondents."), "error")
    return redirect(url_for("groups.show", group_id=group.id) + "#evaluation")
