"""A large data set for measuring pages, indexes and statistics: 5,000 events and 200,000
registrations (by default), built with bulk inserts in well under a minute.

    .venv/bin/python bench/make_large_dataset.py DATABASE_URL [--events N] [--registrations N]

DATABASE_URL is an SQLAlchemy URL (sqlite:////tmp/large.sqlite, or
postgresql+psycopg://postgres@127.0.0.1:5432/eventreg_large). The schema is brought up to
date with the migrations; a database that already has events is refused. Events run from two
years back to a year ahead across 40 organisations, 12 themes and every municipality, most
published, some cancelled or drafts; registrations are confirmed (within capacity), waiting
or cancelled, with sectors and attendance for the statistics. Not for production: no emails
are queued and the people are invented.
"""

import argparse
import random
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402

from eventreg import create_app  # noqa: E402
from eventreg.extensions import db  # noqa: E402
from eventreg.models import (  # noqa: E402
    Event,
    EventLanguage,
    Organisation,
    Registration,
    Speaker,
    Theme,
    event_theme,
)
from eventreg.models.data_version import bump  # noqa: E402
from eventreg.vocab import FORMATS, HALLAND_MUNICIPALITIES, SECTORS  # noqa: E402

CHUNK = 10_000


def app_for(url: str):
    return create_app({
        "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": True,
        "BASE_URL": "https://evenemang.example.se",
    })  # fmt: skip


def _insert(table, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(table), rows[start : start + CHUNK])


def build(events: int, registrations: int, seed: int = 16) -> dict:
    rng = random.Random(seed)
    now = datetime.now(UTC).replace(microsecond=0)
    municipalities = list(HALLAND_MUNICIPALITIES)

    themes = [{"id": i + 1, "slug": f"tema-{i}", "name_sv": f"Tema {i}: mottagande och arbete",
               "name_en": f"Theme {i}", "description_sv": "Om temat.", "description_en": "",
               "position": i} for i in range(12)]  # fmt: skip
    _insert(Theme.__table__, themes)
    organisations = [{"id": i + 1, "slug": f"organisation-{i}", "name": f"Organisation {i}",
                      "website": "https://example.se/", "contact_email": f"info{i}@example.se"}
                     for i in range(40)]  # fmt: skip
    _insert(Organisation.__table__, organisations)

    event_rows, theme_links, languages, speakers = [], [], [], []
    for n in range(events):
        begins = now - timedelta(days=730) + timedelta(minutes=rng.randrange(0, 1095 * 24 * 60))
        begins = begins.replace(second=0)
        status = rng.choices(["published", "cancelled", "draft"], [90, 5, 5])[0]
        title = f"Seminarium {n}: språk, arbete och inkludering i Halland"
        event_rows.append({
            "id": n + 1, "public_id": secrets.token_hex(6), "slug": f"seminarium-{n}",
            "title": title, "summary": "Ett seminarium för alla som arbetar med nyanlända.",
            "description": f"## Program {n}\n\nVälkomna till en eftermiddag om **inkludering**.",
            "format": rng.choice(list(FORMATS)), "municipality": rng.choice(municipalities),
            "venue_name": "Stadsbiblioteket", "address": "Fredsgatan 1",
            "start_dt": begins, "end_dt": begins + timedelta(hours=2),
            "capacity": rng.choice([None, 30, 60, 100]), "seats_taken": 0, "status": status,
            "organisation_id": rng.randrange(1, len(organisations) + 1),
            "contact_email": "kontakt@example.se", "created_at": begins - timedelta(days=40),
            "updated_at": begins - timedelta(days=20), "revision": 0,
            "search_text": f"{title}\nett seminarium för alla som arbetar med nyanlända".casefold(),
        })  # fmt: skip
        for theme_id in rng.sample(range(1, len(themes) + 1), 2):
            theme_links.append({"event_id": n + 1, "theme_id": theme_id})
        languages.append({"event_id": n + 1, "code": "sv"})
        if n % 4 == 0:
            languages.append({"event_id": n + 1, "code": "en"})
        speakers.append({"event_id": n + 1, "name": "Amina Yusuf",
                         "affiliation": "Region Halland", "position": 0})  # fmt: skip
    _insert(Event.__table__, event_rows)
    _insert(event_theme, theme_links)
    _insert(EventLanguage.__table__, languages)
    _insert(Speaker.__table__, speakers)

    rows, seats = [], {}
    open_events = [e for e in event_rows if e["status"] != "draft"]
    sectors = list(SECTORS)
    for n in range(registrations):
        event = rng.choice(open_events)
        taken = seats.get(event["id"], 0)
        if rng.random() < 0.08:
            status = "cancelled"
        elif event["capacity"] is None or taken < event["capacity"]:
            status = "confirmed"
            seats[event["id"]] = taken + 1
        else:
            status = "waiting"
        created = event["start_dt"] - timedelta(days=rng.randrange(1, 30))
        attended = (
            event["start_dt"]
            if status == "confirmed" and event["end_dt"] < now and rng.random() < 0.8
            else None
        )
        rows.append({
            "event_id": event["id"], "status": status, "name": f"Deltagare {n}",
            "email": f"deltagare{n}@example.se", "email_normalised": f"deltagare{n}@example.se",
            "organisation": "", "sector": rng.choice(sectors),
            "municipality": rng.choice(municipalities), "consent_at": created, "locale": "sv",
            "manage_nonce": secrets.token_hex(16), "feed_nonce": secrets.token_hex(16),
            "check_in_code": f"{n:08d}", "created_at": created, "updated_at": created,
            "confirmed_at": created if status == "confirmed" else None,
            "cancelled_at": created if status == "cancelled" else None,
            "attended_at": attended,
        })  # fmt: skip
    _insert(Registration.__table__, rows)
    for event_id, taken in seats.items():
        db.session.execute(
            Event.__table__.update().where(Event.id == event_id).values(seats_taken=taken)
        )
    if db.engine.dialect.name == "postgresql":
        # Explicit ids above: move the sequences past them.
        for table in ("theme", "organisation", "event"):
            db.session.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT max(id) FROM {table}))"
            ))  # fmt: skip
    bump(db.session)
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return {"events": events, "registrations": registrations}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("database_url")
    parser.add_argument("--events", type=int, default=5_000)
    parser.add_argument("--registrations", type=int, default=200_000)
    args = parser.parse_args()
    app = app_for(args.database_url)
    with app.app_context():
        upgrade()
        if db.session.scalar(select(func.count()).select_from(Event)):
            sys.exit("The database already has events; give an empty one.")
        started = time.perf_counter()
        summary = build(args.events, args.registrations)
        print(f"{summary['events']} events, {summary['registrations']} registrations "
              f"in {time.perf_counter() - started:.1f} s")  # fmt: skip


if __name__ == "__main__":
    main()
