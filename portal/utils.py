"""Small request helpers."""

from urllib.parse import urlsplit


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
