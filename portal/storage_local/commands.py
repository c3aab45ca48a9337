"""``flask storage ...``: maintenance of the object store, whichever backend is configured."""

import click
from flask import current_app

from portal.services.storage import get_storage, sweep_stale_uploads
from portal.storage_local import bp


@bp.cli.command("sweep-uploads")
@click.option("--days", type=int, default=None, help="Age in days; default UPLOAD_STALE_DAYS.")
def sweep_uploads_command(days):
    """Abort multipart uploads left unfinished for more than --days days."""
    days = current_app.config["UPLOAD_STALE_DAYS"] if days is None else days
    count = sweep_stale_uploads(get_storage(), days)
    click.echo(f"Aborted {count} multipart upload(s) older than {days} days.")
