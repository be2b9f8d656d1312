"""The application factory, configuration, migrations and the demo-data command."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask
from sqlalchemy import func, select

from eventreg import create_app
from eventreg.config import load_config
from eventreg.extensions import db
from eventreg.models import Event, Organisation, OutboxEmail, Registration, Theme


def test_secret_key_is_generated_once_and_kept_in_instance(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("DATABASE_URL", raising=False)

    def fresh_config():
        app = Flask("probe", instance_path=str(tmp_path), instance_relative_config=True)
        load_config(app, None)
        return app.config

    first = fresh_config()
    key_file = tmp_path / "secret_key"
    assert len(first["SECRET_KEY"]) >= 64
    assert key_file.read_text().strip() == first["SECRET_KEY"]
    assert key_file.stat().st_mode & 0o077 == 0  # readable by its owner only
    assert fresh_config()["SECRET_KEY"] == first["SECRET_KEY"]  # kept, not regenerated
    assert first["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'eventreg.sqlite'}"


def test_environment_overrides_configuration(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///env-chosen.sqlite")
    monkeypatch.setenv("MAIL_SERVER", "smtp.example.se")
    monkeypatch.setenv("MAIL_PORT", "2525")
    monkeypatch.setenv("MAIL_USE_TLS", "true")
    app = create_app({"SECRET_KEY": "x"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///env-chosen.sqlite"
    assert app.config["MAIL_SERVER"] == "smtp.example.se"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_USE_TLS"] is True


def test_migrations_match_the_models(app):
    """The schema built by the migrations is exactly what the models describe."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, db.metadata) == []


def test_demo_db_loads_demo_data_once(runner):
    result = runner.invoke(args=["demo-db"])
    assert result.exit_code == 0, result.output
    assert "Demo data loaded" in result.output
    themes = db.session.scalar(select(func.count()).select_from(Theme))
    events = db.session.scalar(select(func.count()).select_from(Event))
    assert themes >= 7
    assert events >= 10
    assert db.session.scalar(select(func.count()).select_from(Organisation)) >= 8
    municipalities = set(db.session.scalars(select(Event.municipality)))
    assert {"halmstad", "varberg", "online"} <= municipalities

    # Registrations for the organiser area to show: a full event with a waiting list, needs,
    # attendance at a past event, and no demo email waiting to be sent.
    registrations = db.session.scalars(select(Registration)).all()
    assert len(registrations) >= 20
    full = db.session.scalar(select(Event).where(Event.capacity == 10))
    assert full.seats_taken == full.capacity
    assert sum(r.is_confirmed for r in registrations if r.event_id == full.id) == full.capacity
    assert any(r.is_waiting for r in registrations if r.event_id == full.id)
    assert any(r.dietary_needs for r in registrations)
    assert any(r.accessibility_needs for r in registrations)
    assert any(r.interpretation_language for r in registrations)
    assert any(r.attended_at for r in registrations)
    for event in db.session.scalars(select(Event)):  # the seat counts agree with the rows
        confirmed = [r for r in registrations if r.event_id == event.id and r.is_confirmed]
        assert event.seats_taken == len(confirmed)
    assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == 0

    again = runner.invoke(args=["demo-db"])
    assert again.exit_code == 0
    assert "already has data" in again.output
    assert db.session.scalar(select(func.count()).select_from(Event)) == events
