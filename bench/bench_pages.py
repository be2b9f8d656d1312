"""Public pages and feeds against Flask's own ceiling: wrk against gunicorn (2 sync workers)
serving eventreg, and a Flask hello-world served the same way in the same run.

    .venv/bin/python bench/bench_pages.py [--databases sqlite postgresql] [--data demo large]
        [--duration 5] [--connections 8] [--postgresql-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]

For each database and data set (the demo data, or bench/make_large_dataset.py's 5,000 events
and 200,000 registrations) a fresh database is built (a temporary SQLite file, or a
PostgreSQL database created and dropped here), eventreg is started with its defaults (the
page and feed cache in each worker's memory), every page is fetched once (so the numbers are
the cached steady state an anonymous visitor meets), and wrk measures requests per second.
The hello-world is measured before the first page and after each page; each page's ratio is
to the mean of the hello-world runs just before and after it. Needs wrk
(apt-get install wrk).

Anonymous visitors without a session cookie (wrk sends none; calendar clients and most first
visits) are answered by the page cache's WSGI layer (pagecache.CachedResponses); the row
"home, visitor with a session" sends the session cookie a sign-up form gave, so it measures
Flask's own path through cached_page.

Printed: one table per database and data set, then, per page, the large set's time per
request over the demo set's. On a machine shared with other work the absolute numbers
move a lot between runs; the ratios, measured side by side, move less.
"""

import argparse
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

HELLO = """\
from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello():
    return "Hello, World!"
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(app_spec: str, cwd: Path, env: dict) -> tuple[subprocess.Popen, int]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app_spec],
        cwd=cwd, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5):
                return process, port
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"gunicorn for {app_spec} did not start") from None
            time.sleep(0.3)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def wrk(url: str, duration: int, connections: int, headers: dict | None = None) -> float:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if errors:
        raise SystemExit(f"{url}: {errors.group(1)} error responses\n{output}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))


def prepare(database: str, data: str, folder: Path, postgresql_url: str) -> tuple[str, callable]:
    """A database with the data set; returns its URL and a function that removes it."""
    from sqlalchemy import create_engine, make_url, text

    if database == "sqlite":
        url = f"sqlite:///{folder / f'{data}.sqlite'}"
        drop = lambda: None  # noqa: E731 - the folder goes
    else:
        server = make_url(postgresql_url)
        name = f"eventreg_bench_{secrets.token_hex(4)}"
        admin = create_engine(server, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = server.set(database=name).render_as_string(hide_password=False)

        def drop():
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    from flask_migrate import upgrade
    from make_large_dataset import app_for, build

    app = app_for(url)
    with app.app_context():
        upgrade()
        if data == "large":
            build(5_000, 200_000)
        else:
            from eventreg.demo import load_demo_data
            from eventreg.extensions import db

            load_demo_data()
            db.session.commit()
        from eventreg.extensions import db

        db.engine.dispose()
    return url, drop


def page_paths(url: str) -> dict[str, str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        public_id, slug = conn.execute(text(
            "SELECT public_id, slug FROM event WHERE status = 'published' "
            "ORDER BY abs(julianday(start_dt) - julianday('now'))" if url.startswith("sqlite")
            else "SELECT public_id, slug FROM event WHERE status = 'published' "
            "ORDER BY abs(extract(epoch FROM start_dt - now()))"
        )).first()  # fmt: skip
        theme = conn.execute(text("SELECT slug FROM theme ORDER BY position, id")).scalar()
    engine.dispose()
    return {
        "home": "/",
        "event list": "/evenemang/",
        "filtered list": f"/evenemang/?tema={theme}&format=seminar",
        "theme page": f"/teman/{theme}",
        "event page": f"/evenemang/{public_id}/{slug}",
        "full feed": "/kalender/evenemang.ics",
        # As calendar apps fetch it: they accept gzip (the layer keeps a compressed copy).
        "full feed, gzip": "/kalender/evenemang.ics",
        "feed 304": "/kalender/evenemang.ics",
        # An anonymous visitor whose browser has a session (its CSRF token, from a sign-up
        # form): answered by Flask and cached_page, not by the WSGI layer in front.
        "home, visitor with a session": "/",
        "_session_from": f"/evenemang/{public_id}/anmalan",
    }


def measure(url: str, folder: Path, args) -> dict[str, float]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("GUNICORN")}
    instance = folder / "instance"
    instance.mkdir(exist_ok=True)
    hello_port_env = dict(env)
    (folder / "hello_app.py").write_text(HELLO)
    hello, hello_port = start_gunicorn("hello_app:app", folder, hello_port_env)
    port = free_port()
    env.update(
        DATABASE_URL=url,
        SECRET_KEY="bench",
        EVENTREG_INSTANCE_PATH=str(instance),
        EVENTREG_BASE_URL=f"http://127.0.0.1:{port}",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
    )
    (instance / "config.py").write_text("")
    app = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--workers", "2", "--worker-class", "sync",
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "eventreg:create_app()"],
        cwd=folder, env=env, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(base + "/healthz", timeout=5).read()
                break
            except OSError:
                if app.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("eventreg did not start") from None
                time.sleep(0.3)

        def hello_rate() -> float:
            return wrk(f"http://127.0.0.1:{hello_port}/", args.duration, args.connections)

        # The hello-world is measured between every two pages: on a shared machine the load
        # moves within a minute, and each page is compared with the hello-world around it.
        hellos = [hello_rate()]
        results = {"hello (before)": hellos[0]}
        ratios = {}
        paths = page_paths(url)
        session_cookie = None
        with urllib.request.urlopen(base + paths.pop("_session_from"), timeout=60) as response:
            for header in response.headers.get_all("Set-Cookie") or []:
                if header.startswith("session="):
                    session_cookie = header.split(";")[0]
        for name, path in paths.items():
            headers = {"Accept-Encoding": "gzip"} if name.endswith("gzip") else {}
            if name.endswith("with a session"):
                if session_cookie is None:
                    continue
                headers["Cookie"] = session_cookie
            for _ in range(4):  # both workers' caches, and the feed's validators
                fetch = urllib.request.Request(base + path, headers=headers)
                with urllib.request.urlopen(fetch, timeout=60) as response:
                    etag = response.headers.get("ETag")
            if name == "feed 304":
                headers["If-None-Match"] = etag
            results[name] = wrk(base + path, args.duration, args.connections, headers)
            hellos.append(hello_rate())
            ratios[name] = results[name] / ((hellos[-2] + hellos[-1]) / 2)
        results["hello (after)"] = hellos[-1]
        ratios["hello (before)"] = hellos[0] / (sum(hellos) / len(hellos))
        ratios["hello (after)"] = hellos[-1] / (sum(hellos) / len(hellos))
        return results, ratios, (min(hellos), max(hellos))
    finally:
        stop(app)
        stop(hello)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", nargs="+", default=["sqlite", "postgresql"])
    parser.add_argument("--data", nargs="+", default=["demo", "large"])
    parser.add_argument("--duration", type=int, default=5)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument(
        "--postgresql-url", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
    )
    args = parser.parse_args()
    print(f"cores: {os.cpu_count()}, load average: {os.getloadavg()}")
    times: dict[tuple[str, str], dict[str, float]] = {}
    for database in args.databases:
        for data in args.data:
            with tempfile.TemporaryDirectory() as tmp:
                url, drop = prepare(database, data, Path(tmp), args.postgresql_url)
                try:
                    results, ratios, (low, high) = measure(url, Path(tmp), args)
                finally:
                    drop()
            print(f"\n### {database}, {data} data (load average {os.getloadavg()[0]:.1f}; "
                  f"hello-world {low:,.0f}–{high:,.0f} req/s)\n")  # fmt: skip
            print("| page | req/s | × hello around it |\n| --- | ---: | ---: |")
            for name, rate in results.items():
                print(f"| {name} | {rate:,.0f} | {ratios[name]:.2f} |")
            times[(database, data)] = {name: 1 / rate for name, rate in results.items()}
    for database in args.databases:
        if (database, "demo") in times and (database, "large") in times:
            demo, large = times[(database, "demo")], times[(database, "large")]
            print(f"\n{database}: time per request, large / demo")
            for name in demo:
                if not name.startswith("hello") and name in large:
                    print(f"  {name}: {large[name] / demo[name]:.2f}")


if __name__ == "__main__":
    main()
