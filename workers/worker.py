"""The RQ worker used by the Procfile: both queues, the scheduler, the app's context."""

import importlib
import itertools
import logging
import os
import threading
import time

from rq import SimpleWorker, Worker
from sqlalchemy import orm as sa_orm

from portal.extensions import db
from workers.queues import QUEUES, get_queue, listened, redis_connection

log = logging.getLogger(__name__)
RESTART_SECONDS = 2
JOB_MODULES = ("workers.processing", "workers.chunks", "workers.publishing", "workers.quick_checks",
               "workers.migrate_hls", "workers.mail", "portal.services.recordings", "portal.services.retention",
               "portal.services.notifications", "portal.services.withdrawal", "portal.services.certification_notices")


class AppContextJobs:
    """Runs each job inside a fresh app context of the worker's Flask app."""

    flask_app = None

    def perform_job(self, job, queue):
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


# Held by the maintenance thread while it works and by the worker while it forks a work-horse:
# a horse forked while the thread was inside the database driver (SQLite keeps process-wide
# mutexes) or an import would inherit that lock held and hang at its first query.
FORK_LOCK = threading.Lock()


class AppWorker(AppContextJobs, Worker):
    """Forks a work-horse per job (the Procfile worker)."""

    def fork_work_horse(self, job, queue):
        with FORK_LOCK:
            return super().fork_work_horse(job, queue)


class AppSimpleWorker(AppContextJobs, SimpleWorker):
    """Runs jobs in its own process (tests and debugging)."""


def make_worker(app, queues=QUEUES, name=None, simple=False):
    """A worker bound to ``app`` listening on ``queues`` (the first chunks, then heavy, then light)."""
    worker_class = AppSimpleWorker if simple else AppWorker
    worker_class.flask_app = app
    with app.app_context():
        if not simple:
            # A forked work-horse must not reuse the parent's pooled database connections.
            engine = db.engine
            os.register_at_fork(after_in_child=lambda: engine.dispose(close=False))
            # Configure the mappers now, before the maintenance thread's first query could hold
            # SQLAlchemy's configure lock while a work-horse is forked: the horse would inherit it
            # held and hang at its first query until the job's timeout.
            sa_orm.configure_mappers()
            # Import every job's module now, for the same reason: the maintenance thread imports
            # some of them lazily (the reconciler queues chunk jobs), and a horse forked while it
            # held a module's import lock would hang at its own first import of that module.
            for module in JOB_MODULES:
                importlib.import_module(module)
        return worker_class([get_queue(q) for q in listened(queues)], connection=redis_connection(), name=name)


def stop_was_asked(worker):
    """True when the worker's loop ended on a signal (SIGTERM, Ctrl-C). RQ marks ``_stop_requested``
    only when the signal comes during a job; an idle worker just leaves its loop, with the date of
    the request set: taking that for a dropped Redis connection restarted it, so `make run` and a
    deployment's stop never ended an idle worker."""
    return bool(worker._stop_requested or worker._shutdown_requested_date is not None)


def run_worker(app, queues=QUEUES, burst=False, name=None):
    """Listen on ``queues`` until stopped (or until empty with ``burst``), running the
    reconciler and the sweeper on the side."""
    from workers.maintenance import MaintenanceThread

    worker = make_worker(app, queues, name=name)
    log.info("worker %s listening on %s", worker.name, ", ".join(queues))
    maintenance = None if burst else MaintenanceThread(app)
    if maintenance:
        maintenance.start()
    try:
        with app.app_context():
            for restart in itertools.count(1):
                worked = worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
                if burst or stop_was_asked(worker):
                    return worked
                # RQ quits its loop on an error it does not handle, e.g. Redis closing the
                # connection just as a short chunk job ended: listen again once Redis is back.
                log.warning("worker %s stopped without being asked; listening again", worker.name)
                time.sleep(RESTART_SECONDS)
                worker = make_worker(app, queues, name=f"{name}-{restart}" if name else None)
    finally:
        if maintenance:
            maintenance.stop()
