"""One sweep over every route in app.url_map: anonymous users go to login (or get 401 JSON),
and leaders and supervisors are refused on admin routes."""

import pytest
from werkzeug.routing import IntegerConverter

from config.settings import TestConfig
from portal import create_app
from portal.security import is_public_endpoint
from tests.conftest import AuthActions

_app = create_app(TestConfig())
with _app.test_request_context():
    RULES = [
        (rule.endpoint, rule, method)
        for rule in _app.url_map.iter_rules()
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    ]
    PUBLIC = {endpoint for endpoint, _r, _m in RULES if is_public_endpoint(endpoint)}

EXPECTED_PUBLIC = {
    "static", "auth.login", "auth.two_factor", "auth.logout", "auth.accept_invitation",
    "auth.request_password_reset",
    "auth.reset_password", "main.set_language", "main.healthz", "api.openapi",
    "storage_local.put_part", "storage_local.get_object",
    "verification.verify",  # confirms a certificate's name, program and validity (issue 18)
}


def url_for_rule(rule):
    """A concrete URL for ``rule``: 1 for integer arguments, "x" for the others."""
    values = {arg: 1 if isinstance(rule._converters[arg], IntegerConverter) else "x"
              for arg in rule.arguments}
    return _app.url_map.bind("localhost").build(rule.endpoint, values)


def test_public_endpoints_are_exactly_the_expected_ones():
    assert PUBLIC == EXPECTED_PUBLIC


@pytest.mark.parametrize("endpoint,rule,method",
                         [r for r in RULES if r[0] not in PUBLIC], ids=lambda v: str(v))
def test_anonymous_is_sent_to_login(client, endpoint, rule, method):
    response = client.open(url_for_rule(rule), method=method)
    if rule.rule.startswith("/api/"):
        assert response.status_code == 401
        assert response.get_json()["error"]["code"] == "unauthenticated"
    else:
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/login?next=")


ADMIN_RULES = [r for r in RULES if r[1].rule.startswith("/admin")]


@pytest.mark.parametrize("role", ["leader", "supervisor", "platform_admin"])
def test_non_admins_are_refused_on_every_admin_route(app, factory, role):
    """A platform administrator is one too until she acts for an organisation (next test)."""
    factory.user(roles=(role,), email=f"{role}@example.org")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(f"{role}@example.org")
    token = auth.csrf("/")
    assert ADMIN_RULES, "the sweep found no admin routes"
    for _endpoint, rule, method in ADMIN_RULES:
        data = {"csrf_token": token} if method != "GET" else None
        response = client.open(url_for_rule(rule), method=method, data=data)
        assert response.status_code == 403, (rule.rule, method)


def test_a_platform_administrator_acting_for_an_organisation_enters_every_admin_route(app, factory):
    """Issue 18: once she chose "Manage" for an organisation, no admin route refuses her as such
    (404 is for objects the organisation does not have), and "Stop" closes the area again."""
    organisation = factory.organisation("Kommun X")
    factory.user(roles=("platform_admin",), email="maja@example.org")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login("maja@example.org")
    token = auth.csrf("/")
    assert client.post(f"/platform/organisations/{organisation}/act", data={"csrf_token": token}).status_code == 302
    for _endpoint, rule, method in ADMIN_RULES:
        data = {"csrf_token": token} if method != "GET" else None
        status = client.open(url_for_rule(rule), method=method, data=data).status_code
        assert status in (200, 302, 404), (rule.rule, method, status)
    assert client.post("/platform/acting/stop", data={"csrf_token": token}).status_code == 302
    assert client.get("/admin/users").status_code == 403


PLATFORM_RULES = [r for r in RULES if r[1].rule.startswith("/platform")]


@pytest.mark.parametrize("role", ["leader", "supervisor", "admin"])
def test_only_platform_administrators_enter_the_platform(app, factory, role):
    """Issue 18: organisations, the program catalogue and the supervisor pool are the platform
    administrator's; an organisation admin is refused like everyone else, and the role itself
    reaches every platform page."""
    factory.user(roles=(role,), email=f"{role}@example.org")
    client = app.test_client()
    auth = AuthActions(client)
    auth.login(f"{role}@example.org")
    token = auth.csrf("/")
    assert len(PLATFORM_RULES) >= 10, "the sweep found no platform routes"
    for _endpoint, rule, method in PLATFORM_RULES:
        data = {"csrf_token": token} if method != "GET" else None
        assert client.open(url_for_rule(rule), method=method, data=data).status_code == 403, (rule.rule, method)

    factory.user(roles=("platform_admin",), email="maja@example.org")
    client = app.test_client()
    AuthActions(client).login("maja@example.org")
    for _endpoint, rule, method in PLATFORM_RULES:
        if method == "GET":
            status = client.get(url_for_rule(rule)).status_code
            assert status in (200, 404), (rule.rule, status)  # 404: no program or organisation with id 1
