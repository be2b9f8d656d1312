"""How long one sign-up holds its event's lock: from the lock's UPDATE to the end of COMMIT.

    .venv/bin/python bench/bench_lock.py sqlite:////tmp/lock.sqlite [--seats 1000] [--n 110]
    PYTHONPATH=/tmp/before .venv/bin/python bench/bench_lock.py postgresql+psycopg://postgres@127.0.0.1:5432/lockbench

Sign-ups go one at a time through the sign-up view (Flask's test client, real CSRF tokens), so
the time is what the lock costs the others waiting, without their competition. --seats 0 puts
everyone on the waiting list. The database must exist and be empty; its tables are dropped at
the end. Prints the median and p90 of all but the first 10. Which eventreg is measured is the
one Python imports (PYTHONPATH).
"""

import argparse
import re
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

# After PYTHONPATH, so that another checkout can be measured.
sys.path.append(str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402
from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.extensions import db  # noqa: E402
from eventreg.models import Event, Organisation, utcnow  # noqa: E402

LOCK = "UPDATE event SET seats_taken=event.seats_taken"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--seats", type=int, default=1000)
    parser.add_argument("--n", type=int, default=110)
    args = parser.parse_args()
    app = create_app({
        "SQLALCHEMY_DATABASE_URI": args.database_url, "SECRET_KEY": "bench",
        "OUTBOX_DIR": tempfile.mkdtemp(), "BASE_URL": "http://localhost",
        "REGISTRATION_RATE_LIMIT": "100000 per minute",
    })  # fmt: skip
    with app.app_context():
        upgrade()
        start = utcnow() + timedelta(days=7)
        event = Event(
            title="Rusning", slug="rusning", summary="s", description="d", format="seminar",
            municipality="halmstad", venue_name="v", address="a", status="published",
            start_dt=start, end_dt=start + timedelta(hours=2), capacity=args.seats,
            organisation=Organisation(name="Org", slug="org", contact_email="a@example.se"),
        )  # fmt: skip
        event.language_codes = ["sv"]
        db.session.add(event)
        db.session.commit()
        path = f"/evenemang/{event.public_id}/anmalan?lang=en"
        engine = db.engine
    marks: dict[str, float] = {}

    def statement(conn, cursor, sql, parameters, context, executemany):
        if sql.startswith(LOCK) and "lock" not in marks:
            marks["lock"] = time.perf_counter()

    def committed(session):
        marks.setdefault("commit", time.perf_counter())

    sa_event.listen(engine, "before_cursor_execute", statement)
    sa_event.listen(Session, "after_commit", committed)
    held = []
    for i in range(args.n):
        client = app.test_client()
        page = client.get(path).text
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)[1]
        marks.clear()
        data = {"name": f"P {i}", "email": f"p{i}@example.se", "sector": "region",
                "municipality": "halmstad", "consent": "y", "csrf_token": token}  # fmt: skip
        assert client.post(path, data=data).status_code == 302
        held.append((marks["commit"] - marks["lock"]) * 1000)
    held = sorted(held[10:])
    median, p90 = statistics.median(held), held[int(0.9 * len(held))]
    print(f"lock held: median {median:.1f} ms, p90 {p90:.1f} ms, {len(held)} sign-ups")
    with app.app_context():
        db.drop_all()
        with db.engine.begin() as connection:
            connection.execute(text("DROP TABLE IF EXISTS alembic_version"))


if __name__ == "__main__":
    main()
