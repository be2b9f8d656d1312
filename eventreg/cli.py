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
