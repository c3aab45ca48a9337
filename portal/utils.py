"""Small request helpers."""

from urllib.parse import urlsplit

from werkzeug.routing import IntegerConverter

MAX_ID = 2**31 - 1  # the largest INTEGER key on PostgreSQL


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in routes: a positive id that fits the database's INTEGER, else 404 (a huge
    number must not reach the database driver and turn into a server error)."""

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def database_id(value):
    """``value`` if it is an int that can be a row id, else None (for ids in JSON bodies)."""
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        return None
    return value


def safe_next(target):
    """Return ``target`` if it is a path inside this site, else None.

    Refuses absolute URLs, scheme-relative ``//host`` and backslash tricks that browsers
    turn into another host.
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def timecode(seconds):
    """``h:mm:ss`` for a time in a film (``m:ss`` under an hour); "–" when unknown."""
    if seconds is None:
        return "–"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
