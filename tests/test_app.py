"""The application factory, configuration, migrations and the demo-data command."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask, request
from flask_limiter.util import get_remote_address
from sqlalchemy import func, select

from eventreg import create_app
from eventreg.config import load_config
from eventreg.extensions import db
from eventreg.models import Event, Organisation, OutboxEmail, Registration, Theme
from tests.factories import make_event


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
    app = create_app({"SECRET_KEY": "x", "BASE_URL": "http://localhost"})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "sqlite:///env-chosen.sqlite"
    assert app.config["MAIL_SERVER"] == "smtp.example.se"
    assert app.config["MAIL_PORT"] == 2525
    assert app.config["MAIL_USE_TLS"] is True


# A client behind one proxy: the address the client claims first, then the one the proxy saw.
FORWARDED = {"X-Forwarded-For": "198.51.100.66, 203.0.113.7", "X-Forwarded-Proto": "https"}


@pytest.mark.parametrize(
    ("setting", "client_address", "url_root"),
    [
        (None, "127.0.0.1", "http://localhost/"),  # off by default
        ("0", "127.0.0.1", "http://localhost/"),
        ("1", "203.0.113.7", "https://localhost/"),  # only what the trusted proxy added
    ],
)
def test_forwarded_headers_are_trusted_only_with_proxy_fix(
    monkeypatch, setting, client_address, url_root
):
    if setting is None:
        monkeypatch.delenv("EVENTREG_PROXY_FIX", raising=False)
    else:
        monkeypatch.setenv("EVENTREG_PROXY_FIX", setting)
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": "http://localhost"}
    )

    @app.get("/probe")
    def probe():
        # What the rate limits count by, and what links built from the request start with.
        return {"limited_as": get_remote_address(), "url_root": request.url_root}

    answer = app.test_client().get(
        "/probe", headers=FORWARDED, environ_base={"REMOTE_ADDR": "127.0.0.1"}
    ).json
    assert answer == {"limited_as": client_address, "url_root": url_root}


def test_behind_a_proxy_the_registration_limit_counts_each_visitor(app, database_url):
    event = make_event()
    db.session.commit()
    proxied = create_app({
        "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "PROXY_FIX": 1,
        "BASE_URL": "http://localhost",
        "WTF_CSRF_ENABLED": False, "REGISTRATION_RATE_LIMIT": "2 per minute",
    })  # fmt: skip
    client = proxied.test_client()
    path = f"/evenemang/{event.public_id}/anmalan"

    def post_from(address: str) -> int:
        # An empty form: refused with errors (400), and counted by the limit all the same.
        return client.post(
            path, headers={"X-Forwarded-For": address}, environ_base={"REMOTE_ADDR": "10.0.0.2"}
        ).status_code

    try:
        assert [post_from("203.0.113.7") for _ in range(3)] == [400, 400, 429]
        assert post_from("203.0.113.8") == 400  # a colleague behind the same proxy
    finally:
        with proxied.app_context():
            db.engine.dispose()


def test_migrations_match_the_models(app):
    """The schema built by the migrations is exactly what the models describe."""
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection)
        assert compare_metadata(context, db.metadata) == []


def test_demo_db_loads_demo_data_once(runner):
    result = runner.invoke(args=["demo-db", "--force"])  # the test database is not instance/
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

    again = runner.invoke(args=["demo-db", "--force"])
    assert again.exit_code == 0
    assert "already has data" in again.output
    assert db.session.scalar(select(func.count()).select_from(Event)) == events


def test_cookies_are_secure_when_the_site_is_served_over_https(monkeypatch):
    monkeypatch.setenv("EVENTREG_BASE_URL", "https://evenemang.regionhalland.se")
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REMEMBER_COOKIE_SECURE"] is True
    monkeypatch.setenv("EVENTREG_BASE_URL", "http://127.0.0.1:5000")
    local = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert local.config["SESSION_COOKIE_SECURE"] is False
