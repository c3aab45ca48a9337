"""What runs on each host: PostgreSQL, Redis and SeaweedFS's S3 gateway on ``fp-services``,
gunicorn on ``fp-web``, the Procfile's ``worker`` and ``quick`` processes on each worker host.

Every service listens on its host's address only, and the app's processes are configured
through the environment alone (the production profile), exactly as on separate machines; they
share this machine's disk only for the code and the virtualenv.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import netns

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "bin"
SERVICES_IP = netns.HOSTS["fp-services"]
WEB_IP = netns.HOSTS["fp-web"]
WEB_PORT = 8000
PG_PORT = 5432
REDIS_PORT = 6379
# SeaweedFS's ports, away from its defaults: its gRPC listeners also bind sockets in the shared
# /tmp named after the port, which another SeaweedFS on this machine must not meet.
WEED_PORTS = {"master": 9433, "volume": 8180, "filer": 8988, "s3": 8433}
BUCKET = "filmportalen"
ACCESS_KEY = "multihost"
SECRET = "multihost-secret-key-not-for-production"  # noqa: S105 - a throwaway store's key
DATABASE = "filmportal"
WORKERS = ("fp-worker1", "fp-worker2")


def pg_bin(name):
    """A PostgreSQL server program (Debian keeps them outside PATH)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    if not found:
        sys.exit(f"PostgreSQL's {name} is not installed (apt-get install postgresql)")
    return str(found[-1])


def weed_sockets():
    """The sockets SeaweedFS's gRPC listeners leave in /tmp whatever flags it gets."""
    return [Path(f"/tmp/seaweedfs-{name}-grpc-{port + 10000}.sock")  # noqa: S108 - weed's own path
            for name, port in WEED_PORTS.items()]


class Deployment:
    """The processes of every host, each in its own process group, with a log file each."""

    def __init__(self, workdir, logdir, settings):
        """``settings``: environment variables every app host gets on top of the deployment's."""
        self.workdir, self.logdir = Path(workdir), Path(logdir)
        self.settings = dict(settings)
        self.procs = []  # (host, name, Popen)

    # -- processes ---------------------------------------------------------------------------
    def start(self, host, name, argv, env=None):
        """Start ``argv`` on ``host``; its output goes to ``logdir/<host>-<name>.log``."""
        log = open(self.logdir / f"{host}-{name}.log", "ab")  # noqa: SIM115 - closed by the child's end
        proc = subprocess.Popen(netns.host_command(host, argv), stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=env, cwd=ROOT, start_new_session=True)
        log.close()
        self.procs.append((host, name, proc))
        return proc

    def log_path(self, host, name):
        return self.logdir / f"{host}-{name}.log"

    def stop_all(self):
        """SIGTERM every process group, app processes before services; SIGKILL what lingers."""
        for _host, _name, proc in reversed(self.procs):
            signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 20
        for _host, _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=5)

    def check_alive(self):
        """:raise RuntimeError: naming a process that ended on its own, with its log's tail."""
        for host, name, proc in self.procs:
            if proc.poll() is not None and not getattr(proc, "expected_end", False):
                tail = self.log_path(host, name).read_text(errors="replace")[-2000:]
                raise RuntimeError(f"{name} on {host} ended with {proc.returncode}:\n{tail}")

    # -- environment -------------------------------------------------------------------------
    def app_env(self, host, **extra):
        """The production environment every app host gets, and nothing from this shell (no
        TEST_POSTGRES_URL or REDIS_URL pointing at the machine's own services)."""
        env = {"PATH": f"{VENV}:/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8",
               "HOME": str(self.workdir / host), "TMPDIR": str(self.workdir / host / "tmp"),
               "PORTAL_ENV": "production", "FLASK_APP": "app",
               "SECRET_KEY": "multihost-" + "k" * 40,
               "DATABASE_URL": f"postgresql://postgres@{SERVICES_IP}:{PG_PORT}/{DATABASE}",
               "REDIS_URL": f"redis://{SERVICES_IP}:{REDIS_PORT}/0",
               "STORAGE_BACKEND": "s3", "S3_ENDPOINT_URL": f"http://{SERVICES_IP}:{WEED_PORTS['s3']}",
               "S3_BUCKET": BUCKET, "S3_REGION": "us-east-1", "S3_ADDRESSING_STYLE": "path",
               "S3_ACCESS_KEY_ID": ACCESS_KEY, "S3_SECRET_ACCESS_KEY": SECRET,
               "PUBLIC_URL": f"http://{WEB_IP}:{WEB_PORT}",
               "WORKER_TMP_DIR": str(self.workdir / host / "tmp"),
               "MEDIA_MIN_DURATION_SECONDS": "30", **self.settings, **extra}
        (self.workdir / host / "tmp").mkdir(parents=True, exist_ok=True)
        return env

    # -- services ----------------------------------------------------------------------------
    def start_postgres(self):
        """initdb as ``postgres`` into the work folder; listen on the services address only, trust
        the private subnet (nothing else can reach it)."""
        data = self.workdir / "fp-services" / "pg"
        data.mkdir(parents=True)
        shutil.chown(data, "postgres", "postgres")
        as_postgres = ["setpriv", "--reuid=postgres", "--regid=postgres", "--init-groups"]
        subprocess.run([*as_postgres, pg_bin("initdb"), "-D", str(data), "-U", "postgres", "-A", "trust",
                        "--no-sync", "-E", "UTF8"], check=True, capture_output=True)
        with open(data / "pg_hba.conf", "a") as hba:
            hba.write(f"host all all {netns.SUBNET}.0/{netns.PREFIX} trust\n")
        self.start("fp-services", "postgres", [
            *as_postgres, pg_bin("postgres"), "-D", data, "-c", f"listen_addresses={SERVICES_IP}",
            "-c", f"port={PG_PORT}", "-c", f"unix_socket_directories={data}", "-c", "fsync=off",
            "-c", "max_connections=200"])
        wait_for(lambda: subprocess.run([pg_bin("pg_isready"), "-h", SERVICES_IP, "-p", str(PG_PORT)],
                                        capture_output=True).returncode == 0, "PostgreSQL", self)
        subprocess.run([pg_bin("createdb"), "-h", SERVICES_IP, "-p", str(PG_PORT), "-U", "postgres", DATABASE],
                       check=True)

    def start_redis(self):
        """redis-server on the services address, append-only file on (as production wants)."""
        folder = self.workdir / "fp-services" / "redis"
        folder.mkdir(parents=True)
        self.start("fp-services", "redis", [
            "redis-server", "--bind", SERVICES_IP, "--port", str(REDIS_PORT), "--protected-mode", "no",
            "--dir", folder, "--appendonly", "yes", "--save", ""])
        wait_for(lambda: subprocess.run(["redis-cli", "-h", SERVICES_IP, "-p", str(REDIS_PORT), "ping"],
                                        capture_output=True, text=True).stdout.strip() == "PONG", "Redis", self)

    def start_seaweedfs(self):
        """SeaweedFS (master, volume, filer, S3 gateway in one ``weed server``) on the services
        address, one identity with every right (anonymous requests refused), then the bucket."""
        data = self.workdir / "fp-services" / "seaweedfs"
        data.mkdir(parents=True)
        (data / "s3.json").write_text(json.dumps({"identities": [{
            "name": "portal", "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
        for sock in weed_sockets():
            sock.unlink(missing_ok=True)
        p = WEED_PORTS
        self.start("fp-services", "seaweedfs", [
            VENV / "weed", "server", f"-ip={SERVICES_IP}", f"-ip.bind={SERVICES_IP}", f"-dir={data}",
            "-master.telemetry=false", f"-master.port={p['master']}", f"-volume.port={p['volume']}",
            "-filer", f"-filer.port={p['filer']}", f"-filer.localSocket={data / 'filer.sock'}",
            "-s3", f"-s3.port={p['s3']}", f"-s3.localSocket={data / 's3.sock'}", "-s3.port.iceberg=0",
            "-s3.port.lance=0", f"-s3.config={data / 's3.json'}", "-master.volumeSizeLimitMB=1024"])
        client = s3_client()
        wait_for(lambda: _create_bucket(client), "SeaweedFS's S3 gateway", self, timeout=90)

    # -- app hosts ---------------------------------------------------------------------------
    def migrate(self):
        """The release step, run from the web host."""
        run_on("fp-web", [VENV / "flask", "--app", "app", "db", "upgrade"], self.app_env("fp-web"))

    def start_web(self):
        """gunicorn on the web host's address, as the Procfile's ``web`` line."""
        self.start("fp-web", "gunicorn", [
            VENV / "gunicorn", "-c", "config/gunicorn.conf.py", "--bind", f"{WEB_IP}:{WEB_PORT}",
            "--workers", "2", "--threads", "4", f"--forwarded-allow-ips={netns.CLIENT_IP}",
            "--access-logfile", "-", "app:app"], env=self.app_env("fp-web"))
        wait_for(lambda: healthy(), "gunicorn's /healthz", self, timeout=60)

    def start_workers(self, host):
        """The Procfile's ``worker`` (heavy, then light) and ``quick`` (light) on ``host``."""
        env = self.app_env(host)
        flask = [VENV / "flask", "--app", "app", "portal", "worker"]
        self.start(host, "worker", [*flask, "--queue", "heavy", "--queue", "light"], env=env)
        self.start(host, "quick", [*flask, "--queue", "light"], env=env)

    def processes_of(self, host):
        return [proc for h, _name, proc in self.procs if h == host]


def signal_group(pid, sig):
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def run_on(host, argv, env):
    """Run ``argv`` on ``host`` to its end; returns its stdout. :raise RuntimeError: on failure."""
    done = subprocess.run(netns.host_command(host, argv), env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[:4]} on {host} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")
    return done.stdout


def wait_for(check, what, deployment, timeout=60):
    """Poll ``check`` until it is true. :raise RuntimeError: after ``timeout`` s or when a
    process of the deployment ended meanwhile."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        deployment.check_alive()
        try:
            if check():
                return
        except Exception:  # noqa: BLE001, S110 - not up yet
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer within {timeout}s")


def s3_client():
    """boto3 on the S3 gateway, as the client (root namespace) reaches it over the bridge."""
    import boto3
    from botocore.config import Config

    return boto3.client("s3", endpoint_url=f"http://{SERVICES_IP}:{WEED_PORTS['s3']}", region_name="us-east-1",
                        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET,
                        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 3}))


def _create_bucket(client):
    from botocore.exceptions import ClientError

    try:
        client.create_bucket(Bucket=BUCKET)
    except ClientError as error:
        if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
            raise
    client.put_object(Bucket=BUCKET, Key="warm-up", Body=b"x")  # the first volume is grown now
    client.delete_object(Bucket=BUCKET, Key="warm-up")
    return True


def healthy():
    """True when the web host answers /healthz with 200 (database, Redis and storage up)."""
    import urllib.request

    request = urllib.request.Request(f"http://{WEB_IP}:{WEB_PORT}/healthz")  # noqa: S310 - our own http
    with urllib.request.urlopen(request, timeout=3) as response:  # noqa: S310
        return response.status == 200
