"""Upload benchmark: a large file through the real browser path (Playwright + Chromium + Uppy,
presigned multipart PUTs straight to S3) against boto3's upload_file of the same file to the
same S3 endpoint, in one run.

    .venv/bin/python bench/upload_throughput.py [--size-mib 2048]

Starts, each in its own process: moto's S3 server, a private redis-server and the app under
gunicorn (STORAGE_BACKEND=s3). Reports throughput of each path, the browser/boto3 ratio and the
CPU seconds the gunicorn processes (master + workers) and moto spent during the browser upload.
Results: bench/results/upload_throughput.json (+ docs/benchmarks/upload_throughput.png when
matplotlib is importable).
"""

import argparse
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv" / "bin"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
MiB = 1024 * 1024
PASSWORD = "correct horse battery staple"  # noqa: S105 - throwaway bench user
LEADER = "lena-bench@example.org"
BUCKET = "portal-bench"
TICKS = os.sysconf("SC_CLK_TCK")


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


def cpu_seconds(pid):
    """utime + stime of one process, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except FileNotFoundError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # fields 14 and 15 of stat(5)


def children(pid):
    kids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            except (FileNotFoundError, ProcessLookupError):
                continue
            if ppid == pid:
                kids.append(int(entry))
    return kids


def tree_cpu(pid):
    """CPU seconds of ``pid`` and all its descendants (gunicorn master + workers)."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(children(p))
    return sum(cpu_seconds(p) for p in pids), pids


class Processes:
    """Child processes, each in its own process group, stopped on close."""

    def __init__(self):
        self.procs = []

    def start(self, name, args, **kwargs):
        proc = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.procs.append((name, proc))
        return proc

    def stop_all(self):
        for _name, proc in reversed(self.procs):
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                proc.wait(timeout=5)


def make_file(path, size_mib):
    chunk = 64 * MiB
    remaining = size_mib * MiB
    with open(path, "wb") as fh:
        while remaining:
            n = min(chunk, remaining)
            fh.write(os.urandom(n))
            remaining -= n
    return path.stat().st_size


def s3_client(endpoint):
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")  # noqa: S106 - moto


def set_up_bucket(client, endpoint):
    client.create_bucket(Bucket=BUCKET, ACL="private")
    client.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True,
        "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["*"], "AllowedMethods": ["PUT", "GET", "HEAD"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    # Does moto honour the bucket's CORS rule? (the browser needs ETag exposed on part PUTs)
    req = urllib.request.Request(f"{endpoint}/{BUCKET}/cors-probe", data=b"x", method="PUT",  # noqa: S310
                                 headers={"Origin": "http://127.0.0.1:1"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our http:// moto
            headers = {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as error:  # unsigned PUT to a private bucket may be refused
        headers = {k.lower(): v for k, v in error.headers.items()}
    expose = headers.get("access-control-expose-headers", "")
    return {"allow_origin": headers.get("access-control-allow-origin"), "expose_headers": expose,
            "etag_exposed": "etag" in expose.lower()}


SETUP_SNIPPET = r"""
import json, sys
from datetime import date
from portal import create_app
from portal.extensions import db
from portal.models import GroupSession, User
from portal.services import accounts, consent, groups, programs

password = sys.argv[1]
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
    session_id = [s.id for s in group.sessions][1]  # 0 is the information meeting
    consent.confirm_attendance(db.session.get(GroupSession, session_id), [], leader)
    db.session.commit()
    print(json.dumps({"group": group.id, "session": session_id}))
"""


def browser_upload(base_url, session_id, film, gunicorn_pid, moto_pid, timeout_s):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url, locale="sv-SE")
            context.set_default_timeout(60_000)
            page = context.new_page()
            console_errors = []
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
            page.goto("/login")
            page.fill("input[name=email]", LEADER)
            page.fill("input[name=password]", PASSWORD)
            page.click("form button[type=submit]")
            page.wait_for_load_state()
            page.goto(f"/sessions/{session_id}/upload")
            page.wait_for_selector(".uppy-Dashboard")
            page.locator(".uppy-Dashboard-input").first.set_input_files([str(film)])
            button = page.locator(".uppy-StatusBar-actionBtn--upload")
            button.wait_for()
            web_before, _ = tree_cpu(gunicorn_pid)
            moto_before, _ = tree_cpu(moto_pid)
            started = time.monotonic()
            button.click()
            expect(page.locator("#recording-status-text")).not_to_be_empty(timeout=timeout_s * 1000)
            elapsed = time.monotonic() - started
            web_after, web_pids = tree_cpu(gunicorn_pid)
            moto_after, _ = tree_cpu(moto_pid)
            status_text = page.locator("#recording-status-text").inner_text()
        finally:
            browser.close()
    return {"seconds": elapsed, "web_cpu_s": web_after - web_before, "web_pids": web_pids,
            "moto_cpu_s": moto_after - moto_before, "status_text": status_text,
            "console_errors": console_errors}


def boto3_upload(client, film, key, config, moto_pid):
    moto_before, _ = tree_cpu(moto_pid)
    started = time.monotonic()
    if config is None:
        client.upload_file(str(film), BUCKET, key)
    else:
        client.upload_file(str(film), BUCKET, key, Config=config)
    elapsed = time.monotonic() - started
    moto_after, _ = tree_cpu(moto_pid)
    size = client.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
    client.delete_object(Bucket=BUCKET, Key=key)  # moto keeps objects in memory
    return {"seconds": elapsed, "moto_cpu_s": moto_after - moto_before, "object_size": size}


def chart(result, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    rows = result["rows"]
    labels = [r["path"].replace(" (", "\n(") for r in rows]
    values = [r["mib_per_s"] for r in rows]
    fig, ax = plt.subplots(figsize=(8, 4))
    bars = ax.bar(labels, values, color=["#1f77b4"] + ["#7f7f7f"] * (len(rows) - 1))
    for bar, value in zip(bars, values, strict=True):
        ax.text(bar.get_x() + bar.get_width() / 2, value, f"{value:.0f}", ha="center", va="bottom")
    ax.set_ylabel("MiB/s")
    ax.set_title(f"Upload of {result['size_mib']} MiB to moto S3 ({result['nproc']} cores)")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait for the browser")
    args = parser.parse_args()

    from boto3.s3.transfer import TransferConfig

    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    try:
        # 1. moto's S3 server, in its own process
        moto_port = free_port()
        endpoint = f"http://127.0.0.1:{moto_port}"
        moto_cmd = [str(VENV / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)]
        moto = procs.start("moto", moto_cmd, stdout=subprocess.DEVNULL,
                           stderr=open(tmp / "moto.log", "wb"))
        wait_port(moto_port)
        client = s3_client(endpoint)
        cors = set_up_bucket(client, endpoint)
        public_endpoint = endpoint
        proxy = None
        if not cors["etag_exposed"]:
            sys.path.insert(0, str(ROOT))
            from tests.proxy import CountingProxy

            proxy = CountingProxy(moto_port)
            public_endpoint = proxy.url
        cors_path = ("moto honours the bucket CORS rule (put_bucket_cors); browser PUTs go straight to moto"
                     if proxy is None else "tests/proxy.py CountingProxy in front of moto (answers CORS)")
        print(f"S3: {endpoint}  CORS: {cors_path}", flush=True)

        # private redis
        redis_port = free_port()
        procs.start("redis", ["redis-server", "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no", "--dir", str(tmp)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(redis_port)

        # 2. the app: schema, people, a group with a confirmed session; then gunicorn
        db_path = tmp / "bench.sqlite3"
        env = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": "x" * 40,
               "DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
               "STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": BUCKET,
               "S3_ACCESS_KEY_ID": "testing", "S3_SECRET_ACCESS_KEY": "testing",
               "S3_REGION": "us-east-1", "S3_ADDRESSING_STYLE": "path", "UPLOAD_MAX_FILE_GB": "20",
               "STORAGE_PATH": str(tmp / "storage"),
               "PORTAL_ADMIN_EMAIL": "root-bench@example.org", "PORTAL_ADMIN_PASSWORD": PASSWORD}
        if proxy is not None:
            env["S3_PUBLIC_ENDPOINT_URL"] = public_endpoint
        subprocess.run([str(VENV / "flask"), "--app", "app", "portal", "bootstrap"], cwd=ROOT,
                       env=env, check=True, stdout=subprocess.DEVNULL)
        out = subprocess.run([str(VENV / "python"), "-c", SETUP_SNIPPET, PASSWORD], cwd=ROOT, env=env,
                             check=True, capture_output=True, text=True).stdout
        ids = json.loads(out.strip().splitlines()[-1])

        web_port = free_port()
        gunicorn = procs.start("gunicorn", [str(VENV / "gunicorn"), "--bind", f"127.0.0.1:{web_port}",
                                            "--workers", "2", "--threads", "4", "app:app"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                               stderr=open(tmp / "gunicorn.log", "wb"))
        wait_port(web_port)
        base_url = f"http://127.0.0.1:{web_port}"

        # 3. the file
        film = tmp / "00001.MTS"
        t = time.monotonic()
        size = make_file(film, args.size_mib)
        print(f"file: {size} bytes written in {time.monotonic() - t:.1f}s", flush=True)

        # 4. the browser path
        print("browser upload...", flush=True)
        browser = browser_upload(base_url, ids["session"], film, gunicorn.pid, moto.pid, args.timeout)
        print(f"  {browser['seconds']:.1f}s, web CPU {browser['web_cpu_s']:.2f}s", flush=True)

        # 6. verify: the stored object's size
        with sqlite3.connect(db_path) as conn:
            keys = [row[0] for row in conn.execute("SELECT storage_key FROM source_files")]
        assert len(keys) == 1, keys
        stored = client.head_object(Bucket=BUCKET, Key=keys[0])["ContentLength"]
        browser.update(key=keys[0], object_size=stored)
        assert stored == size, (stored, size)

        # 5. boto3, default and browser-like transfer configs
        runs = {}
        for label, config in (
                ("boto3 upload_file (default TransferConfig)", None),
                ("boto3 upload_file (16 MiB parts, 4 threads)",
                 TransferConfig(multipart_chunksize=16 * MiB, max_concurrency=4))):
            print(f"{label}...", flush=True)
            runs[label] = boto3_upload(client, film, "bench/boto3-copy", config, moto.pid)
            assert runs[label]["object_size"] == size
            print(f"  {runs[label]['seconds']:.1f}s", flush=True)

        # 7. summary
        mib = size / MiB
        default_s = runs["boto3 upload_file (default TransferConfig)"]["seconds"]
        matched_s = runs["boto3 upload_file (16 MiB parts, 4 threads)"]["seconds"]
        rows = [{"path": "browser (Chromium + Uppy, presigned PUTs)", "mib": mib,
                 "seconds": browser["seconds"], "mib_per_s": mib / browser["seconds"],
                 "web_cpu_s": browser["web_cpu_s"], "moto_cpu_s": browser["moto_cpu_s"]}]
        for label, run in runs.items():
            rows.append({"path": label, "mib": mib, "seconds": run["seconds"],
                         "mib_per_s": mib / run["seconds"], "web_cpu_s": None,
                         "moto_cpu_s": run["moto_cpu_s"]})
        result = {
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "size_mib": args.size_mib, "size_bytes": size, "nproc": os.cpu_count(),
            "cors_path": cors_path, "cors_probe": cors,
            "ratio_browser_vs_boto3_default": default_s / browser["seconds"],
            "ratio_browser_vs_boto3_matched": matched_s / browser["seconds"],
            "target_ratio": 0.8, "browser": {k: v for k, v in browser.items()}, "rows": rows,
            "versions": versions(),
        }
        print()
        print(f"{'path':46} {'MiB':>6} {'s':>7} {'MiB/s':>7} {'ratio':>6} {'web CPU s':>9} {'moto CPU s':>10}")
        for row in rows:
            ratio = "" if row["path"].startswith("browser") else f"{row['seconds'] / browser['seconds']:.2f}"
            web = "" if row["web_cpu_s"] is None else f"{row['web_cpu_s']:.2f}"
            print(f"{row['path']:46} {row['mib']:6.0f} {row['seconds']:7.1f} {row['mib_per_s']:7.1f} "
                  f"{ratio:>6} {web:>9} {row['moto_cpu_s']:10.1f}")
        print("ratio = browser MiB/s / boto3 MiB/s (target >= 0.8)")
        print(f"CORS: {cors_path}")
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "upload_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
        png = ROOT / "docs" / "benchmarks" / "upload_throughput.png"
        print(f"results: {out_dir / 'upload_throughput.json'}")
        print(f"chart: {png}" if chart(result, png) else "chart: skipped (matplotlib not importable)")
        if proxy is not None:
            proxy.stop()
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)


def versions():
    import boto3
    import moto

    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {"moto": moto.__version__, "boto3": boto3.__version__, "chromium": chromium,
            "python": sys.version.split()[0]}


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
