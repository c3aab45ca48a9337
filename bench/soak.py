"""Soak benchmark: the whole stack under a steady, realistic load for minutes, with the latency of
each endpoint, every error, and the memory of each process over time.

    .venv/bin/pip install locust==2.47.0 matplotlib==3.10.7   # once; `make test` doesn't need them
    .venv/bin/python bench/soak.py [--users 50] [--minutes 10] [--recordings 1000] [--comments 10000]
                                   [--spawn-rate 5] [--film-seconds 20] [--sqlite]

In one run: a fresh database (PostgreSQL at 127.0.0.1:5432 when it answers, else SQLite) seeded
by bench/supervision_load.py's SEED with ``--recordings`` ready films and ``--comments`` comments,
then ANALYZE; a private redis-server; the app under gunicorn (3 workers x 4 threads, the
Procfile's config file); one RQ worker (``flask portal worker``, local storage). From a second
process, locust runs ``--users`` users for ``--minutes`` (bench/locust_soak.py): one uploader
sending a ``--film-seconds`` 640x360 H.264/AAC film through the JSON API and waiting for it to be
processed before the next, and the others split 30:19 into leaders polling their films' status
every 3 s and supervisors browsing, watching and commenting with a few seconds between clicks.
Every 10 s the resident memory (VmRSS) of each process is sampled: gunicorn's master and
workers, the RQ worker and its work-horse (and the horse's ffmpeg), redis-server and locust.
Results: bench/results/soak.json and docs/benchmarks/soak.png (when matplotlib is importable).
Exits 1 when any request failed.
"""

import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PASSWORD, ROOT, VENV, Processes, free_port, start_redis, wait_port  # noqa: E402
from supervision_load import SEED, SUPERVISORS, analyze, postgres_available, run_snippet  # noqa: E402

PG_DB = "filmportalen_soak"
GUNICORN_WORKERS = 3
SAMPLE_S = 10
LEADER_WEIGHT, SUPERVISOR_WEIGHT = 30, 19  # bench/locust_soak.py; the uploader is one fixed user
SUPERVISOR_THINK = "2,8"  # seconds between a supervisor's clicks
MiB = 1024 * 1024

CAST = r"""
import json, sys
from datetime import date
from portal import create_app
from portal.extensions import db
from portal.models import GroupLeader, GroupSession, Program, Recording, User
from portal.services import accounts, consent, groups

password, leader_count, upload_count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
app = create_app()
with app.app_context():
    # the leaders the locust users log in as: the uploaders of the seeded groups, with their films
    rows = db.session.execute(
        db.select(User.email, GroupLeader.group_id, GroupSession.id, Recording.id)
        .join(GroupLeader, GroupLeader.user_id == User.id)
        .join(GroupSession, GroupSession.group_id == GroupLeader.group_id)
        .join(Recording, Recording.group_session_id == GroupSession.id)
        .where(GroupLeader.role == "uploader").order_by(User.email, GroupSession.number)).all()
    leaders = {}
    for email, group_id, session_id, recording_id in rows:
        if email in leaders or len(leaders) < leader_count:
            leaders.setdefault(email, {"group": group_id, "films": []})["films"].append([session_id, recording_id])
    # the uploader: groups made through the services, every principle session's consent confirmed
    org = accounts.get_or_create_organisation("Kommun bench")
    uploader = accounts.create_user("uploader@bench.example.org", "Uppladdare bench", ["leader"], org,
                                    password=password)
    co_leader = accounts.create_user("uploader-co@bench.example.org", "Medledare bench", ["leader"], org,
                                     password=password)
    db.session.commit()
    program = db.session.scalar(db.select(Program).order_by(Program.id))
    sessions = []
    while len(sessions) < upload_count:
        group = groups.create_group(uploader, org, program, f"Uppladdning {len(sessions)}", date(2026, 2, 2),
                                    uploader, co_leader, "certification")
        for group_session in group.sessions:
            if group_session.number > 0:  # 0 is the information meeting
                consent.confirm_attendance(group_session, [], uploader)
                sessions.append(group_session.id)
        db.session.commit()
    print(json.dumps({"leaders": leaders, "uploader": uploader.email, "sessions": sessions}))
"""

UPLOADS = r"""
import json
from portal import create_app
from portal.extensions import db
from portal.models import Recording, User

app = create_app()
with app.app_context():
    uploader = db.session.scalar(db.select(User).where(User.email == "uploader@bench.example.org"))
    rows = db.session.execute(db.select(Recording.status, Recording.uploaded_at, Recording.ready_at)
                              .where(Recording.created_by_id == uploader.id)).all()
    statuses = {}
    for status, _uploaded, _ready in rows:
        statuses[status] = statuses.get(status, 0) + 1
    seconds = sorted((ready - uploaded).total_seconds() for _status, uploaded, ready in rows if uploaded and ready)
    print(json.dumps({"statuses": statuses, "uploaded_to_ready_s": seconds}))
"""


def make_film(folder, seconds, encode=False):
    """A ``seconds``-long film from ffmpeg's generated test sources: a 640x360 H.264/AAC MP4,
    which the worker makes playable by copying the streams; with ``encode``, a camera's
    interlaced 720x576 H.264/AC-3 MPEG-TS, which the worker encodes to 720p."""
    size, extra = ("720x576", ["-flags", "+ildct+ilme", "-x264-params", "tff=1", "-c:a", "ac3", "-f", "mpegts"]) \
        if encode else ("640x360", ["-c:a", "aac", "-b:a", "96k"])
    path = folder / ("film.mts" if encode else "film.mp4")
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    f"testsrc2=size={size}:rate=25:duration={seconds}", "-f", "lavfi", "-i",
                    f"sine=frequency=440:sample_rate=48000:duration={seconds}", "-c:v", "libx264", "-preset",
                    "veryfast", "-g", "50", "-pix_fmt", "yuv420p", *extra, str(path)], check=True)
    return path


def wait_ready(base_url, redis_url, settle=5, timeout=120):
    """Until /healthz answers 200 and the RQ worker has registered, then ``settle`` s more for the
    other gunicorn workers to finish importing the app: the first memory sample is of booted
    processes. :raise RuntimeError: after ``timeout`` s."""
    import redis
    from rq import Worker

    connection = redis.Redis.from_url(redis_url)
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"{base_url}/healthz", timeout=5) as answer:  # noqa: S310 - our http://
                healthy = answer.status == 200
        except OSError:
            healthy = False
        if healthy and Worker.count(connection=connection):
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"app or RQ worker not ready after {timeout}s")
        time.sleep(0.5)
    connection.close()
    time.sleep(settle)


def process_table():
    """``{pid: (ppid, process group, rss in bytes)}`` of every process readable in /proc."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/status") as fh:
                fields = dict(line.split(":", 1) for line in fh if ":" in line)
        except (FileNotFoundError, ProcessLookupError):  # ended meanwhile
            continue
        rss = int(fields["VmRSS"].split()[0]) * 1024 if "VmRSS" in fields else 0  # kB; none for zombies
        table[int(entry)] = (int(fields["PPid"]), int(fields["NSpgid"].split()[0]), rss)
    return table


class MemorySampler(threading.Thread):
    """Samples every ``every`` s the RSS of the processes named in ``roots`` and of those below
    them: gunicorn's workers (numbered as they appear, so a replaced worker gets a new number),
    the RQ worker's scheduler, its work-horse and the horse's children (ffmpeg); the last two
    only exist while a job runs. RQ forks the horse into a process group of its own, the
    scheduler stays in the worker's."""

    def __init__(self, roots, every=SAMPLE_S):
        super().__init__(daemon=True)
        self.roots = dict(roots)
        self.every = every
        self.series = {}
        self.workers = {}
        self.halt = threading.Event()
        self.first = threading.Event()  # set once the first sample, before the load, is taken

    def add(self, name, pid):
        self.roots[name] = pid

    def run(self):
        self.started = time.monotonic()
        while True:
            self.sample()
            self.first.set()
            if self.halt.wait(self.every):
                self.sample()
                return

    def stop(self):
        self.halt.set()
        self.join()

    def sample(self):
        t = round(time.monotonic() - self.started, 1)
        table = process_table()
        kids = {}
        for pid, (ppid, _name, _rss) in table.items():
            kids.setdefault(ppid, []).append(pid)
        found = {}
        for name, pid in self.roots.items():
            if pid in table:
                found[name] = table[pid][2]
        for pid in sorted(kids.get(self.roots.get("gunicorn master"), [])):
            label = self.workers.setdefault(pid, f"gunicorn worker {len(self.workers) + 1}")
            found[label] = table[pid][2]
        horses = []
        for pid in kids.get(self.roots.get("rq worker"), []):
            if table[pid][1] == pid:
                horses.append(pid)
            else:
                found["rq scheduler"] = found.get("rq scheduler", 0) + table[pid][2]
        if horses:
            found["rq work-horse"] = sum(table[pid][2] for pid in horses)
            below = [pid for horse in horses for pid in descendants(kids, horse)]
            if below:
                found["ffmpeg (horse's children)"] = sum(table[pid][2] for pid in below)
        for name, rss in found.items():
            self.series.setdefault(name, []).append((t, round(rss / MiB, 1)))


def descendants(kids, pid):
    """Every process below ``pid`` in a ``{ppid: [pid]}`` map."""
    found, todo = [], list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        found.append(p)
        todo.extend(kids.get(p, []))
    return found


TRANSIENT = ("rq work-horse", "ffmpeg (horse's children)")


def process_order(name):
    """gunicorn's master and workers (by number), the RQ worker and its job's processes, Redis,
    locust."""
    rank = ["gunicorn master", "gunicorn worker", "rq worker", "rq scheduler", *TRANSIENT, "redis-server", "locust"]
    base = name.rstrip("0123456789").strip()
    number = name[len(base):].strip()
    return rank.index(base) if base in rank else len(rank), int(number or 0)


def memory_summary(series, seconds):
    """Per process: RSS (MiB) at start (before the load), at the middle of the run, at the end and
    its max, and the slope (MiB per minute) of a least-squares line through the samples of the
    second half, when warm-up is over; no slope for processes that live only during a job, or with
    fewer than three samples in that half."""
    summary = {}
    for name in sorted(series, key=process_order):
        samples = series[name]
        late = [(t / 60, mib) for t, mib in samples if t >= seconds / 2]
        slope = None
        if name not in TRANSIENT and len(late) >= 3:
            slope = round(statistics.linear_regression(*zip(*late, strict=True)).slope, 3)
        values = [mib for _t, mib in samples]
        summary[name] = {"start_mib": values[0], "mid_mib": late[0][1] if late else None, "end_mib": values[-1],
                         "max_mib": max(values), "slope_mib_per_min": slope, "samples": len(values),
                         "series": samples}
    return summary


def read_locust(prefix):
    """Per request name from locust's CSV: counts, percentiles and rate; and its failures."""
    stats = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = {"type": row["Type"], "requests": int(row["Request Count"]),
                                  "failures": int(row["Failure Count"]), "p50_ms": float(row["50%"]),
                                  "p95_ms": float(row["95%"]), "p99_ms": float(row["99%"]),
                                  "max_ms": float(row["Max Response Time"]), "rps": round(float(row["Requests/s"]), 2)}
    with open(f"{prefix}_failures.csv", newline="") as fh:
        failures = [{"method": row["Method"], "name": row["Name"], "error": row["Error"],
                     "occurrences": int(row["Occurrences"])} for row in csv.DictReader(fh)]
    with open(f"{prefix}_exceptions.csv", newline="") as fh:  # raised in a user's code, outside a request
        failures += [{"method": "-", "name": "exception", "error": row["Message"], "traceback": row["Traceback"],
                      "occurrences": int(row["Count"])} for row in csv.DictReader(fh)]
    return stats, failures


def run_locust(base_url, env, seeded, cast, film, args, folder, sampler):
    """Run bench/locust_soak.py headless for ``--minutes``, its process sampled too."""
    supervisors = sorted(email for email, ids in seeded["films"].items() if ids)
    env = dict(env, BENCH_PASSWORD=PASSWORD, BENCH_LEADERS=json.dumps(cast["leaders"]),
               BENCH_UPLOADER=cast["uploader"], BENCH_UPLOAD_SESSIONS=",".join(map(str, cast["sessions"])),
               BENCH_FILM=str(film), BENCH_SUPERVISORS=",".join(supervisors), BENCH_WAIT=SUPERVISOR_THINK,
               BENCH_FILMS=json.dumps({email: seeded["films"][email] for email in supervisors}))
    prefix = folder / "locust"
    proc = subprocess.Popen([str(VENV / "locust"), "-f", str(ROOT / "bench" / "locust_soak.py"), "--headless",
                             "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{round(args.minutes * 60)}s",
                             "--host", base_url, "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING"],
                            cwd=ROOT, env=env, stdout=open(folder / "locust.log", "wb"), stderr=subprocess.STDOUT)
    sampler.add("locust", proc.pid)
    proc.wait()  # exits 1 when a request failed: the CSV tells which
    if not Path(f"{prefix}_stats.csv").exists():
        sys.stderr.write((folder / "locust.log").read_text()[-4000:])
        raise SystemExit(f"locust ended ({proc.returncode}) without results")
    return read_locust(prefix)


def plot(stats, memory, title, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no chart")
        return
    names = [n for n, row in stats.items() if n != "Aggregated" and row["type"] != "FLOW"]
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 2]})
    x = range(len(names))
    for offset, key, label in ((-0.27, "p50_ms", "p50"), (0, "p95_ms", "p95"), (0.27, "p99_ms", "p99")):
        left.bar([i + offset for i in x], [max(stats[n][key], 1) for n in names], 0.27, label=label)
    left.set_yscale("log")
    left.set_xticks(list(x), names, rotation=30, ha="right", fontsize="small")
    left.set_ylabel("ms (log)")
    left.set_title("Latency per endpoint")
    left.legend()
    for name, row in memory.items():
        minutes = [t / 60 for t, _mib in row["series"]]
        style = "." if name in TRANSIENT else "-"
        right.plot(minutes, [mib for _t, mib in row["series"]], style, label=name)
    right.set_xlabel("minutes")
    right.set_ylabel("RSS MiB")
    right.set_title("Memory of each process")
    right.legend(fontsize="x-small", ncol=2)
    fig.suptitle(title)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"chart: {path}")


def print_summary(stats, memory, uploads, failures, errors):
    print(f"\n{'endpoint':<24} {'requests':>8} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6}")
    for name, row in stats.items():
        print(f"{name:<24} {row['requests']:>8} {row['failures']:>5} {row['p50_ms']:>7.0f} {row['p95_ms']:>7.0f} "
              f"{row['p99_ms']:>7.0f} {row['rps']:>6}")
    print(f"\n{'process (RSS MiB)':<26} {'start':>7} {'mid':>7} {'end':>7} {'max':>7} {'MiB/min, 2nd half':>18}")
    for name, row in memory.items():
        if name in TRANSIENT:  # alive only while a job runs: start, middle and end say nothing
            print(f"{name:<26} {'-':>7} {'-':>7} {'-':>7} {row['max_mib']:>7.1f} {'-':>18}  "
                  f"({row['samples']} samples during jobs)")
            continue
        slope = "-" if row["slope_mib_per_min"] is None else f"{row['slope_mib_per_min'] + 0:+.2f}"  # no -0.00
        mid = "-" if row["mid_mib"] is None else f"{row['mid_mib']:.1f}"
        print(f"{name:<26} {row['start_mib']:>7.1f} {mid:>7} {row['end_mib']:>7.1f} {row['max_mib']:>7.1f} "
              f"{slope:>18}")
    ready = uploads["uploaded_to_ready_s"]
    median = f"{statistics.median(ready):.0f}" if ready else "-"
    print(f"\nuploads: {uploads['completed']} completed, {uploads['processed']} processed "
          f"(database: {uploads['statuses']}); uploaded to ready median {median} s")
    print(f"errors: {errors} (target 0)")
    for failure in failures:
        print(f"  {failure['occurrences']}x {failure['method']} {failure['name']}: {failure['error'][:160]}")
        if failure.get("traceback"):
            print("    " + "\n    ".join(failure["traceback"].strip().splitlines()[-6:]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=50, help="locust users: one uploader, the rest leaders "
                        f"and supervisors {LEADER_WEIGHT}:{SUPERVISOR_WEIGHT}")
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--recordings", type=int, default=1000)
    parser.add_argument("--comments", type=int, default=10000)
    parser.add_argument("--spawn-rate", type=float, default=5, help="users started per second")
    parser.add_argument("--film-seconds", type=int, default=20, help="length of the uploaded film")
    parser.add_argument("--encode", action="store_true", help="upload a camera film (interlaced H.264/AC-3 "
                        "MPEG-TS) that the worker encodes to 720p, instead of an MP4 it copies")
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even when PostgreSQL answers")
    args = parser.parse_args()
    if args.users < 3:
        parser.error("--users must be at least 3 (an uploader, a leader and a supervisor)")

    procs = Processes()
    folder = Path(tempfile.mkdtemp(prefix="bench-soak-"))
    try:
        database = None if args.sqlite else postgres_available(PG_DB)
        database = database or f"sqlite:///{folder / 'bench.db'}"
        kind = database.split(":")[0].split("+")[0]
        (folder / "work").mkdir()
        env = dict(os.environ, PORTAL_ENV="development", DATABASE_URL=database,
                   REDIS_URL=start_redis(procs, folder), STORAGE_BACKEND="local",
                   STORAGE_PATH=str(folder / "storage"), WORKER_TMP_DIR=str(folder / "work"),
                   SECRET_KEY="b" * 40, TWO_FACTOR_REQUIRED="false",
                   LOGIN_LIMIT_ACCOUNT="1000 per minute", LOGIN_LIMIT_IP="1000 per minute",
                   MEDIA_MIN_DURATION_SECONDS="1")  # the soak's films last seconds, not a session's hours
        subprocess.run([str(VENV / "flask"), "--app", "app", "portal", "bootstrap"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        seeded = run_snippet(SEED, env, args.recordings, args.comments, SUPERVISORS, PASSWORD)
        # at most one upload every 8 s: a pause of 5-15 s, start, PUT, complete, processing, a 3 s poll
        cast = run_snippet(CAST, env, PASSWORD, args.users, int(args.minutes * 8) + 9)
        if database.startswith("postgresql"):
            analyze(database)
        print(f"seeded {seeded['recordings']} recordings, {seeded['comments']} comments, "
              f"{len(cast['sessions'])} sessions to upload to in {time.monotonic() - started:.0f}s "
              f"({kind})", flush=True)
        film = make_film(folder, args.film_seconds, args.encode)

        port = free_port()
        env["PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # signed storage URLs point at this server
        gunicorn = procs.start("gunicorn", [str(VENV / "gunicorn"), "-c", "config/gunicorn.conf.py", "--bind",
                                             f"127.0.0.1:{port}", "--workers", str(GUNICORN_WORKERS), "--threads",
                                             "4", "app:app"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(folder / "gunicorn.log", "wb"))
        worker = procs.start("rq worker", [str(VENV / "flask"), "--app", "app", "portal", "worker"], cwd=ROOT,
                             env=env, stdout=subprocess.DEVNULL, stderr=open(folder / "worker.log", "wb"))
        wait_port(port)
        wait_ready(f"http://127.0.0.1:{port}", env["REDIS_URL"])
        redis = next(proc for name, proc in procs.procs if name == "redis")
        sampler = MemorySampler({"gunicorn master": gunicorn.pid, "rq worker": worker.pid,
                                 "redis-server": redis.pid})
        load = os.getloadavg()
        print(f"{args.users} users for {args.minutes:g} min against {kind}; "
              f"memory sampled every {SAMPLE_S} s", flush=True)
        sampler.start()
        sampler.first.wait()  # before locust starts: its own first sample comes SAMPLE_S later, when it is up
        stats, failures = run_locust(f"http://127.0.0.1:{port}", env, seeded, cast, film, args, folder, sampler)
        sampler.stop()
        for name, proc in (("gunicorn", gunicorn), ("rq worker", worker)):
            if proc.poll() is not None:
                failures.append({"method": "-", "name": name, "error": f"exited {proc.returncode}",
                                 "occurrences": 1})
        replaced = len(sampler.workers) - GUNICORN_WORKERS  # killed on timeout or crashed; the master forks anew
        if replaced > 0:
            failures.append({"method": "-", "name": "gunicorn", "error": "worker replaced", "occurrences": replaced})
        uploads = run_snippet(UPLOADS, env)
        complete = stats.get("upload API: complete", {"requests": 0, "failures": 0})
        uploads |= {"sessions_seeded": len(cast["sessions"]),
                    "completed": complete["requests"] - complete["failures"],
                    "processed": uploads["statuses"].get("ready", 0)}
        memory = memory_summary(sampler.series, args.minutes * 60)
        # failed requests, and exceptions in the users' code or ended processes (method "-")
        errors = stats.get("Aggregated", {}).get("failures", 0) + sum(
            f["occurrences"] for f in failures if f["method"] == "-")
        print_summary(stats, memory, uploads, failures, errors)
        if failures:
            for log in ("gunicorn.log", "worker.log"):
                print(f"\n--- last lines of {log}")
                print("\n".join((folder / log).read_text(errors="replace").splitlines()[-15:]))

        results = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "database": kind,
                   "recordings": seeded["recordings"], "comments": seeded["comments"], "users": args.users,
                   "user_mix": {"uploader": 1, "leader_weight": LEADER_WEIGHT, "supervisor_weight": SUPERVISOR_WEIGHT},
                   "supervisor_think_s": SUPERVISOR_THINK, "minutes": args.minutes, "film_seconds": args.film_seconds,
                   "film": "interlaced H.264/AC-3 MPEG-TS (encode)" if args.encode else "H.264/AAC MP4 (copy)",
                   "film_bytes": film.stat().st_size, "gunicorn": f"{GUNICORN_WORKERS} workers x 4 threads",
                   "nproc": os.cpu_count(), "sample_s": SAMPLE_S, "load_before": [round(x, 2) for x in load],
                   "load_after": [round(x, 2) for x in os.getloadavg()], "errors": errors, "failures": failures,
                   "uploads": uploads, "stats": stats, "memory": memory}
        out = ROOT / "bench" / "results" / "soak.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(results, indent=2) + "\n")
        print(f"results: {out}")
        plot(stats, memory, f"{args.users} users for {args.minutes:g} min, {kind}, "
             f"{os.cpu_count()} cores", ROOT / "docs" / "benchmarks" / "soak.png")
        if errors:
            sys.exit(1)
    finally:
        procs.stop_all()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
