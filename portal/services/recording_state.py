"""The one place a recording's status, or a film part's, changes in the database (issue 19).

Every change is a guarded UPDATE: ``WHERE id = ... AND status IN (the states it may come from)``,
plus whatever the caller's claim adds (its job token, a stale heartbeat, its run's prefix). Two
jobs racing for the same recording or part therefore cannot both win: the loser's UPDATE
matches no row and ``transition`` returns False. A change the state machine forbids raises
``InvalidTransition`` before any SQL is sent.

The callers commit: ``transition`` runs on the session's transaction (or on ``conn``), so a
status change and its audit row land in one commit.
"""

import sqlalchemy as sa

from portal.extensions import db
from portal.models.base import utcnow
from portal.models.media import CHUNK_TRANSITIONS, FilmPart
from portal.models.recordings import DELETED, READY, TRANSITIONS, InvalidTransition, Recording

recordings = Recording.__table__
parts = FilmPart.__table__


def allowed_from(to, machine=TRANSITIONS):
    """The states from which ``to`` may be reached."""
    return {state for state, targets in machine.items() if to in targets}


def _from_states(to, expect, machine, what):
    if to not in machine:
        raise InvalidTransition(f"{what}: unknown state {to!r}")
    allowed = allowed_from(to, machine)
    if expect is None:
        return allowed
    expect = {expect} if isinstance(expect, str) else set(expect)
    illegal = expect - allowed
    if illegal:
        raise InvalidTransition(f"{what}: {', '.join(sorted(illegal))} -> {to}")
    return expect


def transition(recording_id, to, *, expect=None, token=None, where=(), conn=None, **values):
    """Move recording ``recording_id`` to ``to`` if it is in one of ``expect`` (default: every
    state the machine lets reach ``to``), holds ``token`` (when given) and matches ``where``
    (extra SQL conditions); write ``values`` with it. True when this call won.

    :raise InvalidTransition: when ``expect`` names a state that may not go to ``to``.
    """
    if "status" in values:
        raise TypeError("the new status is ``to``, not a value")
    states = _from_states(to, expect, TRANSITIONS, f"recording {recording_id}")
    now = utcnow()
    values = {"status": to, "updated_at": now, **values}
    if to == READY:
        values.setdefault("ready_at", now)
        values.setdefault("progress", 1.0)
    if to == DELETED:
        values.setdefault("deleted_at", now)
    condition = sa.and_(recordings.c.id == recording_id, recordings.c.status.in_(sorted(states)), *where)
    if token is not None:
        condition = sa.and_(condition, recordings.c.job_token == token)
    statement = recordings.update().where(condition).values(**values)
    result = (conn or db.session).execute(statement)
    return result.rowcount == 1


def part_transition(part_id, to, *, expect=None, token=None, where=(), conn=None, **values):
    """``transition`` for a ``FilmPart`` (``CHUNK_TRANSITIONS``): True when this call won."""
    if "status" in values:
        raise TypeError("the new status is ``to``, not a value")
    states = _from_states(to, expect, CHUNK_TRANSITIONS, f"film part {part_id}")
    values = {"status": to, **values}
    condition = sa.and_(parts.c.id == part_id, parts.c.status.in_(sorted(states)), *where)
    if token is not None:
        condition = sa.and_(condition, parts.c.job_token == token)
    result = (conn or db.session).execute(parts.update().where(condition).values(**values))
    return result.rowcount == 1
