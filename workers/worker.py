"""The RQ worker used by the Procfile: both queues, the scheduler, the app's context."""

import logging
import os

from rq import SimpleWorker, Worker
from sqlalchemy import orm as sa_orm

from portal.extensions import db
from workers.queues import QUEUES, get_queue, listened, redis_connection

log = logging.getLogger(__name__)


class AppContextJobs:
    """Runs each job inside a fresh app context of the worker's Flask app."""

    flask_app = None

    def perform_job(self, job, queue):
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


class AppWorker(AppContextJobs, Worker):
    """Forks a work-horse per job (the Procfile worker)."""


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
        return worker_class([get_queue(q) for q in listened(queues)], connection=redis_connection(), name=name)


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
            return worker.work(burst=burst, with_scheduler=True, logging_level="INFO")
    finally:
        if maintenance:
            maintenance.stop()
