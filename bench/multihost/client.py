"""The client's side, over the network: the leader's resumable upload through the JSON API
(``Authorization: Bearer`` with a personal token; part bytes PUT straight to the S3 gateway
through signed URLs, as Uppy does), and reads of the shared state for the scenario's figures
(the recording through the API; RQ's workers in Redis; parts and segments in PostgreSQL)."""

import os
import time

import requests

MiB = 1024 * 1024


class Api:
    """The leader's API calls with their token."""

    def __init__(self, base_url, token):
        self.base = base_url.rstrip("/") + "/api/v1"
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"

    def call(self, method, path, json=None, timeout=30):
        response = self.http.request(method, self.base + path, json=json, timeout=timeout)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json()

    def recording(self, recording_id):
        return self.call("GET", f"/recordings/{recording_id}")

    def upload(self, session_id, path, batch=8):
        """Upload one camera file as the session's film: start, signed part URLs in batches, a
        PUT per part, complete. Returns ``(recording_id, bytes, seconds)``."""
        size = os.path.getsize(path)
        started = time.monotonic()
        info = self.call("POST", f"/sessions/{session_id}/uploads", json={
            "filename": "00001.MTS", "size": size, "content_type": "video/mp2t", "position": 1,
            "file_count": 1, "last_modified": int(os.path.getmtime(path) * 1000)})
        part_size, numbers = info["part_size"], list(range(1, info["part_count"] + 1))
        etags = {}
        with open(path, "rb") as fh:
            for first in range(0, len(numbers), batch):
                wanted = numbers[first:first + batch]
                urls = self.call("POST", f"/uploads/{info['upload_id']}/part-urls",
                                 json={"part_numbers": wanted})["urls"]
                for number in wanted:
                    fh.seek((number - 1) * part_size)
                    response = requests.put(urls[str(number)], data=fh.read(part_size), timeout=120)
                    if response.status_code != 200:
                        raise RuntimeError(f"part {number}: {response.status_code} {response.text[:300]}")
                    etags[number] = response.headers["ETag"].strip('"')
        done = self.call("POST", f"/uploads/{info['upload_id']}/complete", json={
            "parts": [{"number": n, "etag": e} for n, e in sorted(etags.items())]}, timeout=120)
        if not done.get("recording_uploaded"):
            raise RuntimeError(f"the upload completed but the recording is not uploaded: {done}")
        return info["recording_id"], size, time.monotonic() - started


def busy_workers(redis_url, queues=("first", "heavy")):
    """``{host: [(job id, description, seconds running), ...]}`` for every RQ worker busy now with
    a job of ``queues``, by the host name each worker registered (every host has its own)."""
    from datetime import UTC, datetime

    from redis import Redis
    from rq import Worker

    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    busy = {}
    for worker in Worker.all(connection=connection):
        job = worker.get_current_job()
        if job is None or job.origin not in queues:
            continue
        started = job.started_at.replace(tzinfo=UTC) if job.started_at else datetime.now(UTC)
        running = (datetime.now(UTC) - started).total_seconds()
        busy.setdefault(worker.hostname, []).append((job.id, job.description or job.id, running))
    return busy


class Database:
    """Read-only queries of the portal's PostgreSQL, from the client's side of the network."""

    def __init__(self, url):
        import psycopg

        self.conn = psycopg.connect(url, autocommit=True, connect_timeout=5)

    def one(self, sql, *params):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchone()

    def all(self, sql, *params):
        with self.conn.cursor() as cur:
            cur.execute(sql, params)
            return cur.fetchall()

    def has_table(self, name):
        return self.one("SELECT to_regclass(%s) IS NOT NULL", name)[0]

    def columns(self, table):
        return {row[0] for row in self.all(
            "SELECT column_name FROM information_schema.columns WHERE table_name = %s", table)}

    def recording(self, recording_id):
        names = ("status", "job_token", "attempts", "output_prefix", "duration", "progress", "playable_seconds")
        row = self.one(f"SELECT {', '.join(names)} FROM recordings WHERE id = %s", recording_id)  # noqa: S608
        return dict(zip(names, row, strict=True))

    def part_tokens(self, part_ids, working=False):
        """``{part id: job token}`` of the given film parts (chunk jobs); only those at work now
        with ``working``."""
        if not part_ids:
            return {}
        return dict(self.all("SELECT id, job_token FROM film_parts WHERE id = ANY(%s) "
                             "AND (NOT %s OR status = 'working')", list(part_ids), working))

    def parts(self, recording_id, run):
        """``{part id: (track, part, status, attempts)}`` of the run's film parts."""
        if not self.has_table("film_parts"):
            return {}
        return {row[0]: row[1:] for row in self.all(
            "SELECT id, track, part, status, attempts FROM film_parts WHERE recording_id = %s AND run = %s",
            recording_id, run)}

    def segments(self, recording_id, run):
        """The run's published segments: ``(track, part, idx, duration, name, init)``, in order."""
        if not self.has_table("film_segments"):
            return []
        return self.all("SELECT track, part, idx, duration, name, init FROM film_segments "
                        "WHERE recording_id = %s AND run = %s ORDER BY track, part, idx", recording_id, run)

    def audit_count(self, action, recording_id):
        return self.one("SELECT count(*) FROM audit_events WHERE action = %s AND object_type = 'recording' "
                        "AND object_id = %s", action, recording_id)[0]
