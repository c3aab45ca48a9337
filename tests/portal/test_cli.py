"""The `flask portal` commands."""

from portal.extensions import db
from portal.models import ApiToken, User
from portal.models.users import hash_api_token


def test_create_user_with_password_and_token(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "create-user", "--email", "Sara@Example.org", "--name",
                                 "Sara", "--role", "supervisor", "--role", "leader",
                                 "--password", "a long enough password"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["portal", "create-token", "--email", "sara@example.org"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    with app.app_context():
        user = db.session.scalar(db.select(User).where(User.email == "sara@example.org"))
        assert user.roles == ("leader", "supervisor")
        assert db.session.scalars(db.select(ApiToken)).one().token_hash == hash_api_token(token)
    assert app.test_client().get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_create_user_refuses_duplicates_and_unknown_roles(app):
    runner = app.test_cli_runner()
    args = ["portal", "create-user", "--email", "a@example.org", "--name", "A", "--role", "leader",
            "--password", "a long enough password"]
    assert runner.invoke(args=args).exit_code == 0
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "Det finns redan ett konto" in result.output  # default locale
    result = runner.invoke(args=["portal", "create-user", "--email", "b@example.org", "--name", "B",
                                 "--role", "king"])
    assert result.exit_code != 0


def test_create_token_for_unknown_user_fails(app):
    result = app.test_cli_runner().invoke(args=["portal", "create-token", "--email", "x@example.org"])
    assert result.exit_code != 0 and "No active user" in result.output
