"""Supervision benchmark: page and API latency with a realistic amount of data, and how fast a
2.5-hour film starts and jumps in Chromium.

    .venv/bin/pip install locust==2.47.0 matplotlib==3.10.7   # once; `make test` doesn't need them
    .venv/bin/python bench/supervision_load.py [--recordings 5000] [--comments 50000] [--users 20]
                                               [--seconds 60] [--film-hours 2.5] [--sqlite]

In one run: a fresh database (PostgreSQL at 127.0.0.1:5432 when it answers, else SQLite) filled
with ``--recordings`` ready films and ``--comments`` comments across groups supervised by 50
supervisors; the app under gunicorn; ``--users`` locust users in a second process browsing the
queue, opening films and reading and writing comments for ``--seconds``; then Chromium opens the
player on a real ``--film-hours`` film on loopback and measures time to first frame and the time
to jump to five comments. Results: bench/results/supervision_load.json and
docs/benchmarks/supervision_load.png (when matplotlib is importable).
"""

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import PASSWORD, ROOT, VENV, Processes, free_port, start_redis, wait_port  # noqa: E402

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--autoplay-policy=no-user-gesture-required"]
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
PG_DB = "filmportalen_bench"
SUPERVISORS = 50

SEED = r"""
import json, random, sys, uuid
from datetime import date, timedelta
from portal import create_app
from portal.extensions import db
from portal.models import (Comment, Group, GroupLeader, GroupSession, GroupSupervisor, Program, Recording, User,
                           UserRole)
from portal.models.base import utcnow
from portal.services import accounts

recordings, comments, supervisors, password = (int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
random.seed(7)
app = create_app()
with app.app_context():
    org = accounts.get_or_create_organisation("Kommun bench")
    db.session.commit()
    first = accounts.create_user("sup-00@bench.example.org", "Handledare 00", ["supervisor"], org, password=password)
    db.session.commit()
    now = utcnow()

    def people(prefix, role, count):
        rows = [{"email": f"{prefix}-{i:04d}@bench.example.org", "name": f"{prefix} {i}", "organisation_id": org.id,
                 "language": "sv", "password_hash": first.password_hash, "active": True,
                 "security_stamp": uuid.uuid4().hex, "created_at": now, "notify_by_mail": False}
                for i in range(count)]
        db.session.execute(db.insert(User), rows)
        ids = db.session.scalars(db.select(User.id).where(User.email.like(f"{prefix}-%")).order_by(User.email)).all()
        db.session.execute(db.insert(UserRole), [{"user_id": i, "role": role} for i in ids])
        return ids

    sups = [first.id] + people("handl", "supervisor", supervisors - 1)
    program = db.session.scalar(db.select(Program).order_by(Program.id))
    per_group = 9
    group_count = -(-recordings // per_group)
    leaders = people("leader", "leader", 2 * group_count)
    groups = [Group(organisation_id=org.id, program_id=program.id, title=f"Grupp {g:04d}",
                    start_date=date(2026, 1, 5) + timedelta(days=g % 300), purpose="certification")
              for g in range(group_count)]
    db.session.add_all(groups)
    db.session.flush()
    db.session.execute(db.insert(GroupLeader), [
        {"group_id": g.id, "user_id": leaders[2 * n + k], "role": ("uploader", "co_leader")[k]}
        for n, g in enumerate(groups) for k in (0, 1)])
    db.session.execute(db.insert(GroupSupervisor), [
        {"group_id": g.id, "user_id": sups[n % len(sups)]} for n, g in enumerate(groups)])
    sessions = [GroupSession(group_id=g.id, number=k, title=f"Princip {k}", date=g.start_date + timedelta(weeks=k))
                for g in groups for k in range(0, per_group + 1)]
    db.session.add_all(sessions)
    db.session.flush()
    principle = [s for s in sessions if s.number > 0][:recordings]
    db.session.execute(db.insert(Recording), [
        {"public_id": uuid.uuid4().hex, "organisation_id": org.id, "group_session_id": s.id, "status": "ready",
         "expected_files": 1, "progress": 1.0, "attempts": 1, "duration": 9000.0, "created_at": now,
         "updated_at": now, "ready_at": now, "output_prefix": f"org/{org.id}/recordings/{uuid.uuid4().hex}/out",
         "media_info": {"storyboard": []}} for s in principle])
    rec_ids = db.session.scalars(db.select(Recording.id).order_by(Recording.id)).all()
    # comments: about a third are replies in an existing thread
    rows, roots = [], {}
    for n in range(comments):
        rid = random.choice(rec_ids)
        t = round(random.uniform(0, 8990), 2)
        rows.append({"recording_id": rid, "author_id": sups[0], "t_start": t,
                     "t_end": t + 30 if n % 5 == 0 else None, "category": random.choice(
                         ["content", "process", "strength", "develop", "question"]),
                     "body": f"Kommentar {n}: hur gruppen tog emot principen.", "visibility": "shared",
                     "created_at": now})
    for start in range(0, len(rows), 5000):
        db.session.execute(db.insert(Comment), rows[start:start + 5000])
    db.session.commit()
    # replies: every third comment answers the first comment of its film
    pairs = db.session.execute(db.select(Comment.id, Comment.recording_id).order_by(Comment.id)).all()
    firsts = {}
    for cid, rid in pairs:
        firsts.setdefault(rid, cid)
    updates = [{"id": cid, "parent_id": firsts[rid]} for cid, rid in pairs if cid % 3 == 0 and firsts[rid] != cid]
    for start in range(0, len(updates), 5000):
        db.session.execute(db.update(Comment), updates[start:start + 5000])
    db.session.commit()
    films = {}
    for email, uid in db.session.execute(db.select(User.email, User.id).join(UserRole)
                                         .where(UserRole.role == "supervisor")).all():
        films[email] = db.session.scalars(
            db.select(Recording.id).join(GroupSession).join(GroupSupervisor,
                                                            GroupSupervisor.group_id == GroupSession.group_id)
            .where(GroupSupervisor.user_id == uid)).all()
    print(json.dumps({"films": films, "recordings": len(rec_ids),
                      "comments": db.session.scalar(db.select(db.func.count(Comment.id)))}))
"""

LONG_FILM = r"""
import json, os, sys, tempfile
from portal import create_app
from portal.extensions import db
from portal.models import Comment, Recording
from portal.services.storage import get_storage
from workers.media.pipeline import process

source, recording_id = sys.argv[1], int(sys.argv[2])
app = create_app()
with app.app_context():
    recording = db.session.get(Recording, recording_id)
    workdir = tempfile.mkdtemp(dir=os.path.dirname(source))
    result = process([source], workdir)
    storage = get_storage()
    for path, kind in [(result.video, "video/mp4"), (result.poster, "image/jpeg"), (result.thumbnail, "image/jpeg"),
                       (result.vtt, "text/vtt"), *[(s, "image/jpeg") for s in result.sheets]]:
        storage.upload_from(path, f"{recording.output_prefix}/{os.path.basename(path)}", kind)
    recording.media_info = result.summary()
    recording.duration = result.duration
    times = db.session.scalars(db.select(Comment.t_start).where(Comment.recording_id == recording_id,
                                                                Comment.parent_id.is_(None))
                               .order_by(Comment.t_start)).all()
    db.session.commit()
    print(json.dumps({"path": result.path, "duration": result.duration, "comment_times": times,
                      "bytes": os.path.getsize(result.video)}))
"""


def run_snippet(code, env, *args):
    """Run ``code`` with the app's environment; its last stdout line is JSON. Shows stderr on failure."""
    done = subprocess.run([str(VENV / "python"), "-c", code, *map(str, args)], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-4000:])
        raise SystemExit(f"setup step failed ({done.returncode})")
    return json.loads(done.stdout.strip().splitlines()[-1])


def postgres_available(name=PG_DB):
    """The URL of a fresh PostgreSQL database ``name`` (dropped first if it exists), or None
    when PostgreSQL does not answer at 127.0.0.1:5432."""
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {name}"))
        engine.dispose()
        return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    except Exception as error:  # noqa: BLE001 - any failure means: use SQLite
        print(f"PostgreSQL not usable ({type(error).__name__}); using SQLite")
        return None


def analyze(url):
    """Refresh PostgreSQL's statistics after the bulk insert, as autovacuum soon would in production:
    right after it the planner still thinks the tables are nearly empty and picks slow plans."""
    import sqlalchemy as sa

    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(sa.text("ANALYZE"))
    engine.dispose()


def make_long_film(folder, hours):
    """A ``hours``-long 640x360 H.264/AAC MP4: ten generated minutes joined by stream copy."""
    chunk = folder / "chunk.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi", "-i",
                    "testsrc2=size=640x360:rate=25:duration=600", "-f", "lavfi", "-i",
                    "sine=frequency=440:sample_rate=48000:duration=600", "-c:v", "libx264", "-preset", "ultrafast",
                    "-g", "50", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "96k", str(chunk)], check=True)
    copies = max(1, round(hours * 6))
    listing = folder / "list.txt"
    listing.write_text("".join(f"file '{chunk}'\n" for _ in range(copies)))
    film = folder / "long.mp4"
    subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0", "-i",
                    str(listing), "-c", "copy", str(film)], check=True)
    return film


def run_locust(base_url, films, users, seconds, folder, think, warmup=0):
    supervisors = sorted(email for email, ids in films.items() if ids)
    env = dict(os.environ, BENCH_SUPERVISORS=",".join(supervisors), BENCH_PASSWORD=PASSWORD, BENCH_WAIT=think,
               BENCH_WARMUP=str(warmup),
               BENCH_FILMS=json.dumps({email: films[email] for email in supervisors}))
    prefix = folder / "locust"
    subprocess.run([str(VENV / "locust"), "-f", str(ROOT / "bench" / "locust_supervision.py"), "--headless",
                    "-u", str(users), "-r", str(users), "-t", f"{seconds + warmup}s", "--host", base_url,
                    "--csv", str(prefix),
                    "--only-summary", "--loglevel", "WARNING"], cwd=ROOT, env=env, check=False)  # failures: below
    stats = {}
    with open(f"{prefix}_stats.csv", newline="") as fh:
        for row in csv.DictReader(fh):
            stats[row["Name"]] = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                                  "p50_ms": float(row["50%"]), "p95_ms": float(row["95%"]),
                                  "p99_ms": float(row["99%"]), "rps": round(float(row["Requests/s"]), 1)}
    return stats


BROWSER_JS_FIRST_FRAME = """async () => {
  const v = document.getElementById('video');
  const deadline = Date.now() + 30000;
  while (!v.currentSrc && Date.now() < deadline) await new Promise(r => setTimeout(r, 10));
  v.muted = true;
  const frame = new Promise(r => v.requestVideoFrameCallback(() => r(performance.now())));
  v.play().catch(() => {});
  return await frame;
}"""
BROWSER_JS_SEEK = """async (t) => {
  const v = document.getElementById('video');
  const t0 = performance.now();
  const frame = new Promise(r => v.requestVideoFrameCallback(() => r(performance.now())));
  v.currentTime = t;
  await new Promise(r => v.addEventListener('seeked', r, {once: true}));
  const shown = await frame;
  return {ms: shown - t0, at: v.currentTime};
}"""


def browser_login(page, base_url, email):
    """Log ``page`` in through the form and wait for the answer."""
    page.goto(f"{base_url}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")


def browser_playback(base_url, recording_id, times, duration):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page()
            browser_login(page, base_url, "sup-00@bench.example.org")
            results = []
            for _run in range(3):
                page.goto(f"{base_url}/review/recordings/{recording_id}")
                results.append(page.evaluate(BROWSER_JS_FIRST_FRAME))
            picks = [times[len(times) * k // 5] for k in range(5)] if len(times) >= 5 else times
            picks += [round(duration * k / 6, 2) for k in range(1, 6 - len(picks))]  # too few comments
            seeks = [page.evaluate(BROWSER_JS_SEEK, t) for t in picks]
            return {"first_frame_ms": [round(x, 1) for x in results],
                    "seek_ms": [round(s["ms"], 1) for s in seeks], "seek_to": picks}
        finally:
            browser.close()


def plot(stats, playback, path, title):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib not installed: no chart")
        return
    names = [n for n in stats if n not in ("Aggregated", "login", "login page") and "warm-up" not in n]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    x = range(len(names))
    left.bar([i - 0.2 for i in x], [stats[n]["p50_ms"] for n in names], 0.4, label="p50")
    left.bar([i + 0.2 for i in x], [stats[n]["p95_ms"] for n in names], 0.4, label="p95")
    left.axhline(100, color="red", linestyle="--", linewidth=1, label="target p95 100 ms")
    left.set_xticks(list(x), names, rotation=15)
    left.set_ylabel("ms")
    left.set_title(title)
    left.legend()
    right.bar(["first frame", "jump (max)"], [max(playback["first_frame_ms"]), max(playback["seek_ms"])],
              color=["#2563eb", "#16a34a"])
    for limit, label in ((2000, "2 s"), (1000, "1 s")):
        right.axhline(limit, color="red", linestyle="--", linewidth=1)
        right.text(1.45, limit, label, color="red", va="bottom")
    right.set_ylabel("ms")
    right.set_title("2.5 h film in Chromium (loopback)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    print(f"chart: {path}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--recordings", type=int, default=5000)
    parser.add_argument("--comments", type=int, default=50000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--film-hours", type=float, default=2.5)
    parser.add_argument("--sqlite", action="store_true", help="use SQLite even when PostgreSQL answers")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium playback part")
    parser.add_argument("--warmup", type=int, default=15,
                        help="seconds before --seconds start counting: the users log in, reported apart")
    parser.add_argument("--tag", default="", help="suffix for the result and chart file names")
    parser.add_argument("--think", default="0.05,0.2",
                        help="each user's pause between requests, min,max seconds (default: 0.05,0.2, which "
                             "keeps the server saturated; 1,3 is closer to a person clicking through films)")
    args = parser.parse_args()

    procs = Processes()
    folder = Path(tempfile.mkdtemp(prefix="bench-supervision-"))
    try:
        database = None if args.sqlite else postgres_available()
        database = database or f"sqlite:///{folder / 'bench.db'}"
        env = dict(os.environ, PORTAL_ENV="development", DATABASE_URL=database,
                   REDIS_URL=start_redis(procs, folder), STORAGE_PATH=str(folder / "storage"),
                   SECRET_KEY="b" * 40, TWO_FACTOR_REQUIRED="false",
                   LOGIN_LIMIT_ACCOUNT="1000 per minute", LOGIN_LIMIT_IP="1000 per minute")
        subprocess.run([str(VENV / "flask"), "--app", "app", "portal", "bootstrap"], cwd=ROOT, env=env, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        started = time.monotonic()
        seeded = run_snippet(SEED, env, args.recordings, args.comments, SUPERVISORS, PASSWORD)
        if database.startswith("postgresql"):
            analyze(database)
        print(f"seeded {seeded['recordings']} recordings, {seeded['comments']} comments "
              f"in {time.monotonic() - started:.0f}s ({database.split(':')[0]})")

        started = time.monotonic()
        long_id = seeded["films"]["sup-00@bench.example.org"][0]
        film = make_long_film(folder, args.film_hours)
        made = run_snippet(LONG_FILM, env, film, long_id)
        print(f"long film: {made['duration']:.0f}s via {made['path']}, {made['bytes'] / 2**20:.0f} MiB, "
              f"made in {time.monotonic() - started:.0f}s")

        port = free_port()
        env["PUBLIC_URL"] = f"http://127.0.0.1:{port}"  # signed storage URLs point at this server
        procs.start("gunicorn", [str(VENV / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "3",
                                 "--threads", "4", "app:app"], cwd=ROOT, env=env,
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(port)
        base_url = f"http://127.0.0.1:{port}"
        load = os.getloadavg()
        stats = run_locust(base_url, seeded["films"], args.users, args.seconds, folder, args.think, args.warmup)
        playback = None if args.no_browser else browser_playback(base_url, long_id, made["comment_times"],
                                                                 made["duration"])

        print(f"\n{'endpoint':<22} {'requests':>8} {'fail':>5} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>6}")
        for name, row in stats.items():
            print(f"{name:<22} {row['requests']:>8} {row['failures']:>5} {row['p50_ms']:>7.0f} {row['p95_ms']:>7.0f} "
                  f"{row['p99_ms']:>7.0f} {row['rps']:>6}")
        if playback:
            print(f"\nfirst frame (ms, 3 page loads): {playback['first_frame_ms']}")
            print(f"jump to a comment (ms, 5 jumps): {playback['seek_ms']}")
        results = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "database": database.split(":")[0],
                   "recordings": seeded["recordings"], "comments": seeded["comments"], "users": args.users,
                   "seconds": args.seconds, "warmup_s": args.warmup, "think_s": args.think,
                   "load_before": [round(x, 2) for x in load],
                   "load_after": [round(x, 2) for x in os.getloadavg()], "film": made | {"comment_times": None},
                   "stats": stats, "playback": playback}
        suffix = f"-{args.tag}" if args.tag else ""
        out = ROOT / "bench" / "results" / f"supervision_load{suffix}.json"
        out.parent.mkdir(exist_ok=True)
        out.write_text(json.dumps(results, indent=2))
        if playback:
            plot(stats, playback, ROOT / "docs" / "benchmarks" / f"supervision_load{suffix}.png",
                 f"{args.users} users, {args.think} s between requests")
    finally:
        procs.stop_all()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
