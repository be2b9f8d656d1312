"""Organisers and the people registered: list and needs, add, cancel, waiting list,
capacity changes, messages and change notices through the outbox, CSV, attendance sheet,
check-in with the code and its QR."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventreg import qr
from eventreg.extensions import db
from eventreg.mail.links import check_in_url
from eventreg.mail.notifications import render
from eventreg.models import AuditEntry, Event, OutboxEmail, Registration, utcnow
from eventreg.services import attendees
from eventreg.services import events as event_service
from eventreg.services.attendees import AttendeeRuleError
from eventreg.services.events import EventData
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_user,
    registration_details,
    registration_form,
)


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context("/?lang=en"):
        yield


@pytest.fixture
def varberg():
    return make_organisation(name="Varbergs kommun")


@pytest.fixture
def organiser(varberg):
    return make_user(organisations=[varberg], name="Olga Organiser")


@pytest.fixture
def event(varberg):
    start = utcnow().replace(microsecond=0) + timedelta(days=14)
    return make_event(organisation=varberg, capacity=2, start_dt=start, title="Språkcafé")


def outbox(kind: str | None = None) -> list[OutboxEmail]:
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        stmt = stmt.where(OutboxEmail.kind == kind)
    return [render(email) for email in db.session.scalars(stmt)]  # as the sender would


def registration_audit(include_create: bool = False) -> list[tuple[str, int, dict]]:
    db.session.flush()
    rows = db.session.scalars(
        select(AuditEntry).where(AuditEntry.registration_id.is_not(None)).order_by(AuditEntry.id)
    )
    return [
        (e.action, e.registration_id, e.changes)
        for e in rows
        if include_create or e.action != "registration.create"
    ]


# --- services ------------------------------------------------------------------------------


def test_needs_summary_counts_active_registrations_only(event):
    event.capacity = 10
    db.session.flush()
    make_registration(event, dietary_needs="Vegetarisk", interpretation_language="ar")
    make_registration(event, dietary_needs=" vegetarisk ", accessibility_needs="Rullstol")
    make_registration(event, dietary_needs="Glutenfri", interpretation_language="ar")
    gone = make_registration(event, dietary_needs="Laktosfri")
    attendees.cancel_registration(gone, None)
    summary = attendees.needs_summary(attendees.registrations_by_status(event)["confirmed"])
    assert summary.dietary == [("Vegetarisk", 2), ("Glutenfri", 1)]
    assert summary.accessibility == [("Rullstol", 1)]
    assert summary.interpretation == [("Arabic", 2)]


def test_add_by_hand_gets_seat_or_waiting_list_and_is_logged(event, organiser):
    first = attendees.add_registration(event, registration_details(), organiser, locale="sv")
    second = attendees.add_registration(event, registration_details(), organiser, locale="sv")
    third = attendees.add_registration(event, registration_details(), organiser, locale="sv")
    assert [first.status, second.status, third.status] == ["confirmed", "confirmed", "waiting"]
    assert [e.kind for e in outbox()] == ["confirmation", "confirmation", "waiting"]
    assert registration_audit(include_create=True)[0] == (
        "registration.create",
        first.id,
        {"status": [None, "confirmed"]},
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.registration_id == third.id))
    assert entry.user_id == organiser.id
    assert entry.changes == {"status": [None, "waiting"]}


def test_add_by_hand_refuses_a_duplicate_and_a_closed_event(event, organiser):
    details = registration_details(email="anna@example.se")
    attendees.add_registration(event, details, organiser, locale="sv")
    with pytest.raises(AttendeeRuleError, match="already registered"):
        attendees.add_registration(
            event, registration_details(email="ANNA@example.se"), organiser, locale="sv"
        )
    for status in ("draft", "cancelled"):
        unavailable = make_event(status=status, organisation=event.organisation)
        with pytest.raises(AttendeeRuleError, match="not published"):
            attendees.add_registration(unavailable, registration_details(), organiser,
                                       locale="sv")  # fmt: skip


@pytest.mark.parametrize(
    "window",
    [
        {"registration_opens_dt": utcnow() + timedelta(days=3)},
        {"registration_closes_dt": utcnow() - timedelta(days=1)},
    ],
    ids=["before_it_opens", "after_it_closes"],
)
def test_add_by_hand_outside_the_registration_window(event, organiser, window):
    """Organisers may add people whatever the window says; capacity still applies."""
    for name, value in window.items():
        setattr(event, name, value)
    db.session.flush()
    added = [
        attendees.add_registration(event, registration_details(), organiser, locale="sv")
        for _ in range(3)
    ]
    assert [r.status for r in added] == ["confirmed", "confirmed", "waiting"]
    assert [e.kind for e in outbox()] == ["confirmation", "confirmation", "waiting"]
    with pytest.raises(AttendeeRuleError, match="already registered"):
        attendees.add_registration(
            event, registration_details(email=added[0].email), organiser, locale="sv"
        )


def test_audit_of_registrations_holds_no_personal_data(event, organiser):
    registration = attendees.add_registration(
        event, registration_details(name="Åsa Öberg", email="asa@example.se",
                                    dietary_needs="Vegansk"), organiser, locale="sv")  # fmt: skip
    attendees.cancel_registration(registration, organiser)
    attendees_check = make_registration(event, name="Örjan Ödman", email="orjan@example.se")
    attendees.check_in(attendees_check, organiser, now=event.start_dt)
    from eventreg.services.registrations import anonymise_registrations

    anonymise_registrations(days=-3650)  # everything counts as past the retention period
    db.session.flush()
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [e.action for e in entries] == [
        "registration.create",
        "registration.cancel",
        "registration.create",
        "registration.check_in",
        "registration.anonymise",
        "registration.anonymise",
    ]
    logged = str([(e.label, e.changes) for e in entries])
    for personal in ("Åsa", "Öberg", "asa@example.se", "Vegansk", "Örjan", "orjan@"):
        assert personal not in logged


def test_profile_changes_are_logged_by_field_name_only(event):
    from eventreg.services.registrations import ProfileUpdate, update_registration

    registration = make_registration(event, name="Åsa Öberg", dietary_needs="")
    update_registration(registration, ProfileUpdate(name="Åsa Ek", dietary_needs="Vegansk"))
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "registration.update"))
    assert entry.changes == {"dietary_needs": ["…", "…"], "name": ["…", "…"]}
    assert entry.registration_id == registration.id
    assert entry.user_id is None


def test_self_service_changes_are_logged_without_a_user(event):
    from eventreg.services.registrations import cancel_registration

    first = make_registration(event)
    waiting = (make_registration(event), make_registration(event))[1]
    cancel_registration(first)  # through the attendee's own manage link
    entries = list(db.session.scalars(
        select(AuditEntry).where(AuditEntry.action != "registration.create")
        .order_by(AuditEntry.id)))  # fmt: skip
    assert [(e.action, e.registration_id, e.user_id) for e in entries] == [
        ("registration.cancel", first.id, None),
        ("registration.promote", waiting.id, None),
    ]
    assert entries[0].label == "Språkcafé"
    assert entries[0].event_id == event.id


def test_cancel_by_organiser_promotes_the_first_waiting(event, organiser):
    a, b, c, d = (make_registration(event) for _ in range(4))
    promoted = attendees.cancel_registration(a, organiser)
    assert promoted == [c]
    assert c.status == "confirmed"
    assert d.status == "waiting"
    assert event.seats_taken == 2
    assert [e.kind for e in outbox()][-2:] == ["cancellation", "promotion"]
    assert [(action, rid) for action, rid, _ in registration_audit()] == [
        ("registration.cancel", a.id),
        ("registration.promote", c.id),
    ]
    with pytest.raises(AttendeeRuleError):
        attendees.cancel_registration(a, organiser)


def test_move_a_chosen_person_from_the_waiting_list(event, organiser):
    a, b, c, d = (make_registration(event) for _ in range(4))
    with pytest.raises(AttendeeRuleError, match="no free seat"):
        attendees.move_from_waiting_list(d, organiser)
    event.capacity = 3
    db.session.flush()
    attendees.move_from_waiting_list(d, organiser)  # out of turn: d before c
    assert d.status == "confirmed"
    assert c.status == "waiting"
    assert event.seats_taken == 3
    assert outbox()[-1].kind == "promotion"
    assert outbox()[-1].registration_id == d.id
    with pytest.raises(AttendeeRuleError, match="not on the waiting list"):
        attendees.move_from_waiting_list(a, organiser)


def test_lowering_capacity_moves_the_last_confirmed_to_the_waiting_list(event, organiser):
    event.capacity = 4
    db.session.flush()
    regs = [make_registration(event) for _ in range(5)]  # 4 confirmed, 1 waiting
    data = EventData.from_event(event)
    data.capacity = 2
    with pytest.raises(event_service.EventRuleError):
        event_service.update_event(event, data, organiser)
    event_service.update_event(event, data, organiser, allow_capacity_reduction=True)
    assert event.capacity == 2
    assert event.seats_taken == 2
    assert [r.status for r in regs] == ["confirmed", "confirmed", "waiting", "waiting", "waiting"]
    assert {e.registration_id for e in outbox("waiting")} >= {regs[2].id, regs[3].id}
    # They are ahead of the person who was already waiting (waiting order is by id).
    from eventreg.services.registrations import waiting_list

    assert waiting_list(event) == [regs[2], regs[3], regs[4]]


def test_raising_capacity_gives_seats_to_the_waiting_list(event, organiser):
    regs = [make_registration(event) for _ in range(4)]
    data = EventData.from_event(event)
    data.capacity = 3
    event_service.update_event(event, data, organiser)
    assert [r.status for r in regs] == ["confirmed", "confirmed", "confirmed", "waiting"]
    data.capacity = None
    event_service.update_event(event, data, organiser)
    assert regs[3].status == "confirmed"
    assert event.seats_taken == 4


def test_change_of_time_or_place_emails_confirmed_and_waiting(event, organiser):
    confirmed = [make_registration(event) for _ in range(2)]
    waiting = make_registration(event)
    cancelled = make_registration(event)
    attendees.cancel_registration(cancelled, organiser)
    before = len(outbox())
    data = EventData.from_event(event)
    data.venue_name = "Nya salen"
    event_service.update_event(event, data, organiser)
    changed = outbox("event_changed")
    assert len(outbox()) - before == 3
    assert {e.registration_id for e in changed} == {confirmed[0].id, confirmed[1].id, waiting.id}
    mail = next(e for e in changed if e.registration_id == confirmed[0].id)
    assert "Nya salen" in mail.body_text
    assert mail.ics is not None
    assert b"SEQUENCE:1" in mail.ics
    # A change nobody sees (the audience) sends nothing.
    data.audience = "Alla"
    event_service.update_event(event, data, organiser)
    assert len(outbox("event_changed")) == 3


def test_cancelling_the_event_emails_everyone_with_the_reason(event, organiser):
    make_registration(event), make_registration(event), make_registration(event)
    event_service.cancel_event(event, "Föreläsaren är sjuk.", organiser)
    mails = outbox("event_cancelled")
    assert len(mails) == 3
    assert all("Föreläsaren är sjuk." in m.body_text and m.ics_method == "CANCEL" for m in mails)


def test_unpublish_and_delete_refused_once_anyone_registered(event, organiser):
    registration = make_registration(event)
    attendees.cancel_registration(registration, organiser)  # nobody holds a seat now
    with pytest.raises(event_service.EventRuleError):
        event_service.unpublish_event(event, organiser)


def test_message_registrants_goes_to_active_registrations(event, organiser):
    a, b, c = (make_registration(event) for _ in range(3))
    attendees.cancel_registration(b, organiser)
    count = attendees.message_registrants(event, "Ny lokal", "Vi ses i\nsal 3.", organiser)
    messages = outbox("organiser_message")
    assert count == 2
    assert {m.registration_id for m in messages} == {a.id, c.id}
    assert "Vi ses i\nsal 3." in messages[0].body_text
    assert "sal 3." in messages[0].body_html
    assert "<script" not in messages[0].body_html
    with pytest.raises(AttendeeRuleError):
        attendees.message_registrants(event, "Rad\nBcc: x@evil", "x", organiser)


def test_csv_export_round_trips_swedish_letters(event):
    make_registration(event, name="Åsa Öberg-Ängström", organisation="Länsstyrelsen",
                      dietary_needs="Äter ej fläsk")  # fmt: skip
    make_registration(event, name='=HYPERLINK("http://evil")')
    data = attendees.registrations_csv(attendees.registrations_by_status(event)["confirmed"])
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Status", "Name", "Email address"]  # this test's pages: English
    assert rows[1][1] == "Åsa Öberg-Ängström"
    assert rows[1][3] == "Länsstyrelsen"
    assert rows[1][6] == "Äter ej fläsk"
    assert rows[1][5] == "Halmstad"
    assert rows[2][1].startswith("'=")  # not run as a formula by a spreadsheet


def test_find_for_check_in_by_code_or_name(event):
    event.capacity = 10
    db.session.flush()
    asa = make_registration(event, name="Åsa Öberg")
    make_registration(event, name="Erik Johansson")
    waiting_event = make_event(capacity=0)
    make_registration(waiting_event, name="Åsa Väntar")
    assert attendees.find_for_check_in(event, "åsa") == [asa]
    assert attendees.find_for_check_in(event, "ÖBERG åsa") == [asa]
    code = asa.check_in_code
    assert attendees.find_for_check_in(event, f" {code[:4].lower()}-{code[4:]} ") == [asa]
    assert attendees.find_for_check_in(event, "") == []
    assert attendees.find_for_check_in(waiting_event, "Åsa") == []  # waiting: no seat


def test_check_in_and_undo(event, organiser):
    registration = make_registration(event)
    on_the_day = event.start_dt  # check-in is open on the day only
    assert attendees.check_in(registration, organiser, now=on_the_day) is True
    assert registration.attended_at is not None
    assert attendees.check_in(registration, organiser, now=on_the_day) is False
    attendees.undo_check_in(registration, organiser)
    assert registration.attended_at is None
    actions = [a for a, _, _ in registration_audit()]
    assert actions == ["registration.check_in", "registration.undo_check_in"]
    make_registration(event)
    waiting = make_registration(event)
    assert waiting.status == "waiting"
    with pytest.raises(AttendeeRuleError):
        attendees.check_in(waiting, organiser, now=on_the_day)


def test_qr_code_is_svg_of_the_check_in_url(event):
    svg = qr.qr_svg(check_in_url(event, "ABCD2345"))
    assert svg.startswith("<svg")
    assert "<path" in svg
    # The one rule of every QR code here: never a Micro QR code, which many phones miss.
    assert qr.qr_symbol("ABCD2345").is_micro is False
    assert check_in_url(event, "ABCD2345").endswith(
        f"/arrangor/evenemang/{event.id}/incheckning?q=ABCD2345"
    )


# --- pages ---------------------------------------------------------------------------------


@pytest.fixture
def logged_in(client, organiser):
    db.session.commit()
    log_in(client, organiser)
    return client


def test_registration_list_page(logged_in, event):
    make_registration(event, name="Åsa Öberg", dietary_needs="Vegetarisk")
    make_registration(event, name="Bo Ek")
    make_registration(event, name="Cecilia Väntan")
    db.session.commit()
    html = logged_in.get(f"/arrangor/evenemang/{event.id}/anmalningar?lang=en").get_data(
        as_text=True
    )
    assert "Åsa Öberg" in html
    assert "Cecilia Väntan" in html
    assert "2 confirmed, 1 waiting, 0 cancelled" in html
    assert "Vegetarisk: 1" in html


def test_add_registration_page(logged_in, event):
    db.session.commit()
    response = logged_in.post(
        f"/arrangor/evenemang/{event.id}/anmalningar/ny",
        data=registration_form(name="Åke Ström", email="ake@example.se"),
    )
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert registration.name == "Åke Ström"
    assert registration.status == "confirmed"
    response = logged_in.post(
        f"/arrangor/evenemang/{event.id}/anmalningar/ny?lang=en",
        data=registration_form(name="Åke Igen", email="AKE@example.se"),
    )
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    response = logged_in.post(
        f"/arrangor/evenemang/{event.id}/anmalningar/ny?lang=en",
        data=registration_form(name="", email="fel", consent=""),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert all(f'href="#{f}"' in html for f in ("name", "email", "consent"))
    assert db.session.scalar(select(Registration).where(Registration.name == "")) is None


def test_add_registration_page_works_after_registration_closed(logged_in, event):
    event.registration_closes_dt = utcnow() - timedelta(hours=1)
    db.session.commit()
    # The public form refuses, the organiser's form accepts.
    public = logged_in.post(
        f"/evenemang/{event.public_id}/anmalan", data=registration_form(email="sen@example.se")
    )
    assert public.status_code == 409
    assert db.session.scalar(select(Registration)) is None
    response = logged_in.post(
        f"/arrangor/evenemang/{event.id}/anmalningar/ny",
        data=registration_form(name="Sara Sen", email="sen@example.se"),
    )
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert registration.name == "Sara Sen"
    assert registration.status == "confirmed"
    assert [e.kind for e in outbox()] == ["confirmation"]


def test_cancel_and_promote_pages(logged_in, event):
    a, b, c, d = (make_registration(event) for _ in range(4))
    db.session.commit()
    logged_in.post(f"/arrangor/evenemang/{event.id}/anmalningar/{a.id}/avboka")
    logged_in.post(f"/arrangor/evenemang/{event.id}/anmalningar/{d.id}/flytta-upp?lang=en")
    db.session.expire_all()
    statuses = [db.session.get(Registration, r.id).status for r in (a, b, c, d)]
    assert statuses == ["cancelled", "confirmed", "confirmed", "waiting"]
    page = logged_in.get(f"/arrangor/evenemang/{event.id}/anmalningar?lang=en")
    assert "There is no free seat" in page.get_data(as_text=True)


def test_a_registration_of_another_event_is_not_found_under_this_one(logged_in, event, varberg):
    other_event = make_event(organisation=varberg, capacity=5)
    registration = make_registration(other_event)
    db.session.commit()
    for url in (f"/arrangor/evenemang/{event.id}/anmalningar/{registration.id}/avboka",
                f"/arrangor/evenemang/{event.id}/incheckning/{registration.id}"):  # fmt: skip
        assert logged_in.post(url).status_code == 404
    db.session.expire_all()
    assert db.session.get(Registration, registration.id).status == "confirmed"


def test_message_page(logged_in, event):
    make_registration(event)
    db.session.commit()
    response = logged_in.post(f"/arrangor/evenemang/{event.id}/meddelande?lang=en",
                              data={"subject": "", "body": ""})  # fmt: skip
    assert response.status_code == 400
    response = logged_in.post(f"/arrangor/evenemang/{event.id}/meddelande",
                              data={"subject": "Hej", "body": "Välkomna!",
                                    "message_step": "send"})  # fmt: skip
    assert response.status_code == 302
    assert [m.kind for m in outbox("organiser_message")] == ["organiser_message"]


def test_csv_download(logged_in, event):
    make_registration(event, name="Åsa Öberg")
    db.session.commit()
    response = logged_in.get(f"/arrangor/evenemang/{event.id}/anmalningar.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    cache_control = response.headers["Cache-Control"]
    assert "no-store" in cache_control
    assert "public" not in cache_control
    assert "Åsa Öberg" in response.data.decode("utf-8-sig")


def test_attendance_sheet(logged_in, event):
    make_registration(event, name="Örjan Ek")
    make_registration(event, name="Anna Berg")
    make_registration(event, name="Väntande Person")
    db.session.commit()
    html = logged_in.get(f"/arrangor/evenemang/{event.id}/narvarolista").get_data(as_text=True)
    assert html.index("Anna Berg") < html.index("Örjan Ek")
    assert "Väntande Person" not in html


def test_check_in_page_by_code_and_name(logged_in, event):
    asa = make_registration(event, name="Åsa Öberg")
    db.session.commit()
    response = logged_in.get(
        f"/arrangor/evenemang/{event.id}/incheckning?q={asa.check_in_code.lower()}&lang=en"
    )
    html = response.get_data(as_text=True)
    assert "Åsa Öberg" in html
    assert "data:image/svg+xml;base64," in html
    assert "0 of 1 here" in html
    response = logged_in.post(
        # Two weeks early: "check in anyway" (check-in opens on the day).
        f"/arrangor/evenemang/{event.id}/incheckning/{asa.id}", data={"q": "åsa", "anyway": "1"}
    )
    assert response.status_code == 302
    # Back to an empty search, for the next person.
    assert response.headers["Location"] == f"/arrangor/evenemang/{event.id}/incheckning"
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).attended_at is not None
    html = logged_in.get(f"/arrangor/evenemang/{event.id}/incheckning?q=åsa&lang=en").get_data(
        as_text=True
    )
    assert "1 of 1 here" in html
    assert "Undo check-in" in html
    logged_in.post(f"/arrangor/evenemang/{event.id}/incheckning/{asa.id}", data={"undo": "1"})
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).attended_at is None
    html = logged_in.get(f"/arrangor/evenemang/{event.id}/incheckning?q=nobody&lang=en")
    assert "Nobody with a confirmed seat matches" in html.get_data(as_text=True)


def test_edit_page_with_confirmation_moves_people_to_the_waiting_list(logged_in, event, varberg):
    regs = [make_registration(event) for _ in range(2)]
    db.session.commit()
    html = logged_in.get(f"/arrangor/evenemang/{event.id}/redigera").get_data(as_text=True)
    form = {name: value for name, value in re.findall(
        r'<input[^>]*name="([a-z_]+)"[^>]*value="([^"]*)"', html)}  # fmt: skip
    form.update({"capacity": "1", "confirm_capacity_reduction": "y", "format": "seminar",
                 "municipality": "halmstad", "language_codes": ["sv"],
                 "organisation_id": str(varberg.id)})  # fmt: skip
    form.pop("step_free_access", None)
    form.pop("interpretation_available", None)  # unchecked boxes have a value too
    form.pop("registration_mode", None)  # so have unchosen radios (not posted: here)
    response = logged_in.post(f"/arrangor/evenemang/{event.id}/redigera", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 1
    assert [db.session.get(Registration, r.id).status for r in regs] == ["confirmed", "waiting"]
