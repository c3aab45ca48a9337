"""Signed, expiring app URLs for the local storage backend (the S3 presigned URL's twin)."""

import time

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

SALT = "portal.storage_local"


class InvalidSignature(Exception):
    """The URL's signature is tampered with, for another operation, or expired."""


def _serializer():
    return URLSafeSerializer(current_app.secret_key, salt=SALT)


def app_url(endpoint, **values):
    """An absolute URL on PUBLIC_URL (a path without it), never on the request's Host header."""
    base = current_app.config.get("PUBLIC_URL")
    adapter = current_app.url_map.bind("localhost", script_name=current_app.config.get("APPLICATION_ROOT"))
    return (base or "").rstrip("/") + adapter.build(endpoint, values)


def signed_url(endpoint, payload, expires_in):
    """A URL to ``endpoint`` carrying ``payload`` signed with SECRET_KEY, valid ``expires_in`` s."""
    token = _serializer().dumps({**payload, "e": int(time.time()) + int(expires_in)})
    return app_url(endpoint, sig=token)


def load_signed(token, op):
    """The payload of ``token`` for operation ``op``. :raise InvalidSignature: otherwise."""
    try:
        payload = _serializer().loads(token or "")
    except BadSignature:
        raise InvalidSignature("bad signature") from None
    if not isinstance(payload, dict) or payload.get("op") != op:
        raise InvalidSignature("signature for another operation")
    if payload.get("e", 0) < time.time():
        raise InvalidSignature("expired")
    return payload
