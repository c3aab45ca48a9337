"""The embedded SQLite database in write-ahead-log mode: a reader (the web, a bench, a backup)
does not hold up a worker's commit, as it did with SQLite's default rollback journal."""

import sqlite3
import time

import pytest
import sqlalchemy as sa

from portal.extensions import db


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_reader_in_a_transaction_does_not_block_a_commit(app, database_url):
    path = database_url.removeprefix("sqlite:///")
    with app.app_context():
        assert db.session.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        db.session.commit()
        reader = sqlite3.connect(path, timeout=0.5, isolation_level=None)
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM users").fetchone()  # holds its snapshot
        started = time.monotonic()
        db.session.execute(sa.text("UPDATE users SET email = email"))
        db.session.commit()  # with a rollback journal: "database is locked" once the reader's lock is seen
        assert time.monotonic() - started < 0.5
        reader.execute("COMMIT")
        reader.close()
