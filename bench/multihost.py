"""Several hosts, for real: the portal deployed as separate hosts joined only by a network, one
long film processed across two worker hosts, one of them cut off in the middle of its work.

    .venv/bin/python bench/multihost.py [--minutes 6] [--cut link|kill|none] [--cut-at 0.3]

Needs root (network namespaces). Builds a bridge and four hosts, each a network namespace with its
own address on 10.219.19.0/24 (bench/multihost/netns.py):

    fp-services  .10  PostgreSQL (its own initdb), Redis (append-only), SeaweedFS's S3 gateway
    fp-web       .20  gunicorn (PORTAL_ENV=production), migrations run from here
    fp-worker1   .31  the Procfile's `worker` (heavy, light) and `quick` (light)
    fp-worker2   .32  the same
    root ns      .1   the client: the leader's API upload, and the operator reading the figures

then makes an organisation, its people and a group (bench/multihost/world.py, on the web host),
issues the leader an API token (`flask portal create-token`), uploads a generated HEVC 1080p film
(cached under --cache) through the resumable upload API over the network, and follows it until
it is ready. With ``--cut`` it cuts off the worker host busy with the film once the film's
progress passes ``--cut-at``: ``link`` pulls the host's cable (its eth0 goes down, its
processes live on), ``kill`` SIGKILLs every process on it. It then checks that the film ends
ready with nothing lost (every frame and second of the source in the output, every published
object in the store, one ``recording.ready``), prints a markdown table of the figures and
tears everything down (processes, namespaces, bridge, data), also on Ctrl-C or an error; a run
after one that died cleans up its leftovers first. Logs stay in --logs.
"""

import argparse
import json
import os
import re
import shutil
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "multihost"))

import client  # noqa: E402
import film  # noqa: E402
import hosts  # noqa: E402
import netns  # noqa: E402

PASSWORD = "multihost correct horse battery"  # noqa: S105 - throwaway users of a throwaway database
WORKDIR = Path("/tmp/fp-multihost")  # noqa: S108 - removed at exit and at the next start
MiB = 1024 * 1024


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=6, help="length of the generated film (default 6)")
    parser.add_argument("--cut", choices=("link", "kill", "none"), default="link",
                        help="how the busy worker host is cut off (default link)")
    parser.add_argument("--cut-at", type=float, default=0.3, help="film progress at which to cut (0-1)")
    parser.add_argument("--stale-seconds", type=int, default=30,
                        help="PROCESSING_STALE_SECONDS of every host (default 30; production 180)")
    parser.add_argument("--reconcile-seconds", type=int, default=10,
                        help="RECONCILE_SECONDS of every host (default 10; production 60)")
    parser.add_argument("--chunk-seconds", type=int,
                        help="MEDIA_CHUNK_SECONDS of every host (default: the app's, 120)")
    parser.add_argument("--first-chunk-seconds", type=int,
                        help="MEDIA_FIRST_CHUNK_SECONDS of every host (default: the app's, 10)")
    parser.add_argument("--timeout", type=int, default=3600, help="seconds the film may take to be ready")
    parser.add_argument("--cache", default="/var/tmp/fp-multihost-cache",  # noqa: S108 - root's bench cache
                        help="where generated films are kept")
    parser.add_argument("--logs", default="/tmp/fp-multihost-logs",  # noqa: S108 - kept for reading
                        help="every process's log, kept after the run (emptied at the start)")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def say(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def kill_pids(pids):
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def clean_slate(logs):
    """Whatever an earlier run left: namespaces (and their processes), bridge, data, sockets."""
    netns.destroy(kill_pids)
    shutil.rmtree(WORKDIR, ignore_errors=True)
    for sock in hosts.weed_sockets():
        sock.unlink(missing_ok=True)
    shutil.rmtree(logs, ignore_errors=True)
    Path(logs).mkdir(parents=True)
    WORKDIR.mkdir(mode=0o755)


def settings(args):
    """The environment variables the run sets on every app host (besides where the services are)."""
    chosen = {"PROCESSING_STALE_SECONDS": args.stale_seconds, "RECONCILE_SECONDS": args.reconcile_seconds,
              "MEDIA_CHUNK_SECONDS": args.chunk_seconds, "MEDIA_FIRST_CHUNK_SECONDS": args.first_chunk_seconds}
    return {name: str(value) for name, value in chosen.items() if value is not None}


def deploy(deployment):
    """Every host up; returns the world's ids, the leader's token and the app hosts' environment."""
    netns.create()
    say(f"hosts: {', '.join(f'{h} {a}' for h, a in netns.HOSTS.items())}; client {netns.CLIENT_IP}")
    deployment.start_postgres()
    deployment.start_redis()
    deployment.start_seaweedfs()
    say("fp-services: PostgreSQL, Redis and SeaweedFS's S3 gateway answer")
    deployment.migrate()
    web_env = deployment.app_env("fp-web")
    world = json.loads(hosts.run_on("fp-web", [hosts.VENV / "python", "bench/multihost/world.py", PASSWORD],
                                    web_env).strip().splitlines()[-1])
    token = hosts.run_on("fp-web", [hosts.VENV / "flask", "--app", "app", "portal", "create-token", "--email",
                                    world["leader"], "--name", "multihost"], web_env).strip().splitlines()[-1]
    deployment.start_web()
    for worker in hosts.WORKERS:
        deployment.start_workers(worker)
    hosts.wait_for(lambda: len(registered_hosts(web_env["REDIS_URL"])) == len(hosts.WORKERS),
                   "the workers' registration in Redis", deployment, timeout=90)
    say(f"fp-web: gunicorn on {web_env['PUBLIC_URL']}; workers on {', '.join(hosts.WORKERS)}")
    return world, token, web_env


def registered_hosts(redis_url):
    from redis import Redis
    from rq import Worker

    return {w.hostname for w in Worker.all(connection=Redis.from_url(redis_url))}


def cut_off(deployment, host, mode):
    """Cut ``host`` off the network (``link``) or kill every process on it (``kill``). Either
    way its processes may end from now on (an RQ worker that cannot reach Redis exits)."""
    for proc in deployment.processes_of(host):
        proc.expected_end = True
    if mode == "link":
        netns.cut(host)
    else:
        kill_pids(netns.pids_in(host))


PART_JOB = re.compile(r"^encode-part-(\d+)$")


def follow(args, deployment, api, db, redis_url, recording_id, uploaded_at):
    """Poll until the film is ready, cutting a busy worker host off on the way; returns the
    timeline (seconds after the upload completed)."""
    timeline = {"cut": None, "cut_host": None, "cut_jobs": [], "taken_over": None, "first_playable": None,
                "processing": None, "ready": None}
    snapshot = None
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        now = time.monotonic() - uploaded_at
        state = api.recording(recording_id)
        row = db.recording(recording_id)
        if state["status"] in ("failed", "rejected", "deleted"):
            raise RuntimeError(f"the film ended {state['status']}: {state['reason']} {state.get('reason_text')}")
        if state["status"] == "processing" and timeline["processing"] is None:
            timeline["processing"] = now
        if timeline["first_playable"] is None and (row["playable_seconds"] or 0) > 0:
            timeline["first_playable"] = now
            say(f"first playable {now:.1f}s after the upload ({row['playable_seconds']:.0f} s of film)")
        if args.cut != "none" and timeline["cut"] is None and state["status"] == "processing" \
                and state["progress"] >= args.cut_at:
            snapshot = maybe_cut(args, deployment, db, redis_url, row, state, timeline, now)
        if snapshot is not None and timeline["taken_over"] is None and taken_over(db, row, snapshot):
            timeline["taken_over"] = now
            say(f"the cut work is taken over {now - timeline['cut']:.1f}s after the cut")
        if state["status"] == "ready":
            timeline["ready"] = now
            if timeline["first_playable"] is None:
                timeline["first_playable"] = now  # a film published whole is playable once ready
            return timeline
        deployment.check_alive()
        time.sleep(0.5)
    raise RuntimeError(f"the film was not ready within {args.timeout}s: {api.recording(recording_id)}")


def maybe_cut(args, deployment, db, redis_url, row, state, timeline, now):
    """Cut off a worker host that is in the middle of a job of the film (running for 3 s at
    least, and for a chunk job, its part still at work: progress moves when a part is done, and
    RQ shows that part's host busy a moment longer); returns what it held (the recording's run
    token, its chunks' tokens), or None when no host is mid-job right now."""
    candidates = {}
    for host, jobs in client.busy_workers(redis_url).items():
        part_ids = [int(m.group(1)) for job_id, _d, _r in jobs if (m := PART_JOB.match(job_id))]
        working = db.part_tokens(part_ids, working=True)
        if any(running >= 3 for _id, _d, running in jobs) and len(working) == len(part_ids):
            candidates[host] = (jobs, working)
    if not candidates:
        return None
    host = sorted(candidates)[0]
    jobs, working = candidates[host]
    snapshot = {"job_token": row["job_token"], "parts": working}
    cut_off(deployment, host, args.cut)
    timeline.update(cut=now, cut_host=host, progress_at_cut=state["progress"],
                    cut_jobs=[description for _id, description, _r in jobs])
    say(f"cut {host} off ({args.cut}) at progress {state['progress']:.2f}, mid-job: {timeline['cut_jobs']}")
    return snapshot


def taken_over(db, row, snapshot):
    """True once the work the cut host held is held by another job: every chunk it had has
    another job token, or (a film processed whole) the recording has another run's token."""
    if snapshot["parts"]:
        now = db.part_tokens(snapshot["parts"])
        return all(now.get(pid) not in (None, token) for pid, token in snapshot["parts"].items())
    return row["status"] == "ready" or row["job_token"] not in (None, snapshot["job_token"])


ANSI = re.compile(r"\x1b\[[0-9;]*m")
STARTED = re.compile(r"(?:first|heavy): (?!Job OK)(\S+\(.*?\)) \((\S+)\)")
DONE = re.compile(r"(?:first|heavy): Job OK \((\S+)\)")
PART_DONE = re.compile(r"film part (\d+) \((\w+) #(\d+) of recording (\d+)\) is done")


def jobs_per_host(deployment):
    """From each worker host's log, the encode jobs it started and finished and the film parts it
    made: ``{host: {"started": [description...], "done": n, "parts": ["video #0", ...]}}`` (RQ logs
    ``<queue>: <description> (<id>)`` and ``Job OK (<id>)``; a chunk job logs its part done)."""
    result = {}
    for host in hosts.WORKERS:
        text = ANSI.sub("", deployment.log_path(host, "worker").read_text(errors="replace"))
        started = STARTED.findall(text)
        done = set(DONE.findall(text))
        result[host] = {"started": [d for d, _id in started], "done": sum(1 for _d, i in started if i in done),
                        "parts": [f"{track} #{number}" for _id, track, number, _rec in PART_DONE.findall(text)]}
    return result


def verify(db, s3, recording_id, source):
    """What the finished film holds against its source. :raise AssertionError: on a loss."""
    row = db.recording(recording_id)
    assert row["status"] == "ready", row
    prefix = row["output_prefix"]
    run = prefix.rsplit("/", 1)[-1]
    keys = {o["Key"][len(prefix) + 1:] for page in s3.get_paginator("list_objects_v2").paginate(
        Bucket=hosts.BUCKET, Prefix=prefix + "/") for o in page.get("Contents", [])}
    segments = db.segments(recording_id, run)
    if segments:
        missing = sorted({name for seg in segments for name in seg[4:6]} - keys)
        video = [seg for seg in segments if seg[0] == "video"]
        audio = [seg for seg in segments if seg[0] == "audio"]
        out = {"kind": "hls", "segments": len(segments), "missing_objects": missing,
               "seconds": round(sum(seg[3] for seg in video), 3),
               "audio_seconds": round(sum(seg[3] for seg in audio), 3),
               "frames": 0 if missing else count_hls_frames(s3, prefix, video),
               "parts": {f"{t} #{p}": status for t, p, status, _a in db.parts(recording_id, run).values()}}
    else:
        mp4 = [k for k in keys if k.endswith(".mp4")]
        assert len(mp4) == 1, keys
        url = s3.generate_presigned_url("get_object", Params={"Bucket": hosts.BUCKET, "Key": f"{prefix}/{mp4[0]}"},
                                        ExpiresIn=600)
        counted = film.count(url)
        out = {"kind": "mp4", "missing_objects": [], "frames": counted["frames"], "seconds": counted["seconds"],
               "audio_seconds": film.count(url, "a:0")["seconds"], "video": f"{counted['codec']} {counted['size']}"}
    out.update(objects=len(keys), run=run, duration=row["duration"], attempts=row["attempts"],
               ready_rows=db.audit_count("recording.ready", recording_id),
               other_runs=sorted(other_runs(s3, prefix) - {run}))
    out["lost_frames"] = max(0, source["frames"] - out["frames"])
    out["extra_frames"] = max(0, out["frames"] - source["frames"])  # the encode may repeat the last one
    out["ok"] = (out["lost_frames"] == 0 and not out["missing_objects"] and out["ready_rows"] == 1
                 and abs(out["seconds"] - source["seconds"]) < 0.5)
    return out


def other_runs(s3, prefix):
    """The runs with objects under the recording's ``out/`` folder: this one, and any other run's
    leftovers (a cut run that uploaded before it lost its claim)."""
    parent = prefix.rsplit("/", 1)[0] + "/"
    return {o["Key"][len(parent):].split("/")[0]
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=hosts.BUCKET, Prefix=parent)
            for o in page.get("Contents", [])}


def count_hls_frames(s3, prefix, video):
    """Frames of the published video track, part by part: each part's init segment and media
    segments joined into one fMP4 and its packets counted."""
    folder = WORKDIR / "verify"
    folder.mkdir(exist_ok=True)
    total = 0
    for number in sorted({seg[1] for seg in video}):
        joined = folder / f"video-{number}.mp4"
        with open(joined, "wb") as out:
            written = set()
            for _t, part, _i, _d, name, init in video:
                if part != number:
                    continue
                for key in ([init] if init not in written else []) + [name]:
                    out.write(s3.get_object(Bucket=hosts.BUCKET, Key=f"{prefix}/{key}")["Body"].read())
                written.add(init)
        total += film.count(joined)["frames"]
        joined.unlink()
    return total


def table(args, source, film_path, upload, timeline, per_host, checked):
    """The figures as a markdown table."""
    def at(key):
        value = timeline.get(key)
        return "–" if value is None else f"{value:.1f} s"

    cut = timeline["cut"]
    lines = [
        "| figure | value |", "|---|---|",
        f"| film | {args.minutes:g} min HEVC {source['size']} {film.FPS} fps, {source['frames']} frames, "
        f"{os.path.getsize(film_path) / MiB:.0f} MiB |",
        f"| upload (API + signed PUTs to SeaweedFS) | {upload['seconds']:.1f} s, {upload['mib_s']:.1f} MiB/s |",
        f"| processing started | {at('processing')} after the upload |",
        f"| first playable | {at('first_playable')} after the upload |",
        f"| fully ready | {at('ready')} after the upload |",
    ]
    if cut is not None:
        took = timeline["taken_over"]
        lines += [
            f"| cut | {timeline['cut_host']} ({args.cut}) at {cut:.1f} s, progress "
            f"{timeline['progress_at_cut']:.2f} |",
            f"| recovery (cut → work taken over by another host) | "
            f"{'–' if took is None else f'{took - cut:.1f} s'} |",
            f"| cut → ready | {timeline['ready'] - cut:.1f} s |",
        ]
    for host, jobs in per_host.items():
        parts = f"; parts made: {', '.join(jobs['parts'])}" if jobs["parts"] else ""
        lines.append(f"| encode jobs on {host} | {len(jobs['started'])} started, {jobs['done']} done{parts} |")
    lines += [
        f"| output ({checked['kind']}) | {checked['frames']} frames of {source['frames']} "
        f"({checked['lost_frames']} lost, {checked['extra_frames']} extra), "
        f"{checked['seconds']:.2f} s of {source['seconds']:.2f} s, {checked['objects']} objects, "
        f"{len(checked['missing_objects'])} missing |",
        f"| runs | {checked['attempts']} attempts, {checked['ready_rows']} recording.ready, other runs' "
        f"outputs left: {len(checked['other_runs'])} |",
        f"| settings | {', '.join(f'{k}={v}' for k, v in settings(args).items())} |",
    ]
    return "\n".join(lines)


def run(args):
    say(f"film: {args.minutes:g} min HEVC 1080p in {args.cache}")
    film_path = film.make(args.cache, args.minutes)
    source = film.count(film_path)
    clean_slate(args.logs)
    deployment = hosts.Deployment(WORKDIR, args.logs, settings(args))
    try:
        world, token, env = deploy(deployment)
        api = client.Api(env["PUBLIC_URL"], token)
        recording_id, size, seconds = api.upload(world["session"], film_path)
        uploaded_at = time.monotonic()
        upload = {"bytes": size, "seconds": seconds, "mib_s": size / MiB / seconds}
        say(f"uploaded {size / MiB:.0f} MiB in {seconds:.1f}s as recording {recording_id}")
        db = client.Database(env["DATABASE_URL"])
        timeline = follow(args, deployment, api, db, env["REDIS_URL"], recording_id, uploaded_at)
        say(f"ready {timeline['ready']:.1f}s after the upload")
        if args.cut == "link" and timeline["cut_host"]:
            netns.mend(timeline["cut_host"])  # the host comes back: its stale run must change nothing
            time.sleep(args.stale_seconds)
        time.sleep(3)  # the last job logs "Job OK" just after it made the film ready
        checked = verify(db, hosts.s3_client(), recording_id, source)
        per_host = jobs_per_host(deployment)
        print("\n" + table(args, source, film_path, upload, timeline, per_host, checked) + "\n", flush=True)
        result = {"args": vars(args), "source": source, "upload": upload, "timeline": timeline,
                  "jobs_per_host": per_host, "output": checked}
        if args.json:
            Path(args.json).write_text(json.dumps(result, indent=2, default=str))
        if not checked["ok"]:
            raise SystemExit(f"something was lost: {checked}")
        return result
    finally:
        say("tearing down")
        deployment.stop_all()
        netns.destroy(kill_pids)
        shutil.rmtree(WORKDIR, ignore_errors=True)
        for sock in hosts.weed_sockets():
            sock.unlink(missing_ok=True)
        say(f"logs kept in {args.logs}")


def main():
    args = parse_args()
    if os.geteuid() != 0:
        sys.exit("bench/multihost.py needs root: it creates network namespaces")
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # run the teardown in `finally`
    signal.signal(signal.SIGHUP, lambda *_: sys.exit(129))
    run(args)


if __name__ == "__main__":
    main()
