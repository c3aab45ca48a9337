"""JSON API basics: Bearer tokens, session cookies, the OpenAPI document."""

from portal.extensions import db
from portal.models import ApiToken, User
from portal.models.users import hash_api_token


def make_token(app, user_id):
    with app.app_context():
        row, plaintext = ApiToken.issue(db.session.get(User, user_id))
        db.session.add(row)
        db.session.commit()
    return plaintext


def test_bearer_token_authenticates(app, client, factory):
    user_id = factory.user(roles=("supervisor",), email="sara@example.org")
    token = make_token(app, user_id)
    response = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    assert response.get_json()["roles"] == ["supervisor"]
    with app.app_context():
        row = db.session.scalars(db.select(ApiToken)).one()
        assert row.token_hash == hash_api_token(token) and token not in row.token_hash
        assert row.last_used_at is not None


def test_bad_or_revoked_token_is_401(app, client, factory):
    user_id = factory.user()
    token = make_token(app, user_id)
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    with app.app_context():
        db.session.get(User, user_id).active = False
        db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_session_cookie_works_for_api(client, auth, factory):
    factory.user(email="lena@example.org")
    auth.login("lena@example.org")
    assert client.get("/api/v1/me").get_json()["email"] == "lena@example.org"


def test_api_errors_are_json_and_translated(client, auth, factory):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["message"].startswith("Sidan kunde inte hittas")
    factory.user(email="lena@example.org", language="en")
    auth.login("lena@example.org")
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json()["error"]["code"] == "not_found"
    assert response.get_json()["error"]["message"].startswith("The page could not be found")


def test_openapi_document_describes_the_api(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/me" in spec["paths"]
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
