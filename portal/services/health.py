"""Reachability checks for /healthz: database, Redis and storage. No secrets in answers."""

import logging

from flask import current_app
from sqlalchemy import text

from portal.extensions import db

log = logging.getLogger(__name__)


def check_database():
    db.session.execute(text("SELECT 1"))


def check_redis():
    from workers.queues import redis_connection

    redis_connection().ping()


def check_storage():
    from portal.services.storage import get_storage

    get_storage().check()


CHECKS = {"database": check_database, "redis": check_redis, "storage": check_storage}


def run_checks():
    """Return ``(all_ok, {name: "ok" | "unavailable"})``; failures are logged, not shown."""
    results = {}
    for name, check in CHECKS.items():
        try:
            check()
            results[name] = "ok"
        except Exception:  # noqa: BLE001 - any failure means unavailable
            log.warning("health check %s failed", name, exc_info=current_app.debug)
            results[name] = "unavailable"
    return all(v == "ok" for v in results.values()), results
