"""Locust users for bench/supervision_load.py: supervisors browsing their queue, opening films
and reading and writing comments. Run by that script; not on its own.

Each user logs in as one of the bench supervisors (BENCH_SUPERVISORS, comma-separated) and
works on the films of that supervisor's groups (BENCH_FILMS: JSON {email: [recording ids]}).
"""

import itertools
import json
import os
import random
import re
import time

from locust import HttpUser, between, task

SUPERVISORS = os.environ.get("BENCH_SUPERVISORS", "").split(",")
FILMS = json.loads(os.environ.get("BENCH_FILMS", "{}"))
PASSWORD = os.environ.get("BENCH_PASSWORD", "")
CSRF = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
WARMUP_S = float(os.environ.get("BENCH_WARMUP", "0"))
_next = itertools.count()
_started = time.monotonic()


def named(label):
    """``label``, or ``label (warm-up)`` during the first BENCH_WARMUP seconds, while the users
    log in (argon2 at production cost, 20 at once) and the caches fill: reported apart."""
    return f"{label} (warm-up)" if time.monotonic() - _started < WARMUP_S else label


class Supervisor(HttpUser):
    wait_time = between(*(float(x) for x in os.environ.get("BENCH_WAIT", "0.05,0.2").split(",")))

    def on_start(self):
        self.email = SUPERVISORS[next(_next) % len(SUPERVISORS)]
        self.films = FILMS[self.email]
        token = CSRF.search(self.client.get("/login", name="login page").text).group(1)
        answer = self.client.post("/login", data={"email": self.email, "password": PASSWORD, "csrf_token": token},
                                  name="login", allow_redirects=False)
        assert answer.status_code == 302, answer.status_code
        self.csrf = None

    @task(3)
    def queue(self):
        self.client.get("/review/", name=named("queue page"))

    @task(3)
    def player(self):
        page = self.client.get(f"/review/recordings/{random.choice(self.films)}", name=named("player page"))  # noqa: S311
        found = META.search(page.text)
        if found:
            self.csrf = found.group(1)

    @task(3)
    def comments(self):
        self.client.get(f"/api/v1/recordings/{random.choice(self.films)}/comments",  # noqa: S311
                        name=named("comment API: list"))

    @task(1)
    def comment(self):
        if self.csrf is None:
            return self.player()
        film = random.choice(self.films)  # noqa: S311
        self.client.post(f"/api/v1/recordings/{film}/comments", name=named("comment API: add"),
                         json={"t_start": random.uniform(0, 8000), "category": "process",  # noqa: S311
                               "body": "Belastningstest"}, headers={"X-CSRFToken": self.csrf})
