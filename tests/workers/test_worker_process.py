"""The Procfile worker (`flask portal worker`) as a real process, on a real Redis."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from portal.services import mail
from workers.queues import FIRST, HEAVY, LIGHT, get_queue

ROOT = Path(__file__).resolve().parents[2]


def test_worker_process_delivers_queued_mail(app, redis_server, mail_server, sqlite_url, tmp_path):
    with app.test_request_context():
        message = mail.compose("lena@example.org", "Hej", "invitation", language="sv",
                               user=type("U", (), {"name": "Lena"})(), link="http://x/1", hours=72)
        mail.send(message)
        assert get_queue(LIGHT).count == 1 and get_queue(FIRST).count + get_queue(HEAVY).count == 0
    env = dict(os.environ, PORTAL_ENV="development", DATABASE_URL=sqlite_url,
               REDIS_URL=redis_server.url, MAIL_SERVER="127.0.0.1", MAIL_PORT=str(mail_server.port),
               STORAGE_PATH=str(tmp_path), SECRET_KEY="k" * 40)
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "portal", "worker", "--burst"],
                            cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    received = mail_server.wait_for("lena@example.org")
    assert received["Subject"] == "Hej"
    assert "http://x/1" in received.get_body(("plain",)).get_content()
    with app.app_context():
        assert get_queue(LIGHT).count == 0


def test_mail_is_delivered_inline_when_redis_is_down(app, mail_server):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    app.extensions.pop("portal_redis", None)
    with app.test_request_context():
        mail.send({"to": "x@example.org", "subject": "S", "text": "t", "html": "<p>t</p>"})
    assert mail_server.wait_for("x@example.org")["Subject"] == "S"


def test_an_idle_worker_stops_when_asked_and_one_left_by_redis_listens_again(redis_server, sqlite_url, tmp_path):
    """SIGTERM (what `make run`'s Ctrl-C and a deployment's stop send) ends an idle worker; a loop
    ended by Redis going away is not a stop and the worker listens again once Redis is back."""
    env = dict(os.environ, PORTAL_ENV="development", DATABASE_URL=sqlite_url, REDIS_URL=redis_server.url,
               STORAGE_PATH=str(tmp_path), SECRET_KEY="k" * 40)
    log = tmp_path / "worker.log"
    with open(log, "wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "app", "portal", "worker", "--queue",
                                   "light"], cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while b"Listening on" not in log.read_bytes():
            assert worker.poll() is None and time.monotonic() < deadline, log.read_text()
            time.sleep(0.2)
        redis_server.client.client_kill_filter(_type="normal", skipme=True)  # every connection dropped
        time.sleep(3)
        assert worker.poll() is None, log.read_text()  # still there, listening again (or never left)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log.read_text()
        assert "warm shut down requested" in log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
