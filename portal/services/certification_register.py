"""The register of certified leaders as pages: bounded reads, searched by name or e-mail."""

from portal.extensions import db
from portal.models import Certification, User
from portal.models.certification import CERTIFIED
from portal.models.users import LEADER, UserRole
from portal.services import paging
from portal.services.certification import statuses_of


def register_page(organisation_id, today, q="", page=1, per_page=paging.PER_PAGE):
    """A page of the organisation's active leaders who hold or held a certification, by name,
    as ``(leader, Status)`` rows (an expired certification shows as such)."""
    query = (db.select(User).where(
        User.organisation_id == organisation_id, User.active.is_(True),
        User.id.in_(db.select(UserRole.user_id).where(UserRole.role == LEADER)),
        User.id.in_(db.select(Certification.leader_id).where(Certification.status == CERTIFIED)))
        .order_by(User.name, User.id))
    if (condition := paging.matching(q, User.name, User.email)) is not None:
        query = query.where(condition)
    return paging.paginate(query, page, per_page,
                           transform=lambda leaders: list(statuses_of(leaders, today).items()))
