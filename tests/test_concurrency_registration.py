"""Seats under real concurrency: many server processes, each with its own app and database
engine, posting at the same moment against the test database (a file for SQLite, a server
database for PostgreSQL)."""

import multiprocessing
import re
import traceback

import pytest
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.mail.notifications import render
from eventreg.models import Event, OutboxEmail, Registration
from eventreg.services import registrations as service
from tests.factories import make_event, make_registration

SEATS = 10
PEOPLE = 50
TIMEOUT = 180  # seconds for the whole crowd; generous for a busy two-core machine


def _worker(database_url: str, outbox_dir: str, barrier, results, n: int, path: str, data):
    """One server process: its own app and engine. It loads the page (a GET, which changes
    nothing), waits for the others, then posts once and reads the page it is sent to, as the
    person would."""
    try:
        from eventreg import create_app

        # A patient lock timeout: this test is about who gets a seat, not about the "try
        # again" answer (tested in test_registration_views), and on SQLite fifty writers
        # queue one behind another on a busy machine.
        app = create_app({
            "TESTING": True, "SECRET_KEY": "test-secret-key", "SQLALCHEMY_DATABASE_URI":
            database_url, "WTF_CSRF_ENABLED": False, "OUTBOX_DIR": outbox_dir,
            "REGISTRATION_LOCK_TIMEOUT_MS": TIMEOUT * 1000,
            "DATABASE_STATEMENT_TIMEOUT_MS": TIMEOUT * 1000,  # above the lock wait, as usual
        })  # fmt: skip
        client = app.test_client()
        # Warm up (templates compiled, connections open) so the posts really coincide.
        assert client.get(path).status_code == 200
        barrier.wait(timeout=TIMEOUT)
        response = client.post(path, data=data)
        page = client.get(response.headers["Location"] + "?lang=en").text
        told = re.search(
            r"Check your email|You are number (\d+) on the waiting|You have a seat|cancelled", page
        )
        results.put((n, response.status_code, told.group(1) or told.group(0) if told else page))
    except Exception:  # noqa: BLE001 - reported to the test, which fails with it
        results.put((n, "error", traceback.format_exc()))


def _run_crowd(database_url: str, outbox_dir: str, requests: list[tuple[str, dict]]) -> dict:
    """Start one process per request, release them together, collect {n: (status, told)}."""
    # forkserver: children start from a clean single-threaded process, not a fork of pytest
    # (which may run a live server thread), and still start fast.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["eventreg", "tests.test_concurrency_registration"])
    barrier = context.Barrier(len(requests))
    results = context.Queue()
    processes = [
        context.Process(
            target=_worker,
            args=(database_url, outbox_dir, barrier, results, n, path, data),
        )
        for n, (path, data) in enumerate(requests)
    ]
    for process in processes:
        process.start()
    collected = {}
    try:
        for _ in processes:
            n, status, told = results.get(timeout=TIMEOUT)
            collected[n] = (status, told)
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()
    errors = [told for status, told in collected.values() if status == "error"]
    assert not errors, errors[0]
    return collected


@pytest.fixture
def crowd(app, database_url):
    def run(requests):
        return _run_crowd(database_url, app.config["OUTBOX_DIR"], requests)

    return run


def test_fifty_simultaneous_registrations_never_exceed_ten_seats(crowd):
    event = make_event(capacity=SEATS)
    db.session.commit()
    path = f"/evenemang/{event.public_id}/anmalan?lang=en"
    requests = [
        (path, {"name": f"Person {n}", "email": f"person{n}@example.se", "sector": "region",
                "municipality": "halmstad", "consent": "y"})
        for n in range(PEOPLE)
    ]  # fmt: skip
    results = crowd(requests)

    assert len(results) == PEOPLE
    assert all(status == 302 for status, _ in results.values())
    db.session.expire_all()
    rows = db.session.scalars(
        select(Registration).where(Registration.event_id == event.id).order_by(Registration.id)
    ).all()
    assert len(rows) == PEOPLE  # nothing lost
    assert sorted(r.email for r in rows) == sorted(data["email"] for _, data in requests)
    # Seats went to the first ten to get through, then the waiting list in arrival order.
    assert [r.status for r in rows] == ["confirmed"] * SEATS + ["waiting"] * (PEOPLE - SEATS)
    assert [service.waiting_position(r) for r in rows[SEATS:]] == list(range(1, PEOPLE - SEATS + 1))
    # Everyone was sent to the same "check your email" page (it shows no status); what each
    # person was told is in their email (below).
    assert [value for _, value in results.values()] == ["Check your email"] * PEOPLE
    assert db.session.get(Event, event.id).seats_taken == SEATS
    kinds = db.session.scalars(select(OutboxEmail.kind)).all()
    assert sorted(kinds) == sorted(["confirmation"] * SEATS + ["waiting"] * (PEOPLE - SEATS))
    # Ten seats; and the waiting-list email, written inside each registration's transaction,
    # tells the position at that moment: each place once, and the one the person really holds.
    emailed = {
        email.registration_id: int(re.search(r"You are number (\d+)", render(email).body_text)[1])
        for email in db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "waiting"))
    }
    assert emailed == {r.id: service.waiting_position(r) for r in rows[SEATS:]}


def test_simultaneous_cancellations_promote_each_waiting_person_once(crowd):
    event = make_event(capacity=SEATS)
    people = [make_registration(event) for _ in range(2 * SEATS + 5)]
    db.session.commit()
    holders, waiting = people[:SEATS], people[SEATS:]
    requests = [(f"/anmalan/{service.manage_token(r)}/avboka", {}) for r in holders]
    results = crowd(requests)
    assert all(status == 302 for status, _ in results.values())

    db.session.expire_all()
    assert all(db.session.get(Registration, r.id).is_cancelled for r in holders)
    statuses = [db.session.get(Registration, r.id).status for r in waiting]
    # The first ten on the list got the ten seats, in order; the last five still wait.
    assert statuses == ["confirmed"] * SEATS + ["waiting"] * 5
    assert db.session.get(Event, event.id).seats_taken == SEATS
    promotions = db.session.scalar(
        select(func.count()).select_from(OutboxEmail).where(OutboxEmail.kind == "promotion")
    )
    assert promotions == SEATS
