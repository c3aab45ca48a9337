"""Views of the review blueprint: the queue, the player and the session's feedback."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import permissions
from portal.errors import Refused
from portal.extensions import db
from portal.models import GroupSession, Recording
from portal.models.recordings import DELETED, READY
from portal.models.supervision import SUPERVISION_STATUSES
from portal.review import bp
from portal.review.forms import SupervisionForm
from portal.services import checklist, comments, film_state, notifications, paging, playback, playlists, supervision


@bp.route("/")
def queue():
    """The supervisor's films, most urgent first, filtered by group and status. :raise 403:"""
    if not permissions.is_supervisor(current_user):
        abort(403)
    group_id = request.args.get("group", type=int)
    status = request.args.get("status")
    status = status if status in SUPERVISION_STATUSES else None
    q = paging.search_term(request.args.get("q"))
    items = supervision.queue(current_user, group_id=group_id, status=status, q=q,
                              page=paging.page_number(request.args.get("page")))
    return render_template("review/queue.html", items=items, groups=supervision.supervised_groups(current_user),
                           group_id=group_id, status=status, q=q, status_text=supervision.status_text)


@bp.route("/recordings/<int:recording_id>")
def player(recording_id):
    """Watch a film and comment on it; an HLS film also while the rest of it is processed (its
    status line says how much can be played). :raise 404: unless the user may watch it."""
    recording = db.session.get(Recording, recording_id)
    gone = film_state.unavailable_reason(current_user, recording)
    if gone is not None:  # people of the group learn why; everyone else still gets a 404
        group_session = recording.group_session
        return render_template("review/unavailable.html", message=gone, group_session=group_session,
                               group=group_session.group), 410 if recording.status == DELETED else 403
    permissions.require_watch_recording(recording)
    group_session = recording.group_session
    notifications.mark_read_at(current_user, url_for("review.player", recording_id=recording.id))
    db.session.commit()
    return render_template(
        "review/player.html", recording=recording, group_session=group_session, group=group_session.group,
        categories=comments.categories_for(group_session.group.program),
        supervisor=permissions.can_supervise_recording(current_user, recording),
        feedback_visible=permissions.can_read_feedback(current_user, group_session),
        checklist_readable=permissions.can_read_checklist(current_user, group_session),
        checklist_editor=permissions.can_mark_checklist(current_user, group_session),
        url_ttl=current_app.config["MEDIA_URL_TTL"], progress=playlists.progress(recording))


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"])
def session(session_id):
    """A session's feedback: supervisors write and publish it, leaders read it once published.
    :raise 404: unless the user supervises or leads the session's group."""
    group_session = db.session.get(GroupSession, session_id)
    if group_session is None or not (permissions.supervises_group(current_user, group_session.group)
                                     or permissions.leads_group(current_user, group_session.group)):
        abort(404)
    editor = permissions.can_supervise_session(current_user, group_session)
    readable = permissions.can_read_feedback(current_user, group_session)
    record = supervision.supervision_for(group_session)
    form = SupervisionForm(obj=record) if editor else None
    if request.method == "POST":
        if not editor:
            abort(403)
        if form.validate_on_submit():
            try:
                supervision.save(current_user, group_session, form.summary.data, form.meeting_date.data,
                                 form.status.data, publish="publish" in request.form)
            except Refused as refusal:
                db.session.rollback()
                flash(refusal.message, "error")
            else:
                db.session.commit()
                flash(_("The feedback is published to the leaders.") if "publish" in request.form
                      else _("The supervision is saved."), "success")
                return redirect(url_for("review.session", session_id=session_id))
    if readable:
        notifications.mark_read_at(current_user, url_for("review.session", session_id=session_id))
        db.session.commit()
    recordings = [r for r in group_session.recordings if r.status == READY]
    recording = recordings[-1] if recordings else None
    threads = []
    if recording is not None and readable and permissions.can_watch_recording(current_user, recording):
        threads = comments.threads_json(comments.visible_comments(current_user, recording), current_user)
    return render_template(
        "review/session.html", group_session=group_session, group=group_session.group, record=record,
        form=form, editor=editor, readable=readable, recording=recording, threads=threads,
        categories={c["code"]: c for c in comments.categories_for(group_session.group.program)},
        status_text=supervision.status_text,
        checklist_rows=checklist.session_checklist(group_session) if readable else [],
        viewings=playback.viewings([r.id for r in group_session.recordings]))


@bp.route("/views")
def views():
    """Every playback of the films of the groups the user leads: who, which film, when, from where."""
    from portal.models import Group, GroupLeader

    led = db.select(Recording.id).join(GroupSession).join(Group).join(GroupLeader).where(
        GroupLeader.user_id == current_user.id)
    recording_ids = db.session.scalars(led).all()
    from sqlalchemy.orm import selectinload

    films = {r.id: r for r in db.session.scalars(
        db.select(Recording).where(Recording.id.in_(recording_ids))
        .options(selectinload(Recording.group_session).selectinload(GroupSession.group)))}
    return render_template("review/views.html", viewings=playback.viewings(recording_ids, limit=1000), films=films)
