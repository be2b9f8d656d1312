"""Seats under real concurrency over HTTP: the app served by gunicorn with several worker
processes, as in production, and fifty people submitting the registration form at the same
moment, each from their own "browser" (own cookies, own CSRF token), against the test
database (a file for SQLite, a server database for PostgreSQL)."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.mail.notifications import render
from eventreg.models import Event, OutboxEmail, Registration
from eventreg.services import registrations as service
from tests.factories import make_event

# gunicorn's workers keep the real clock, so this is left out of --clock-shift-days runs.
pytestmark = pytest.mark.real_clock

ROOT = Path(__file__).resolve().parent.parent
SEATS = 10
PEOPLE = 50
WORKERS = 4  # sync workers: separate processes, each serving one request at a time
# Generous for a loaded two-core machine: each worker imports and builds the app on start.
START_TIMEOUT = 120
REQUEST_TIMEOUT = 120
MAX_RETRIES = 5  # of a 503 "busy, try again", as the page tells the person to do


GUNICORN_CONFIG = """\
import pathlib

bind = ["fd://{fd}"]
workers = {workers}
worker_class = "sync"
timeout = {timeout}
graceful_timeout = 10
control_socket_disable = True
errorlog = {errorlog!r}
accesslog = {accesslog!r}
access_log_format = '%(p)s "%(r)s" %(s)s'


def post_worker_init(worker):
    # The worker has built the app: it can answer now.
    pathlib.Path({ready!r}, str(worker.pid)).touch()
"""


def _app_factory(outbox: Path) -> str:
    """The app as gunicorn builds it in each worker. Test-only settings go to the factory as
    a literal (gunicorn evaluates it): the registration rate limit counts per address, and
    all fifty people come from 127.0.0.1. The rest comes from the environment."""
    overrides = {"REGISTRATION_RATE_LIMIT": "10000 per minute", "OUTBOX_DIR": str(outbox)}
    return f"eventreg:create_app({overrides!r})"


@dataclass
class Server:
    port: int
    access_log: Path
    error_log: Path

    def log_tail(self) -> str:
        return self.error_log.read_text(errors="replace")[-4000:]

    def worker_pids(self, request_line: str) -> set[str]:
        """The processes that served requests whose request line starts with this."""
        pids = set()
        for line in self.access_log.read_text().splitlines():
            pid, _, rest = line.partition(" ")
            if rest.startswith(f'"{request_line}'):
                pids.add(pid)
        return pids


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM lets gunicorn finish in-flight requests; whatever is left is killed."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    # The workers share the master's process group (its own session, see Popen below).
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


@pytest.fixture
def gunicorn_server(app, database_url, tmp_path):
    """gunicorn serving the app on a free loopback port, stopped however the test ends."""
    ready = tmp_path / "ready"
    ready.mkdir()
    outbox = tmp_path / "outbox"
    server_log = tmp_path / "gunicorn.log"
    # The test binds the socket itself and hands it to gunicorn: no race for a free port,
    # and connections made before a worker is up wait in the backlog instead of failing.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    config = tmp_path / "gunicorn.conf.py"
    config.write_text(
        GUNICORN_CONFIG.format(
            fd=listener.fileno(),
            workers=WORKERS,
            timeout=REQUEST_TIMEOUT,
            errorlog=str(server_log),
            accesslog=str(tmp_path / "access.log"),
            ready=str(ready),
        )
    )
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="test-secret-key",
        EVENTREG_BASE_URL="http://127.0.0.1",  # production refuses to start without it
        # This checkout's code, whichever eventreg the environment has installed.
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    with open(tmp_path / "gunicorn.out", "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(config),
             _app_factory(outbox)],
            cwd=tmp_path,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
            start_new_session=True,
        )  # fmt: skip
    listener.close()  # gunicorn holds it now
    server = Server(port, tmp_path / "access.log", server_log)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while len(list(ready.iterdir())) < WORKERS:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"gunicorn workers not up in {START_TIMEOUT} s:\n{server.log_tail()}")
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)


class Browser:
    """One person's browser: its own cookies (the session that holds the CSRF token), a
    fresh connection per request."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None):
        headers = {"Connection": "close"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            page = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers, page


@dataclass
class Outcome:
    status: int  # of the last POST
    retries: int  # 503 answers before it
    told: str  # what the page the person landed on said, or the page when it went wrong


def _sign_up(port: int, path: str, data: dict, start: threading.Barrier) -> Outcome:
    """Load the form, wait for everyone, submit it with the form's own CSRF token (again
    after a 503), and read the page the browser is sent to."""
    browser = Browser(port)
    try:
        status, _, page = browser.request("GET", path)
        assert status == 200, page[:2000]
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    except BaseException:
        start.abort()  # the others stop waiting; this error is the one reported
        raise
    start.wait(timeout=REQUEST_TIMEOUT)
    retries = 0
    while True:
        status, headers, page = browser.request("POST", path, {**data, "csrf_token": token})
        if status != 503 or retries == MAX_RETRIES:
            break
        retries += 1
        time.sleep(0.2 * retries)
    if status != 302:
        return Outcome(status, retries, page[:2000])
    status, _, page = browser.request("GET", urlsplit(headers["Location"]).path + "?lang=en")
    told = re.search(r"Check your email", page)
    return Outcome(302, retries, told.group(0) if told else page[:2000])


def test_fifty_simultaneous_http_registrations_across_server_processes(gunicorn_server):
    event = make_event(capacity=SEATS)
    db.session.commit()
    path = f"/evenemang/{event.public_id}/anmalan?lang=en"
    people = [
        {"name": f"Person {n}", "email": f"person{n}@example.se", "sector": "region",
         "municipality": "halmstad", "consent": "y"}
        for n in range(PEOPLE)
    ]  # fmt: skip
    start = threading.Barrier(PEOPLE)
    with ThreadPoolExecutor(max_workers=PEOPLE) as pool:
        futures = [
            pool.submit(_sign_up, gunicorn_server.port, path, data, start) for data in people
        ]
        outcomes = [future.result() for future in futures]

    # Every request answered with the way to the person's registration: no 500, no 429,
    # and a 503 "try again" only on the way to a later success.
    failed = [o for o in outcomes if o.status != 302]
    assert not failed, f"{failed[0]}\n{gunicorn_server.log_tail()}"
    assert "Traceback" not in gunicorn_server.error_log.read_text()
    # Several processes really served the burst.
    assert len(gunicorn_server.worker_pids(f"POST {path}")) >= 2

    db.session.expire_all()
    rows = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ).all()
    assert sorted(r.email for r in rows) == sorted(p["email"] for p in people)  # nothing lost
    # Exactly ten seats, to the first ten through the lock; then the waiting list in order.
    assert [r.status for r in rows] == ["confirmed"] * SEATS + ["waiting"] * (PEOPLE - SEATS)
    assert [service.waiting_position(r) for r in rows[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))
    assert db.session.get(Event, event.id).seats_taken == SEATS
    # Everyone was sent to the same "check your email" page (it shows no status); what each
    # person was told is in their email: ten seats, and each waiting place exactly once.
    assert [o.told for o in outcomes] == ["Check your email"] * PEOPLE
    kinds = db.session.scalars(select(OutboxEmail.kind)).all()
    assert sorted(kinds) == sorted(["confirmation"] * SEATS + ["waiting"] * (PEOPLE - SEATS))
    waiting_emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "waiting"))
    emailed = sorted(
        int(re.search(r"You are number (\d+)", render(email).body_text).group(1))
        for email in waiting_emails
    )
    assert emailed == list(range(1, PEOPLE - SEATS + 1))
