"""/healthz reports each dependency, without secrets."""

from portal import create_app
from tests.conftest import make_config
from tests.services import free_port


def test_healthz_all_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok",
                                   "checks": {"database": "ok", "redis": "ok", "storage": "ok"}}


def test_healthz_reports_redis_down_without_details(sqlite_url, tmp_path):
    dead = f"redis://:s3cret@127.0.0.1:{free_port()}/0"
    app = create_app(make_config(sqlite_url, dead, tmp_path / "storage"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "redis": "unavailable", "storage": "ok"}
    assert "s3cret" not in response.get_data(as_text=True)


def test_healthz_reports_unwritable_storage(sqlite_url, redis_server, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    app = create_app(make_config(sqlite_url, redis_server.url, blocker / "storage"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["storage"] == "unavailable"
