"""Flask extensions, created unbound and initialised in ``create_app``."""

import sqlite3

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine

# Stable constraint names, so Alembic migrations read the same on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))
migrate = Migrate(render_as_batch=True, compare_type=True)


@event.listens_for(Engine, "connect")
def _sqlite_write_ahead_log(dbapi_connection, _record):
    """SQLite (the embedded default) in write-ahead-log mode: the web, two workers and a reader
    no longer block each other's commits (with a rollback journal a worker's listing of segments
    waited for every reader); ``synchronous=NORMAL`` is safe in WAL mode against corruption (a
    power cut may lose the last commits, as a crash of the machine would). PostgreSQL is untouched."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
# Login throttling; storage is the app's Redis (set in create_app), so limits hold across
# gunicorn workers and machines. Limits are declared on the views that need them.
limiter = Limiter(key_func=get_remote_address, default_limits=[], key_prefix="portal-limits")
