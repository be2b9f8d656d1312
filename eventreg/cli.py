"""Flask CLI commands (run as `flask --app eventreg <command>`)."""

import click
from flask_migrate import upgrade
from sqlalchemy import select

from .extensions import db
from .models import Theme


@click.command("demo-db")
def demo_db_command() -> None:
    """Bring the database schema up to date and load demo data if it is empty."""
    upgrade()
    if db.session.scalar(select(Theme).limit(1)) is not None:
        click.echo("The database already has data; demo data not loaded.")
        return
    from .demo import load_demo_data

    summary = load_demo_data()
    db.session.commit()
    click.echo(f"Demo data loaded: {summary}.")


def init_app(app) -> None:
    app.cli.add_command(demo_db_command)
    _register_organiser_commands(app)


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

    from .organiser.accounts import create_user, get_user_by_email

    try:
        validate_email(email, check_deliverability=False)
    except EmailNotValidError as error:
        raise click.BadParameter(str(error), param_hint="--email") from None
    if len(password) < 12:
        raise click.BadParameter("use at least 12 characters", param_hint="--password")
    if get_user_by_email(email) is not None:
        raise click.ClickException(f"An account with the email {email} already exists.")
    create_user(email, name, password, is_admin=True)
    db.session.commit()
    click.echo(f"Administrator {email} created.")


def _register_organiser_commands(app) -> None:
    app.cli.add_command(create_admin_command)
