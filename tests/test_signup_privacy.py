"""Sign-up tells nothing about anyone's registrations, and cannot be used to mail people.

Issue 9, items 1 and 6: whoever types an address into the registration form sees the same
"check your email" answer whether or not that address is registered; the manage link (and
through it the personal calendar of all the address's events) only travels by email; the
owner of an address that is already registered is told by email; a visitor can make us
send only a few emails an hour to one address; and nothing a visitor types reaches anyone's
mailbox.
"""

import re

import pytest
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.mail.notifications import render
from eventreg.models import Event, OutboxEmail, Registration
from eventreg.services import attendees
from eventreg.services import registrations as service
from tests.factories import make_event, make_registration, make_user, registration_form

# A manage link: /anmalan/<payload>.<signature>
TOKEN_LINK = re.compile(r"/anmalan/[\w-]+\.[\w-]+")
MARKER = "Zqxjv-visitor-text"
PAYLOAD = "<img src=x onerror=alert(1)>"


def register_url(event: Event) -> str:
    return f"/evenemang/{event.public_id}/anmalan?lang=en"


def check_email_url(event: Event) -> str:
    return f"/evenemang/{event.public_id}/anmalan/skickad"


def outbox() -> list[OutboxEmail]:
    """The outbox, each email rendered as the sender would."""
    return [render(e) for e in db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))]


def outbox_count() -> int:
    return db.session.scalar(select(func.count()).select_from(OutboxEmail))


def registrations_of(address: str) -> list[Registration]:
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.email_normalised == address.lower())
            .order_by(Registration.id)
        )
    )


def sign_up(app, event: Event, email: str, **fields):
    """A sign-up from a browser of its own: (the POST's answer, the page it leads to)."""
    browser = app.test_client()
    answer = browser.post(register_url(event), data=registration_form(email=email, **fields))
    page = browser.get(answer.headers["Location"]) if answer.status_code == 302 else None
    return answer, page


def comparable(answer, page, typed_address: str) -> tuple:
    """What a visitor can observe, with the address they typed themselves blanked out."""
    return (
        answer.status_code,
        answer.headers.get("Location"),
        answer.get_data(as_text=True),
        page.status_code,
        page.headers.get("Cache-Control"),
        page.get_data(as_text=True).replace(typed_address, "ADDRESS"),
    )


@pytest.fixture
def limit(app):
    """A small per-address limit, so the tests stay short (the default is in config.py)."""
    original = app.config.get("VISITOR_EMAILS_PER_ADDRESS_PER_HOUR")
    app.config["VISITOR_EMAILS_PER_ADDRESS_PER_HOUR"] = 3
    yield 3
    app.config["VISITOR_EMAILS_PER_ADDRESS_PER_HOUR"] = original


# --- item 1: the answer to a sign-up ---------------------------------------------------


@pytest.mark.parametrize("existing_status", ["confirmed", "waiting"])
def test_a_registered_address_gets_the_same_answer_as_a_new_one(app, existing_status):
    event = make_event(capacity=1 if existing_status == "confirmed" else 0)
    owner = make_registration(event, email="amina.yusuf@example.se", name="Amina Yusuf")
    assert owner.status == existing_status
    db.session.commit()
    emails_before = outbox_count()

    new = sign_up(app, event, "erik.johansson@example.se")
    assert outbox_count() == emails_before + 1
    again = sign_up(app, event, "AMINA.Yusuf@Example.SE")
    assert outbox_count() == emails_before + 2  # the same work: one email each

    assert new[0].status_code == 302
    assert new[0].headers["Location"] == check_email_url(event)
    assert new[1].status_code == 200
    assert comparable(*new, "erik.johansson@example.se") == comparable(
        *again, "AMINA.Yusuf@Example.SE"
    )
    page = again[1].get_data(as_text=True)
    assert "Check your email" in page
    assert "spam" in page
    assert "10 minutes" in page
    # Nothing on it depends on the registration: not its status, not the owner's details.
    for told in ("You have a seat", "waiting list", "already", "Amina Yusuf", owner.check_in_code):
        assert told not in page, told
    assert len(registrations_of("amina.yusuf@example.se")) == 1


def test_no_answer_to_a_sign_up_carries_a_manage_or_feed_link(app):
    elsewhere = make_event(title="Ett annat evenemang")
    event = make_event(capacity=1)
    make_registration(elsewhere, email="amina@example.se")
    make_registration(event, email="amina@example.se")
    db.session.commit()
    answers = []
    for email in ("AMINA@example.se", "erik@example.se", "sara@example.se"):  # last waits
        browser = app.test_client()
        answers.append(
            browser.post(register_url(event), data=registration_form(email=email),
                         follow_redirects=True)
        )  # fmt: skip
    db.session.expire_all()
    registrations = db.session.scalars(select(Registration)).all()
    assert len(registrations) == 4
    secrets = [service.manage_token(r) for r in registrations]
    secrets += [service.feed_token(r) for r in registrations]
    for answer in answers:
        assert answer.status_code == 200
        assert answer.request.path.endswith("/anmalan/skickad")
        seen = [answer.get_data(as_text=True), *map(str, answer.headers.values())]
        for earlier in answer.history:
            seen += [earlier.get_data(as_text=True), *map(str, earlier.headers.values())]
        for text in seen:
            assert "/kalender/mina/" not in text
            assert not TOKEN_LINK.search(text)
            assert not any(secret in text for secret in secrets)


def test_the_owner_is_told_by_email_with_their_own_manage_link(app):
    event = make_event(title="Språkcafé")
    owner = make_registration(event, email="amina@example.se", name="Amina Yusuf", locale="en")
    db.session.commit()
    sign_up(app, event, "Amina@Example.SE", name=f"{MARKER} {PAYLOAD}")
    email = outbox()[-1]
    assert email.kind == "manage_link"
    assert email.registration_id == owner.id
    assert email.recipient == "amina@example.se"
    assert "Someone – maybe you – tried to register this email address" in email.body_text
    assert "If it was not you, you do not need to do anything." in email.body_html
    link = f"/anmalan/{service.manage_token(owner)}"
    assert link in email.body_text
    assert link in email.body_html
    assert MARKER not in email.body_text + email.body_html + email.recipient + email.subject


# --- item 6: a limit per address on the emails a visitor can trigger -------------------


def test_a_visitor_can_trigger_only_a_few_emails_an_hour_to_one_address(app, limit):
    events = [make_event() for _ in range(limit + 1)]
    db.session.commit()
    typed = ["target@example.se", "TARGET@Example.SE"]  # one address, in any letter case
    answers = [sign_up(app, event, typed[n % 2]) for n, event in enumerate(events)]
    assert len(registrations_of("target@example.se")) == limit + 1  # every sign-up stored
    assert [e.kind for e in outbox()] == ["confirmation"] * limit  # the one over: no email
    # Nor any "someone tried" email once the address has had its share.
    sign_up(app, events[0], "target@example.se")
    assert outbox_count() == limit
    # The answer over the limit is the one anybody gets: it tells nothing.
    fresh = sign_up(app, events[-1], "someone.else@example.se")
    assert outbox_count() == limit + 1
    assert comparable(*answers[-1], typed[limit % 2]) == comparable(
        *fresh, "someone.else@example.se"
    )


def test_cancelling_counts_against_the_same_limit(app, client, limit):
    events = [make_event() for _ in range(limit)]
    db.session.commit()
    for event in events:
        sign_up(app, event, "target@example.se")
    assert outbox_count() == limit
    first = registrations_of("target@example.se")[0]
    response = client.post(f"/anmalan/{service.manage_token(first)}/avboka")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, first.id).is_cancelled  # the cancellation happens
    assert outbox_count() == limit  # without a cancellation email


# --- item 6: nothing a visitor types reaches a mailbox ----------------------------------


def test_text_a_visitor_types_never_appears_in_an_attendee_email(app, client):
    event = make_event(capacity=1)
    full = make_event(capacity=0)
    organiser = make_user(organisations=[event.organisation])
    db.session.commit()
    typed = {
        "name": f"{MARKER} {PAYLOAD}",
        "organisation": f"{MARKER} org {PAYLOAD}",
        "dietary_needs": f"{MARKER} diet {PAYLOAD}",
        "accessibility_needs": f"{MARKER} access {PAYLOAD}",
        "message": f"{MARKER} message {PAYLOAD}",
    }
    sign_up(app, event, "victim@example.se", **typed)  # confirmation
    sign_up(app, event, "Victim@Example.se", **typed)  # "someone tried", to the owner
    sign_up(app, event, "other@example.se", **typed)  # waiting list
    sign_up(app, full, "third@example.se", **typed)  # waiting list of a full event
    (holder,) = registrations_of("victim@example.se")
    (waiting,) = registrations_of("other@example.se")
    attendees.notify_change(event)
    attendees.message_registrants(event, "Ändrad lokal", "Vi ses i sal B.", organiser)
    db.session.commit()
    client.post(f"/anmalan/{service.manage_token(holder)}/avboka")  # cancellation, promotion
    db.session.expire_all()
    assert db.session.get(Registration, waiting.id).is_confirmed

    emails = outbox()
    kinds = {e.kind for e in emails}
    assert kinds == {
        "confirmation", "manage_link", "waiting", "event_changed", "organiser_message",
        "cancellation", "promotion",
    }  # fmt: skip
    for email in emails:
        for part in (email.recipient, email.subject, email.body_text, email.body_html,
                     (email.ics or b"").decode()):  # fmt: skip
            assert MARKER not in part, (email.kind, part)
            assert "onerror" not in part, (email.kind, part)
            assert "<img src=x" not in part, (email.kind, part)
