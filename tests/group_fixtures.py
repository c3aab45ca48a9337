"""Build groups for tests through the real services: an organisation with an admin, two
leaders, a supervisor and one group of Connect for parents."""

from datetime import date

from portal.extensions import db
from portal.models import Organisation, User
from portal.services import consent, groups, programs
from tests.conftest import PASSWORD


def make_group(app, factory, tag="a", start=date(2026, 1, 12), co_leader_may_upload=False, org_id=None,
               password=PASSWORD):
    """Create an organisation (unless ``org_id``), its people and a group; returns a dict of ids."""
    org_id = org_id or factory.organisation(f"Kommun {tag}")
    ids = {
        "org": org_id,
        "admin": factory.user(("admin",), f"admin-{tag}@example.org", org_id, password, name=f"Admin {tag}"),
        "uploader": factory.user(("leader",), f"lena-{tag}@example.org", org_id, password, name=f"Lena {tag}"),
        "co_leader": factory.user(("leader",), f"leo-{tag}@example.org", org_id, password, name=f"Leo {tag}"),
        "supervisor": factory.user(("supervisor",), f"sara-{tag}@example.org", org_id, password, name=f"Sara {tag}"),
    }
    with app.app_context():
        program = programs.seed_programs()[0]
        get = lambda key: db.session.get(User, ids[key])  # noqa: E731
        group = groups.create_group(get("admin"), db.session.get(Organisation, org_id), program,
                                    f"Grupp {tag}", start, get("uploader"), get("co_leader"),
                                    "certification", supervisors=[get("supervisor")],
                                    co_leader_may_upload=co_leader_may_upload)
        db.session.commit()
        ids["group"] = group.id
        ids["sessions"] = [s.id for s in group.sessions]
    return ids


def add_participants(app, group_id, leader_id, codes, consented=()):
    """Register ``codes`` in the group, with paper consent for those in ``consented``."""
    from portal.models import Group

    with app.app_context():
        group = db.session.get(Group, group_id)
        leader = db.session.get(User, leader_id)
        result = {}
        for code in codes:
            participant = consent.add_participant(group, code, leader)
            if code in consented:
                consent.give_consent(participant, date(2026, 1, 5), "paper", "v1", leader)
            result[code] = participant.id
        db.session.commit()
    return result
