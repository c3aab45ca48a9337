"""Small helpers shared by the model modules."""

from datetime import UTC, datetime


def utcnow():
    """Timezone-aware now in UTC; stored naive-UTC by SQLite, with zone by PostgreSQL."""
    return datetime.now(UTC)


def as_utc(moment):
    """``moment`` with its zone: SQLite hands back naive datetimes, which are UTC here."""
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_utc(moment):
    """ISO 8601 with the UTC offset (``2026-12-03T02:46:00+00:00``) for the API; None stays None."""
    return as_utc(moment).isoformat() if moment is not None else None
