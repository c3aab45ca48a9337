"""Configuration read from the environment through typed helpers.

Nothing is read at import time: each config class is built by ``load_config`` when the app
is created, so tests and CLI commands can set the environment first.
"""

import os
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
INSTANCE_DIR = BASE_DIR / "instance"


class ConfigError(RuntimeError):
    """Raised when a required setting is missing or malformed."""


def env_str(name, default=None):
    """Return the environment variable ``name`` as a stripped string, or ``default``."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip()


def env_int(name, default):
    """Return ``name`` as an int. :raise ConfigError: when it is not a whole number."""
    value = env_str(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {value!r}") from None


def env_int_list(name, default):
    """Return ``name`` (comma-separated whole numbers) as a tuple of ints. :raise ConfigError:"""
    value = env_str(name)
    if value is None:
        return tuple(default)
    try:
        numbers = tuple(int(part) for part in value.split(","))
    except ValueError:
        raise ConfigError(f"{name} must be whole numbers separated by commas, got {value!r}") from None
    if any(number < 0 for number in numbers):
        raise ConfigError(f"{name} must not be negative, got {value!r}")
    return numbers


def env_bool(name, default=False):
    """Return ``name`` as a bool (1/true/yes/on). :raise ConfigError: on other words."""
    value = env_str(name)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be true or false, got {value!r}")


def env_choice(name, choices, default):
    """Return ``name`` if it is one of ``choices``. :raise ConfigError: otherwise."""
    value = env_str(name, default)
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


class Config:
    """Settings shared by every environment; values come from the environment."""

    NAME = "base"

    def __init__(self):
        self.SECRET_KEY = env_str("SECRET_KEY")
        self.SQLALCHEMY_DATABASE_URI = normalise_database_url(
            env_str("DATABASE_URL", f"sqlite:///{INSTANCE_DIR / 'portal.sqlite3'}")
        )
        self.SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
        self.REDIS_URL = env_str("REDIS_URL", "redis://127.0.0.1:6379/0")

        self.STORAGE_BACKEND = env_choice("STORAGE_BACKEND", ("local", "s3"), "local")
        self.STORAGE_PATH = env_str("STORAGE_PATH", str(INSTANCE_DIR / "storage"))
        self.S3_ENDPOINT_URL = env_str("S3_ENDPOINT_URL")
        self.S3_BUCKET = env_str("S3_BUCKET")
        self.S3_REGION = env_str("S3_REGION", "us-east-1")
        self.S3_ACCESS_KEY_ID = env_str("S3_ACCESS_KEY_ID")
        self.S3_SECRET_ACCESS_KEY = env_str("S3_SECRET_ACCESS_KEY")
        self.S3_ADDRESSING_STYLE = env_choice("S3_ADDRESSING_STYLE", ("path", "virtual", "auto"), "path")
        # The host browsers reach the store on, when it differs from the one the web process and
        # workers use (e.g. http://minio:9000 inside Docker, https://s3.example.org outside).
        # Only presigned URLs use it; unset means S3_ENDPOINT_URL for both.
        self.S3_PUBLIC_ENDPOINT_URL = env_str("S3_PUBLIC_ENDPOINT_URL")

        # Uploads: the size cap a file (decimal GB), how long a signed part URL lives (seconds),
        # how long a signed playback URL lives, and after how many days an unfinished multipart
        # upload is aborted by the sweeper. Parts are 16-64 MiB (portal.services.storage).
        self.UPLOAD_MAX_FILE_BYTES = env_int("UPLOAD_MAX_FILE_GB", 20) * 10**9
        self.UPLOAD_PART_URL_TTL = env_int("UPLOAD_PART_URL_TTL", 3600)
        self.MEDIA_URL_TTL = env_int("MEDIA_URL_TTL", 60)  # at most 60: portal.services.playback
        self.UPLOAD_STALE_DAYS = env_int("UPLOAD_STALE_DAYS", 7)
        # Uploads with no stored byte for this long are listed for admins on the films-to-fix page.
        self.UPLOAD_STUCK_HOURS = env_int("UPLOAD_STUCK_HOURS", 24)
        # Smallest part but the last one, as S3 requires; tests lower it for the local backend.
        self.UPLOAD_MIN_PART_BYTES = 5 * 1024 * 1024
        # Largest part the local backend accepts in one signed PUT (the top of the 16-64 MiB range).
        self.UPLOAD_MAX_PART_BYTES = 64 * 1024 * 1024
        # Part size the browser starts from (grown for files that would need over 10 000 parts).
        self.UPLOAD_PART_BYTES = env_int("UPLOAD_PART_MIB", 16) * 1024 * 1024

        # Media pipeline: the longest session accepted, and where workers keep per-job files
        # (default: the system's temporary folder; give it room for two copies of a film).
        self.MEDIA_MAX_DURATION_HOURS = env_int("MEDIA_MAX_DURATION_HOURS", 6)
        # A session film shorter than this is rejected (a test clip, the wrong file).
        self.MEDIA_MIN_DURATION_SECONDS = env_int("MEDIA_MIN_DURATION_SECONDS", 60)
        self.WORKER_TMP_DIR = env_str("WORKER_TMP_DIR")
        # On S3, the jobs of an encode on one worker host share one copy of the original (in
        # WORKER_TMP_DIR); a copy unused for this long is deleted. 0: each job downloads its own.
        self.ORIGINALS_CACHE_MINUTES = env_int("ORIGINALS_CACHE_MINUTES", 60)
        # Films are published as HLS (issue 19); an encode runs in chunk jobs cut at keyframes:
        # the first one this long (seconds, so the film plays soon), the others this long.
        self.MEDIA_FIRST_CHUNK_SECONDS = env_int("MEDIA_FIRST_CHUNK_SECONDS", 10)
        self.MEDIA_CHUNK_SECONDS = env_int("MEDIA_CHUNK_SECONDS", 120)
        # A processing job whose heartbeat is older than this is taken as lost (worker killed,
        # Redis flushed) and re-enqueued by the reconciler, which runs this often.
        self.PROCESSING_STALE_SECONDS = env_int("PROCESSING_STALE_SECONDS", 180)
        # The speech lane (issue 20): quiet stretches at least this long may be skipped, and the
        # break proposed is the longest quiet stretch of BREAK_MIN..BREAK_MAX in mid-session.
        self.SILENCE_SKIP_SECONDS = env_int("SILENCE_SKIP_SECONDS", 8)
        self.BREAK_MIN_SECONDS = env_int("BREAK_MIN_MINUTES", 10) * 60
        self.BREAK_MAX_SECONDS = env_int("BREAK_MAX_MINUTES", 40) * 60
        self.RECONCILE_SECONDS = env_int("RECONCILE_SECONDS", 60)
        # Days between a withdrawal of consent and the deletion of its films (an organisation may
        # set its own); 0 deletes them by the next reconciler round, within a minute.
        self.WITHDRAWAL_GRACE_DAYS = env_int("WITHDRAWAL_GRACE_DAYS", 7)
        # Seconds before each automatic retry of a failed processing run (three retries). The
        # second retry comes 70 s after the first failure, so a storage outage of a minute is
        # outlived without anyone pressing "retry".
        self.PROCESSING_RETRY_INTERVALS = env_int_list("PROCESSING_RETRY_INTERVALS", (10, 60, 300))

        self.MAIL_SERVER = env_str("MAIL_SERVER")
        self.MAIL_PORT = env_int("MAIL_PORT", 25)
        self.MAIL_USERNAME = env_str("MAIL_USERNAME")
        self.MAIL_PASSWORD = env_str("MAIL_PASSWORD")
        self.MAIL_USE_TLS = env_bool("MAIL_USE_TLS", False)
        self.MAIL_USE_SSL = env_bool("MAIL_USE_SSL", False)
        self.MAIL_FROM = env_str("MAIL_FROM", "Filmportalen <no-reply@filmportalen.local>")
        self.MAIL_TIMEOUT = env_int("MAIL_TIMEOUT", 10)

        self.BABEL_DEFAULT_LOCALE = env_choice("DEFAULT_LOCALE", ("sv", "en"), "sv")
        self.BABEL_DEFAULT_TIMEZONE = env_str("DEFAULT_TIMEZONE", "Europe/Stockholm")
        self.LANGUAGES = ("sv", "en")

        # The portal's address as people reach it: the only base of links in mails and of signed
        # storage URLs (never the request's Host header), and the one host requests may name.
        self.PUBLIC_URL = public_url(env_str("PUBLIC_URL"))
        self.TRUSTED_HOSTS = trusted_hosts(self.PUBLIC_URL)
        self.INVITATION_MAX_AGE = env_int("INVITATION_MAX_AGE_HOURS", 72) * 3600
        self.PASSWORD_RESET_MAX_AGE = env_int("PASSWORD_RESET_MAX_AGE_MINUTES", 60) * 60
        self.PASSWORD_MIN_LENGTH = env_int("PASSWORD_MIN_LENGTH", 12)
        # Personal API tokens stop working this many days after they are issued.
        self.API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 90)

        # Sessions end after this long without a request, and this long after login whatever
        # happens; sensitive actions (role changes, deletions, exports) ask for the password
        # again when it was last given longer ago than REAUTH_MINUTES.
        self.SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
        self.SESSION_MAX_HOURS = env_int("SESSION_MAX_HOURS", 12)
        self.REAUTH_MINUTES = env_int("REAUTH_MINUTES", 10)
        # Two-factor login (TOTP) for every role; an organisation may relax it for its leaders.
        # Only tests turn it off.
        self.TWO_FACTOR_REQUIRED = env_bool("TWO_FACTOR_REQUIRED", True)
        # Failed logins allowed per account and per address before the answer is "wait";
        # the windows grow (minute, hour, day). Syntax: the `limits` library's.
        self.LOGIN_LIMIT_ACCOUNT = env_str("LOGIN_LIMIT_ACCOUNT", "5 per minute;20 per hour;50 per day")
        self.LOGIN_LIMIT_IP = env_str("LOGIN_LIMIT_IP", "30 per minute;200 per hour")

        self.WTF_CSRF_CHECK_DEFAULT = False  # portal/__init__.py decides per request
        self.WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.REMEMBER_COOKIE_HTTPONLY = True
        self.REMEMBER_COOKIE_SAMESITE = "Lax"
        self.MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # forms and JSON; films go to storage

    def validate(self):
        """Check settings that must be present. :raise ConfigError: naming the setting."""
        if not 5 * 1024 * 1024 <= self.UPLOAD_PART_BYTES <= self.UPLOAD_MAX_PART_BYTES:
            raise ConfigError("UPLOAD_PART_MIB must be between 5 and 64")
        if self.STORAGE_BACKEND == "s3":
            missing = [name for name in ("S3_BUCKET",) if not getattr(self, name)]
            if missing:
                raise ConfigError(
                    f"STORAGE_BACKEND=s3 needs {', '.join(missing)}; set it in the environment"
                )


class DevConfig(Config):
    """Local development and `make run`: embedded defaults, mails to the log."""

    NAME = "development"

    def __init__(self):
        super().__init__()
        if not self.SECRET_KEY:
            self.SECRET_KEY = read_or_create_dev_secret()
        if not self.PUBLIC_URL:  # `make run` sets it; `flask run` and the CLI get the local default
            self.PUBLIC_URL = public_url(f"http://127.0.0.1:{env_int('PORT', 5000)}")
            self.TRUSTED_HOSTS = trusted_hosts(self.PUBLIC_URL)


class TestConfig(Config):
    """Tests: each test overrides the database and storage it uses."""

    NAME = "testing"
    __test__ = False  # not a pytest test class

    def __init__(self):
        super().__init__()
        self.TESTING = True
        self.SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105 - tests only
        self.SQLALCHEMY_DATABASE_URI = "sqlite://"
        self.MAIL_SERVER = None
        self.PUBLIC_URL = "http://localhost"  # the test client's host
        self.TRUSTED_HOSTS = trusted_hosts(self.PUBLIC_URL)
        self.TWO_FACTOR_REQUIRED = False  # the tests of two-factor login turn it on
        # Cheap password hashes: tests create and log in hundreds of users. Production keeps
        # argon2-cffi's defaults (t=3, m=64 MiB, p=4).
        self.PASSWORD_HASH_COST = {"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
        self.MEDIA_MIN_DURATION_SECONDS = 1  # the test clips last a few seconds
        # Films of half a minute get quiet stretches to skip and a break (issue 20's speech lane).
        self.SILENCE_SKIP_SECONDS = 3
        self.BREAK_MIN_SECONDS, self.BREAK_MAX_SECONDS = 8, 20


class ProdConfig(Config):
    """Production: refuses to start without secret, database and storage settings."""

    NAME = "production"

    def __init__(self):
        super().__init__()
        self.SESSION_COOKIE_SECURE = True
        self.REMEMBER_COOKIE_SECURE = True
        self.SESSION_COOKIE_NAME = "__Host-session"
        self.PREFERRED_URL_SCHEME = "https"

    def validate(self):
        """:raise ConfigError: naming each production setting that is absent."""
        missing = []
        if not self.SECRET_KEY:
            missing.append("SECRET_KEY")
        if not env_str("DATABASE_URL"):
            missing.append("DATABASE_URL")
        if not env_str("REDIS_URL"):
            missing.append("REDIS_URL")
        if not self.PUBLIC_URL:
            missing.append("PUBLIC_URL")
        if not env_str("STORAGE_BACKEND"):
            missing.append("STORAGE_BACKEND")
        elif self.STORAGE_BACKEND == "s3":
            missing += [n for n in ("S3_BUCKET", "S3_ACCESS_KEY_ID", "S3_SECRET_ACCESS_KEY")
                        if not getattr(self, n)]
        elif not env_str("STORAGE_PATH"):
            missing.append("STORAGE_PATH")
        if missing:
            raise ConfigError(
                "Production configuration is incomplete; set "
                + ", ".join(missing)
                + " in the environment (see README.md, Configuration)."
            )
        if self.SECRET_KEY and len(self.SECRET_KEY) < 32:
            raise ConfigError("SECRET_KEY must be at least 32 characters in production")


CONFIGS = {c.NAME: c for c in (DevConfig, TestConfig, ProdConfig)}


def load_config(name=None):
    """Build and validate the config named by ``name`` or ``PORTAL_ENV`` (default development)."""
    name = name or env_str("PORTAL_ENV", "development")
    if name not in CONFIGS:
        raise ConfigError(f"PORTAL_ENV must be one of {', '.join(CONFIGS)}, got {name!r}")
    config = CONFIGS[name]()
    config.validate()
    return config


def public_url(url):
    """``url`` without a trailing slash. :raise ConfigError: unless it is http(s)://host[:port][/path]."""
    if url is None:
        return None
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ConfigError(f"PUBLIC_URL must look like https://film.example.se, got {url!r}")
    return url.rstrip("/")


LOOPBACK = ("127.0.0.1", "localhost", "::1")


def trusted_hosts(url):
    """The Host names requests may carry: PUBLIC_URL's host (for a loopback address, every
    loopback name, as a browser on the same machine may use either). None (any) without it."""
    if not url:
        return None
    from urllib.parse import urlsplit

    host = urlsplit(url).hostname
    return list(LOOPBACK) if host in LOOPBACK else [host]


def normalise_database_url(url):
    """Use the psycopg 3 driver for plain postgres URLs (Heroku-style ``postgres://`` too)."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def read_or_create_dev_secret():
    """Keep a random development secret under instance/ so sessions survive a restart."""
    path = INSTANCE_DIR / "secret_key"
    if path.exists():
        return path.read_text().strip()
    import secrets

    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key
