"""The two queues and the one helper every job is enqueued through."""

from flask import current_app
from redis import Redis
from rq import Queue, Retry

FIRST = "first"  # a new film's run and first chunk (issue 19): a worker on HEAVY takes these before any other
HEAVY = "heavy"  # long encodes
LIGHT = "light"  # probe, pictures, mail: quick feedback never waits behind an encode
QUEUES = (FIRST, HEAVY, LIGHT)
RETRY_INTERVALS = (10, 60, 300)  # seconds before the first, second and third retry


def redis_connection():
    """The app's Redis connection, created once per app."""
    app = current_app._get_current_object()
    conn = app.extensions.get("portal_redis")
    if conn is None:
        conn = Redis.from_url(app.config["REDIS_URL"], socket_connect_timeout=3, socket_timeout=10)
        app.extensions["portal_redis"] = conn
    return conn


def listened(queues):
    """The queues a worker asked for ``queues`` listens on, in order: FIRST before HEAVY, so a new
    film's first chunks and its sound are encoded before the tails of films that already play."""
    names = [name for name in queues if name != FIRST]
    if HEAVY in names:
        names.insert(names.index(HEAVY), FIRST)
    return tuple(names)


def get_queue(name):
    """The RQ queue called ``name`` (FIRST, HEAVY or LIGHT)."""
    if name not in QUEUES:
        raise ValueError(f"unknown queue {name!r}")
    return Queue(name, connection=redis_connection())


def enqueue(func, *args, queue=LIGHT, timeout=180, retries=3, job_id=None, retry_intervals=RETRY_INTERVALS,
            **kwargs):
    """Enqueue ``func`` (a function object, never a dotted string) with explicit timeout,
    retries with growing back-off (``retry_intervals``: seconds before each retry) and a
    failure TTL of a week.

    The job's description, which RQ writes to the worker log, names the function and the ids
    among its arguments only: never a mail address, a name or a URL.
    """
    ids = [str(a) for a in args if isinstance(a, int) and not isinstance(a, bool)]
    return get_queue(queue).enqueue_call(
        func,
        args=args,
        kwargs=kwargs,
        timeout=timeout,
        retry=Retry(max=retries, interval=list(retry_intervals)[:retries]) if retries else None,
        failure_ttl=7 * 24 * 3600,
        result_ttl=3600,
        job_id=job_id,
        description=f"{func.__module__}.{func.__qualname__}({', '.join(ids)})",
    )
