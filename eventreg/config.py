"""Configuration: defaults here, then instance/config.py, then environment variables."""

import os
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import click
from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import make_url

from .vocab import TIMEZONE

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
    "RATELIMIT_STORAGE_URI": "RATELIMIT_STORAGE_URI",
    "CACHE_REDIS_URL": "CACHE_REDIS_URL",
    "EVENTREG_CACHE_KEY_PREFIX": "CACHE_KEY_PREFIX",
    "EVENTREG_SESSION_IDLE_TIMEOUT": "SESSION_IDLE_TIMEOUT",
    "EVENTREG_SESSION_ABSOLUTE_TIMEOUT": "SESSION_ABSOLUTE_TIMEOUT",
    "DATABASE_CONNECT_TIMEOUT": "DATABASE_CONNECT_TIMEOUT",
    "DATABASE_STATEMENT_TIMEOUT_MS": "DATABASE_STATEMENT_TIMEOUT_MS",
    "EVENTREG_SQLITE_SYNCHRONOUS": "SQLITE_SYNCHRONOUS",
    "EVENTREG_SITE_NAME": "SITE_NAME",
    "EVENTREG_MAIL_SENDER_NAME": "MAIL_SENDER_NAME",
    "EVENTREG_SEAT_COUNT_LAG_SECONDS": "SEAT_COUNT_LAG_SECONDS",
}
INT_SETTINGS = {
    "MAIL_PORT", "RETENTION_DAYS", "PROXY_FIX", "SESSION_IDLE_TIMEOUT", "SESSION_ABSOLUTE_TIMEOUT",
    "DATABASE_CONNECT_TIMEOUT", "DATABASE_STATEMENT_TIMEOUT_MS", "SEAT_COUNT_LAG_SECONDS",
}  # fmt: skip
BOOL_SETTINGS = {"MAIL_USE_TLS", "MAIL_USE_SSL"}


class Defaults:
    SQLALCHEMY_DATABASE_URI = None  # filled in with instance/eventreg.sqlite
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    # PostgreSQL: seconds to wait for a connection, and milliseconds any one statement may
    # run (0 switches either off). Both stay well below the WSGI server's worker timeout
    # (gunicorn: 30 s), so a stopped or stuck database answers the 503 page instead of
    # hanging every worker until it is killed. See README, Production.
    DATABASE_CONNECT_TIMEOUT = 5
    DATABASE_STATEMENT_TIMEOUT_MS = 15_000
    # How long a change waits for a busy event (another sign-up holding its lock) before it
    # answers "busy, try again"; below the statement timeout, so a lock wait ends as "busy".
    REGISTRATION_LOCK_TIMEOUT_MS = 10_000
    # SQLite: how long a writer waits for another to finish (a burst of sign-ups queues).
    SQLITE_BUSY_TIMEOUT_MS = 30_000
    # SQLite's `PRAGMA synchronous` (WAL mode): NORMAL writes a commit to the disk at
    # checkpoints, not at every commit. A crash of the app or its worker loses nothing; a
    # power cut or crash of the machine may lose the last commits before it (the database
    # stays consistent). FULL (or EXTRA) waits for the disk at every commit: about 3 ms more
    # for each sign-up, all of it while the database's write lock is held. See README,
    # Production.
    SQLITE_SYNCHRONOUS = "NORMAL"
    # The Retry-After of the 503 answers to a busy or unreachable database, in seconds.
    RETRY_AFTER_SECONDS = 30
    # Sign-ups per client address. Generous, because colleagues behind one office address
    # register together when an invitation goes out; it stops scripts filling an event with
    # invented people. (The tests, which post many times from one address, set a higher one.)
    REGISTRATION_RATE_LIMIT = "30 per minute; 300 per hour"
    BABEL_DEFAULT_LOCALE = "sv"
    BABEL_DEFAULT_TIMEZONE = TIMEZONE
    LANGUAGES = ("sv", "en")
    # The service's name in the header, page titles, emails and shared links. The default is
    # translated ("Hallands seminarier" / "Halland's seminars"); a string set by an
    # installation is shown as it is in every language.
    SITE_NAME = _l("Halland's seminars")
    EVENTS_PER_PAGE = 20
    # Serialised calendar feeds kept per worker (by count and by total size), and how long
    # a calendar app or proxy may reuse a feed before asking again, in seconds.
    FEED_CACHE_MAX_ENTRIES = 512
    FEED_CACHE_MAX_BYTES = 64 * 1024 * 1024
    FEED_MAX_AGE = 900
    # Whole public pages and feeds are cached (eventreg/pagecache.py) under the public data's
    # version: in each worker's memory by default, in Redis (shared by every worker and host)
    # when CACHE_REDIS_URL is set. A page follows the clock (an event ending, registration
    # closing) within PAGE_CACHE_SECONDS (0 switches the page cache off), a feed within
    # FEED_WINDOW_STEP_SECONDS.
    CACHE_TYPE = "eventreg.pagecache.BoundedMemoryCache"  # SimpleCache, bounded by size too
    CACHE_REDIS_URL = None
    CACHE_OPTIONS = None  # with Redis: socket timeouts of 1 s unless set here
    CACHE_KEY_PREFIX = "eventreg:"
    CACHE_DEFAULT_TIMEOUT = 3600
    CACHE_THRESHOLD = 2000  # entries per worker in the memory cache, and their total size:
    CACHE_MAX_BYTES = 64 * 1024 * 1024
    PAGE_CACHE_SECONDS = 60
    FEED_WINDOW_STEP_SECONDS = 3600
    # Seat counts on a cached page ("3 seats left", "fully booked") may be this many seconds
    # behind: in a rush each page is built again at most once per lag, not after every
    # sign-up (0: at once). Feeds show no seats; the sign-up itself always decides on the
    # live count under the event's lock, so nobody gets a seat that is not there.
    SEAT_COUNT_LAG_SECONDS = 5
    # The public address: the only source of absolute links in emails. Required in production
    # (see check_production_settings); TRUSTED_HOSTS is derived from it.
    BASE_URL = None
    MAIL_SERVER = None  # no SMTP: emails are written to OUTBOX_DIR
    OUTBOX_DIR = None  # filled in with instance/outbox
    MAIL_PORT = 25
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_DEFAULT_SENDER = "noreply@eventreg.invalid"
    # The name emails come from. None: the name in MAIL_DEFAULT_SENDER if it has one, else
    # SITE_NAME (in the recipient's language).
    MAIL_SENDER_NAME = None
    MAIL_TIMEOUT = 30  # seconds the sender waits for each answer of the SMTP server
    # Sending attempts before an email is marked failed; with the sender's one-hour cap on
    # the wait between attempts, about two days of trying.
    MAIL_MAX_ATTEMPTS = 48
    RETENTION_DAYS = 90
    # Reminder emails to people with a seat, in hours before the start: what a new event
    # gets (each event can change or switch them off). See services/reminders.py.
    REMINDER_FIRST_HOURS = 48
    REMINDER_SECOND_HOURS = 2
    # `flask worker`: seconds between rounds of what is due (outbox, reminders, …).
    WORKER_INTERVAL = 30
    # Emails a visitor can make us send to one address (sign-up, repeated sign-up, cancel),
    # per hour; more are silently not sent, so nobody can flood a mailbox through the form.
    VISITOR_EMAILS_PER_ADDRESS_PER_HOUR = 5
    # Email alerts ("Bevaka"): days an unconfirmed subscription waits for its confirmation
    # before it is deleted, and subscribe requests per client address.
    ALERT_CONFIRM_DAYS = 7
    ALERT_RATE_LIMIT = "10 per minute; 50 per hour"
    # Check-in is open from this long before an event starts until it ends; outside that
    # an organiser must confirm "check in anyway" (people arrive early, not days early).
    CHECK_IN_OPENS_BEFORE = timedelta(hours=2)
    # How many reverse proxies in front of the app to trust for the client's address and
    # scheme (X-Forwarded-For, X-Forwarded-Proto); 0 trusts none of these headers.
    PROXY_FIX = 0
    WTF_CSRF_TIME_LIMIT = None  # a long form must not expire while someone fills it in
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_HTTPONLY = True
    # A login ends after this many seconds without a request, and this many after it began,
    # whatever the cookie says (checked on the server, see auth/sessions.py).
    SESSION_IDLE_TIMEOUT = 8 * 3600
    SESSION_ABSOLUTE_TIMEOUT = 7 * 24 * 3600
    # Login and password-reset attempts per client address. (The tests, which log in many
    # times from one address, set a higher one.)
    LOGIN_RATE_LIMIT = "10 per minute; 50 per hour"
    # Per account, whatever address the attempts come from (guessing one account's password
    # from many machines). Only refused attempts count, so its owner still logs in.
    LOGIN_ACCOUNT_RATE_LIMIT = "10 per 15 minutes"
    RATELIMIT_HEADERS_ENABLED = True
    PASSWORD_RESET_MAX_AGE = 3600  # seconds a reset link is valid
    # Seconds the link in a new account's invitation is valid: a new colleague may not read
    # their email the same hour.
    INVITATION_MAX_AGE = 7 * 24 * 3600
    # Larger requests are refused (413) before they are read: above the 2 MB import file
    # limit plus the form around it. A proxy in front should refuse the same (nginx:
    # client_max_body_size 4m).
    MAX_CONTENT_LENGTH = 4 * 1024 * 1024
    # Where rate limits count. memory:// counts per process: with several workers use Redis,
    # e.g. redis://127.0.0.1:6379, so every worker shares the counts.
    RATELIMIT_STORAGE_URI = "memory://"
    # Requests to the open data API per client address (see eventreg/api): generous for a
    # site that syncs every few minutes, refusing a crawler that asks without pause.
    API_RATE_LIMIT = "120 per minute; 3000 per hour"
    # Seconds a client or proxy may reuse an API answer without asking (feeds: FEED_MAX_AGE).
    API_MAX_AGE = 300
    # Public follow-up figures withhold counts of people below this (statistical disclosure).
    OPEN_STATISTICS_MIN_COUNT = 5
    # The embeddable event list (/inbaddning/evenemang) shows at most this many events,
    # whatever ?antal= asks for, and may be kept this many seconds by browsers and proxies.
    EMBED_MAX_EVENTS = 20
    EMBED_MAX_AGE = 300
    # Materials after an event (organiser uploads): the largest file taken, and where files
    # are kept (None: instance/materials). The upload page alone accepts a request this big
    # (plus its form); a proxy in front needs the same limit for it (see README).
    MATERIAL_MAX_BYTES = 20 * 1024 * 1024
    # An event's own questions on its registration form: a few, so the form stays short.
    QUESTIONS_PER_EVENT = 5
    MATERIALS_DIR = None
    # Feedback requests go out the day after an event at this hour (Swedish time), at the
    # latest FEEDBACK_REQUEST_LATEST_DAYS after it ended (a worker that was down does not
    # ask about events long gone); the form takes answers FEEDBACK_OPEN_DAYS after the end.
    FEEDBACK_REQUEST_HOUR = 9
    FEEDBACK_REQUEST_LATEST_DAYS = 7
    FEEDBACK_OPEN_DAYS = 30
    # Organisers see free-text answers only from this many answers on, so that nobody's
    # words can be told apart in a small group.
    FEEDBACK_MIN_ANSWERS_FOR_TEXT = 5


def instance_path(root: Path) -> str:
    """The folder for instance/config.py, the SQLite database, the secret key and the
    outbox: root/instance unless EVENTREG_INSTANCE_PATH names another."""
    return os.path.abspath(os.environ.get("EVENTREG_INSTANCE_PATH") or root / "instance")


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
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'eventreg.sqlite'}"
    _check_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = database_engine_options(app.config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    if not app.config.get("OUTBOX_DIR"):
        app.config["OUTBOX_DIR"] = str(instance / "outbox")
    # A Redis address switches the page and feed cache from memory to Redis.
    if app.config["CACHE_REDIS_URL"] and app.config["CACHE_TYPE"] == Defaults.CACHE_TYPE:
        app.config["CACHE_TYPE"] = "RedisCache"
        # A Redis that does not answer costs a page one second, then the page is rendered.
        app.config["CACHE_OPTIONS"] = app.config["CACHE_OPTIONS"] or {
            "socket_timeout": 1,
            "socket_connect_timeout": 1,
        }
    if not app.config.get("MATERIALS_DIR"):
        app.config["MATERIALS_DIR"] = str(instance / "materials")
    # A site served over https keeps its session and login cookies off plain http.
    if (app.config.get("BASE_URL") or "").startswith("https://"):
        app.config["SESSION_COOKIE_SECURE"] = True
        app.config["REMEMBER_COOKIE_SECURE"] = True
    # Requests for any other host are refused (400): a forged Host header reaches nothing.
    # More names (a health check by address) can be listed in instance/config.py.
    if app.config.get("BASE_URL") and app.config.get("TRUSTED_HOSTS") is None:
        app.config["TRUSTED_HOSTS"] = [urlsplit(app.config["BASE_URL"]).hostname]


def database_engine_options(config) -> dict:
    """SQLALCHEMY_ENGINE_OPTIONS with PostgreSQL's connect, statement and lock timeouts
    added (DATABASE_CONNECT_TIMEOUT, DATABASE_STATEMENT_TIMEOUT_MS,
    REGISTRATION_LOCK_TIMEOUT_MS); a `connect_timeout`, `statement_timeout` or
    `lock_timeout` already given in its connect_args is kept. `pool_pre_ping` is left out:
    the database module checks PostgreSQL connections before use more cheaply."""
    options = dict(config["SQLALCHEMY_ENGINE_OPTIONS"])  # a copy: Defaults' dict is shared
    if make_url(config["SQLALCHEMY_DATABASE_URI"]).get_backend_name() != "postgresql":
        return options
    connect_args = dict(options.get("connect_args") or {})
    connect_args.setdefault("connect_timeout", int(config["DATABASE_CONNECT_TIMEOUT"]))
    server_options = connect_args.get("options") or ""
    if "statement_timeout" not in server_options:
        statement = f"-c statement_timeout={int(config['DATABASE_STATEMENT_TIMEOUT_MS'])}"
        server_options = f"{server_options} {statement}".strip()
    if "lock_timeout" not in server_options:
        # No lock is waited for longer than a sign-up waits for its event (which then needs
        # no SET of its own, see database.set_lock_timeout).
        lock = f"-c lock_timeout={int(config['REGISTRATION_LOCK_TIMEOUT_MS'])}"
        server_options = f"{server_options} {lock}".strip()
    connect_args["options"] = server_options
    options["connect_args"] = connect_args
    # Connections are checked before use without a round trip, see database._check_before_use.
    options.pop("pool_pre_ping", None)
    return options


def _writable_folder(folder: Path, purpose: str) -> None:
    """Make sure `folder` exists (created if missing) and takes new files, or stop the app
    at start with a message that says what to fix. Otherwise it would start and answer
    every page with an error (a SQLite database needs its folder for its journal)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=folder):
            pass
    except OSError as error:
        raise RuntimeError(
            f"eventreg cannot use the folder {folder} for {purpose}: "
            f"{error.strerror or error}. Make it a folder that the user running eventreg can "
            "write to, or choose another place (EVENTREG_INSTANCE_PATH for the instance "
            "folder, DATABASE_URL for the database)."
        ) from error


def _check_sqlite_folder(uri: str) -> None:
    url = make_url(uri)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        _writable_folder(Path(url.database).parent, "the SQLite database")


def runs_in_production(app) -> bool:
    """Production is the app served by a WSGI server such as gunicorn. Debug mode, tests and
    the `flask` command (the development server of the README's first command, migrations,
    send-mail) are not."""
    return not (app.debug or app.testing or click.get_current_context(silent=True))


def check_production_settings(app) -> None:
    """Refuse to serve in production without the settings that keep it safe."""
    if not runs_in_production(app):
        return
    if not app.config.get("BASE_URL"):
        raise RuntimeError(
            "Set EVENTREG_BASE_URL to the site's public address (e.g. "
            "https://evenemang.regionhalland.se): links in emails are built from it, never "
            "from the request's Host header."
        )
    if app.config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        app.logger.warning(
            "RATELIMIT_STORAGE_URI is memory://: each worker counts login attempts on its own. "
            "With several workers set it to a shared store such as redis://127.0.0.1:6379."
        )


def _instance_secret_key(instance: Path) -> str:
    """A random key generated on first run and kept in instance/, never in the code.

    Workers starting at once must agree on one key: each writes its candidate to a private
    file (mode 0600 from the start) and links it into place, which only one can do; the
    others read the winner's key, complete from the moment it appears."""
    key_file = instance / "secret_key"
    if not key_file.exists():
        _writable_folder(instance, "the secret key (or set SECRET_KEY)")
        candidate = instance / f".secret_key.{secrets.token_hex(8)}"
        fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as file:
                file.write(secrets.token_hex(32))
                file.flush()
                os.fsync(file.fileno())
            os.link(candidate, key_file)
        except FileExistsError:
            pass  # another worker's key won
        finally:
            candidate.unlink()
    return key_file.read_text().strip()
