"""Locust users for bench/soak.py: leaders following their films' status, supervisors browsing
and commenting, and one uploader sending real films through the JSON API. Run by that script;
not on its own.

Environment, set by bench/soak.py:
    BENCH_PASSWORD        every bench user's password
    BENCH_LEADERS         JSON {email: {"group": id, "films": [[session id, recording id], ...]}}
    BENCH_UPLOADER        the uploader's e-mail
    BENCH_UPLOAD_SESSIONS comma-separated session ids with consent confirmed, one per upload
    BENCH_FILM            path of the film to upload
    BENCH_SUPERVISORS, BENCH_FILMS, BENCH_WAIT  as in bench/locust_supervision.py
"""

import itertools
import json
import logging
import os
import random
import time
from pathlib import Path

import gevent
import locust_supervision
from locust import HttpUser, between, task
from locust_supervision import CSRF, META, PASSWORD

LEADERS = json.loads(os.environ.get("BENCH_LEADERS", "{}"))
UPLOADER = os.environ.get("BENCH_UPLOADER", "")
UPLOAD_SESSIONS = [int(s) for s in os.environ.get("BENCH_UPLOAD_SESSIONS", "").split(",") if s]
FILM = os.environ.get("BENCH_FILM", "")
# file name ending and type as a browser reports them for a camera's or a phone's film
FILM_TYPE = {".mts": (".MTS", "video/mp2t"), ".mp4": (".MP4", "video/mp4")}.get(Path(FILM).suffix.lower(),
                                                                              (".MP4", "video/mp4"))
POLL_S = 3  # static/js/upload_status.js asks again 3 s after each answer
FINISHED = ("ready", "failed", "rejected", "deleted")
_next_leader = itertools.count()


def login(client, email):
    """Log ``client`` in through the login form. :raise AssertionError: unless it redirects."""
    token = CSRF.search(client.get("/login", name="login page").text).group(1)
    answer = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token},
                         name="login", allow_redirects=False)
    assert answer.status_code == 302, answer.status_code


class Leader(HttpUser):
    """A group's uploader checking on films: start page, group page, a session's status page,
    then the page's status polls every 3 s for a while; then a pause before the next visit."""

    weight = 30

    def wait_time(self):
        return POLL_S if self.polls_left else random.uniform(5, 20)

    def on_start(self):
        self.email = sorted(LEADERS)[next(_next_leader) % len(LEADERS)]
        self.group_id = LEADERS[self.email]["group"]
        self.films = LEADERS[self.email]["films"]
        self.polls_left = 0
        login(self.client, self.email)

    @task
    def follow(self):
        if not self.polls_left:
            self.client.get("/", name="start page")
            self.client.get(f"/groups/{self.group_id}", name="group page")
            session_id, self.recording = random.choice(self.films)
            self.client.get(f"/sessions/{session_id}/upload", name="session page")
            self.polls_left = random.randint(5, 20)
            return
        self.client.get(f"/api/v1/recordings/{self.recording}", name="status API")
        self.polls_left -= 1


class Supervisor(locust_supervision.Supervisor):
    """bench/locust_supervision.py's supervisor (queue, player, list and add comments), with the
    think time of BENCH_WAIT."""

    weight = 19


class Uploader(HttpUser):
    """One leader uploading one film after another, each to a fresh session with consent
    confirmed, the way the upload page's Uppy does it: start, part URLs, PUT the parts, complete;
    then the page's status polls until the film is processed. Each film's time from completion
    to ready is reported as the request "upload to ready" (type FLOW)."""

    fixed_count = 1
    wait_time = between(5, 15)  # the leader finds the next session's film

    def on_start(self):
        self.sessions = iter(UPLOAD_SESSIONS)
        self.out_of_sessions = False
        self.film = Path(FILM).read_bytes()
        login(self.client, UPLOADER)

    def api(self, method, path, name, payload):
        """A JSON API call with the page's CSRF token; the answer's JSON, or None on failure."""
        with self.client.request(method, f"/api/v1{path}", name=name, json=payload, catch_response=True,
                                 headers={"X-CSRFToken": self.csrf}) as answer:
            if not answer.ok:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return None
            return answer.json()

    @task
    def upload(self):
        session_id = next(self.sessions, None)
        if session_id is None:  # bench/soak.py seeded too few sessions for this run
            if not self.out_of_sessions:
                logging.warning("uploader: no session with consent confirmed left; uploads stop")
                self.out_of_sessions = True
            gevent.sleep(60)
            return
        page = self.client.get(f"/sessions/{session_id}/upload", name="session page")
        self.csrf = META.search(page.text).group(1)
        started = self.api("POST", f"/sessions/{session_id}/uploads", "upload API: start", {
            "filename": f"00001{FILM_TYPE[0]}", "size": len(self.film), "content_type": FILM_TYPE[1], "position": 1,
            "file_count": 1, "last_modified": int(time.time() * 1000)})
        if started is None:
            return
        upload_id, size = started["upload_id"], started["part_size"]
        numbers = list(range(1, started["part_count"] + 1))
        signed = self.api("POST", f"/uploads/{upload_id}/part-urls", "upload API: part URLs",
                          {"part_numbers": numbers})
        if signed is None:
            return
        parts = []
        for number in numbers:
            answer = self.client.put(signed["urls"][str(number)], data=self.film[(number - 1) * size:number * size],
                                     name="storage: PUT part")
            if not answer.ok:
                return
            parts.append({"number": number, "etag": answer.headers["ETag"].strip('"')})
        done = self.api("POST", f"/uploads/{upload_id}/complete", "upload API: complete", {"parts": parts})
        if done is None:
            return
        self.follow_processing(session_id, started["recording_id"])

    def follow_processing(self, session_id, recording_id):
        """Poll like the status page until the film is finished; fire "upload to ready"."""
        completed = time.monotonic()
        self.client.get(f"/sessions/{session_id}/upload", name="session page")  # Uppy reloads the page
        status = None
        while status not in FINISHED:
            gevent.sleep(POLL_S)
            answer = self.client.get(f"/api/v1/recordings/{recording_id}", name="status API")
            if answer.ok:
                status = answer.json()["status"]
        self.environment.events.request.fire(
            request_type="FLOW", name="upload to ready", response_time=(time.monotonic() - completed) * 1000,
            response_length=len(self.film), context={},
            exception=None if status == "ready" else RuntimeError(f"recording {recording_id} {status}"))
        if status == "ready":
            self.client.get(f"/sessions/{session_id}/upload", name="session page")  # the page reloads once
