"""Run on the web host once the database is migrated: an organisation, its admin, two leaders
and a supervisor, one group whose first principle session has its consent confirmed, through
the portal's services. The uploading leader sets up two-factor login (as production requires
before an API token is issued). Prints the ids as JSON.

    python bench/multihost/world.py PASSWORD
"""

import json
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import pyotp  # noqa: E402

from portal import create_app  # noqa: E402
from portal.extensions import db  # noqa: E402
from portal.models import GroupSession  # noqa: E402
from portal.services import accounts, consent, groups, programs, twofactor  # noqa: E402

LEADER = "lena-multihost@example.org"


def main(password):
    app = create_app()
    with app.app_context():
        org = accounts.get_or_create_organisation("Kommun multihost")
        db.session.commit()

        def user(roles, email, name):
            made = accounts.create_user(email, name, list(roles), org, language="sv", password=password)
            db.session.commit()
            return made

        admin = user(("admin",), "admin-multihost@example.org", "Admin multihost")
        leader = user(("leader",), LEADER, "Lena multihost")
        co_leader = user(("leader",), "leo-multihost@example.org", "Leo multihost")
        supervisor = user(("supervisor",), "sara-multihost@example.org", "Sara multihost")
        secret = twofactor.new_secret()
        twofactor.enable(leader, secret, pyotp.TOTP(secret).now())
        program = programs.seed_programs()[0]
        group = groups.create_group(admin, org, program, "Grupp multihost", date(2026, 1, 12), leader,
                                    co_leader, "certification", supervisors=[supervisor])
        db.session.commit()
        session_id = [s.id for s in group.sessions][1]  # 0 is the information meeting
        consent.confirm_attendance(db.session.get(GroupSession, session_id), [], leader)
        db.session.commit()
        print(json.dumps({"organisation": org.id, "group": group.id, "session": session_id,
                          "leader": LEADER, "supervisor": supervisor.email}))


if __name__ == "__main__":
    main(sys.argv[1])
