"""Logs carry ids, never names, mail addresses, tokens or media URLs."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from workers.queues import LIGHT, get_queue

ROOT = Path(__file__).resolve().parents[2]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_queued_jobs_describe_themselves_without_their_arguments(app):
    from portal.services import mail

    with app.test_request_context():
        mail.send({"to": "lena@example.org", "subject": "Hej Lena", "text": "https://x/invite/SECRET",
                   "html": "<p>x</p>"})
        job = get_queue(LIGHT).jobs[0]
    assert job.description == "workers.mail.deliver_mail()"
    assert "lena" not in job.description and "SECRET" not in job.description


def test_the_access_log_leaves_out_query_strings(tmp_path, sqlite_url, redis_server):
    port = free_port()
    log = tmp_path / "access.log"
    env = dict(os.environ, PORTAL_ENV="development", DATABASE_URL=sqlite_url, REDIS_URL=redis_server.url,
               STORAGE_PATH=str(tmp_path / "storage"), SECRET_KEY="k" * 40)
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "--bind",
                               f"127.0.0.1:{port}", "--access-logfile", str(log), "app:app"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/login?sig=SIGNED-TOKEN&next=/x", timeout=5)  # noqa: S310
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        deadline = time.monotonic() + 10
        while "/login" not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.1)
        text = log.read_text()
        assert '"GET /login HTTP/1.1" 200' in text
        assert "SIGNED-TOKEN" not in text and "sig=" not in text
    finally:
        server.terminate()
        server.wait(timeout=20)
