"""Views of the certification blueprint: thin, the rules live in portal.services.certification,
the decisions in portal.services.certification_decisions and the checks in portal.permissions."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from portal import clock, permissions
from portal.certification import bp
from portal.certification.forms import (
    CERTIFY,
    RECERTIFY,
    DecisionForm,
    RecertificationDecisionForm,
    RecertificationRequestForm,
)
from portal.errors import Refused
from portal.extensions import db
from portal.groups.forms import purpose_choices
from portal.models import Certification, Group, Organisation, Recording, User
from portal.models.certification import PENDING
from portal.services import certificate as certificate_pdf
from portal.services import certification as rules
from portal.services import certification_decisions as decisions
from portal.services import (
    certification_overview,
    certification_register,
    checklist,
    paging,
    platform,
    recordings,
    supervision,
)


@bp.context_processor
def helpers():
    return {"film_status": recordings.status_text, "supervision_status": supervision.status_text,
            "decision_text": rules.decision_text, "kind_text": lambda c: str(rules.KIND_TEXT[c.kind])}


def _request_form(films):
    """The recertification request form with ``films`` (of the latest group) to choose from."""
    form = RecertificationRequestForm()
    form.films.choices = [(r.id, _("%(title)s (%(date)s)", title=r.group_session.title,
                                   date=clock.day(r.group_session.date)))
                          for r in films]
    return form


def _file_page(leader):
    """Render ``leader``'s certification file (with the supervisor's and admin's tools when the
    viewer holds those roles)."""
    file = rules.leader_file(leader, rules.today())
    own = leader.id == current_user.id
    awaiting = decisions.awaiting_decision(current_user) if own and permissions.is_supervisor(current_user) else []
    reviews = decisions.recertifications_to_review(current_user) if own and permissions.is_supervisor(current_user) \
        else []
    rollups = checklist.rollups_for([gf.group for gf in file.groups], current_user)
    return render_template("certification/file.html", file=file, own=own, request_form=_request_form(file.choices),
                           rollups=rollups,
                           awaiting=awaiting, reviews=reviews)


@bp.route("/")
def index():
    """The user's certification page: a leader's own file; a supervisor's leaders awaiting a
    decision and recertifications to review; an admin's links to the register and overview."""
    if permissions.is_leader(current_user):
        return _file_page(current_user)
    awaiting = reviews = []
    if permissions.is_supervisor(current_user):
        awaiting = decisions.awaiting_decision(current_user)
        reviews = decisions.recertifications_to_review(current_user)
    return render_template("certification/index.html", awaiting=awaiting, reviews=reviews)


@bp.route("/leaders/<int:leader_id>")
def leader_file(leader_id):
    """A leader's certification file. :raise 404: unless the user is the leader, an admin of
    their organisation or a supervisor of one of their groups."""
    leader = db.session.get(User, leader_id)
    permissions.require_view_certification_file(leader)
    return _file_page(leader)


@bp.route("/recertification", methods=["POST"])
def request_recertification():
    """A certified leader sends films from their latest group for recertification. :raise 403:
    for users who are not leaders."""
    if not permissions.is_leader(current_user):
        abort(403)
    latest = rules.latest_group(current_user)
    form = _request_form(rules.film_choices(latest) if latest is not None else [])
    if form.validate_on_submit():
        try:
            decisions.request_recertification(current_user, form.films.data)
        except Refused as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
        else:
            db.session.commit()
            flash(_("Your films are sent. A supervisor reviews them and decides."), "success")
    else:
        flash(_("Choose the films to send from your latest group."), "error")
    return redirect(url_for("certification.index") + "#recertification")


@bp.route("/groups/<int:group_id>/leaders/<int:leader_id>", methods=["GET", "POST"])
def decide(group_id, leader_id):
    """The supervisor's decision on a leader of a certification group: certified, or not yet
    with a motivation. :raise 404: unless the user is assigned to the group and the leader leads it."""
    group, leader = db.session.get(Group, group_id), db.session.get(User, leader_id)
    permissions.require_decide_certification(leader, group)
    form = DecisionForm()
    if form.validate_on_submit():
        certified = form.decision.data == CERTIFY
        try:
            decisions.decide(current_user, leader, group, certified, form.motivation.data, rules.today())
        except Refused as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is certified. The leader is told and can download the certificate.", name=leader.name)
                  if certified else _("Your decision is saved. The leader is told and reads your motivation."),
                  "success")
            return redirect(url_for("certification.decide", group_id=group.id, leader_id=leader.id))
    today = rules.today()
    slots = [s for s in rules.slots(group, today) if s.session.number > 0]
    return render_template("certification/decide.html", group=group, leader=leader, form=form, slots=slots,
                           reasons=rules.readiness(group, today), participants=rules.counted_participants(group),
                           decisions=rules.decisions_on(leader, group), status=rules.status(leader, rules.today()))


@bp.route("/<int:certification_id>/review", methods=["GET", "POST"])
def review(certification_id):
    """A supervisor reviews the films a leader sent for recertification: recertify, or ask for
    more with a motivation. :raise 404: unless the user is assigned to the films' group."""
    certification = db.session.get(Certification, certification_id)
    permissions.require_review_recertification(certification)
    form = RecertificationDecisionForm()
    if certification.status == PENDING and form.validate_on_submit():
        recertify = form.decision.data == RECERTIFY
        try:
            decisions.decide_recertification(current_user, certification, recertify, form.motivation.data,
                                             rules.today())
        except Refused as refusal:
            db.session.rollback()
            flash(refusal.message, "error")
        else:
            db.session.commit()
            flash(_("%(name)s is recertified.", name=certification.leader.name) if recertify
                  else _("Your decision is saved. The leader is told and reads your motivation."), "success")
            return redirect(url_for("certification.review", certification_id=certification.id))
    films = [db.session.get(Recording, i) for i in certification.films or []]
    return render_template("certification/review.html", certification=certification, form=form,
                           films=[f for f in films if f is not None],
                           reasons=rules.recert_readiness(certification),
                           status=rules.status(certification.leader, rules.today()))


@bp.route("/<int:certification_id>/certificate.pdf")
def certificate(certification_id):
    """The certificate as PDF, audited and never cached. :raise 404: unless the user is the
    leader, an admin of the organisation or the supervisor who decided."""
    certification = db.session.get(Certification, certification_id)
    permissions.require_view_certificate(certification)
    body = certificate_pdf.to_pdf(certification)
    certificate_pdf.audit_download(certification, current_user)
    db.session.commit()
    response = Response(body, content_type="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="{certificate_pdf.filename(certification)}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/register")
def register():
    """The register of certified leaders: an admin sees the organisation's, a leader their own
    entry. :raise 403: for anyone else."""
    if not permissions.can_view_register(current_user):
        abort(403)
    today = rules.today()
    everyone = permissions.is_admin(current_user) or permissions.is_platform_admin(current_user)
    q = paging.search_term(request.args.get("q"))
    if everyone:
        rows = certification_register.register_page(_organisation().id, today, q,
                                                    paging.page_number(request.args.get("page")))
    else:
        own = rules.status(current_user, today)
        rows = [(current_user, own)] if own.certification is not None else []
    return render_template("certification/register.html", rows=rows, today=today, everyone=everyone, q=q,
                           **_organisations())


def _organisation():
    """The organisation whose register or overview is shown: the user's own; a platform
    administrator chooses any with ``?organisation=<id>``. :raise 404: for an unknown one."""
    chosen = request.args.get("organisation", type=int)
    if chosen and permissions.is_platform_admin(current_user):
        return db.get_or_404(Organisation, chosen)
    return permissions.working_organisation(current_user)


def _organisations():
    """The shown organisation and, for a platform administrator, every one to choose from."""
    chooser = permissions.is_platform_admin(current_user)
    return {"organisation": _organisation(), "all_organisations": platform.organisations() if chooser else []}


@bp.route("/overview")
def overview():
    """The admins' overview: leaders by stage, running groups, missing evaluations, the
    supervisors' workload and recertifications by month. :raise 403: for non-admins."""
    if not (permissions.is_admin(current_user) or permissions.is_platform_admin(current_user)):
        abort(403)
    today = rules.today()
    data = certification_overview.overview(_organisation().id, today)
    bars = certification_overview.bars
    charts = {"stages": bars([(text, count) for _stage, text, count in data.stages]),
              "workload": bars([(w.supervisor.name, w.waiting) for w in data.workload]),
              "due": bars(data.due), "done": bars(data.done)}
    return render_template("certification/overview.html", data=data, today=today, charts=charts,
                           purposes=dict(purpose_choices()), **_organisations())
