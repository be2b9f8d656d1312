"""Configuration: defaults here, then instance/config.py, then environment variables."""

import os
import secrets
from pathlib import Path

# Environment variables a deployment may set, mapped to config keys.
ENV_SETTINGS = {
    "DATABASE_URL": "SQLALCHEMY_DATABASE_URI",
    "SECRET_KEY": "SECRET_KEY",
    "EVENTREG_BASE_URL": "BASE_URL",
    "MAIL_SERVER": "MAIL_SERVER",
    "MAIL_PORT": "MAIL_PORT",
    "MAIL_USERNAME": "MAIL_USERNAME",
    "MAIL_PASSWORD": "MAIL_PASSWORD",
    "MAIL_USE_TLS": "MAIL_USE_TLS",
    "MAIL_USE_SSL": "MAIL_USE_SSL",
    "MAIL_DEFAULT_SENDER": "MAIL_DEFAULT_SENDER",
    "EVENTREG_RETENTION_DAYS": "RETENTION_DAYS",
    "EVENTREG_PROXY_FIX": "PROXY_FIX",
}
INT_SETTINGS = {"MAIL_PORT", "RETENTION_DAYS", "PROXY_FIX"}
BOOL_SETTINGS = {"MAIL_USE_TLS", "MAIL_USE_SSL"}


class Defaults:
    SQLALCHEMY_DATABASE_URI = None  # filled in with instance/eventreg.sqlite
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = "Europe/Stockholm"
    LANGUAGES = ("sv", "en")
    EVENTS_PER_PAGE = 20
    BASE_URL = None  # absolute URLs in emails and feeds; falls back to the request host
    MAIL_SERVER = None  # no SMTP: emails are written to instance/outbox/
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_DEFAULT_SENDER = "eventreg <noreply@eventreg.invalid>"
    RETENTION_DAYS = 90
    # How many reverse proxies in front of the app to trust for the client's address and
    # scheme (X-Forwarded-For, X-Forwarded-Proto); 0 trusts none of these headers.
    PROXY_FIX = 0
    WTF_CSRF_TIME_LIMIT = None  # a long form must not expire while someone fills it in
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True


def _parse(key: str, value: str):
    if key in INT_SETTINGS:
        return int(value)
    if key in BOOL_SETTINGS:
        return value.strip().lower() in {"1", "true", "yes", "on"}
    return value


def load_config(app, overrides: dict | None) -> None:
    """Fill app.config from defaults, instance/config.py, the environment and overrides."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("config.py", silent=True)
    for env_name, key in ENV_SETTINGS.items():
        if os.environ.get(env_name):
            app.config[key] = _parse(key, os.environ[env_name])
    if overrides:
        app.config.update(overrides)

    instance = Path(app.instance_path)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        instance.mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'eventreg.sqlite'}"
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    if not app.config.get("OUTBOX_DIR"):
        app.config["OUTBOX_DIR"] = str(instance / "outbox")
    # A site served over https keeps its session and login cookies off plain http.
    if (app.config.get("BASE_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True


def _instance_secret_key(instance: Path) -> str:
    """A random key generated on first run and kept in instance/, never in the code."""
    instance.mkdir(parents=True, exist_ok=True)
    key_file = instance / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()
