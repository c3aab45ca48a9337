"""Periodic work every worker offers: the reconciler, the stale-upload sweeper, the daily
reminder of feedback due, the hourly retention run (warnings, deletions, originals) and, as
often as the reconciler, the deletion of films whose withdrawal's grace period is over.

Each worker runs a small thread; a Redis lock (``SET NX EX``) makes exactly one of them do
each round, however many workers on however many machines are running.
"""

import logging
import threading

from portal.extensions import db

log = logging.getLogger(__name__)

SWEEP_EVERY = 3600
REMIND_EVERY = 24 * 3600


def run_once(app, name, every, task):
    """Run ``task`` if no worker has in the last ``every`` seconds; True when this one did."""
    from workers.queues import redis_connection

    with app.app_context():
        try:
            if not redis_connection().set(f"portal:periodic:{name}", "1", nx=True, ex=every):
                return False
            task()
            return True
        except Exception:  # noqa: BLE001 - the next round tries again; the job is not lost
            log.warning("periodic %s failed", name, exc_info=True)
            return False
        finally:
            db.session.remove()


def reconcile_task():
    from portal.services.recordings import reconcile

    reconcile()


def sweep_task():
    from flask import current_app

    from portal.services.storage import get_storage, sweep_stale_uploads

    aborted = sweep_stale_uploads(get_storage(), current_app.config["UPLOAD_STALE_DAYS"])
    if aborted:
        log.info("sweeper aborted %d stale multipart uploads", aborted)


def retention_task():
    from portal.services import retention

    # Warnings, scheduled deletions and originals cleanup; each step is idempotent.
    counts = retention.run_retention()
    if any(counts.values()):
        log.info("retention: %s", counts)


def withdrawal_task():
    from portal.services import withdrawal

    # Idempotent: a deleted film is skipped, a held or failed one is tried again next round.
    withdrawal.run_due()


def activity_task():
    from workers.activity import backfill

    queued = backfill()  # issue 20: ready films without their speech lane
    if queued:
        log.info("queued the activity track of %d films", queued)


def remind_task():
    from portal.services.certification_notices import remind_recertification
    from portal.services.notifications import remind_feedback_due

    # Idempotent per session (reminded_at) and per certification (reminded_90_at, reminded_30_at),
    # so a second run on the same day sends nothing.
    sent = remind_feedback_due()
    due = remind_recertification()
    if sent or due:
        log.info("sent %d reminders of feedback due, %d of recertification due", sent, due)


class MaintenanceThread(threading.Thread):
    """Wakes every few seconds and runs whatever periodic task is due."""

    def __init__(self, app):
        super().__init__(daemon=True, name="portal-maintenance")
        self.app = app
        self.every = app.config["RECONCILE_SECONDS"]
        self.tick = max(0.5, min(10, self.every / 2))
        self.stopped = threading.Event()

    def run(self):
        from workers.worker import FORK_LOCK

        while not self.stopped.wait(self.tick):
            with FORK_LOCK:  # no work-horse is forked while a task is inside the database driver
                run_once(self.app, "reconcile", self.every, reconcile_task)
                run_once(self.app, "withdrawals", self.every, withdrawal_task)
                run_once(self.app, "sweep", SWEEP_EVERY, sweep_task)
                run_once(self.app, "remind", REMIND_EVERY, remind_task)
                run_once(self.app, "retention", SWEEP_EVERY, retention_task)
                run_once(self.app, "activity", SWEEP_EVERY, activity_task)

    def stop(self):
        self.stopped.set()
