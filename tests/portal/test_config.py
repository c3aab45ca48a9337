"""Configuration: typed helpers and the production guard."""

import pytest

from config.settings import ConfigError, env_bool, env_int, env_int_list, load_config, normalise_database_url

PROD_ENV = {
    "SECRET_KEY": "x" * 40,
    "DATABASE_URL": "postgresql://portal@db/portal",
    "REDIS_URL": "redis://redis:6379/0",
    "STORAGE_BACKEND": "s3",
    "S3_BUCKET": "films",
    "S3_ACCESS_KEY_ID": "key",
    "S3_SECRET_ACCESS_KEY": "secret",
    "PUBLIC_URL": "https://film.example.se",
}


@pytest.fixture
def prod_env(monkeypatch):
    for name in ("PORTAL_ENV", "STORAGE_PATH", *PROD_ENV):
        monkeypatch.delenv(name, raising=False)
    for name, value in PROD_ENV.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


def test_production_config_starts_when_complete(prod_env):
    config = load_config("production")
    assert config.SESSION_COOKIE_SECURE is True
    assert config.SESSION_COOKIE_NAME == "__Host-session"
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://portal@db/portal"


@pytest.mark.parametrize("missing", ["SECRET_KEY", "DATABASE_URL", "REDIS_URL", "STORAGE_BACKEND",
                                     "S3_BUCKET", "S3_SECRET_ACCESS_KEY", "PUBLIC_URL"])
def test_production_config_names_the_missing_setting(prod_env, missing):
    prod_env.delenv(missing)
    with pytest.raises(ConfigError, match=missing):
        load_config("production")


def test_production_local_storage_needs_a_path(prod_env):
    prod_env.setenv("STORAGE_BACKEND", "local")
    with pytest.raises(ConfigError, match="STORAGE_PATH"):
        load_config("production")
    prod_env.setenv("STORAGE_PATH", "/srv/films")
    assert load_config("production").STORAGE_PATH == "/srv/films"


def test_short_secret_key_refused_in_production(prod_env):
    prod_env.setenv("SECRET_KEY", "short")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config("production")


def test_typed_helpers_refuse_nonsense(monkeypatch):
    monkeypatch.setenv("X_INT", "12")
    monkeypatch.setenv("X_BAD_INT", "twelve")
    monkeypatch.setenv("X_BOOL", "Yes")
    monkeypatch.setenv("X_BAD_BOOL", "maybe")
    assert env_int("X_INT", 0) == 12
    assert env_int("X_MISSING", 7) == 7
    assert env_bool("X_BOOL") is True
    with pytest.raises(ConfigError, match="X_BAD_INT"):
        env_int("X_BAD_INT", 0)
    with pytest.raises(ConfigError, match="X_BAD_BOOL"):
        env_bool("X_BAD_BOOL")


def test_retry_intervals_are_whole_seconds(monkeypatch):
    assert load_config("development").PROCESSING_RETRY_INTERVALS == (10, 60, 300)
    monkeypatch.setenv("X_LIST", "1, 2,3")
    assert env_int_list("X_LIST", ()) == (1, 2, 3)
    for bad in ("1,,2", "ten", "-1"):
        monkeypatch.setenv("X_BAD_LIST", bad)
        with pytest.raises(ConfigError, match="X_BAD_LIST"):
            env_int_list("X_BAD_LIST", ())


def test_unknown_storage_backend_refused(monkeypatch):
    monkeypatch.setenv("STORAGE_BACKEND", "ftp")
    with pytest.raises(ConfigError, match="STORAGE_BACKEND"):
        load_config("development")


def test_postgres_urls_use_psycopg3():
    assert normalise_database_url("postgres://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalise_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_make_runs_unix_socket_redis_serves_the_login_throttle(tmp_path, sqlite_url):
    """`make run` gives the portal its own Redis on a unix socket (`unix://…`); the login
    throttle's storage must reach that same Redis, not fail the start."""
    import subprocess
    import time

    import redis

    from portal import create_app
    from portal.extensions import limiter
    from tests.conftest import make_config

    socket = tmp_path / "redis.sock"
    server = subprocess.Popen(["redis-server", "--port", "0", "--unixsocket", str(socket), "--save", "",
                               "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        client = redis.Redis(unix_socket_path=str(socket))
        for _ in range(100):
            try:
                client.ping()
                break
            except (redis.ConnectionError, FileNotFoundError):
                time.sleep(0.05)
        app = create_app(make_config(sqlite_url, f"unix://{socket}", tmp_path / "storage"))
        assert app.config["RATELIMIT_STORAGE_URI"] == f"redis+unix://{socket}"
        with app.app_context():
            assert limiter.storage.check()  # it talks to the socket's Redis
            limiter.storage.incr("probe", 60)
        assert any(b"probe" in key for key in client.keys("*"))
    finally:
        server.terminate()
        server.wait(timeout=10)
