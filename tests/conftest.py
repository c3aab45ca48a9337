"""Fixtures in the spirit of flaskr's conftest: app, client, auth, a clean database per test,
real Redis and SMTP servers, and factories for domain objects.

The database fixtures run every test on SQLite and, when a PostgreSQL server answers at
TEST_POSTGRES_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/test), on PostgreSQL
too; otherwise those runs are skipped with the reason shown in the summary.
"""

import os
import re
import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa

from config.settings import TestConfig
from portal import create_app
from portal.extensions import db
from portal.services import accounts
from tests.services import MailCatcher, RedisServer


def _reuse_url_builders():
    """Compile each URL rule's builder once per run instead of once per app.

    Every test gets a fresh app (``create_app``), and Werkzeug compiles a Python function for each
    of its 157 routes twice (with and without query arguments): 80 ms a test, over two minutes of
    ``make test``. The function depends only on the rule, its defaults and whether unknown arguments
    are appended; it reads the converters from the rule it is bound to when it runs, so one
    compiled function serves the same rule of every app.
    """
    from werkzeug.routing.rules import Rule

    compile_builder = Rule._compile_builder
    builders = {}

    def reused(self, append_unknown=True):
        defaults = tuple((key, repr(value), type(self._converters.get(key)).__name__)
                         for key, value in (self.defaults or {}).items())
        key = (self.rule, tuple(self._trace), defaults, append_unknown)
        if key not in builders:
            builders[key] = compile_builder(self, append_unknown)
        return builders[key]

    Rule._compile_builder = reused


_reuse_url_builders()

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL",
                              "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PASSWORD = "correct horse battery staple"
_postgres_problem = []


def pytest_report_header(config):
    return f"PostgreSQL for tests: {POSTGRES_URL} (tests on it are skipped if it does not answer)"


# Tests that run on SQLite only: the PostgreSQL copies that the ``database_url`` fixture makes are
# deselected for these paths. Browser tests check what a person sees, and these page, access and
# header tests drive the same queries that the service, API and worker tests run on both databases;
# running them twice doubled their time and kept ``make test`` over 15 minutes (issues 16 and 19).
SQLITE_ONLY = (
    "tests/e2e/",
    "tests/portal/test_route_sweep.py", "tests/portal/test_access_matrix.py",
    "tests/portal/test_review_pages.py", "tests/portal/test_certification_pages.py",
    "tests/portal/test_groups_pages.py", "tests/portal/test_two_factor.py",
    "tests/portal/test_hardening.py", "tests/portal/test_headers.py", "tests/portal/test_i18n.py",
    "tests/portal/test_auth.py", "tests/portal/test_api_tokens.py", "tests/portal/test_openapi.py",
    "tests/portal/test_health.py", "tests/portal/test_logging.py",
)


# The longest test files (a minute or more each), run first: pytest-xdist hands out whole files
# in collection order, and one of these started last would leave the other process idle while it
# runs. Measured with `pytest --durations`; the order is only about time, never about results.
LONGEST_FIRST = (
    "tests/e2e/test_layout_browser.py", "tests/faults/test_processing_faults.py",
    "tests/workers/test_worker_faults.py", "tests/e2e/test_player_browser.py",
    "tests/workers/test_processing.py", "tests/workers/test_hls_worker.py", "tests/portal/test_retention.py",
)


def pytest_collection_modifyitems(config, items):
    """Mark browser tests ``e2e``, deselect the PostgreSQL copies of the tests under SQLITE_ONLY,
    and put LONGEST_FIRST first."""
    deselected = []
    kept = []
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith("tests/e2e/"):
            item.add_marker(pytest.mark.e2e)
        callspec = getattr(item, "callspec", None)
        on_postgres = callspec is not None and callspec.params.get("database_url") == "postgresql"
        rank = LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)
        (deselected if on_postgres and path.startswith(SQLITE_ONLY) else kept).append((rank, item))
    if deselected:
        config.hook.pytest_deselected(items=[item for _rank, item in deselected])
    kept.sort(key=lambda ranked: ranked[0])  # stable: within a file, and among the others, the order stays
    items[:] = [item for _rank, item in kept]


def pytest_terminal_summary(terminalreporter):
    problem = _postgres_problem[:1]
    if not problem:  # under pytest-xdist the skips happened in the workers: find them in the reports
        reasons = [report.longrepr[2] for report in terminalreporter.stats.get("skipped", [])
                   if isinstance(report.longrepr, (tuple, list))]
        problem = [reason for reason in reasons if "PostgreSQL not available" in reason][:1]
    if problem:
        terminalreporter.write_line(
            f"NOTE: PostgreSQL runs were skipped ({problem[0]}). The SQLite runs passed "
            "on their own; set TEST_POSTGRES_URL to test against PostgreSQL.", yellow=True)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def mail_server():
    catcher = MailCatcher()
    yield catcher
    catcher.stop()


@pytest.fixture(scope="session")
def sqlite_url(tmp_path_factory):
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.sqlite3'}"


@pytest.fixture(scope="session")
def postgres_url():
    """A fresh database on the PostgreSQL server for this test session, dropped afterwards."""
    admin_engine = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"portal_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin_engine.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as error:  # noqa: BLE001 - any failure means: no PostgreSQL here
        _postgres_problem.append(f"{POSTGRES_URL} did not answer ({type(error).__name__})")
        pytest.skip(f"PostgreSQL not available at {POSTGRES_URL}")
    url = sa.engine.make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin_engine.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin_engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request):
    """Every test that uses the database runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param])


def make_config(database_url, redis_url, storage_path, mail_port=None, **overrides):
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    config.REDIS_URL = redis_url
    config.STORAGE_PATH = str(storage_path)
    if mail_port:
        config.MAIL_SERVER = "127.0.0.1"
        config.MAIL_PORT = mail_port
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


_schema_ready = set()


def reset_database(app):
    """Create the schema once per database, then empty every table before each test."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        if url not in _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready.add(url)
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


@pytest.fixture
def app(database_url, redis_server, mail_server, tmp_path):
    redis_server.client.flushall()
    mail_server.clear()
    worker_tmp = tmp_path / "worker-tmp"  # the test's own: an S3 test leaves no cached original in /tmp
    worker_tmp.mkdir()
    app = create_app(make_config(database_url, redis_server.url, tmp_path / "storage",
                                 mail_server.port, WORKER_TMP_DIR=str(worker_tmp)))
    reset_database(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_from(html):
    """The CSRF token in a rendered page."""
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


@contextmanager
def counted_queries(app):
    """Count the SQL statements the app sends while the block runs (a list of them)."""
    statements = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)


class AuthActions:
    """Log in and out through the real forms."""

    def __init__(self, client):
        self.client = client

    def csrf(self, path="/login"):
        return csrf_from(self.client.get(path).get_data(as_text=True))

    def login(self, email, password=PASSWORD):
        token = self.csrf("/login")
        return self.client.post("/login", data={"email": email, "password": password,
                                                "csrf_token": token})

    def logout(self):
        token = self.csrf("/")
        return self.client.post("/logout", data={"csrf_token": token})


def client_as(app, email):
    """A test client of ``app`` logged in as ``email`` through the real form."""
    client = app.test_client()
    AuthActions(client).login(email)
    return client


def page(client, path, status=200):
    """The HTML of ``path``, which must answer ``status``."""
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code)
    return response.get_data(as_text=True)


@pytest.fixture
def auth(client):
    return AuthActions(client)


class Factory:
    """Creates domain objects directly in the database."""

    def __init__(self, app):
        self.app = app
        self.count = 0

    def organisation(self, name=None):
        with self.app.app_context():
            self.count += 1
            org = accounts.get_or_create_organisation(name or f"Kommun {self.count}")
            db.session.commit()
            return org.id

    def user(self, roles=("leader",), email=None, organisation_id=None, password=PASSWORD,
             name=None, language="sv"):
        """Create a user and return its id."""
        from portal.models import Organisation

        with self.app.app_context():
            self.count += 1
            org_id = organisation_id or self.organisation()
            user = accounts.create_user(
                email or f"user{self.count}@example.org", name or f"Person {self.count}",
                list(roles), db.session.get(Organisation, org_id), language=language,
                password=password)
            db.session.commit()
            return user.id


@pytest.fixture
def factory(app):
    return Factory(app)


@pytest.fixture
def run_jobs(app):
    """Run every queued job now in a real RQ worker (in-process), like the Procfile worker."""
    from workers.worker import make_worker

    def run():
        worker = make_worker(app, simple=True)
        with app.app_context():
            worker.work(burst=True, with_scheduler=False)

    return run


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server on a free port for the whole run (see tests/s3.py)."""
    from tests.s3 import MotoS3

    server = MotoS3()
    yield server
    server.stop()


# -- fault-injection scenarios (issue 9) ----------------------------------------------------------
# Each scenario test repeats its fault ``fault_repeat(...)`` times and records every attempt in a
# ``fault_tally``. Under `make test` a scenario runs once (or with its short settings); under
# bench/faults.py FAULT_REPEAT is 20 and the tallies go to FAULT_REPORT (JSON lines) for the
# summary table in docs/BENCHMARKS.md.
FAULT_REPEAT = int(os.environ.get("FAULT_REPEAT", "1"))
FAULT_REPORT = os.environ.get("FAULT_REPORT")


def fault_repeat(most=None):
    """How many times a scenario runs: FAULT_REPEAT, capped at ``most`` for the costly ones."""
    return max(1, min(FAULT_REPEAT, most) if most else FAULT_REPEAT)


class FaultTally:
    """Attempts, recoveries and losses of one scenario, plus the figures each attempt measured."""

    def __init__(self, scenario):
        self.scenario = scenario
        self.attempts = self.recovered = self.lost = 0
        self.figures = []
        self.problems = []

    def record(self, recovered, lost=0, problem=None, **figures):
        """One attempt: did it recover, how many originals or outputs it lost, what it measured."""
        self.attempts += 1
        self.recovered += bool(recovered)
        self.lost += lost
        self.figures.append(figures)
        if problem or not recovered or lost:
            self.problems.append(f"attempt {self.attempts}: {problem or 'not recovered'}"
                                 + (f", {lost} lost" if lost else ""))

    def assert_clean(self):
        assert self.attempts, "the scenario recorded no attempt"
        assert not self.problems, f"{self.scenario}: " + "; ".join(self.problems)

    def as_dict(self):
        return {"scenario": self.scenario, "attempts": self.attempts, "recovered": self.recovered,
                "lost": self.lost, "figures": self.figures, "problems": self.problems}


@pytest.fixture
def fault_tally(request):
    """A tally for this scenario; written to FAULT_REPORT (when set) whether the test passed or not."""
    name = request.node.name
    tally = FaultTally(name)
    yield tally
    if FAULT_REPORT:
        import json

        with open(FAULT_REPORT, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(tally.as_dict()) + "\n")
