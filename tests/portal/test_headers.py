"""Security headers on every page, for every role (issue 8)."""

import pytest

from tests.conftest import AuthActions
from tests.films import ready_film


def pages(app):
    """Every GET route without arguments, plus the pages of one film."""
    return sorted(r.rule for r in app.url_map.iter_rules()
                  if "GET" in r.methods and not r.arguments and not r.rule.startswith("/api/v1/openapi"))


@pytest.fixture
def film(app, factory):
    return ready_film(app, factory)


@pytest.mark.parametrize("role", [None, "admin", "uploader", "supervisor"])
def test_headers_on_every_page(app, film, role):
    client = app.test_client()
    if role:
        AuthActions(client).login(film["emails"][role])
    paths = pages(app) + [f"/review/recordings/{film['recording']}", f"/groups/{film['group']}",
                          f"/review/sessions/{film['session']}", "/no-such-page"]
    for path in paths:
        response = client.get(path, base_url="https://film.example.se")
        headers = response.headers
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp, path
        assert headers["X-Content-Type-Options"] == "nosniff", path
        assert headers["Referrer-Policy"] == "no-referrer", path
        assert headers["Strict-Transport-Security"].startswith("max-age="), path
        assert headers["Cache-Control"] == "no-store", path
