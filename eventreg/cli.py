"""Flask CLI commands (run as `flask --app eventreg <command>`)."""

from pathlib import Path

import click
from flask_migrate import upgrade
from sqlalchemy import select

from .extensions import db
from .models import OutboxStatus, Theme


@click.command("demo-db")
@click.option(
    "--force", is_flag=True,
    help="Also into a database that is not the local SQLite file in instance/ (the demo "
    "accounts' passwords are public).",
)  # fmt: skip
def demo_db_command(force: bool) -> None:
    """Bring the database schema up to date and load demo data if it is empty."""
    if not force and not _is_local_database():
        raise click.ClickException(
            "demo-db loads accounts whose passwords are public, so it only runs on the local "
            "SQLite database in instance/. This database is elsewhere; use --force if it "
            "really is a throwaway copy."
        )
    upgrade()
    if db.session.scalar(select(Theme).limit(1)) is not None:
        click.echo("The database already has data; demo data not loaded.")
        return
    from .demo import load_demo_data

    summary = load_demo_data()
    db.session.commit()
    click.echo(f"Demo data loaded: {summary}.")


def _is_local_database() -> bool:
    """Whether the app's database is a SQLite file under instance/ (a newcomer's own)."""
    from flask import current_app

    url = db.engine.url  # with a relative SQLite path already made relative to instance/
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return False
    instance = Path(current_app.instance_path).resolve()
    return Path(url.database).resolve().is_relative_to(instance)


def init_app(app) -> None:
    app.cli.add_command(demo_db_command)
    _register_organiser_commands(app)
    _register_registration_commands(app)


@click.command("create-admin")
@click.option("--email", prompt=True, help="The administrator's email address (login name).")
@click.option("--name", prompt=True, help="The administrator's full name.")
@click.password_option(
    "--password", prompt=True, confirmation_prompt=True, hide_input=True,
    help="Asked for (hidden, twice) when not given.",
)  # fmt: skip
def create_admin_command(email: str, name: str, password: str) -> None:
    """Create an administrator account (the first one, or another)."""
    from email_validator import EmailNotValidError, validate_email

    from .auth.accounts import create_user, get_user_by_email, is_strong_password

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    if len(password) < 12:
        raise click.BadParameter("use at least 12 characters", param_hint="--password")
    if not is_strong_password(password, [email, name]):
        raise click.BadParameter(
            "too easy to guess: use a few unrelated words together, and avoid names, dates, "
            "common words and keyboard patterns",
            param_hint="--password",
        )
    if get_user_by_email(email) is not None:
        raise click.ClickException(f"An account with the email {email} already exists.")
    create_user(email, name, password, is_admin=True)
    db.session.commit()
    click.echo(f"Administrator {email} created.")


def _register_organiser_commands(app) -> None:
    app.cli.add_command(create_admin_command)
    app.cli.add_command(import_events_command)


# --- registration: email delivery and data protection ---


@click.command("send-mail")
@click.option(
    "--watch", is_flag=True, help="Keep running, sending what is due every --interval seconds."
)
@click.option("--interval", default=30, show_default=True, help="Seconds between runs (--watch).")
@click.option(
    "--requeue-uncertain", is_flag=True,
    help="First put emails marked 'uncertain' (the sender stopped mid-send; they may have "
    "arrived) back in the queue. Check the mail server's log before using it.",
)  # fmt: skip
@click.option("--requeue-failed", is_flag=True, help="First put failed emails back in the queue.")
@click.option(
    "--retry-now", is_flag=True,
    help="First make every email waiting to be retried due at once (after the mail server or "
    "the outbox folder is fixed). Failed and uncertain emails are left alone.",
)  # fmt: skip
def send_mail_command(
    watch: bool, interval: int, requeue_uncertain: bool, requeue_failed: bool, retry_now: bool
):
    """Deliver the email outbox (SMTP with MAIL_SERVER, else .eml files in OUTBOX_DIR)."""
    import time

    from .mail import sender

    statuses = (OutboxStatus.UNCERTAIN,) * requeue_uncertain
    statuses += (OutboxStatus.FAILED,) * requeue_failed
    if statuses:
        click.echo(f"Requeued {sender.requeue(statuses)} email(s).")
    if retry_now:
        click.echo(f"Made {sender.retry_now()} waiting email(s) due now.")
    while True:
        try:
            report = sender.send_due()
        except Exception as error:  # noqa: BLE001 - a watcher outlives a database hiccup
            if not watch:
                raise
            db.session.rollback()
            click.echo(f"Sending failed, trying again in {interval} s: {error}", err=True)
            time.sleep(interval)
            continue
        click.echo(
            f"Sent {report.sent}, to retry {report.retried}, failed {report.failed}"
            + (
                f", uncertain {report.uncertain} (may have arrived: check the mail server's "
                "log, then --requeue-uncertain)"
                if report.uncertain
                else ""
            )
            + "."
        )
        if not watch:
            break
        db.session.remove()
        time.sleep(interval)


@click.command("anonymise-registrations")
@click.option(
    "--days", type=click.IntRange(min=0), default=None,
    help="Events that ended more than this many days ago [default: RETENTION_DAYS].",
)  # fmt: skip
def anonymise_registrations_command(days: int | None) -> None:
    """Erase personal data of registrations for events that ended long enough ago."""
    from flask import current_app

    from .mail.sender import remove_eml_files
    from .services.feedback import anonymise_feedback
    from .services.registrations import anonymise_registrations

    if days is None:
        days = current_app.config["RETENTION_DAYS"]
    count, purged = anonymise_registrations(days)
    cleared = anonymise_feedback(days=days)
    db.session.commit()
    remove_eml_files(purged)
    click.echo(f"Anonymised {count} registration(s) of events that ended more than {days} days "
               f"ago; purged {len(purged)} email(s) from the outbox; cleared the free text "
               f"of {cleared} feedback answer(s).")  # fmt: skip


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one round of what is due, then stop.")
@click.option(
    "--interval", type=click.FloatRange(min=0.1), default=None,
    help="Seconds between rounds [default: WORKER_INTERVAL, 30].",
)  # fmt: skip
def worker_command(once: bool, interval: float | None) -> None:
    """Run everything scheduled (reminders, the outbox, anonymisation …) until SIGTERM.
    Safe to run as several processes, on one host or several."""
    import logging
    import signal

    from .worker import Worker

    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("eventreg").setLevel(logging.INFO)
    worker = Worker(interval=interval)
    signal.signal(signal.SIGTERM, worker.stop)
    signal.signal(signal.SIGINT, worker.stop)
    worker.run(once=once)


def _register_registration_commands(app) -> None:
    app.cli.add_command(send_mail_command)
    app.cli.add_command(anonymise_registrations_command)
    app.cli.add_command(worker_command)


@click.command("import-events")
@click.argument("file", type=click.File("rb"))
@click.option("--organisation", "organisation_slug", required=True,
              help="Slug of the organisation the events belong to.")
@click.option("--municipality", default=None,
              help="Municipality code for .ics events whose LOCATION names none.")
@click.option("--dry-run", is_flag=True, help="Check the file and report, save nothing.")
def import_events_command(file, organisation_slug: str, municipality: str | None,
                          dry_run: bool) -> None:  # fmt: skip
    """Import events from a CSV or .ics FILE as drafts: the good rows all together, the
    bad rows listed with the reason."""
    from flask_babel import force_locale

    from .models import Organisation
    from .services import imports

    organisation = db.session.scalar(
        select(Organisation).where(Organisation.slug == organisation_slug)
    )
    if organisation is None:
        raise click.BadParameter(f"no organisation {organisation_slug!r}",
                                 param_hint="--organisation")  # fmt: skip
    # The command speaks English, like its other output.
    with force_locale("en"):
        try:
            rows = imports.parse_file(file.name, file.read(), organisation, municipality)
        except imports.ImportFileError as error:
            raise click.ClickException(str(error)) from None
        created = []
        if not dry_run:
            with click.progressbar(length=len(rows), label="Importing") as bar:
                created = imports.import_rows(rows, None, progress=lambda row: bar.update(1))
            db.session.commit()
        bad = [row for row in rows if not row.is_good]
        for row in bad:
            click.echo(f"Row {row.line} ({row.title or 'no title'}): " + "; ".join(row.errors))
        good = len(rows) - len(bad)
        verb = "would be imported" if dry_run else "imported as drafts"
        click.echo(f"{len(created) if not dry_run else good} events {verb}, "
                   f"{len(bad)} rows left out.")  # fmt: skip
