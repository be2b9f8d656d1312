"""Registration rules through the service: window, status, capacity, duplicates, the waiting
list and its promotions, self-service changes, signed links and anonymisation."""

from datetime import timedelta

import pytest
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from eventreg.extensions import db
from eventreg.mail.notifications import render
from eventreg.models import Event, OutboxEmail, Registration, utcnow
from eventreg.services import attendees, catalogue
from eventreg.services import registrations as service
from eventreg.services.registrations import (
    ProfileUpdate,
    RegistrationClosed,
    RegistrationError,
    UnsafeHeaderValue,
)
from tests.factories import (
    make_event,
    make_registration,
    make_theme,
    make_user,
    registration_details,
)


def kinds_for(registration: Registration) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxEmail.kind)
            .where(OutboxEmail.registration_id == registration.id)
            .order_by(OutboxEmail.id)
        )
    )


def statuses(event: Event) -> list[str]:
    return list(
        db.session.scalars(
            select(Registration.status)
            .where(Registration.event_id == event.id)
            .order_by(Registration.id)
        )
    )


# --- window and status ----------------------------------------------------------------


def test_registration_before_the_window_opens_is_refused():
    event = make_event(registration_opens_dt=utcnow() + timedelta(days=1))
    with pytest.raises(RegistrationClosed) as refused:
        service.register(event, registration_details(), locale="sv")
    assert refused.value.reason == "not_open"


def test_registration_after_the_window_closes_is_refused():
    event = make_event(registration_closes_dt=utcnow() - timedelta(minutes=1))
    with pytest.raises(RegistrationClosed) as refused:
        service.register(event, registration_details(), locale="sv")
    assert refused.value.reason == "closed"


def test_registration_closes_when_the_event_starts_without_a_closing_time():
    start = utcnow() - timedelta(minutes=5)
    event = make_event(start_dt=start, end_dt=start + timedelta(hours=2))
    with pytest.raises(RegistrationClosed):
        service.register(event, registration_details(), locale="sv")


def test_registration_inside_the_window_is_accepted():
    event = make_event(
        registration_opens_dt=utcnow() - timedelta(days=1),
        registration_closes_dt=utcnow() + timedelta(days=1),
    )
    signup = service.register(event, registration_details(), locale="sv")
    assert signup.is_new
    assert signup.registration.is_confirmed


@pytest.mark.parametrize("status", ["draft", "cancelled"])
@pytest.mark.parametrize("ignore_window", [False, True])
def test_drafts_and_cancelled_events_take_no_registrations(status, ignore_window):
    event = make_event(status=status)
    with pytest.raises(RegistrationClosed) as refused:
        service.register(event, registration_details(), locale="sv", ignore_window=ignore_window)
    assert refused.value.reason == "unavailable"
    assert statuses(event) == []


@pytest.mark.parametrize(
    "window",
    [
        {"registration_opens_dt": utcnow() + timedelta(days=1)},
        {"registration_closes_dt": utcnow() - timedelta(minutes=1)},
    ],
    ids=["not_open", "closed"],
)
def test_ignoring_the_window_registers_before_it_opens_and_after_it_closes(window):
    """What an organiser adding someone by hand does; attendees never can."""
    event = make_event(capacity=1, **window)
    with pytest.raises(RegistrationClosed):
        service.register(event, registration_details(), locale="sv")
    first = service.register(event, registration_details(), locale="sv", ignore_window=True)
    second = service.register(event, registration_details(), locale="sv", ignore_window=True)
    assert first.is_new
    assert first.registration.is_confirmed
    assert second.is_new
    assert second.registration.is_waiting
    again = service.register(
        event, registration_details(email=first.registration.email.upper()), locale="sv",
        ignore_window=True,
    )  # fmt: skip
    assert not again.is_new
    assert again.registration.id == first.registration.id
    assert statuses(event) == ["confirmed", "waiting"]
    assert kinds_for(first.registration) == ["confirmation", "manage_link"]
    assert kinds_for(second.registration) == ["waiting"]


def test_ignoring_the_window_registers_after_the_event_started():
    """A walk-in at the door: registration closed when the event started."""
    start = utcnow() - timedelta(minutes=5)
    event = make_event(start_dt=start, end_dt=start + timedelta(hours=2))
    signup = service.register(event, registration_details(), locale="sv", ignore_window=True)
    assert signup.registration.is_confirmed


def test_status_is_read_again_under_the_lock():
    """An event cancelled by another request after this one loaded it takes no sign-up."""
    event = make_event()
    db.session.execute(
        Event.__table__.update().where(Event.id == event.id).values(status="cancelled")
    )
    with pytest.raises(RegistrationClosed):
        service.register(event, registration_details(), locale="sv")


@pytest.mark.parametrize("capacity", [1, 0], ids=["seat", "waiting list"])
def test_under_the_event_lock_only_the_seat_decision_and_the_rows_it_writes(capacity):
    """Every other sign-up for the event waits while one holds the lock, so from the lock
    to the end of the sign-up nothing else is read: not the event's organisation, themes,
    languages or speakers (the page loaded them), and nothing for the email, which is
    rendered when sent."""
    public_id = make_event(
        capacity=capacity, themes=[make_theme()], speakers=["Amina Yusuf"]
    ).public_id
    db.session.commit()
    db.session.expunge_all()
    event = catalogue.get_public_event(public_id)  # as the sign-up page loads it
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(" ".join(statement.split()))

    sa_event.listen(db.engine, "before_cursor_execute", record)
    try:
        service.register(event, registration_details(), locale="sv")
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", record)
    locked = next(
        n for n, sql in enumerate(statements)
        if sql.startswith("UPDATE event SET seats_taken=event.seats_taken")
    )  # fmt: skip
    tables = set()
    for sql in statements[locked + 1 :]:
        verb, *words = sql.split()
        if verb == "SELECT":
            tables.add(sql.split(" FROM ", 1)[1].split()[0])
        elif verb in ("INSERT", "UPDATE"):
            tables.add(words[1] if verb == "INSERT" else words[0])  # INSERT INTO t, UPDATE t
    assert tables <= {"event", "registration", "audit_entry", "outbox_email"}, statements


def test_a_registration_and_its_email_are_stored_together_or_not_at_all():
    event = make_event(capacity=1)
    db.session.commit()
    service.register(event, registration_details(), locale="sv")
    assert db.session.scalar(select(OutboxEmail.kind)) == "confirmation"
    db.session.rollback()  # e.g. the commit failed
    assert statuses(event) == []
    assert db.session.scalar(select(OutboxEmail.id)) is None
    db.session.refresh(event)
    assert event.seats_taken == 0


# --- capacity and the waiting list ----------------------------------------------------


def test_seats_are_given_until_full_then_the_waiting_list_in_order():
    event = make_event(capacity=2)
    people = [make_registration(event) for _ in range(5)]
    assert [p.status for p in people] == ["confirmed"] * 2 + ["waiting"] * 3
    assert [service.waiting_position(p) for p in people] == [None, None, 1, 2, 3]
    db.session.refresh(event)
    assert event.seats_taken == 2
    assert event.is_full
    assert kinds_for(people[0]) == ["confirmation"]
    assert kinds_for(people[2]) == ["waiting"]


def test_unlimited_capacity_confirms_everyone():
    event = make_event(capacity=None)
    people = [make_registration(event) for _ in range(4)]
    assert all(p.is_confirmed for p in people)
    db.session.refresh(event)
    assert event.seats_taken == 4


def test_zero_capacity_puts_everyone_on_the_waiting_list():
    event = make_event(capacity=0)
    person = make_registration(event)
    assert person.is_waiting
    assert service.waiting_position(person) == 1


def test_the_database_refuses_more_seats_than_capacity():
    event = make_event(capacity=1)
    make_registration(event)
    overbook = Event.__table__.update().where(Event.id == event.id).values(seats_taken=2)
    with pytest.raises(IntegrityError):
        db.session.execute(overbook)


# --- duplicates -----------------------------------------------------------------------


def test_the_same_address_cannot_register_twice_and_gets_the_link_again():
    event = make_event()
    first = make_registration(event, email="Amina.Yusuf@Example.se")
    again = service.register(
        event, registration_details(email="  amina.yusuf@example.SE "), locale="sv"
    )
    assert not again.is_new
    assert again.registration.id == first.id
    assert statuses(event) == ["confirmed"]
    assert kinds_for(first) == ["confirmation", "manage_link"]


def test_the_manage_link_is_resent_at_most_the_hourly_limit(app):
    """Repeated sign-ups cannot flood the owner's mailbox: the confirmation and the
    resent links together stay within VISITOR_EMAILS_PER_ADDRESS_PER_HOUR."""
    limit = app.config["VISITOR_EMAILS_PER_ADDRESS_PER_HOUR"]
    event = make_event()
    first = make_registration(event, email="a@example.se")
    for _ in range(limit + 2):
        again = service.register(event, registration_details(email="A@example.se"), locale="sv")
        assert again.registration.id == first.id
    assert kinds_for(first) == ["confirmation"] + ["manage_link"] * (limit - 1)
    later = utcnow() + timedelta(minutes=61)
    service.register(event, registration_details(email="a@example.se"), locale="sv", now=later)
    assert kinds_for(first).count("manage_link") == limit


def test_an_organiser_acting_for_someone_is_not_held_back_by_the_visitor_limit(app):
    limit = app.config["VISITOR_EMAILS_PER_ADDRESS_PER_HOUR"]
    for _ in range(limit):
        make_registration(make_event(), email="a@example.se")
    event = make_event()
    organiser = make_user(organisations=[event.organisation])
    added = attendees.add_registration(
        event, registration_details(email="a@example.se"), organiser, locale="sv"
    )
    attendees.cancel_registration(added, organiser)
    assert kinds_for(added) == ["confirmation", "cancellation"]
    # A visitor's sign-up for the same address is stored but not emailed.
    visitor = service.register(
        make_event(), registration_details(email="a@example.se"), locale="sv"
    )
    assert visitor.is_new
    assert kinds_for(visitor.registration) == []


def test_a_waiting_registration_also_blocks_a_second_one():
    event = make_event(capacity=0)
    make_registration(event, email="b@example.se")
    again = service.register(event, registration_details(email="B@example.se"), locale="sv")
    assert not again.is_new
    assert statuses(event) == ["waiting"]


def test_the_database_refuses_two_active_registrations_for_one_address():
    event = make_event()
    first = make_registration(event, email="c@example.se")
    twin = Registration(
        event=event, status="waiting", name="Twin", email="c@example.se",
        email_normalised=first.email_normalised, sector="other", municipality="hylte",
        consent_at=utcnow(),
    )  # fmt: skip
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()


def test_after_cancelling_the_same_address_may_register_again():
    event = make_event()
    first = make_registration(event, email="d@example.se")
    service.cancel_registration(first)
    again = service.register(event, registration_details(email="d@example.se"), locale="sv")
    assert again.is_new
    assert again.registration.is_confirmed
    assert statuses(event) == ["cancelled", "confirmed"]


# --- cancellation and promotion -------------------------------------------------------


def test_cancelling_a_seat_promotes_the_first_on_the_waiting_list():
    event = make_event(capacity=1)
    holder, first, second = (make_registration(event) for _ in range(3))
    promoted = service.cancel_registration(holder)
    assert promoted == [first]
    assert holder.is_cancelled
    assert holder.cancelled_at is not None
    assert first.is_confirmed
    assert first.confirmed_at is not None
    assert service.waiting_position(second) == 1
    db.session.refresh(event)
    assert event.seats_taken == 1
    assert kinds_for(holder) == ["confirmation", "cancellation"]
    assert kinds_for(first) == ["waiting", "promotion"]
    assert kinds_for(second) == ["waiting"]


def test_cancelling_a_waiting_place_moves_those_behind_up_without_promotion():
    event = make_event(capacity=1)
    holder, first, second = (make_registration(event) for _ in range(3))
    assert service.cancel_registration(first) == []
    assert holder.is_confirmed
    assert second.is_waiting
    assert service.waiting_position(second) == 1
    db.session.refresh(event)
    assert event.seats_taken == 1


def test_cancelling_without_a_waiting_list_frees_the_seat():
    event = make_event(capacity=3)
    holder = make_registration(event)
    service.cancel_registration(holder)
    db.session.refresh(event)
    assert event.seats_taken == 0


def test_cancelling_twice_changes_nothing():
    event = make_event(capacity=1)
    holder, waiting = make_registration(event), make_registration(event)
    service.cancel_registration(holder)
    assert service.cancel_registration(holder) == []
    db.session.refresh(event)
    assert event.seats_taken == 1
    assert waiting.is_confirmed
    assert kinds_for(holder).count("cancellation") == 1


def test_raising_capacity_promotes_in_arrival_order():
    event = make_event(capacity=1)
    people = [make_registration(event) for _ in range(4)]
    event.capacity = 3
    db.session.flush()
    promoted = service.promote_waiting(event)
    assert promoted == people[1:3]
    assert [p.status for p in people] == ["confirmed", "confirmed", "confirmed", "waiting"]
    assert service.waiting_position(people[3]) == 1
    assert event.seats_taken == 3
    assert kinds_for(people[1])[-1] == "promotion"


def test_raising_capacity_to_unlimited_promotes_everyone():
    event = make_event(capacity=0)
    people = [make_registration(event) for _ in range(3)]
    event.capacity = None
    db.session.flush()
    assert service.promote_waiting(event) == people


def test_nobody_is_promoted_once_the_event_has_started():
    event = make_event(capacity=1)
    holder, waiting = make_registration(event), make_registration(event)
    later = event.start_dt + timedelta(minutes=1)
    service.cancel_registration(holder, now=later)
    assert waiting.is_waiting
    db.session.refresh(event)
    assert event.seats_taken == 0


# --- self-service changes ------------------------------------------------------------


def test_an_attendee_updates_name_organisation_and_needs():
    registration = make_registration(make_event())
    service.update_registration(
        registration,
        ProfileUpdate(
            name=" Amina Yusuf ", organisation="Region Halland", dietary_needs="Vegan",
            accessibility_needs="Hearing loop", interpretation_language="ar",
        ),
    )  # fmt: skip
    db.session.refresh(registration)
    assert registration.name == "Amina Yusuf"
    assert registration.organisation == "Region Halland"
    assert registration.dietary_needs == "Vegan"
    assert registration.accessibility_needs == "Hearing loop"
    assert registration.interpretation_language == "ar"


def test_a_cancelled_registration_cannot_be_changed():
    registration = make_registration(make_event())
    service.cancel_registration(registration)
    with pytest.raises(RegistrationError):
        service.update_registration(registration, ProfileUpdate(name="Someone else"))


@pytest.mark.parametrize(
    "fields",
    [
        {"name": "Eve\r\nBcc: victim@example.se"},
        {"name": "Eve\nX-Injected: yes"},
        {"email": "eve@example.se\r\nBcc: victim@example.se"},
        {"name": "Eve\u2028Bcc: x"},
    ],
)
def test_line_breaks_in_header_values_are_refused(fields):
    event = make_event()
    with pytest.raises(UnsafeHeaderValue):
        service.register(event, registration_details(**fields), locale="sv")
    assert statuses(event) == []
    assert db.session.scalar(select(OutboxEmail.id)) is None


def test_a_line_break_in_an_updated_name_is_refused():
    registration = make_registration(make_event())
    with pytest.raises(UnsafeHeaderValue):
        service.update_registration(registration, ProfileUpdate(name="A\nBcc: b@example.se"))


# --- signed links ---------------------------------------------------------------------


def test_the_manage_token_finds_its_registration():
    registration = make_registration(make_event())
    token = service.manage_token(registration)
    assert service.registration_from_manage_token(token) == registration


def test_tampered_and_foreign_tokens_find_nothing():
    mine = make_registration(make_event())
    other = make_registration(make_event())
    token = service.manage_token(mine)
    payload, signature = token.split(".")
    assert service.registration_from_manage_token(payload + "." + signature[::-1]) is None
    assert service.registration_from_manage_token(token[:-2]) is None
    # Someone else's id with my signature, and a feed token used as a manage token.
    forged = service.manage_token(other).split(".")[0] + "." + signature
    assert service.registration_from_manage_token(forged) is None
    assert service.registration_from_manage_token(service.feed_token(mine)) is None
    assert service.registration_from_manage_token("") is None


def test_a_new_nonce_revokes_old_manage_links():
    registration = make_registration(make_event())
    old = service.manage_token(registration)
    service.rotate_manage_link(registration)
    assert service.registration_from_manage_token(old) is None
    assert service.registration_from_manage_token(service.manage_token(registration))


def test_has_registrations_counts_cancelled_ones_too():
    event = make_event()
    assert not service.has_registrations(event)
    service.cancel_registration(make_registration(event))
    assert service.has_registrations(event)


def test_event_cancellation_notifies_everyone_registered():
    event = make_event(capacity=1)
    holder, waiting, gone = (make_registration(event) for _ in range(3))
    service.cancel_registration(gone)
    event.status = "cancelled"
    db.session.flush()
    assert service.notify_event_cancelled(event) == 2
    notice = db.session.scalar(
        select(OutboxEmail).where(
            OutboxEmail.registration_id == holder.id, OutboxEmail.kind == "event_cancelled"
        )
    )
    assert notice.ics_method == "CANCEL"
    assert b"METHOD:CANCEL" in render(notice).ics
    assert "event_cancelled" in kinds_for(waiting)
    assert "event_cancelled" not in kinds_for(gone)


# --- anonymisation --------------------------------------------------------------------


def _ended_event(days_ago: int, **fields) -> Event:
    """An event that ended `days_ago` days ago, with two registrations made while open."""
    event = make_event(capacity=1, **fields)
    holder = make_registration(
        event, name="Amina Yusuf", email="amina@example.se", sector="region",
        municipality="varberg", organisation="Region Halland", dietary_needs="Vegan",
        accessibility_needs="Ramp", interpretation_language="ar", message="Hej",
    )  # fmt: skip
    make_registration(event, sector="business", municipality="hylte")
    holder.attended_at = utcnow()
    end = utcnow() - timedelta(days=days_ago)
    event.start_dt, event.end_dt = end - timedelta(hours=2), end
    db.session.flush()
    return event


def test_anonymisation_erases_personal_data_and_keeps_the_numbers():
    old = _ended_event(91)
    recent = _ended_event(10)
    count, purged = service.anonymise_registrations(90)
    assert count == 2
    assert len(purged) == 2
    for registration in db.session.scalars(select(Registration).where(Registration.event == old)):
        assert registration.anonymised_at is not None
        assert registration.name == registration.organisation == registration.message == ""
        assert registration.dietary_needs == registration.accessibility_needs == ""
        assert registration.email is None
        assert registration.email_normalised is None
        assert registration.interpretation_language is None
    kept = db.session.execute(
        select(Registration.status, Registration.sector, Registration.municipality,
               Registration.attended_at.is_not(None))
        .where(Registration.event == old).order_by(Registration.id)
    ).all()  # fmt: skip
    assert [tuple(row) for row in kept] == [
        ("confirmed", "region", "varberg", True), ("waiting", "business", "hylte", False),
    ]  # fmt: skip
    emails = db.session.scalars(select(OutboxEmail).where(OutboxEmail.id.in_(purged))).all()
    assert all(
        e.status == "purged" and e.recipient == e.body_text == e.body_html == "" and e.ics is None
        and e.params is None  # the waiting email's position, an organiser's message
        for e in emails
    )  # fmt: skip
    untouched = db.session.scalars(select(Registration).where(Registration.event == recent))
    assert all(r.anonymised_at is None and r.email for r in untouched)


def test_anonymised_registrations_lose_their_links():
    event = _ended_event(100)
    registration = db.session.scalar(select(Registration).where(Registration.event == event))
    token = service.manage_token(registration)
    feed = service.feed_token(registration)
    service.anonymise_registrations(90)
    assert service.registration_from_manage_token(token) is None
    assert service.registration_from_feed_token(feed) is None


def test_anonymisation_runs_again_without_touching_anonymised_rows():
    _ended_event(100)
    assert service.anonymise_registrations(90)[0] == 2
    assert service.anonymise_registrations(90) == (0, [])
