"""Build certification cases for tests through the real services: a first group with enough
participants, a ready film in every principle session and the supervision done; a certified
leader; a leader's later groups registered with the start notice."""

from datetime import UTC, date, datetime, time, timedelta

from portal.extensions import db
from portal.models import Certification, Group, Organisation, Recording, User
from portal.models.base import utcnow
from portal.models.recordings import READY
from portal.services import groups, supervision
from portal.services.certification import add_years
from tests.group_fixtures import add_participants, make_group


def complete_group(app, factory, tag="a", participants=6, filmed=9, supervised=9, **kwargs):
    """A certification group (see make_group) with ``participants`` consenting participants,
    a ready two-hour film in the first ``filmed`` principle sessions and the supervision of the first
    ``supervised`` of those done and published. Returns make_group's ids plus ``recordings`` by session number."""
    ids = make_group(app, factory, tag=tag, **kwargs)
    codes = [f"P{n}" for n in range(1, participants + 1)]
    add_participants(app, ids["group"], ids["uploader"], codes, consented=codes)
    with app.app_context():
        numbers = range(1, filmed + 1)
        ids["recordings"] = add_films(ids["group"], ids["uploader"], numbers)
        supervisor = db.session.get(User, ids["supervisor"])
        group = db.session.get(Group, ids["group"])
        for group_session in group.sessions:
            if 1 <= group_session.number <= min(filmed, supervised):
                record = supervision.save(supervisor, group_session, "Tydlig struktur.", status="done")
                record.published_at = utcnow()  # published, without the leaders' notices
        db.session.commit()
    return ids


def add_films(group_id, uploader_id, numbers):
    """A ready film (no media bytes) in each session of ``numbers``; returns ids by number. Needs
    an app context; the caller commits."""
    group = db.session.get(Group, group_id)
    made = {}
    for group_session in group.sessions:
        if group_session.number not in numbers:
            continue
        recording = Recording(organisation_id=group.organisation_id, group_session_id=group_session.id,
                              created_by_id=uploader_id, status=READY, duration=7200.0, progress=1.0,
                              output_prefix=f"org/{group.organisation_id}/recordings/test/out",
                              ready_at=utcnow(), media_info={"storyboard": ["storyboard-001.jpg"]})
        db.session.add(recording)
        db.session.flush()
        made[group_session.number] = recording.id
    return made


def certify(app, ids, leader="uploader", valid_from=None):
    """Record ``leader`` of the group as certified from ``valid_from`` (default: today) by the
    group's supervisor, without the readiness check (for tests of what follows certification).
    The group is dated as registered ten weeks before, as a real first group would be."""
    with app.app_context():
        group = db.session.get(Group, ids["group"])
        valid_from = valid_from or utcnow().date()
        group.created_at = datetime.combine(valid_from - timedelta(weeks=10), time(12), UTC)
        row = Certification(leader_id=ids[leader], organisation_id=group.organisation_id, program_id=group.program_id,
                            group_id=group.id, kind="initial", status="certified", decided_by_id=ids["supervisor"],
                            decided_at=utcnow(), valid_from=valid_from,
                            valid_until=add_years(valid_from, group.program.recert_years), films=[])
        db.session.add(row)
        db.session.commit()
        return row.id


def register_groups(app, ids, count, leader="uploader", co_leader="co_leader", purpose="regular",
                    start=date(2027, 1, 11), supervised=True):
    """Register ``count`` more groups led by ``leader`` through the start notice (create_group);
    returns their ids. A regular or recertification group needs both leaders certified, so the
    co-leader gets a certification like the leader's when they have none."""
    made = []
    with app.app_context():
        if purpose != "certification":
            _certify_like(ids[leader], ids[co_leader])
        org = db.session.get(Organisation, ids["org"])
        group = db.session.get(Group, ids["group"])
        person = lambda key: db.session.get(User, ids[key])  # noqa: E731
        for n in range(count):
            new = groups.create_group(person(leader), org, group.program, f"Omgång {n + 1}",
                                      start + timedelta(weeks=12 * n), person(leader), person(co_leader), purpose,
                                      supervisors=[person("supervisor")] if supervised else [])
            made.append(new.id)
        db.session.commit()
    return made


def _certify_like(leader_id, partner_id):
    """Give ``partner_id`` a certification like ``leader_id``'s latest, unless they hold one."""
    held = db.session.scalars(db.select(Certification).where(Certification.leader_id == leader_id,
                                                             Certification.status == "certified")
                              .order_by(Certification.id.desc())).first()
    if held is None or db.session.scalar(db.select(Certification.id).where(
            Certification.leader_id == partner_id, Certification.status == "certified")) is not None:
        return
    db.session.add(Certification(leader_id=partner_id, organisation_id=held.organisation_id,
                                 program_id=held.program_id, group_id=held.group_id, kind="initial",
                                 status="certified", decided_by_id=held.decided_by_id, decided_at=held.decided_at,
                                 valid_from=held.valid_from, valid_until=held.valid_until, films=[]))
    db.session.flush()
