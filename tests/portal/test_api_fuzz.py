"""schemathesis against /api/v1/openapi.json, authenticated: no generated request may cause a
server error (issue 8). Runs on SQLite only: it probes the application code, not the database."""

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from portal.extensions import db
from portal.models import ApiToken, User
from tests.films import ApiClient, ready_film


@pytest.fixture
def database_url(sqlite_url):
    return sqlite_url


@pytest.fixture
def api_token(app, factory):
    """A supervisor's token, over a group with a ready film, a comment and an upload in progress."""
    film = ready_film(app, factory)
    ApiClient(app, film["emails"]["supervisor"]).call(
        "POST", f"/recordings/{film['recording']}/comments",
        json={"t_start": 1, "category": "content", "body": "Bra"})
    with app.app_context():
        row, token = ApiToken.issue(db.session.get(User, film["supervisor"]))
        db.session.add(row)
        db.session.commit()
    return token


def test_generated_requests_cause_no_server_error(app, api_token):
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    headers = {"Authorization": f"Bearer {api_token}"}
    calls, operations = [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def probe(case):
            response = case.call(headers=headers)
            calls.append(response.status_code)
            assert response.status_code < 500, f"{case.method} {case.formatted_path}: {response.status_code}"

        probe()
    assert operations >= 20 and len(calls) >= 10 * operations


def test_an_id_beyond_the_databases_integer_answers_404(app, api_token):
    client = app.test_client()
    headers = {"Authorization": f"Bearer {api_token}"}
    for path in ("/api/v1/recordings/99999999999999999999", "/api/v1/groups/2147483648"):
        assert client.get(path, headers=headers).status_code == 404
