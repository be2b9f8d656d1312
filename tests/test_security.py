"""Security promises, one section per item of the audit (issue 9), readable as a list.

Each test's docstring is the promise; each runs on SQLite and on PostgreSQL. Items 1, 4, 6,
7, 8, 9 and 13 are proven next to the code they concern (registration, markdown, forms,
imports)."""

import os
import re
import stat
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from sqlalchemy import event as sa_event
from sqlalchemy import func, select

from eventreg import create_app
from eventreg.config import _instance_secret_key, check_production_settings
from eventreg.extensions import db, limiter
from eventreg.models import Event, OutboxEmail, Registration, User
from eventreg.services.imports import MAX_IMPORT_BYTES
from tests.factories import (
    USER_PASSWORD,
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_user,
    registration_form,
)

ROOT = Path(__file__).resolve().parent.parent
PUBLIC = "https://evenemang.halland.example"


def reset_emails() -> list[OutboxEmail]:
    kind = OutboxEmail.kind == "password_reset"
    return list(db.session.scalars(select(OutboxEmail).where(kind).order_by(OutboxEmail.id)))


def reset_link(email: OutboxEmail) -> str:
    return re.search(r"(\S+/arrangor/nytt-losenord/\S+)", email.body_text)[1]


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def organiser_world():
    """An organisation with an event that has a registration, a member and an admin."""
    organisation = make_organisation()
    event = make_event(organisation=organisation)
    make_registration(event)
    organiser = make_user([organisation], email="arrangor@varberg.se")
    admin = make_user(is_admin=True, email="admin@region.se")
    db.session.commit()
    return event, organiser, admin


@pytest.fixture
def config_changes(app):
    """Change app.config for one test; the old values come back afterwards."""
    saved = {}

    def change(**values):
        for key, value in values.items():
            saved.setdefault(key, app.config.get(key))
            app.config[key] = value

    yield change
    app.config.update(saved)
    limiter.reset()


# --- 2. Links in emails point at the configured public address only --------------------


def test_email_links_never_come_from_the_host_header_and_production_needs_a_base_url(
    app, client, database_url, config_changes, monkeypatch
):
    """A forged Host header on the forgot-password form does not reach the reset link: it is
    built from EVENTREG_BASE_URL (or, outside production, the development address). With the
    base URL set, other hosts are refused (TRUSTED_HOSTS), and served by a WSGI server the
    app refuses to start without one."""
    make_user(email="anna@varberg.se")
    db.session.commit()

    # Development and tests (no base URL): the development address, not the attacker's.
    client.post(
        "/arrangor/glomt-losenord",
        data={"email": "anna@varberg.se"},
        base_url="http://evil.example",
    )
    assert reset_link(reset_emails()[-1]).startswith("http://localhost:5000/arrangor/")

    # A configured address wins over whatever the request says.
    config_changes(BASE_URL=PUBLIC)
    client.post(
        "/arrangor/glomt-losenord",
        data={"email": "anna@varberg.se"},
        base_url="http://evil.example",
    )
    assert reset_link(reset_emails()[-1]).startswith(f"{PUBLIC}/arrangor/nytt-losenord/")
    assert all("evil.example" not in e.body_text + e.body_html for e in reset_emails())

    # With EVENTREG_BASE_URL set, a request for another host is refused before any view.
    monkeypatch.setenv("EVENTREG_BASE_URL", PUBLIC)
    served = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    assert served.config["TRUSTED_HOSTS"] == ["evenemang.halland.example"]
    visitor = served.test_client()
    assert visitor.get("/arrangor/glomt-losenord", base_url=PUBLIC).status_code == 200
    response = visitor.post(
        "/arrangor/glomt-losenord",
        data={"email": "anna@varberg.se"},
        base_url="http://evil.example",
    )
    assert response.status_code == 400
    with served.app_context():
        db.engine.dispose()

    # Production without a base URL does not start; debug, tests and `flask` commands do.
    monkeypatch.delenv("EVENTREG_BASE_URL")
    settings = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url}
    with pytest.raises(RuntimeError, match="EVENTREG_BASE_URL"):
        create_app(settings)
    assert create_app({**settings, "DEBUG": True}).debug
    assert create_app({**settings, "TESTING": True}).testing


def test_the_readme_first_command_needs_no_settings(tmp_path):
    """`flask --app eventreg run`, the README's first command, starts and serves without
    EVENTREG_BASE_URL or FLASK_DEBUG: the flask command is development, not production."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EVENTREG_", "FLASK_"))}
    # Only so that the run leaves the checkout's instance/ alone; and this checkout's code.
    env.update(DATABASE_URL=f"sqlite:///{tmp_path / 'readme.sqlite'}", SECRET_KEY="x")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    server = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "eventreg", "run", "--port", "0"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = ""
        while "Running on" not in output and server.poll() is None:
            output += server.stdout.readline()
        address = re.search(r"Running on (http://\S+)", output)
        assert address, output
        with urllib.request.urlopen(address[1] + "/arrangor/logga-in", timeout=30) as page:
            assert page.status == 200
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stdout.close()


# --- 3. Sessions end on the server ------------------------------------------------------


def end_by_logout(app, organiser, admin, victim):
    victim.post("/arrangor/logga-ut")


def end_by_password_reset(app, organiser, admin, victim):
    anonymous = app.test_client()
    anonymous.post("/arrangor/glomt-losenord", data={"email": organiser.email})
    new = "ett-helt-nytt-långt-lösenord"
    response = anonymous.post(
        reset_link(reset_emails()[-1]), data={"password": new, "password_again": new}
    )
    assert response.status_code == 302


def _admin_saves(app, organiser, admin, **changes):
    administrator = app.test_client()
    log_in(administrator, admin)
    form = {
        "email": organiser.email,
        "name": organiser.name,
        "active": "y",
        "organisation_ids": [str(i) for i in organiser.organisation_ids],
    }
    form.update(changes)
    form = {key: value for key, value in form.items() if value is not None}
    response = administrator.post(f"/admin/anvandare/{organiser.id}", data=form)
    assert response.status_code == 302, response.text


def end_by_admin_new_password(app, organiser, admin, victim):
    new = "ett-annat-långt-lösenord"
    _admin_saves(app, organiser, admin, password=new, password_again=new)


def end_by_deactivation_and_reactivation(app, organiser, admin, victim):
    _admin_saves(app, organiser, admin, active=None)
    _admin_saves(app, organiser, admin)  # switched on again: old sessions stay ended


@pytest.mark.parametrize(
    "end_session",
    [
        end_by_logout,
        end_by_password_reset,
        end_by_admin_new_password,
        end_by_deactivation_and_reactivation,
    ],
)
def test_a_copied_session_cookie_stops_working_when_the_session_ends(
    app, organiser_world, end_session
):
    """Logout, a new password (by reset or by an administrator) and deactivation end every
    session of the account on the server: a session cookie copied before no longer opens
    the organiser area or the registrations CSV."""
    event, organiser, admin = organiser_world
    victim = app.test_client()
    log_in(victim, organiser)
    csv = f"/arrangor/evenemang/{event.id}/anmalningar.csv"
    assert victim.get(csv).status_code == 200
    copied = victim.get_cookie("session").value

    end_session(app, organiser, admin, victim)

    thief = app.test_client()
    thief.set_cookie("session", copied)
    for path in ("/arrangor/", csv):
        response = thief.get(path)
        assert response.status_code == 302, path
        assert "/arrangor/logga-in" in response.headers["Location"]


def test_an_administrator_changing_their_own_password_stays_logged_in_only_here(
    app, organiser_world
):
    """A new password ends the administrator's other sessions, not the one that set it."""
    _, _, admin = organiser_world
    here, elsewhere = app.test_client(), app.test_client()
    log_in(here, admin)
    log_in(elsewhere, admin)
    new = "ett-eget-långt-lösenord"
    form = {"email": admin.email, "name": admin.name, "is_admin": "y", "active": "y",
            "password": new, "password_again": new}  # fmt: skip
    assert here.post(f"/admin/anvandare/{admin.id}", data=form).status_code == 302
    assert here.get("/admin/anvandare").status_code == 200
    assert elsewhere.get("/admin/anvandare").status_code == 302


def test_sessions_expire_when_idle_and_after_their_absolute_lifetime(app, organiser_world):
    """A login ends after SESSION_IDLE_TIMEOUT (8 h) without a request, and after
    SESSION_ABSOLUTE_TIMEOUT (7 days) however active, whatever the cookie says."""
    _, organiser, _ = organiser_world
    assert app.config["SESSION_IDLE_TIMEOUT"] == 8 * 3600
    assert app.config["SESSION_ABSOLUTE_TIMEOUT"] == 7 * 24 * 3600
    start = datetime.now(UTC)

    def opens_dashboard(client, after: timedelta) -> bool:
        with time_machine.travel(start + after, tick=False):
            return client.get("/arrangor/").status_code == 200

    with time_machine.travel(start, tick=False):
        idle, busy = app.test_client(), app.test_client()
        log_in(idle, organiser)
        log_in(busy, organiser)
    assert opens_dashboard(idle, timedelta(hours=7, minutes=59))
    assert opens_dashboard(idle, timedelta(hours=15, minutes=58))  # 7:59 after the last
    assert not opens_dashboard(idle, timedelta(hours=24))  # idle for 8:02

    # Busy every seven hours: never idle, still logged out after seven days.
    visits = [timedelta(hours=7 * n) for n in range(1, 25)]  # up to 7 days
    assert all(opens_dashboard(busy, after) for after in visits)
    assert not opens_dashboard(busy, timedelta(days=7, hours=6))


# --- 5. Request size ----------------------------------------------------------------------


def test_an_oversized_request_is_refused_with_a_translated_page_and_nothing_stored(app, client):
    """A request body over MAX_CONTENT_LENGTH (a few MB, above the 2 MB import limit) is
    answered 413 with a page in Swedish, before it is read or anything is stored."""
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert MAX_IMPORT_BYTES + 512 * 1024 <= limit <= 10 * 1024 * 1024
    event_row = make_event(capacity=10)
    db.session.commit()
    path = f"/evenemang/{event_row.public_id}/anmalan"
    # A valid sign-up with a large file attached, encoded by hand so that no temporary file
    # is left open when the app refuses to read it.
    parts = [
        f'--b\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in registration_form().items()
    ]
    parts.append(
        b'--b\r\nContent-Disposition: form-data; name="bilaga"; filename="stor.bin"\r\n'
        b"Content-Type: application/octet-stream\r\n\r\n" + b"x" * limit + b"\r\n--b--\r\n"
    )
    body = b"".join(parts)
    assert len(body) > limit
    response = client.post(path, data=body, content_type="multipart/form-data; boundary=b")
    assert response.status_code == 413
    assert "Det du skickade är för stort" in response.text
    assert 'class="site-header"' in response.text
    assert count(Registration) == 0
    assert count(OutboxEmail) == 0


# --- 10. Forgot-password timing ------------------------------------------------------------


def test_forgot_password_does_the_same_work_for_known_and_unknown_addresses(
    app, client, monkeypatch
):
    """A reset request for an address without an account costs the same work as one with:
    one account lookup, one token, one rendered email, one outbox row written and flushed
    (then taken back), so timing does not tell who has an account. Only the real one is
    sent."""
    from eventreg.auth import accounts, notifications

    make_user(email="anna@varberg.se")
    make_user(email="off@varberg.se", active=False)
    db.session.commit()
    calls: list[str] = []

    def count_calls(module, name):
        function = getattr(module, name)

        def counted(*args, **kwargs):
            calls.append(name)
            return function(*args, **kwargs)

        monkeypatch.setattr(module, name, counted)

    count_calls(accounts, "get_user_by_email")
    count_calls(accounts, "password_reset_token")
    count_calls(notifications, "render_password_reset")
    count_calls(notifications, "queue_password_reset")

    def statement(conn, cursor, sql, parameters, context, executemany):
        words = sql.split()
        calls.append(" ".join(words[:3]).lower() if words[0] == "INSERT" else words[0].lower())

    work = {}
    sa_event.listen(db.engine, "before_cursor_execute", statement)
    try:
        for email in ("anna@varberg.se", "nobody@varberg.se", "off@varberg.se"):
            calls.clear()
            response = client.post("/arrangor/glomt-losenord", data={"email": email})
            assert response.status_code == 302
            work[email] = sorted(c for c in calls if c not in {"release", "rollback"})
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", statement)
    assert work["anna@varberg.se"] == work["nobody@varberg.se"] == work["off@varberg.se"]
    assert work["anna@varberg.se"].count("insert into outbox_email") == 1
    for step in ("get_user_by_email", "password_reset_token", "render_password_reset"):
        assert work["nobody@varberg.se"].count(step) == 1, step
    (sent,) = reset_emails()
    assert "anna@varberg.se" in sent.recipient


# --- 11. Login rate limits ---------------------------------------------------------------


def test_login_attempts_are_limited_per_account_from_any_address(app, config_changes):
    """Besides the limit per address, failed logins are limited per account: guessing one
    account's password from many addresses is stopped (429), other accounts are not."""
    config_changes(LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")
    limiter.reset()
    target = make_user(email="anna@varberg.se")
    other = make_user(email="bo@varberg.se")
    db.session.commit()
    client = app.test_client()

    def attempt(user, password, n):
        return client.post(
            "/arrangor/logga-in",
            data={"email": user.email, "password": password},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code

    assert [attempt(target, "fel-lösenord", n) for n in range(3)] == [400, 400, 400]
    assert attempt(target, USER_PASSWORD, 10) == 429  # even the right password, anywhere
    # The same address in other letter case and with blanks is the same account.
    response = client.post(
        "/arrangor/logga-in",
        environ_base={"REMOTE_ADDR": "198.51.100.11"},
        data={"email": " ANNA@varberg.se ", "password": USER_PASSWORD},
    )
    assert response.status_code == 429
    assert attempt(other, USER_PASSWORD, 12) == 302


def test_with_redis_the_login_limits_are_shared_between_worker_processes(
    app, database_url, tmp_path
):
    """RATELIMIT_STORAGE_URI=redis://… (the production storage) makes every worker process
    count the same attempts: failures in one process lock the account in another. With the
    per-process memory:// storage, production logs a warning at start."""
    make_user(email="anna@varberg.se")
    db.session.commit()
    prefix = f"eventreg-test-{os.getpid()}-{time.time_ns()}"
    worker = tmp_path / "worker.py"
    worker.write_text(
        "import sys\n"
        "from eventreg import create_app\n"
        "app = create_app({'TESTING': True, 'SECRET_KEY': 'x', 'WTF_CSRF_ENABLED': False,\n"
        f"    'SQLALCHEMY_DATABASE_URI': {database_url!r}, 'OUTBOX_DIR': {str(tmp_path)!r},\n"
        "    'RATELIMIT_STORAGE_URI': 'redis://127.0.0.1:6379',\n"
        f"    'RATELIMIT_KEY_PREFIX': {prefix!r}, 'LOGIN_ACCOUNT_RATE_LIMIT': '3 per minute'}})\n"
        "client = app.test_client()\n"
        "for n in range(int(sys.argv[1])):\n"
        "    print(client.post('/arrangor/logga-in', data={'email': 'anna@varberg.se',\n"
        "        'password': sys.argv[2]}).status_code)\n"
    )

    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }

    def run_worker(attempts: int, password: str) -> list[str]:
        result = subprocess.run(
            [sys.executable, str(worker), str(attempts), password],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    assert run_worker(2, "fel-lösenord") == ["400", "400"]
    assert run_worker(1, "fel-lösenord") == ["400"]
    assert run_worker(1, USER_PASSWORD) == ["429"]  # a third process sees all three failures

    probe = Flask("probe")
    probe.config.update(BASE_URL=PUBLIC, RATELIMIT_STORAGE_URI="memory://")
    with _captured_warnings(probe) as warnings:
        check_production_settings(probe)
    assert any("redis://" in message for message in warnings)
    probe.config["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
    with _captured_warnings(probe) as warnings:
        check_production_settings(probe)
    assert warnings == []


class _captured_warnings:
    def __init__(self, app):
        self.app, self.messages = app, []

    def __enter__(self):
        import logging

        class Collect(logging.Handler):
            def emit(handler, record):
                self.messages.append(record.getMessage())

        self.handler = Collect(logging.WARNING)
        self.app.logger.addHandler(self.handler)
        return self.messages

    def __exit__(self, *exc):
        self.app.logger.removeHandler(self.handler)


# --- 12. Caching of pages with personal data --------------------------------------------


PRIVATE_PAGES = [
    "/arrangor/",
    "/arrangor/evenemang/{event}/anmalningar",
    "/arrangor/evenemang/{event}/anmalningar.csv",
    "/arrangor/evenemang/{event}/narvarolista",
    "/arrangor/evenemang/{event}/incheckning",
    "/arrangor/statistik",
    "/arrangor/statistik.csv",
    "/admin/anvandare",
    "/admin/logg",
]


@pytest.mark.parametrize("page", PRIVATE_PAGES)
def test_pages_with_personal_data_are_never_stored_in_a_cache(app, organiser_world, page):
    """Every page of the organiser area and the administration (lists, attendance sheet,
    check-in, CSV exports, statistics) says Cache-Control: no-store."""
    event_row, _, admin = organiser_world
    client = app.test_client()
    log_in(client, admin)
    response = client.get(page.format(event=event_row.id))
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_password_pages_send_no_referrer_and_are_not_stored(app, client):
    """The forgot-password page and the reset page, whose address holds the reset token,
    are not stored and send no Referer to anything they load or link to."""
    make_user(email="anna@varberg.se")
    db.session.commit()
    client.post("/arrangor/glomt-losenord", data={"email": "anna@varberg.se"})
    for path in ("/arrangor/glomt-losenord", reset_link(reset_emails()[0])):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Referrer-Policy"] == "no-referrer", path
        assert "no-store" in response.headers["Cache-Control"], path


# --- 14. Demo accounts and password strength ----------------------------------------------


def test_demo_db_refuses_a_database_outside_instance_unless_forced(app, runner, tmp_path):
    """`demo-db`, whose accounts have public passwords, loads nothing into a database that
    is not the SQLite file under instance/ unless given --force."""
    result = runner.invoke(args=["demo-db"])  # the test database is elsewhere
    assert result.exit_code != 0
    assert "--force" in result.output
    assert count(Event) == 0
    assert count(User) == 0

    instance = tmp_path / "instance"
    instance.mkdir()
    local = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "x",
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{instance / 'eventreg.sqlite'}",
        }
    )
    local.instance_path = str(instance)
    with local.app_context():
        try:
            result = local.test_cli_runner().invoke(args=["demo-db"])
            assert result.exit_code == 0, result.output
            assert "Demo data loaded" in result.output
        finally:
            db.engine.dispose()


WEAK_PASSWORD = "password1234"  # twelve characters, guessed in no time


def test_account_passwords_must_be_hard_to_guess_not_only_long(app, client, runner):
    """A new password for an organiser or administrator is checked with zxcvbn (score 3 or
    more) besides its length, wherever it is set: the reset form and the administration
    (with a Swedish message) and create-admin."""
    user = make_user(email="anna@varberg.se", name="Anna Berg")
    admin = make_user(is_admin=True)
    db.session.commit()
    message = "Lösenordet är för lätt att gissa"

    client.post("/arrangor/glomt-losenord", data={"email": user.email})
    link = reset_link(reset_emails()[0])
    response = client.post(link, data={"password": WEAK_PASSWORD, "password_again": WEAK_PASSWORD})
    assert response.status_code == 400
    assert message in response.text

    # A new account chooses its own password (an invitation); an administrator can set one
    # on an existing account.
    administrator = app.test_client()
    log_in(administrator, admin)
    account = {"email": user.email, "name": user.name, "active": "y"}
    for password in (WEAK_PASSWORD, "anna@varberg.se", "Anna Berg 1234"):
        response = administrator.post(
            f"/admin/anvandare/{user.id}",
            data={**account, "password": password, "password_again": password},
        )
        assert response.status_code == 400, password
        assert message in response.text, password
    result = runner.invoke(
        args=[
            "create-admin",
            "--email",
            "ny@region.se",
            "--name",
            "Ny",
            "--password",
            WEAK_PASSWORD,
        ]
    )
    assert result.exit_code != 0
    assert "too easy to guess" in result.output
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.email == "ny@region.se")) is None

    strong = "vinter kaffe båt melodi"
    response = administrator.post(
        f"/admin/anvandare/{user.id}",
        data={**account, "password": strong, "password_again": strong},
    )
    assert response.status_code == 302


# --- 15. The generated secret key ----------------------------------------------------------


def test_workers_starting_at_once_generate_one_secret_key_readable_by_the_owner_only(tmp_path):
    """instance/secret_key is created atomically with mode 0600: workers that start at the
    same moment all end up with the same, complete key."""
    for round_ in range(20):
        instance = tmp_path / f"instance-{round_}"
        instance.mkdir()
        workers = 12
        start = threading.Barrier(workers)
        keys: list[str] = []

        def start_worker(instance=instance, start=start, keys=keys):
            start.wait()
            keys.append(_instance_secret_key(instance))

        threads = [threading.Thread(target=start_worker) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(keys) == workers, round_
        assert len(set(keys)) == 1, round_
        assert len(keys[0]) == 64, round_
        key_file = instance / "secret_key"
        assert key_file.read_text() == keys[0]
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert [p.name for p in instance.iterdir()] == ["secret_key"]  # no leftovers
