"""A rush of sign-ups for one event, served by gunicorn, and what it does to the rest of the site.

    nice -n 10 .venv/bin/python bench/bench_rush.py [--n 200] [--databases sqlite postgresql]
        [--setups sync:4 gthread:2x4+gthread:2x4] [--tree PATH] [--postgres URL] [--seats 50]
        [--client raw|threads]

For each database and each worker setup:

- a fresh database with the demo data (`flask demo-db --force`) and one more published event
  with --seats seats: a temporary SQLite file, or a PostgreSQL database created on --postgres
  (default postgresql+psycopg://postgres@127.0.0.1:5432) and dropped afterwards;
- gunicorn serving the code in --tree (default: this checkout; give another checkout, e.g. a
  `git worktree` of an older commit, to measure that), with the setup's worker class,
  workers and threads, `timeout` 30 s (above the 10 s REGISTRATION_LOCK_TIMEOUT_MS);
- N browsers, each with its own cookies, load the sign-up form and take its real CSRF token
  (CSRF stays on), then all submit at the same moment; a 503 "busy, try again" is retried,
  as the page asks, after 0.2 s × the number of tries. How they submit is --client: `raw`
  (the default) writes every prepared request at once on its own connection, opened before
  the release, and reads the answers in one thread (`fire`: little CPU, so the figures are
  the server's); `threads` is the client of the first measurements, a thread and
  `http.client` per browser (200 Python threads that take a good part of a small machine's
  CPU from the server they measure);
- one more client reads the home page: 30 times one after another before the burst (idle),
  then, for as long as the burst lasts, a new request every --interval seconds (0.1) whether
  or not the last one was answered, as visitors arriving at random moments would. (A client
  that waits for each answer takes few samples while the site is stuck and many once it is
  free again, which makes a stall look shorter than it is.)

Printed per run: sign-ups per second (N divided by the time from the release of the burst to
the last sign-up's answer), the 503s retried, the server's CPU time per sign-up (all workers,
user + system, over the burst; steadier than wall-clock times on a busy machine), and the home
page's p50/p95 idle and during the burst, with their ratio. Setups are `class:workers` or
`class:workersxthreads`, e.g. `sync:4` (the old README's `gunicorn -w 4`) and `gthread:4x4`;
with more than 5 threads a worker's connection pool is made as large (`pool_size`), so that no
thread waits for a database connection. `SITE+SIGNUPS`, e.g. `gthread:2x4+gthread:2x4`, starts
two gunicorns on the same database and sends the sign-up form and its POSTs to the second, the
home page to the first: what a proxy does that routes `/evenemang/<id>/anmalan` to a pool of
its own. A setup ending in `@niceN` runs that gunicorn N steps lower in CPU priority, e.g.
`gthread:2x4+gthread:2x4@nice10`: the sign-up pool takes what CPU the site's pool leaves.

The client threads run in this process, on the same machine as the server: on a small
machine they take a share of the CPU, which slows both (say so when reporting).
"""

import argparse
import http.client
import json
import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parent.parent
REQUEST_TIMEOUT = 120
START_TIMEOUT = 180
MAX_RETRIES = 30
IDLE_SAMPLES = 30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")

GUNICORN_CONFIG = """\
import pathlib

bind = ["fd://{fd}"]
workers = {workers}
worker_class = {worker_class!r}
threads = {threads}
timeout = 30
graceful_timeout = 10
backlog = 2048
control_socket_disable = True
errorlog = {errorlog!r}
accesslog = None


def post_worker_init(worker):
    pathlib.Path({ready!r}, str(worker.pid)).touch()
"""

# Run in a subprocess against the tree being measured (its own models): one published event a
# week ahead with the given seats, in the first organisation; prints its public id.
SEED_EVENT = """
import sys
from datetime import timedelta
from sqlalchemy import select
from eventreg import create_app
from eventreg.extensions import db
from eventreg.models import Event, Organisation, utcnow

app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "SECRET_KEY": "bench"})
with app.app_context():
    start = utcnow().replace(microsecond=0) + timedelta(days=7)
    event = Event(
        title="Rusning", slug="rusning", summary="Alla vill dit.", description="En **rusning**.",
        format="seminar", municipality="halmstad", venue_name="Stadsbiblioteket",
        address="Fredsgatan 1", status="published", start_dt=start,
        end_dt=start + timedelta(hours=2), capacity=int(sys.argv[2]),
        organisation=db.session.scalars(select(Organisation).order_by(Organisation.id)).first(),
    )
    event.language_codes = ["sv"]
    db.session.add(event)
    db.session.commit()
    print(event.public_id)
"""


# The home page's visitor runs in a process of its own: in this process it would wait for
# the interpreter lock behind the client of the burst (up to 5 ms per switch, several per
# request), which measured the client, not the site. Idle and burst samples are taken the
# same way. argv: port, interval, idle samples; prints the idle times, then, once a line
# arrives on stdin (the burst is over), the times of the visits made meanwhile.
HOME_VISITOR = """
import http.client, json, sys, threading, time
from concurrent.futures import ThreadPoolExecutor

port, interval, idle_samples = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])


def visit():
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    connection.request("GET", "/", headers={"Connection": "close"})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 200:
        raise SystemExit(f"home page: {response.status}")
    return time.perf_counter() - started


for _ in range(5):
    visit()
print(json.dumps([visit() for _ in range(idle_samples)]), flush=True)
sys.stdin.readline()  # the burst starts
done = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), done.set()), daemon=True).start()
visits = []
with ThreadPoolExecutor(max_workers=200) as visitors:
    while not done.wait(interval):
        visits.append(visitors.submit(visit))
print(json.dumps([v.result() for v in visits]), flush=True)
"""


@dataclass
class Setup:
    name: str
    worker_class: str
    workers: int
    threads: int
    nice: int = 0

    @classmethod
    def parse(cls, spec: str) -> "Setup":
        spec, _, nice = spec.partition("@nice")
        worker_class, _, size = spec.partition(":")
        workers, _, threads = size.partition("x")
        return cls(spec, worker_class, int(workers or 4), int(threads or 1), int(nice or 0))


@dataclass
class Result:
    database: str
    setup: str
    n: int
    seconds: float
    succeeded: int
    retries: int
    failures: list[str]
    idle: list[float]
    burst: list[float]
    cpu_seconds: float
    counts: dict = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.succeeded / self.seconds

    def line(self) -> str:
        idle50, idle95 = percentile(self.idle, 50), percentile(self.idle, 95)
        burst50, burst95 = percentile(self.burst, 50), percentile(self.burst, 95)
        return (
            f"| {self.database} | {self.setup} | {self.n} | {self.seconds:.1f} | "
            f"{self.per_second:.1f} | {self.retries} | {len(self.failures)} | "
            f"{self.cpu_seconds / self.n * 1000:.0f} | "
            f"{idle50 * 1000:.0f} / {idle95 * 1000:.0f} | "
            f"{burst50 * 1000:.0f} / {burst95 * 1000:.0f} ({len(self.burst)}) | "
            f"{burst50 / idle50:.1f} / {burst95 / idle95:.1f} |"
        )


HEADER = (
    "| database | setup | N | burst s | sign-ups/s | 503 retried | failed | server CPU ms "
    "per sign-up | home idle p50 / p95 ms | home in burst p50 / p95 ms (samples) | "
    "ratio p50 / p95 |\n"
    "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def percentile(values: list[float], p: int) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


class Browser:
    """One person's browser: its own cookies, a fresh connection per request."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str]:
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
            page = response.read().decode(errors="replace")
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(header)
            self.cookies.update({name: morsel.value for name, morsel in cookie.items()})
        return response.status, page


def environment(tree: Path, database_url: str) -> dict:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")}
    env.update(
        DATABASE_URL=database_url,
        SECRET_KEY="bench-secret-key",
        EVENTREG_BASE_URL="http://127.0.0.1",
        PYTHONPATH=str(tree),
    )
    return env


def prepare_database(tree: Path, database_url: str, seats: int, workdir: Path) -> str:
    """Demo data and the rush event; returns the event's public id."""
    env = environment(tree, database_url)
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "eventreg", "demo-db", "--force"],
        cwd=workdir, env=env, check=True, capture_output=True,
    )  # fmt: skip
    seeded = subprocess.run(
        [sys.executable, "-c", SEED_EVENT, database_url, str(seats)],
        cwd=workdir, env=env, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return seeded.stdout.strip().splitlines()[-1]


def start_gunicorn(tree: Path, database_url: str, setup: Setup, workdir: Path):
    workdir.mkdir()
    ready = workdir / "ready"
    ready.mkdir()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(2048)
    port = listener.getsockname()[1]
    config = workdir / "gunicorn.conf.py"
    config.write_text(
        GUNICORN_CONFIG.format(
            fd=listener.fileno(), workers=setup.workers, worker_class=setup.worker_class,
            threads=setup.threads, errorlog=str(workdir / "gunicorn.log"), ready=str(ready),
        )
    )  # fmt: skip
    # Every burst comes from 127.0.0.1: the per-address sign-up limit would stop it.
    overrides = {"REGISTRATION_RATE_LIMIT": "100000 per minute", "OUTBOX_DIR": str(workdir)}
    if setup.threads > 5:
        overrides["SQLALCHEMY_ENGINE_OPTIONS"] = {
            "pool_pre_ping": True, "pool_size": setup.threads, "max_overflow": 10,
        }  # fmt: skip
    (tree / "instance").mkdir(exist_ok=True)
    # A pool started with a lower CPU priority (`@nice10`) leaves the cores to the others'
    # requests first: how the README's Production runs the sign-up pool (systemd Nice=).
    process = subprocess.Popen(
        ["nice", "-n", str(setup.nice)] * bool(setup.nice)
        + [sys.executable, "-m", "gunicorn", "--config", str(config),
         f"eventreg:create_app({overrides!r})"],
        cwd=workdir, env=environment(tree, database_url), stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, pass_fds=[listener.fileno()],
        start_new_session=True,
    )  # fmt: skip
    listener.close()
    deadline = time.monotonic() + START_TIMEOUT
    while len(list(ready.iterdir())) < setup.workers:
        if process.poll() is not None or time.monotonic() > deadline:
            stop(process)
            log = (workdir / "gunicorn.log").read_text(errors="replace")[-3000:]
            raise SystemExit(f"gunicorn did not start:\n{log}")
        time.sleep(0.2)
    return process, port, [int(pid.name) for pid in ready.iterdir()]


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except FileNotFoundError:  # a worker that was killed (its timeout) and replaced
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / CLOCK_TICKS


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait(timeout=30)


def signup_form(i: int, token: str) -> dict:
    return {
        "name": f"Person {i}", "email": f"rush{i}@example.se", "sector": "region",
        "municipality": "halmstad", "consent": "y", "csrf_token": token,
    }  # fmt: skip


def raw_post(path: str, form: dict, cookies: dict[str, str]) -> bytes:
    """The whole HTTP request of one sign-up, ready to send."""
    body = urlencode(form).encode()
    cookie = "; ".join(f"{k}={v}" for k, v in cookies.items())
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        f"Cookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def connect(port: int) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT)
    connection.setblocking(False)
    return connection


def fire(port: int, sockets: list[socket.socket], requests: list[bytes]):
    """The light client: every request written at once on its own open connection (one
    per browser, connected before the release), the answers read by one thread with
    `selectors`; a 503 is sent again on a new connection after 0.2 s × its tries. Returns
    [(status, retries, time of the answer)] like the threads' client, at a fraction of its
    CPU: the measurement is the server's, not the client's."""
    n = len(requests)
    outcomes: list[tuple[int, int, float]] = [(0, 0, 0.0)] * n
    retries = [0] * n
    buffers = [b""] * n
    waiting: list[tuple[float, int]] = []  # (when, i) of 503s to send again
    selector = selectors.DefaultSelector()

    def send(i: int, connection: socket.socket) -> None:
        connection.setblocking(True)
        connection.sendall(requests[i])
        connection.setblocking(False)
        buffers[i] = b""
        selector.register(connection, selectors.EVENT_READ, i)

    for i, connection in enumerate(sockets):
        send(i, connection)
    open_count = n
    deadline = time.monotonic() + REQUEST_TIMEOUT * 2
    while open_count or waiting:
        if time.monotonic() > deadline:
            raise RuntimeError("sign-ups not answered in time")
        timeout = 1.0
        if waiting:
            waiting.sort()
            timeout = max(0.0, waiting[0][0] - time.perf_counter())
        for key, _mask in selector.select(timeout):
            i, connection = key.data, key.fileobj
            chunk = connection.recv(65536)
            buffers[i] += chunk
            if chunk:
                continue
            selector.unregister(connection)
            connection.close()
            status = int(buffers[i].split(b" ", 2)[1]) if buffers[i] else 0
            if status == 503 and retries[i] < MAX_RETRIES:
                retries[i] += 1
                waiting.append((time.perf_counter() + 0.2 * retries[i], i))
            else:
                outcomes[i] = (status, retries[i], time.perf_counter())
                open_count -= 1
        while waiting and waiting[0][0] <= time.perf_counter():
            _when, i = waiting.pop(0)
            send(i, connect(port))
    selector.close()
    return outcomes


def rush(
    port: int,
    signup_port: int,
    public_id: str,
    n: int,
    interval: float,
    pids: list[int],
    client: str = "raw",
):
    """Sign-ups go to `signup_port`, the home page to `port`; `client` is "raw" (`fire`) or
    "threads" (a thread per browser, http.client)."""
    path = f"/evenemang/{public_id}/anmalan?lang=en"
    browsers = [Browser(signup_port) for _ in range(n)]
    tokens: list[str] = [""] * n

    def load_form(i: int) -> None:
        status, page = browsers[i].request("GET", path)
        if status != 200:
            raise RuntimeError(f"form: {status} {page[:300]}")
        tokens[i] = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]

    with ThreadPoolExecutor(max_workers=min(n, 50)) as pool:
        list(pool.map(load_form, range(n)))
    visitor = subprocess.Popen(
        [sys.executable, "-c", HOME_VISITOR, str(port), str(interval), str(IDLE_SAMPLES)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    idle = json.loads(visitor.stdout.readline())

    start = threading.Barrier(n + 1)
    done = threading.Event()
    outcomes: list[tuple[int, int, float]] = [(0, 0, 0.0)] * n

    def sign_up(i: int) -> None:
        data = signup_form(i, tokens[i])
        start.wait(timeout=REQUEST_TIMEOUT)
        retries = 0
        while True:
            status, _page = browsers[i].request("POST", path, data)
            if status != 503 or retries == MAX_RETRIES:
                break
            retries += 1
            time.sleep(0.2 * retries)
        outcomes[i] = (status, retries, time.perf_counter())

    burst: list[float] = []

    def read_home() -> None:
        visitor.stdin.write("start\n")
        visitor.stdin.flush()
        done.wait()
        visitor.stdin.write("stop\n")
        visitor.stdin.flush()
        burst.extend(json.loads(visitor.stdout.readline()))
        visitor.wait(timeout=REQUEST_TIMEOUT)

    if client == "raw":
        forms = [signup_form(i, tokens[i]) for i in range(n)]
        requests = [raw_post(path, forms[i], browsers[i].cookies) for i in range(n)]
        sockets = [connect(signup_port) for _ in range(n)]
        reader = threading.Thread(target=read_home)
        cpu_before = cpu_seconds(pids)
        released = time.perf_counter()
        reader.start()
        outcomes = fire(signup_port, sockets, requests)
        cpu = cpu_seconds(pids) - cpu_before
        done.set()
        reader.join()
    else:
        with ThreadPoolExecutor(max_workers=n) as pool:
            futures = [pool.submit(sign_up, i) for i in range(n)]
            reader = threading.Thread(target=read_home)
            cpu_before = cpu_seconds(pids)
            start.wait(timeout=REQUEST_TIMEOUT)
            released = time.perf_counter()
            reader.start()
            for future in futures:
                future.result()
            cpu = cpu_seconds(pids) - cpu_before
            done.set()
            reader.join()
    seconds = max(finished for _status, _retries, finished in outcomes) - released
    succeeded = sum(1 for status, _r, _f in outcomes if status == 302)
    retries = sum(r for _s, r, _f in outcomes)
    failures = [f"{status}" for status, _r, _f in outcomes if status != 302]
    return seconds, succeeded, retries, failures, idle, burst, cpu


def registrations(database_url: str, public_id: str) -> dict:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT r.status, count(*) FROM registration r JOIN event e "
                    "ON e.id = r.event_id WHERE e.public_id = :id GROUP BY r.status"
                ),
                {"id": public_id},
            ).all()
            outbox = connection.execute(text("SELECT count(*) FROM outbox_email")).scalar()
    finally:
        engine.dispose()
    return {**{status: count for status, count in rows}, "outbox": outbox}


class PostgresDatabase:
    """A database of our own on the server, dropped however the run ends."""

    def __init__(self, server: str, name: str):
        self.admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
        self.name = name
        self.url = f"{server}/{name}"

    def __enter__(self) -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            connection.execute(text(f'CREATE DATABASE "{self.name}"'))
        return self.url

    def __exit__(self, *exc_info) -> None:
        with self.admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()


def run_once(args, database: str, setup: str) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-rush-") as folder:
        workdir = Path(folder)
        if database == "sqlite":
            url = f"sqlite:///{workdir / 'bench.sqlite'}"
            return measure(args, database, setup, url, workdir)
        name = f"eventreg_bench_rush_{os.getpid()}"
        with PostgresDatabase(args.postgres, name) as url:
            return measure(args, database, setup, url, workdir)


def measure(args, database: str, spec: str, url: str, workdir: Path) -> Result:
    public_id = prepare_database(args.tree, url, args.seats, workdir)
    servers = []
    try:
        for number, part in enumerate(spec.split("+")):
            servers.append(start_gunicorn(args.tree, url, Setup.parse(part), workdir / str(number)))
        pids = [pid for _process, _port, server_pids in servers for pid in server_pids]
        seconds, succeeded, retries, failures, idle, burst, cpu = rush(
            servers[0][1], servers[-1][1], public_id, args.n, args.interval, pids, args.client
        )
    finally:
        for process, _port, _pids in servers:
            stop(process)
    result = Result(database, spec, args.n, seconds, succeeded, retries, failures, idle,
                    burst, cpu, registrations(url, public_id))  # fmt: skip
    for number in range(len(servers)):
        log = (workdir / str(number) / "gunicorn.log").read_text(errors="replace")
        if "Traceback" in log or "WORKER TIMEOUT" in log:
            result.failures.append("server log: " + log[-1500:])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--seats", type=int, default=50)
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    # The old README's setup and the recommended one.
    parser.add_argument("--setups", nargs="+", default=["sync:4", "gthread:2x4+gthread:2x4"])
    parser.add_argument("--tree", type=Path, default=ROOT)
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--interval", type=float, default=0.1, help="between home page visits")
    parser.add_argument(
        "--client", choices=["raw", "threads"], default="raw",
        help="raw: all sign-ups sent at once from one thread (light); threads: a thread and "
        "http.client per browser (the client of the first measurements, heavy on CPU)",
    )  # fmt: skip
    args = parser.parse_args()
    args.tree = args.tree.resolve()
    print(f"tree: {args.tree}  N={args.n}  seats={args.seats}  client: {args.client}  "
          f"load: {os.getloadavg()}")  # fmt: skip
    print(HEADER, flush=True)
    for _ in range(args.repeat):
        for database in args.databases:
            for spec in args.setups:
                result = run_once(args, database, spec)
                print(result.line(), flush=True)
                if result.failures:
                    print(f"  failures: {result.failures[:5]}", flush=True)
                expected = {"confirmed": min(args.seats, args.n)}
                if result.counts.get("confirmed") != expected["confirmed"] or sum(
                    result.counts.get(s, 0) for s in ("confirmed", "waiting")
                ) != result.succeeded:  # fmt: skip
                    print(f"  registrations do not add up: {result.counts}", flush=True)
    print(f"load after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
