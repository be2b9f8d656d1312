"""The event lock, with the interleaving forced rather than hoped for.

Two sessions, each a thread with its own app context (its own database session and
connection). The first does its work and keeps its transaction open; the second starts on
the same event and must wait for it. Only when the first commits may the second go on, and
it then sees what the first did.

PostgreSQL: `_lock_event` takes the event's row lock, so the second session waits for it;
the test asks the server which session blocks the second (`pg_blocking_pids`) instead of
guessing from the clock. Without the lock the second one does not wait and
- two people on the waiting list are both told "number 1" (register),
- a newcomer is told a waiting place that is already gone (register after a cancellation),
- one freed seat goes to two people (the same registration cancelled twice at once),
- one free seat is taken twice for the same person (promote_waiting twice at once),
- one address gets two registrations (or an IntegrityError) when sent twice at once.

SQLite has one writer per database: the second session's first write waits on the busy
timeout whatever the code does, so "it waits" is checked only as "not done after a second".
Without the lock, though, it reads before it waits and acts on what it read: the last three
cases above fail on SQLite too (a second cancellation frees the seat again, the same person
is promoted twice, the second sign-up with the same address dies on the unique index).
The first two need PostgreSQL, where reads do not wait for writers.
"""

import re
import threading
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select, text, update

from eventreg.extensions import db
from eventreg.mail.notifications import render
from eventreg.models import Event, OutboxEmail, Registration
from eventreg.services import registrations as service
from tests.factories import make_event, make_registration, registration_details

WAIT = 30  # seconds: a bound for things that do happen, never a sleep


class Session(threading.Thread):
    """One request's transaction in a thread: runs `work`, then keeps the transaction open
    until `release` is set, then commits."""

    def __init__(self, app, work: Callable[[], object], *, hold: bool):
        super().__init__(daemon=True)
        self.app = app
        self.work = work
        self.started = threading.Event()  # connected, about to start the work
        self.worked = threading.Event()  # work done (or failed), transaction still open
        self.release = threading.Event()
        if not hold:
            self.release.set()
        self.result = None
        self.error: BaseException | None = None
        self.backend_pid: int | None = None

    def run(self) -> None:
        try:
            with self.app.app_context():
                try:
                    if db.engine.dialect.name == "postgresql":
                        self.backend_pid = db.session.scalar(text("SELECT pg_backend_pid()"))
                    self.started.set()
                    self.result = self.work()
                    self.worked.set()
                    self.release.wait(WAIT)
                    db.session.commit()
                finally:
                    db.session.rollback()
                    db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported to the test
            self.error = error
        finally:
            self.started.set()
            self.worked.set()


@pytest.fixture
def session(app):
    """Start sessions; whatever happens in the test, they are released and joined."""
    started: list[Session] = []

    def start(work: Callable[[], object], *, hold: bool = False) -> Session:
        thread = Session(app, work, hold=hold)
        started.append(thread)
        thread.start()
        return thread

    yield start
    for thread in started:
        thread.release.set()
    for thread in started:
        thread.join(WAIT)


def holding(thread: Session) -> Session:
    """Wait until the session has done its work and holds its transaction open."""
    assert thread.worked.wait(WAIT)
    assert thread.error is None, repr(thread.error)
    assert thread.is_alive()
    return thread


def assert_waits_for(second: Session, first: Session) -> None:
    """The second session is blocked by the first one's transaction."""
    assert second.started.wait(WAIT)
    if db.engine.dialect.name == "postgresql":
        # Poll until the server says the second waits for the first, or the second is done
        # (it did not wait at all). The answer does not depend on the machine's speed.
        deadline = time.monotonic() + WAIT
        blocked = False
        with db.engine.connect() as conn:
            while not second.worked.is_set() and time.monotonic() < deadline:
                blocked = conn.scalar(
                    text("SELECT CAST(:first AS integer) = ANY(pg_blocking_pids(:second))"),
                    {"first": first.backend_pid, "second": second.backend_pid},
                )
                if blocked:
                    break
                time.sleep(0.02)
        assert blocked, "the second session did not wait for the first one's lock"
        assert not second.worked.is_set(), "the second session finished while the first held"
    else:
        # SQLite: the second writer sits in the busy handler until the first commits.
        assert not second.worked.wait(1.0), "the second session did not wait for the first"


def finish(*threads: Session) -> None:
    for thread in threads:
        thread.release.set()
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()
        assert thread.error is None, repr(thread.error)
    db.session.expire_all()  # read what the sessions committed, not what this one loaded


def emailed_position(registration_id: int) -> int:
    """The waiting-list place told in the registration's waiting email (English)."""
    email = db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.registration_id == registration_id, OutboxEmail.kind == "waiting"
        )
    )
    body = render(email).body_text
    return int(re.search(r"You are number (\d+) on the list", body).group(1))


def emails(kind: str) -> list[int]:
    return list(
        db.session.scalars(
            select(OutboxEmail.registration_id)
            .where(OutboxEmail.kind == kind)
            .order_by(OutboxEmail.id)
        )
    )


def sign_up(event_id: int, email: str) -> Callable[[], tuple[int, int | None, bool]]:
    """register() in the thread's own session: (id, waiting place then, is_new)."""

    def work():
        event = db.session.get(Event, event_id)
        signup = service.register(event, registration_details(email=email), locale="en")
        registration = signup.registration
        return registration.id, service.waiting_position(registration), signup.is_new

    return work


def cancel(registration_id: int) -> Callable[[], list[int]]:
    """cancel_registration() in the thread's own session: the ids promoted."""

    def work():
        registration = db.session.get(Registration, registration_id)
        return [r.id for r in service.cancel_registration(registration)]

    return work


def promote(event_id: int) -> Callable[[], list[int]]:
    def work():
        return [r.id for r in service.promote_waiting(db.session.get(Event, event_id))]

    return work


def test_a_second_sign_up_waits_and_gets_the_next_waiting_place(session):
    event = make_event(capacity=1)
    make_registration(event)  # the only seat
    db.session.commit()

    first = holding(session(sign_up(event.id, "first@example.se"), hold=True))
    second = session(sign_up(event.id, "second@example.se"))
    assert_waits_for(second, first)
    finish(first, second)

    (first_id, first_place, _), (second_id, second_place, _) = first.result, second.result
    # Each was told, inside its own transaction, the place it really holds: 1 then 2.
    assert [first_place, second_place] == [1, 2]
    assert [emailed_position(first_id), emailed_position(second_id)] == [1, 2]
    waiting = service.waiting_list(db.session.get(Event, event.id))
    assert [r.id for r in waiting] == [first_id, second_id]
    assert [service.waiting_position(r) for r in waiting] == [1, 2]


def test_a_sign_up_during_a_cancellation_is_told_its_real_waiting_place(session):
    event = make_event(capacity=1)
    holder = make_registration(event)
    queued = make_registration(event, locale="en")
    db.session.commit()

    # The holder cancels; the first on the waiting list gets the seat (not yet committed).
    cancelling = holding(session(cancel(holder.id), hold=True))
    assert cancelling.result == [queued.id]
    newcomer = session(sign_up(event.id, "newcomer@example.se"))
    assert_waits_for(newcomer, cancelling)
    finish(cancelling, newcomer)

    newcomer_id, place, is_new = newcomer.result
    assert is_new
    # The seat went to the one who was waiting, in arrival order; the newcomer is now first
    # in line and was told so (not "number 2" from before the promotion).
    assert db.session.get(Registration, queued.id).status == "confirmed"
    assert db.session.get(Registration, newcomer_id).status == "waiting"
    assert place == 1
    assert emailed_position(newcomer_id) == 1
    assert db.session.get(Event, event.id).seats_taken == 1


def test_cancelling_the_same_registration_twice_at_once_frees_one_seat(session):
    event = make_event(capacity=1)
    holder = make_registration(event)
    next_in_line = make_registration(event)
    after_that = make_registration(event)
    db.session.commit()

    first = holding(session(cancel(holder.id), hold=True))
    second = session(cancel(holder.id))  # a double click, or the organiser at the same time
    assert_waits_for(second, first)
    finish(first, second)

    assert first.result == [next_in_line.id]
    assert second.result == []  # already cancelled: nothing freed, nobody promoted
    assert db.session.get(Registration, next_in_line.id).status == "confirmed"
    assert db.session.get(Registration, after_that.id).status == "waiting"
    assert db.session.get(Event, event.id).seats_taken == 1
    assert emails("promotion") == [next_in_line.id]
    assert emails("cancellation") == [holder.id]


def test_two_promotions_at_once_give_each_free_seat_once(session):
    event = make_event(capacity=1)
    make_registration(event)
    waiting = make_registration(event)
    db.session.commit()
    # The organiser raised the capacity to 3: two free seats, one person waiting.
    db.session.execute(update(Event).where(Event.id == event.id).values(capacity=3))
    db.session.commit()

    first = holding(session(promote(event.id), hold=True))
    second = session(promote(event.id))
    assert_waits_for(second, first)
    finish(first, second)

    assert first.result == [waiting.id]
    assert second.result == []
    confirmed = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.event_id == event.id, Registration.status == "confirmed"
        )
    )
    assert confirmed == 2
    assert db.session.get(Event, event.id).seats_taken == 2  # one seat still free
    assert emails("promotion") == [waiting.id]


def test_the_same_address_sent_twice_at_once_gets_one_registration(session):
    event = make_event(capacity=5)
    db.session.commit()

    first = holding(session(sign_up(event.id, "twice@example.se"), hold=True))
    second = session(sign_up(event.id, "Twice@Example.se"))
    assert_waits_for(second, first)
    finish(first, second)

    first_id, _, first_is_new = first.result
    second_id, _, second_is_new = second.result
    assert (first_is_new, second_is_new) == (True, False)
    assert second_id == first_id  # the second was sent the manage link of the first
    rows = db.session.scalars(
        select(Registration.id).where(Registration.event_id == event.id)
    ).all()
    assert rows == [first_id]
    assert db.session.get(Event, event.id).seats_taken == 1
    assert emails("confirmation") == [first_id]
    assert emails("manage_link") == [first_id]
