"""What the benchmarks share: free ports, child processes stopped on exit, a private Redis, and a
bootstrapped app with a leader and a group whose sessions have their consent confirmed."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
PASSWORD = "correct horse battery staple"  # noqa: S105 - throwaway bench user
LEADER = "lena-bench@example.org"


def run(main):
    """Run a bench's ``main``; Ctrl-C (and SIGTERM where a bench maps it) ends it with 130 after its cleanup."""
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port} after {timeout}s")


class Processes:
    """Child processes, each in its own process group, stopped on close."""

    def __init__(self):
        self.procs = []

    def start(self, name, args, **kwargs):
        proc = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.procs.append((name, proc))
        return proc

    def stop(self, proc, timeout=15):
        """SIGTERM the process group of ``proc``; SIGKILL it if it has not ended in ``timeout`` s."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(timeout=5)

    def stop_all(self):
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for _name, proc in reversed(self.procs):
            self.stop(proc)


def start_redis(procs, folder):
    """A private redis-server on a free port, nothing saved; returns its URL."""
    port = free_port()
    procs.start("redis", ["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                          "--save", "", "--appendonly", "no", "--dir", str(folder)],
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(port)
    return f"redis://127.0.0.1:{port}/0"


def local_env(tmp, redis_url, **extra):
    """The environment of a bench's app and workers on embedded defaults in ``tmp`` (fresh
    SQLite, local storage, the workers' folder); returns ``(env, db_path, storage_root)``."""
    db_path, storage_root = tmp / "bench.sqlite3", tmp / "storage"
    (tmp / "worker").mkdir(exist_ok=True)
    env = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": "x" * 40,
           "DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": redis_url, "STORAGE_BACKEND": "local",
           "STORAGE_PATH": str(storage_root), "WORKER_TMP_DIR": str(tmp / "worker"),
           "PORTAL_ADMIN_EMAIL": "root-bench@example.org", "PORTAL_ADMIN_PASSWORD": "x" * 20, **extra}
    return env, db_path, storage_root


SETUP_SNIPPET = r"""
import json, sys
from datetime import date
from portal import create_app
from portal.extensions import db
from portal.models import GroupSession, User
from portal.services import accounts, consent, groups, programs

password, count = sys.argv[1], int(sys.argv[2])
app = create_app()
with app.app_context():
    org = accounts.get_or_create_organisation("Kommun bench")
    db.session.commit()
    def user(roles, email, name):
        u = accounts.create_user(email, name, list(roles), org, language="sv", password=password)
        db.session.commit()
        return u
    admin = user(("admin",), "admin-bench@example.org", "Admin bench")
    leader = user(("leader",), "lena-bench@example.org", "Lena bench")
    co_leader = user(("leader",), "leo-bench@example.org", "Leo bench")
    supervisor = user(("supervisor",), "sara-bench@example.org", "Sara bench")
    program = programs.seed_programs()[0]
    group = groups.create_group(admin, org, program, "Grupp bench", date(2026, 1, 12), leader,
                                co_leader, "certification", supervisors=[supervisor])
    db.session.commit()
    sessions = [s.id for s in group.sessions][1:1 + count]  # 0 is the information meeting
    for session_id in sessions:
        consent.confirm_attendance(db.session.get(GroupSession, session_id), [], leader)
    db.session.commit()
    print(json.dumps({"group": group.id, "session": sessions[0], "sessions": sessions}))
"""


def bootstrap_app(env, confirmed_sessions=1):
    """Migrate a fresh database (``flask portal bootstrap``), then create an organisation, the
    leader ``LEADER`` and a group with ``confirmed_sessions`` confirmed sessions through the
    services. Returns ``{"group", "session", "sessions"}``."""
    subprocess.run([str(VENV / "flask"), "--app", "app", "portal", "bootstrap"], cwd=ROOT,
                   env=env, check=True, stdout=subprocess.DEVNULL)
    out = subprocess.run([str(VENV / "python"), "-c", SETUP_SNIPPET, PASSWORD, str(confirmed_sessions)],
                         cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])
