"""What one sign-up costs the database: the statements a sign-up POST runs (a rush of
sign-ups is bound by them, see bench/BENCHMARKS.md), and SQLite's commit mode."""

from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, event, func, select, text

from eventreg import create_app
from eventreg.config import Defaults
from eventreg.extensions import db
from eventreg.models import AuditEntry, OutboxEmail, Registration, RegistrationAnswer
from eventreg.services import questions
from eventreg.services import registrations as service
from tests.factories import make_event, make_registration, registration_details, registration_form

# A sign-up that gets a seat or a waiting-list place: the event, its organisation and how
# many questions it has (one query), the lock that reads the event, the address's
# registration and email count (and the waiting list when full) in one query, the seat (not
# tried when full), the registration, its email, the audit entry, the public pages' data
# version (not for a waiting-list place). PostgreSQL writes the email and the entry in one
# statement, moves the version in the seat's, and opens its connections with the lock's
# wait; SQLite sets the wait, writes the two apart and moves the version at the commit:
# three more. An event with questions adds their SELECT and the answers' INSERT. 18 or 19
# before this was counted, 10 before 2026-11-30.
MOST_STATEMENTS = 6


def register_url(event) -> str:
    return f"/evenemang/{event.public_id}/anmalan?lang=en"


@contextmanager
def statements():
    """The SQL statements run on the app's engine inside the block."""
    seen: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def on_table(seen: list[str], verb: str, table: str) -> list[str]:
    return [s for s in seen if s.upper().startswith(verb) and f" {table} " in f"{s} "]


def most_statements() -> int:
    return MOST_STATEMENTS + 3 * (db.engine.dialect.name == "sqlite")


@pytest.mark.parametrize("seats", [5, 1], ids=["seat", "waiting list"])
def test_a_sign_up_post_runs_few_statements(client, seats):
    event = make_event(capacity=seats)
    make_registration(event)  # with one seat, the event is full: the waiting list counted
    db.session.commit()
    url, form = register_url(event), registration_form()
    with statements() as seen:
        response = client.post(url, data=form)
    assert response.status_code == 302
    assert len(seen) <= most_statements(), "\n".join(seen)
    # No questions, so none asked for; on PostgreSQL no SET of the lock's wait.
    assert not [s for s in seen if s.startswith("SELECT registration_question.")], seen
    assert not [s for s in seen if s.upper().startswith("SET")], seen
    # Nothing the sign-up pages do not show (catalogue.get_public_event loads these too).
    for table in ("theme", "event_theme", "event_target_group", "event_language", "speaker"):
        assert not [s for s in seen if f" {table} " in f"{s} "], table
    # The lock reads the event's columns in the same statement (no second SELECT of it), and
    # the seat's UPDATE returns the new count (no read after it).
    assert len(on_table(seen, "SELECT", "event")) == 1  # the page's, before the lock
    lock, *others = on_table(seen, "UPDATE", "event")
    assert "seats_taken=event.seats_taken WHERE" in lock
    assert "RETURNING" in lock
    # The seat's UPDATE: on PostgreSQL with the version's in one statement (WITH … AS).
    seat = [s for s in seen if "UPDATE event SET seats_taken=(event.seats_taken + " in s]
    assert others in ([], seat)
    if db.engine.dialect.name == "postgresql" and seat:
        assert "UPDATE data_version SET seats_token=" in seat[0]
        assert not on_table(seen, "UPDATE", "data_version")
    if seats > 1:
        assert "seats_taken + " in seat[0]
        assert "RETURNING" in seat[0]
    else:  # full under the lock: no seat to try for (it would count as a change, see
        # test_page_cache.test_a_waiting_list_place_keeps_the_version)
        assert seat == []
    # The audit entry takes the event's title from the session, not from another SELECT.
    assert not [s for s in seen if s.startswith("SELECT event.id, event.title")]
    registration = db.session.scalars(select(Registration).order_by(Registration.id)).all()[-1]
    assert registration.is_confirmed == (seats > 1)
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.registration_id == registration.id)
    )
    assert entry.action == "registration.create"
    assert entry.label == event.title


def test_an_event_with_questions_reads_them_and_stores_the_answers(client):
    event = make_event(capacity=5)
    question = questions.add_question(
        event, questions.QuestionData(kind="yes_no", label="Vill du ha kaffe?"), None
    )
    db.session.commit()
    url, form = register_url(event), registration_form() | {f"question_{question.id}": "yes"}
    with statements() as seen:
        response = client.post(url, data=form)
    assert response.status_code == 302
    assert len(seen) <= most_statements() + 2, "\n".join(seen)
    assert len([s for s in seen if s.startswith("SELECT registration_question.")]) == 1
    assert len(on_table(seen, "INSERT", "registration_answer")) == 1
    registration = db.session.scalars(select(Registration)).one()
    assert db.session.execute(
        select(RegistrationAnswer.question_id, RegistrationAnswer.value)
    ).all() == [(question.id, "yes")]
    assert registration.is_confirmed


def test_the_sign_up_rows_are_those_of_the_objects_before(app):
    """The registration, its email and its log entry, written as rows, hold what the ORM
    wrote for them before: defaults (secrets, check-in code) filled in, the email to the
    address alone, the entry labelled with the event's title."""
    event = make_event(capacity=5, title="Språkcafé")
    db.session.commit()
    details = registration_details(name="Åsa Öberg", email="  Asa@Example.se ")
    signup = service.register(event, details, locale="en")
    db.session.commit()
    registration = signup.registration
    assert signup.is_new
    assert registration.is_confirmed
    assert registration.email == "Asa@Example.se"
    assert registration.email_normalised == "asa@example.se"
    assert registration.locale == "en"
    assert registration.manage_nonce
    assert registration.feed_nonce
    assert registration.manage_nonce != registration.feed_nonce
    assert registration.check_in_code
    assert registration.created_at == registration.confirmed_at == registration.consent_at
    email = db.session.scalars(select(OutboxEmail)).one()
    assert (email.kind, email.recipient, email.locale) == (
        "confirmation", "Asa@Example.se", "en"
    )
    assert email.ics_method == "PUBLISH"
    assert email.params is None
    assert (email.attempts, email.last_error) == (0, "")  # the table's defaults
    assert email.next_attempt_at <= email.created_at + timedelta(seconds=1)  # due now
    assert email.message_id.startswith("<")
    assert email.status == "pending"
    entry = db.session.scalars(select(AuditEntry)).one()
    assert (entry.action, entry.event_id, entry.registration_id, entry.label) == (
        "registration.create", event.id, registration.id, "Språkcafé"
    )
    assert entry.changes == {"status": [None, "confirmed"]}
    assert entry.user_id is None


def test_a_sign_up_over_the_email_limit_writes_its_entry_alone(app):
    event = make_event(capacity=5)
    db.session.commit()
    email = "flood@example.se"
    limit = app.config["VISITOR_EMAILS_PER_ADDRESS_PER_HOUR"]
    for _ in range(limit):
        service.register(make_event(capacity=5), registration_details(email=email), locale="sv")
    db.session.commit()
    signup = service.register(event, registration_details(email=email), locale="sv")
    db.session.commit()
    emails = select(func.count(OutboxEmail.id)).where(
        OutboxEmail.registration_id == signup.registration_id
    )
    assert db.session.scalar(emails) == 0
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.registration_id == signup.registration_id)
    ).one()
    assert entry.action == "registration.create"


def test_the_waiting_list_place_is_counted_as_before(app):
    """The place a waiting-list email states is counted before the registration is written,
    with the lock held: the same number as counting after it, gaps and promotions included."""
    event = make_event(capacity=1)
    people = [make_registration(event) for _ in range(4)]  # a seat, then places 1, 2, 3
    service.cancel_registration(people[2])  # place 2 leaves: 1, _, 2
    service.cancel_registration(people[0])  # the seat is freed: people[1] is promoted
    db.session.commit()
    signup = service.register(event, registration_details(), locale="sv")
    db.session.commit()
    assert service.waiting_position(signup.registration) == 2
    email = db.session.scalars(
        select(OutboxEmail)
        .where(OutboxEmail.registration_id == signup.registration.id)
        .order_by(OutboxEmail.id)
    ).one()
    assert email.kind == "waiting"
    assert email.params == {"position": 2}


def test_a_sign_up_sees_what_another_server_changed_since_the_page_was_read(app, database_url):
    """The lock's UPDATE … RETURNING replaces what the session read before it: a change
    committed elsewhere in between (the last seats taken, registration closed) counts."""
    event = make_event(capacity=2)
    db.session.commit()
    assert event.seats_taken == 0  # loaded in this session
    other = create_engine(database_url)
    try:
        with other.begin() as connection:
            connection.execute(
                text("UPDATE event SET seats_taken = 2 WHERE id = :id"), {"id": event.id}
            )
        signup = service.register(event, registration_details(), locale="sv")
        assert signup.registration.is_waiting
        assert event.seats_taken == 2
        assert event.is_full
        db.session.rollback()
        assert event.is_published  # read again, in this session
        with other.begin() as connection:
            connection.execute(
                text("UPDATE event SET status = 'cancelled' WHERE id = :id"), {"id": event.id}
            )
        with pytest.raises(service.RegistrationClosed):
            service.register(event, registration_details(), locale="sv")
        db.session.rollback()
    finally:
        other.dispose()


def test_a_seat_leaves_the_new_count_on_the_event(app):
    event = make_event(capacity=3)
    db.session.commit()
    service.register(event, registration_details(), locale="sv")
    assert event.seats_taken == 1
    assert event.seats_left == 2
    db.session.commit()
    assert db.session.scalar(text(f"SELECT seats_taken FROM event WHERE id = {event.id}")) == 1


# --- SQLite's commit mode -------------------------------------------------------------

SYNCHRONOUS_LEVELS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def synchronous_of(app) -> str:
    with app.app_context(), db.engine.connect() as connection:
        level = connection.exec_driver_sql("PRAGMA synchronous").scalar()
        mode = connection.exec_driver_sql("PRAGMA journal_mode").scalar()
    assert mode == "wal"
    return SYNCHRONOUS_LEVELS[level]


def test_sqlite_commits_without_waiting_for_the_disk_by_default(app_with):
    assert Defaults.SQLITE_SYNCHRONOUS == "NORMAL"
    app = app_with()
    assert app.config["SQLITE_SYNCHRONOUS"] == "NORMAL"
    assert synchronous_of(app) == "NORMAL"


@pytest.fixture
def app_with(tmp_path):
    """Apps on a SQLite file of their own, whatever database the suite runs on: these are
    SQLite's settings (PostgreSQL keeps synchronous_commit as it is)."""
    made = []
    database_url = f"sqlite:///{tmp_path / 'commit-mode.sqlite'}"

    def make(**settings):
        app = create_app({
            "TESTING": True, "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": database_url, "OUTBOX_DIR": str(tmp_path), **settings,
        })  # fmt: skip
        made.append(app)
        return app

    yield make
    for app in made:
        with app.app_context():
            db.engine.dispose()


def test_sqlite_can_wait_for_the_disk_at_every_commit(app_with):
    assert synchronous_of(app_with(SQLITE_SYNCHRONOUS="full")) == "FULL"
    assert synchronous_of(app_with(SQLITE_SYNCHRONOUS="EXTRA")) == "EXTRA"


@pytest.mark.parametrize("value", ["OFF", "0", "normal; DROP TABLE event", ""])
def test_an_unsafe_or_unknown_sqlite_commit_mode_stops_the_start(app_with, value):
    with pytest.raises(RuntimeError, match="SQLITE_SYNCHRONOUS"):
        app_with(SQLITE_SYNCHRONOUS=value)


def test_the_commit_mode_is_read_from_the_environment(app_with, monkeypatch):
    monkeypatch.setenv("EVENTREG_SQLITE_SYNCHRONOUS", "FULL")
    assert app_with().config["SQLITE_SYNCHRONOUS"] == "FULL"


def test_with_defaults_fills_in_what_an_insert_would():
    from eventreg.models.types import utcnow, with_defaults

    before = utcnow()
    row = with_defaults(OutboxEmail.__table__, {"kind": "confirmation", "attempts": 3})
    assert row["attempts"] == 3  # given: kept
    assert row["status"] == "pending"
    assert row["last_error"] == ""
    assert row["created_at"] >= before
    assert "id" not in row  # no default: left to the database
    assert "subject" not in row
