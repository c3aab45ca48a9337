"""Small helpers shared by the model modules."""

from datetime import UTC, datetime


def utcnow():
    """Timezone-aware now in UTC; stored naive-UTC by SQLite, with zone by PostgreSQL."""
    return datetime.now(UTC)


def aware(moment):
    """``moment`` as an aware UTC datetime (SQLite hands stored ones back naive); None stays None."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)
