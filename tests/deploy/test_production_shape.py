"""The production shape, started for real: two gunicorn app processes (standing in for two
hosts) on the test database (PostgreSQL when EVENTREG_TEST_DATABASE_URL is set, else one
shared SQLite file), Redis for rate limits and the shared page and feed cache, behind nginx
(README "Production" gives the same site).

Needs nginx (`apt-get install nginx`; .ci/run installs it) and Redis on 127.0.0.1:6379; keys
get a random prefix of this run, removed afterwards."""

import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from sqlalchemy import func, select

from eventreg.config import Defaults
from eventreg.extensions import db
from eventreg.models import Event, Registration
from tests.factories import make_event

pytestmark = pytest.mark.real_clock

ROOT = Path(__file__).resolve().parents[2]
NGINX = shutil.which("nginx") or next(
    (path for path in ("/usr/sbin/nginx", "/usr/bin/nginx") if os.path.exists(path)), None
)
REDIS_URL = "redis://127.0.0.1:6379/0"
START_TIMEOUT = 120
TIMEOUT = 60
LOGIN_LIMIT = 3

GUNICORN_CONFIG = """\
import pathlib

bind = ["fd://{fd}"]
workers = 1
worker_class = "sync"
timeout = 60
control_socket_disable = True
errorlog = {errorlog!r}
accesslog = {accesslog!r}


def post_worker_init(worker):
    pathlib.Path({ready!r}).touch()
"""

INSTANCE_CONFIG = """\
RATELIMIT_KEY_PREFIX = {prefix!r}
LOGIN_RATE_LIMIT = "{login_limit} per minute"
REGISTRATION_RATE_LIMIT = "10000 per minute"
OUTBOX_DIR = {outbox!r}
"""

NGINX_CONFIG = """\
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/nginx-error.log;
{user}
events {{ worker_connections 256; }}
http {{
    include /etc/nginx/mime.types;
    access_log {tmp}/nginx-access.log;
    client_body_temp_path {tmp}/client_body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    upstream eventreg {{
        server 127.0.0.1:{port_a};
        server 127.0.0.1:{port_b};
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 4m;
        location /static/ {{
            alias {root}/static/;
            expires 7d;
        }}
        location / {{
            proxy_pass http://eventreg;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
        }}
    }}
}}
"""


@dataclass
class Client:
    """One browser: its own cookies, a fresh connection per request."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None, headers=None):
        headers = {"Connection": "close", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, response.headers, data


@dataclass
class Shape:
    app_ports: tuple[int, int]
    nginx_port: int
    logs: list[Path]

    def log_tail(self) -> str:
        return "\n".join(f"== {p.name}\n{p.read_text(errors='replace')[-2000:]}"
                         for p in self.logs if p.exists())  # fmt: skip


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: the workers too
    except ProcessLookupError:
        pass
    process.wait(timeout=20)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_app(name: str, tmp: Path, env: dict) -> tuple[subprocess.Popen, int, Path]:
    folder = tmp / name
    folder.mkdir()
    ready = folder / "ready"
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    port = listener.getsockname()[1]
    log = folder / "gunicorn.log"
    config = folder / "gunicorn.conf.py"
    config.write_text(GUNICORN_CONFIG.format(fd=listener.fileno(), errorlog=str(log),
                                             accesslog=str(folder / "access.log"),
                                             ready=str(ready)))  # fmt: skip
    with open(folder / "gunicorn.out", "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", str(config), "eventreg:create_app()"],
            cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=output,
            stderr=subprocess.STDOUT, pass_fds=[listener.fileno()], start_new_session=True,
        )  # fmt: skip
    listener.close()
    return process, port, ready


@pytest.fixture(scope="module")
def shape(app, database_url, tmp_path_factory):
    if NGINX is None:
        pytest.skip("nginx is not installed (apt-get install nginx; .ci/run installs it)")
    store = redis.Redis.from_url(REDIS_URL)
    try:
        store.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis is needed on 127.0.0.1:6379 for the production shape: {error}")
    tmp = tmp_path_factory.mktemp("deploy")
    prefix = f"eventreg-test-{secrets.token_hex(4)}"
    instance = tmp / "instance"
    instance.mkdir()
    settings = {"prefix": prefix + "-limits", "login_limit": LOGIN_LIMIT,
                "outbox": str(tmp / "outbox")}  # fmt: skip
    (instance / "config.py").write_text(INSTANCE_CONFIG.format(**settings))
    nginx_port = _free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="deploy-test-secret",  # the same on every host: sessions work on both
        EVENTREG_BASE_URL=f"http://127.0.0.1:{nginx_port}",
        EVENTREG_PROXY_FIX="1",
        EVENTREG_INSTANCE_PATH=str(instance),
        RATELIMIT_STORAGE_URI=REDIS_URL,
        CACHE_REDIS_URL=REDIS_URL,
        EVENTREG_CACHE_KEY_PREFIX=prefix + "-cache:",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    processes = []
    try:
        started = [_start_app(name, tmp, env) for name in ("host-a", "host-b")]
        processes.extend(process for process, _, _ in started)
        logs = [tmp / name / "gunicorn.log" for name in ("host-a", "host-b")]
        logs.append(tmp / "nginx-error.log")
        (port_a, port_b) = (port for _, port, _ in started)
        config = tmp / "nginx.conf"
        config.write_text(NGINX_CONFIG.format(
            tmp=tmp, root=ROOT, port=nginx_port, port_a=port_a, port_b=port_b,
            user="user root;" if os.geteuid() == 0 else ""))  # fmt: skip
        nginx = subprocess.Popen(
            [NGINX, "-c", str(config), "-p", str(tmp), "-e", str(tmp / "nginx-error.log")],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        processes.append(nginx)
        result = Shape((port_a, port_b), nginx_port, logs)
        deadline = time.monotonic() + START_TIMEOUT
        while not all(ready.exists() for _, _, ready in started):
            for process in processes:
                if process.poll() is not None:
                    pytest.fail(f"a process exited with {process.returncode}:\n{result.log_tail()}")
            if time.monotonic() > deadline:
                pytest.fail(f"not up in {START_TIMEOUT} s:\n{result.log_tail()}")
            time.sleep(0.2)
        while True:
            try:
                socket.create_connection(("127.0.0.1", nginx_port), timeout=1).close()
                break
            except OSError:
                if nginx.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"nginx did not start:\n{result.log_tail()}")
                time.sleep(0.1)
        yield result
    finally:
        for process in reversed(processes):
            _stop(process)
        for key in store.scan_iter(match=f"{prefix}*"):
            store.delete(key)
        for key in store.scan_iter(match=f"*{prefix}*"):  # limits adds its own prefix
            store.delete(key)


def get(port: int, path: str, **headers):
    return Client(port).request("GET", path, headers=headers)


def test_health_check_through_nginx(shape):
    status, headers, body = get(shape.nginx_port, "/healthz")
    assert (status, body) == (200, b"ok\n")
    assert headers["Cache-Control"] == "no-store"


def test_nginx_serves_static_files_itself_with_caching_headers(shape):
    status, headers, body = get(shape.nginx_port, "/static/css/site.css")
    assert status == 200
    assert body == (ROOT / "static/css/site.css").read_bytes()
    assert "max-age=604800" in headers["Cache-Control"]
    assert headers["Server"].startswith("nginx")


def test_nginx_sends_requests_to_both_app_processes(shape):
    for _ in range(6):
        assert get(shape.nginx_port, "/")[0] == 200
    for log in shape.logs[:2]:
        assert (log.parent / "access.log").read_text().count('"GET / ') >= 1, shape.log_tail()


def test_rate_limits_are_shared_by_the_app_processes(shape):
    """Login attempts count in Redis: the limit is reached across both processes, not
    per process."""
    browser = Client(shape.app_ports[0])
    status, _, page = browser.request("GET", "/arrangor/logga-in")
    assert status == 200
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"email": "nobody@example.se", "password": "wrong", "csrf_token": token.decode()}
    statuses = []
    for attempt in range(LOGIN_LIMIT + 1):
        browser.port = shape.app_ports[attempt % 2]
        statuses.append(browser.request("POST", "/arrangor/logga-in", form)[0])
    # Refused (wrong password) but counted, then over the limit on whichever process.
    assert all(status in (400, 401) for status in statuses[:LOGIN_LIMIT]), statuses
    assert statuses[LOGIN_LIMIT] == 429


def test_validators_and_bytes_are_the_same_from_both_processes(shape):
    event = make_event()
    db.session.commit()
    for path in ("/kalender/evenemang.ics", f"/kalender/evenemang/{event.public_id}.ics",
                 f"/evenemang/{event.public_id}/{event.slug}"):  # fmt: skip
        status_a, headers_a, body_a = get(shape.app_ports[0], path)
        status_b, headers_b, body_b = get(shape.app_ports[1], path)
        assert status_a == status_b == 200, path
        assert headers_a["ETag"] == headers_b["ETag"], (path, body_a == body_b, time.time())
        assert headers_a.get("Last-Modified") == headers_b.get("Last-Modified"), path
        assert body_a == body_b, path
        # A conditional GET to the other process is answered 304.
        again = get(shape.app_ports[1], path, **{"If-None-Match": headers_a["ETag"]})
        assert again[0] == 304, path


def _sign_up(port: int, public_id: str, n: int) -> int:
    browser = Client(port)
    path = f"/evenemang/{public_id}/anmalan"
    status, _, page = browser.request("GET", path)
    assert status == 200
    token = re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"name": f"Person {n}", "email": f"deploy{n}@example.se", "sector": "region",
            "municipality": "halmstad", "consent": "y", "csrf_token": token.decode()}  # fmt: skip
    for attempt in range(6):
        status = browser.request("POST", path, form)[0]
        if status != 503:
            return status
        time.sleep(0.2 * (attempt + 1))
    return status


def test_a_change_through_one_process_is_seen_at_once_through_the_other(shape):
    event = make_event(capacity=3, title="Före ändringen")
    db.session.commit()
    page = f"/evenemang/{event.public_id}/{event.slug}?lang=en"
    # Without ?lang= (nor a cookie) the page is answered by the WSGI layer in front of Flask
    # once each process has kept it (pagecache.CachedResponses).
    page_sv = f"/evenemang/{event.public_id}/{event.slug}"
    feed = "/kalender/evenemang.ics"
    port_a, port_b = shape.app_ports
    for port in (port_a, port_b):  # both have seen (and cached) the page and the feed
        assert b"3 seats left" in get(port, page)[2]
        for _ in range(2):
            assert b"3 platser kvar" in get(port, page_sv)[2]
        assert b"SUMMARY:F" in get(port, feed)[2]
    assert _sign_up(port_b, event.public_id, 1) == 302
    signed_up = time.monotonic()  # committed before the answer (a retried 503 may take long)
    # A seat taken is seen through the other process within SEAT_COUNT_LAG_SECONDS (its
    # default here, as in production): pages are not built again after every sign-up.
    lag = Defaults.SEAT_COUNT_LAG_SECONDS
    while b"2 platser kvar" not in get(port_a, page_sv)[2]:
        assert time.monotonic() - signed_up < lag + 2, shape.log_tail()
        time.sleep(0.1)
    assert b"2 seats left" in get(port_a, page)[2], shape.log_tail()
    assert _sign_up(port_b, event.public_id, 2) == 302
    # An edit (here committed by this process, as the organiser pages would) is seen at
    # once, with the seats as they are now.
    event = db.session.get(Event, event.id)
    event.title = "Efter ändringen"
    db.session.commit()
    for port in (port_a, port_b):
        assert "Efter ändringen".encode() in get(port, page)[2]
        assert b"1 seat left" in get(port, page)[2]
        assert "Efter ändringen".encode() in get(port, page_sv)[2]
        assert b"1 plats kvar" in get(port, page_sv)[2]
        assert "SUMMARY:Efter ändringen".encode() in get(port, feed)[2]


def test_sign_ups_through_both_processes_never_overbook(shape):
    seats, people = 4, 16
    event = make_event(capacity=seats)
    db.session.commit()
    public_id = event.public_id
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(lambda n: _sign_up(shape.app_ports[n % 2], public_id, n + 100),
                                 range(people)))  # fmt: skip
    assert statuses == [302] * people, shape.log_tail()
    db.session.expire_all()
    confirmed = db.session.scalar(
        select(func.count()).select_from(Registration)
        .where(Registration.event_id == event.id, Registration.status == "confirmed")
    )  # fmt: skip
    assert confirmed == seats
    assert db.session.get(Event, event.id).seats_taken == seats
    assert (
        db.session.scalar(
            select(func.count()).select_from(Registration).where(Registration.event_id == event.id)
        )
        == people
    )
