"""Small helpers shared by the model modules."""

from datetime import UTC, datetime


def utcnow():
    """Timezone-aware now in UTC; stored naive-UTC by SQLite, with zone by PostgreSQL."""
    return datetime.now(UTC)
