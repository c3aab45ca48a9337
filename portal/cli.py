"""``flask portal ...`` commands: users, tokens, first-run bootstrap and the worker."""

import secrets

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

from portal.errors import Refused
from portal.extensions import db
from portal.models import ROLES, Organisation, User
from portal.services import accounts, api_tokens

portal_cli = AppGroup("portal", help="Filmportalen administration.")

DEFAULT_ORGANISATION = "Min organisation"


@portal_cli.command("create-user")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
@click.option("--password", default=None, help="Set a password instead of mailing an invitation.")
@click.option("--organisation", default=None,
              help="Organisation name (created when missing); default: the first organisation.")
@click.option("--language", default="sv", type=click.Choice(["sv", "en"]))
def create_user_command(email, name, roles, password, organisation, language):
    """Create a user; without --password an invitation mail is sent."""
    if organisation is None:  # the one bootstrap made, whatever PORTAL_ORGANISATION_NAME named it
        first = db.session.scalars(db.select(Organisation).order_by(Organisation.id).limit(1)).first()
        organisation = first.name if first is not None else DEFAULT_ORGANISATION
    org = accounts.get_or_create_organisation(organisation)
    try:
        user = accounts.create_user(email, name, roles, org, language=language, password=password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    if password is None:
        accounts.send_invitation(user)
        click.echo(f"Created user {user.id}; invitation sent to {user.email}.")
    else:
        click.echo(f"Created user {user.id} ({user.email}).")


@portal_cli.command("create-token")
@click.option("--email", required=True)
@click.option("--name", default="command line", show_default=True, help="Shown on the account page.")
def create_token_command(email, name):
    """Print a new personal API token for the user (shown once, stored hashed, expires after
    API_TOKEN_DAYS); refused while the user must set up two-factor login."""
    user = db.session.scalar(db.select(User).where(User.email == accounts.normalise_email(email)))
    if user is None or not user.active:
        raise click.ClickException(f"No active user with e-mail {email}.")
    try:
        _row, plaintext = api_tokens.issue(user, name)
    except Refused as refusal:
        raise click.ClickException(refusal.message) from None
    db.session.commit()
    click.echo(plaintext)


@portal_cli.command("bootstrap")
@click.option("--admin-email", envvar="PORTAL_ADMIN_EMAIL", default="admin@example.org",
              show_default=True)
@click.option("--admin-password", envvar="PORTAL_ADMIN_PASSWORD", default=None)
@click.option("--organisation", envvar="PORTAL_ORGANISATION_NAME", default=DEFAULT_ORGANISATION, show_default=True,
              help="Name of the first organisation (printed on its certificates; admins can rename it).")
def bootstrap_command(admin_email, admin_password, organisation):
    """Apply migrations; on the first run create the first organisation and its first user, a
    platform administrator and the organisation's admin (password generated if not given)."""
    upgrade()
    if db.session.scalar(db.select(User.id).limit(1)) is not None:
        click.echo("Database ready; existing accounts kept.")
        return
    name = (organisation or "").strip()[:200]
    if not name:
        raise click.ClickException("PORTAL_ORGANISATION_NAME must not be empty.")
    org = accounts.get_or_create_organisation(name)
    generated = admin_password is None
    password = admin_password or secrets.token_urlsafe(12)
    if len(password) < current_app.config["PASSWORD_MIN_LENGTH"] and not generated:
        raise click.ClickException(
            f"PORTAL_ADMIN_PASSWORD must be at least {current_app.config['PASSWORD_MIN_LENGTH']} characters.")
    try:
        accounts.create_user(admin_email, "Administratör", ["admin", "platform_admin"], org, password=password)
    except accounts.AccountError as error:
        raise click.ClickException(str(error)) from None
    db.session.commit()
    click.echo(f"Created the first administrator: {admin_email}, platform administrator and admin of {name}")
    if generated:
        click.echo(f"Generated password (shown only this once): {password}")


@portal_cli.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--queue", "queues", multiple=True, type=click.Choice(["heavy", "light"]))
def worker_command(burst, queues):
    """Run an RQ worker on the heavy and light queues, with the scheduler."""
    from workers.queues import QUEUES
    from workers.worker import run_worker

    run_worker(current_app._get_current_object(), queues=queues or QUEUES, burst=burst)


def init_app(app):
    """Register the ``portal`` and ``media`` command groups."""
    app.cli.add_command(portal_cli)
    app.cli.add_command(media_cli)


@portal_cli.command("retention")
@click.option("--dry-run", is_flag=True, help="Only count what would be warned and deleted.")
def retention_command(dry_run):
    """Warn before deletion, delete films whose retention period is over and originals of ready films."""
    from portal.services.retention import run_retention

    counts = run_retention(dry_run=dry_run)
    click.echo(("Would do: " if dry_run else "Done: ") + ", ".join(f"{k} {v}" for k, v in counts.items()))
    if counts["failed"]:
        raise click.ClickException(f"{counts['failed']} deletions failed; run again to finish them.")


media_cli = AppGroup("media", help="Published films.")


@media_cli.command("migrate-hls")
@click.option("--dry-run", is_flag=True, help="Only count the films that would be converted.")
def migrate_hls_command(dry_run):
    """Queue the conversion of every ready film still published as one MP4 to HLS (stream copy,
    on the heavy queue behind new films); each keeps playing as MP4 until its switch."""
    from workers import migrate_hls

    if dry_run:
        click.echo(f"{len(migrate_hls.candidates())} films are published as MP4.")
        return
    click.echo(f"Queued {migrate_hls.enqueue_all()} films for conversion to HLS.")
