"""The follow-up statistics over a whole (large) data set, as an administrator sees them.

    .venv/bin/python bench/make_large_dataset.py sqlite:////tmp/large.sqlite
    .venv/bin/python bench/bench_statistics.py sqlite:////tmp/large.sqlite [--runs 3]
    .venv/bin/python bench/bench_statistics.py URL --tree /tmp/before   # another checkout

For each database URL, with an administrator (added once, if the set has none) and no
filter: the figures the page shows (`organiser.statistics._figures`: load and compute, in a
request context), the page and its CSV through Flask's test client, and the public open
statistics (`open_data.open_statistics`). Median and range of `--runs` runs, wall-clock ms.
"""

import argparse
import statistics as stats
import sys
import time
from pathlib import Path

parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
parser.add_argument("database_url", nargs="+")
parser.add_argument("--runs", type=int, default=3)
parser.add_argument("--tree", default=str(Path(__file__).resolve().parent.parent),
                    help="the checkout whose code is measured")  # fmt: skip
args = parser.parse_args()
sys.path.insert(0, args.tree)

from flask_login import login_user  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.extensions import db  # noqa: E402
from eventreg.models import Event, Registration, User  # noqa: E402
from eventreg.organiser import statistics as page  # noqa: E402
from eventreg.services import open_data  # noqa: E402

ADMIN_EMAIL = "bench-admin@example.se"
PASSWORD = "bench statistics password"


def timed(runs: int, call) -> str:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return f"{stats.median(times):,.0f} ms ({min(times):,.0f}–{max(times):,.0f})"


def measure(url: str, runs: int) -> None:
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
        "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False,
        "SERVER_NAME": None,
    })  # fmt: skip
    with app.app_context():
        admin = db.session.scalar(select(User).where(User.email == ADMIN_EMAIL))
        if admin is None:
            admin = User(email=ADMIN_EMAIL, name="Bench admin", is_admin=True, active=True)
            admin.set_password(PASSWORD)
            db.session.add(admin)
        admin.active = True
        db.session.commit()
        events = db.session.scalar(select(func.count()).select_from(Event))
        registrations = db.session.scalar(select(func.count()).select_from(Registration))
        admin_id = admin.id
    print(f"{url.split('://')[0]}: {events:,} events, {registrations:,} registrations")

    def figures():
        with app.test_request_context("/arrangor/statistik"):
            login_user(db.session.get(User, admin_id))
            form, result = page._figures()
            assert result is not None, form.errors

    def open_figures():
        with app.app_context():
            open_data.open_statistics(app.config["OPEN_STATISTICS_MIN_COUNT"])

    client = app.test_client()
    response = client.post("/arrangor/logga-in", data={"email": ADMIN_EMAIL, "password": PASSWORD})
    assert response.status_code == 302, response.status_code

    def get(path: str):
        def call():
            response = client.get(path)
            assert response.status_code == 200, response.status_code

        return call

    print(f"  figures (service)      {timed(runs, figures)}")
    print(f"  page /arrangor/statistik {timed(runs, get('/arrangor/statistik'))}")
    print(f"  CSV                    {timed(runs, get('/arrangor/statistik.csv'))}")
    print(f"  open statistics        {timed(runs, open_figures)}")


for url in args.database_url:
    measure(url, args.runs)
