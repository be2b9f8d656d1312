"""How fast calendar feeds are built and served, for 100, 1,000 and 10,000 events.

    .venv/bin/python bench/bench_feeds.py [--sizes 100 1000 10000] [--repeat 20]

Each size gets a fresh temporary SQLite database filled with upcoming published events
(themes, speakers, Swedish text). Measured, through Flask's test client on /kalender/evenemang.ics:

- first:   first request ever: version query, loading the events, rendering every
           description's Markdown, building and serialising the calendar;
- change:  the request after one event was edited: the same, but descriptions already
           rendered once are remembered (what polling pays once after each change);
- build:   `build_calendar` + serialisation alone, events loaded, descriptions remembered;
- cached:  a repeat request answered from the cache (version query + sending the bytes);
- 304:     a repeat request with If-None-Match (version query, no body).

Numbers are medians in milliseconds, wall-clock and (in brackets) CPU time of this process;
on a busy machine the CPU time is the steadier of the two.
"""

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from eventreg import create_app  # noqa: E402
from eventreg.extensions import db  # noqa: E402
from eventreg.feeds import ical  # noqa: E402
from eventreg.feeds.views import CACHE_EXTENSION  # noqa: E402
from eventreg.models import Event, Organisation, Speaker, Theme  # noqa: E402
from eventreg.services.catalogue import EventFilter  # noqa: E402
from eventreg.services.feeds import feed_events_stmt  # noqa: E402

URL = "/kalender/evenemang.ics"
MUNICIPALITIES = ["halmstad", "kungsbacka", "varberg", "falkenberg", "laholm", "hylte"]


def fill(count: int) -> None:
    themes = [Theme(slug=f"tema-{i}", name_sv=f"Tema {i} – hälsa och arbete", name_en=f"Theme {i}",
                    position=i) for i in range(8)]  # fmt: skip
    organisations = [
        Organisation(slug=f"org-{i}", name=f"Organisation {i}", contact_email=f"info{i}@example.se")
        for i in range(10)
    ]
    db.session.add_all(themes + organisations)
    start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
    for n in range(count):
        begins = start + timedelta(hours=7 * n)
        event = Event(
            slug=f"seminarium-{n}",
            title=f"Seminarium {n}: mottagande, språk och arbete i Halland",
            summary="Ett seminarium om inkludering; för alla som arbetar med nyanlända.",
            # Each description different, as in real data, so none is rendered only once.
            description=f"## Program {n}\n\n"
            + "Välkomna till en eftermiddag om **inkludering**. " * 6,
            format="seminar",
            municipality=MUNICIPALITIES[n % len(MUNICIPALITIES)],
            venue_name="Stadsbiblioteket",
            address="Fredsgatan 1",
            status="cancelled" if n % 50 == 0 else "published",
            start_dt=begins,
            end_dt=begins + timedelta(hours=2),
            organisation=organisations[n % len(organisations)],
        )
        event.themes = [themes[n % len(themes)], themes[(n + 3) % len(themes)]]
        event.speakers = [Speaker(name="Amina Yusuf", affiliation="Region Halland")]
        db.session.add(event)
        if n % 1000 == 999:
            db.session.flush()
    db.session.commit()


def timed(function, repeat: int) -> tuple[float, float]:
    walls, cpus = [], []
    for _ in range(repeat):
        wall, cpu = time.perf_counter(), time.process_time()
        function()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


def bench(count: int, repeat: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.sqlite",
            "SECRET_KEY": "bench", "TESTING": True, "BASE_URL": "https://evenemang.example.se",
            "TRUSTED_HOSTS": ["evenemang.example.se", "localhost"],  # the test client's host
        })  # fmt: skip
        with app.app_context():
            db.create_all()
            fill(count)
            cache = app.extensions[CACHE_EXTENSION]
            client = app.test_client()
            few = max(1, repeat // 5)

            def first():
                cache.clear()
                ical.plain_text.cache_clear()
                assert client.get(URL).status_code == 200

            def after_change():
                event = db.session.get(Event, 1)
                event.title = f"{event.title}!"
                db.session.commit()
                assert client.get(URL).status_code == 200

            result = {"first": timed(first, few), "change": timed(after_change, few)}
            events = list(db.session.scalars(feed_events_stmt(EventFilter(), datetime.now(UTC))))
            result["build"] = timed(
                lambda: ical.serialize(
                    ical.build_calendar(
                        events,
                        base_url="https://evenemang.example.se",
                        name="Evenemang",
                        locale="sv",
                    )  # fmt: skip
                ),
                few,
            )
            response = client.get(URL)
            etag = response.headers["ETag"]
            result["cached"] = timed(lambda: client.get(URL), repeat)
            result["304"] = timed(lambda: client.get(URL, headers={"If-None-Match": etag}), repeat)
            assert client.get(URL, headers={"If-None-Match": etag}).status_code == 304
            result["events"], result["bytes"] = len(events), len(response.data)
            db.engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1_000, 10_000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    columns = ("first", "change", "build", "cached", "304")
    header = f"{'events':>7} {'size':>9} " + " ".join(f"{c:>16}" for c in columns)
    print(header)
    print("-" * len(header))
    for count in args.sizes:
        row = bench(count, args.repeat)
        cells = " ".join(f"{row[c][0] * 1000:>8.1f} ({row[c][1] * 1000:>6.1f})" for c in columns)
        print(f"{row['events']:>7} {row['bytes'] / 1024:>5.0f} KiB {cells}", flush=True)


if __name__ == "__main__":
    main()
