"""Emails: building, the outbox, and delivery to a real SMTP server on loopback (aiosmtpd),
including a server that is down, refuses, or a sender that died mid-send."""

import io
import os
import re
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import timedelta
from email import message_from_bytes
from email.policy import default
from pathlib import Path

import icalendar
import pytest
import segno
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.feeds.ical import event_uid
from eventreg.mail import notifications
from eventreg.mail import sender as mail_sender
from eventreg.mail.messages import (
    QR_BORDER,
    QR_SCALE,
    OutgoingEmail,
    build_message,
    format_recipient,
)
from eventreg.models import OutboxEmail, Registration, utcnow
from eventreg.services import registrations as service
from tests.factories import local, make_event, make_registration, registration_form
from tests.smtp_fixtures import running_smtp_server

LATER = timedelta(hours=3)  # past every back-off a test can cause


@pytest.fixture
def smtp_server(app):
    with running_smtp_server(app) as server:
        yield server


def outbox() -> list[OutboxEmail]:
    """The outbox, each email rendered as the sender would (queued ones are not yet)."""
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id))
    return [notifications.render(email) for email in emails]


def calendar_part(message):
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    return parts[0] if parts else None


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def expected_qr_png(content: str) -> bytes:
    """The PNG segno writes for `content`, made here independently of the app's code."""
    buffer = io.BytesIO()
    segno.make(content, error="m", micro=False).save(
        buffer, kind="png", scale=QR_SCALE, border=QR_BORDER
    )
    return buffer.getvalue()


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def assert_check_in_qr(message, registration: Registration, expected_url: str) -> None:
    """The HTML shows the QR code of `expected_url` as an inline PNG referenced by its
    Content-ID, with the code as alt text; the text part gives the code."""
    code = registration.check_in_code
    assert [part.get_content_type() for part in message.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "multipart/related",
        "text/html",
        "image/png",
        "text/calendar",
    ]
    assert code in message.get_body(("plain",)).get_content()
    related = message.get_body(("related",))
    html_part, image = related.get_payload()
    assert html_part.get_content_type() == "text/html"  # the root of multipart/related
    assert message.get_body(("html",)) is html_part
    png = image.get_payload(decode=True)
    assert png[:8] == PNG_SIGNATURE
    symbol = segno.make(expected_url, error="m", micro=False)
    size = symbol.symbol_size(scale=QR_SCALE, border=QR_BORDER)
    assert png_size(png) == size
    # segno writes the same bytes for the same content, so a wrong code or URL shows here.
    assert png == expected_qr_png(expected_url)
    assert image.get_content_disposition() == "inline"
    content_id = image["Content-ID"]
    assert content_id.startswith("<")
    assert content_id.endswith(">")
    html = html_part.get_content()
    (img,) = re.findall(r"<img [^>]*>", html)
    assert f'src="cid:{content_id[1:-1]}"' in img
    assert f'alt="QR code with your check-in code {code}"' in img
    assert f'width="{size[0]}" height="{size[1]}"' in img


# --- building -------------------------------------------------------------------------


def test_a_message_has_text_html_and_a_calendar_attachment():
    message = build_message(
        OutgoingEmail(
            sender="eventreg <noreply@example.se>",
            recipient=format_recipient("Åsa Öberg", "asa@example.se"),
            subject="Anmälan bekräftad: Språkcafé",
            text="Hej Åsa",
            html="<p>Hej Åsa</p>",
            message_id="<1@example.se>",
            ics=b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n",
            ics_method="PUBLISH",
            ics_filename="sprakcafe.ics",
        )
    )
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Subject"] == "Anmälan bekräftad: Språkcafé"
    assert parsed["To"].addresses[0].display_name == "Åsa Öberg"
    assert parsed.get_body(("plain",)).get_content().strip() == "Hej Åsa"
    assert parsed.get_body(("html",)).get_content().strip() == "<p>Hej Åsa</p>"
    attachment = calendar_part(parsed)
    assert attachment.get_filename() == "sprakcafe.ics"
    assert attachment.get_param("method") == "PUBLISH"
    assert attachment.get_param("charset") == "utf-8"
    assert b"METHOD:PUBLISH" in attachment.get_payload(decode=True)


def test_a_qr_code_is_an_inline_png_related_to_the_html():
    url = "https://evenemang.example.se/arrangor/evenemang/7/incheckning?q=ABCD2345"
    message = build_message(
        OutgoingEmail(
            sender="eventreg <noreply@example.se>",
            recipient="asa@example.se",
            subject="Anmälan bekräftad",
            text="Din incheckningskod är ABCD2345.",
            html='<p><img src="cid:qr.1@example.se" alt="ABCD2345"></p>',
            message_id="<1@example.se>",
            ics=b"BEGIN:VCALENDAR\r\nMETHOD:PUBLISH\r\nEND:VCALENDAR\r\n",
            ics_method="PUBLISH",
            qr_content=url,
        )
    )
    parsed = message_from_bytes(message.as_bytes(), policy=default)
    assert [part.get_content_type() for part in parsed.walk()] == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related",
        "text/html", "image/png", "text/calendar",
    ]  # fmt: skip
    image = next(part for part in parsed.walk() if part.get_content_type() == "image/png")
    assert image["Content-ID"] == "<qr.1@example.se>"
    assert image.get_payload(decode=True) == expected_qr_png(url)
    assert calendar_part(parsed).get_param("method") == "PUBLISH"


def test_confirmation_and_promotion_emails_carry_the_check_in_qr_code(app):
    event = make_event(capacity=1)
    holder = make_registration(event, locale="en")
    waiting = make_registration(event, locale="en")
    service.cancel_registration(holder)
    db.session.commit()
    assert mail_sender.send_due().sent == 4
    folder = Path(app.config["OUTBOX_DIR"])
    by_kind = {
        email.kind: message_from_bytes(
            (folder / mail_sender.eml_filename(email)).read_bytes(), policy=default
        )
        for email in outbox()
    }
    # Written without a request and without BASE_URL: the development address.
    check_in = f"http://localhost:5000/arrangor/evenemang/{event.id}/incheckning?q="
    assert_check_in_qr(by_kind["confirmation"], holder, check_in + holder.check_in_code)
    assert_check_in_qr(by_kind["promotion"], waiting, check_in + waiting.check_in_code)
    for kind in ("waiting", "cancellation"):
        types = [part.get_content_type() for part in by_kind[kind].walk()]
        assert "image/png" not in types, kind
        assert "multipart/related" not in types, kind
        assert "cid:" not in by_kind[kind].get_body(("html",)).get_content()


def test_recipients_are_quoted_and_domains_written_in_ascii():
    parsed = message_from_bytes(
        build_message(
            OutgoingEmail(
                sender="eventreg <noreply@example.se>",
                recipient=format_recipient("Yusuf, Amina", "amina@hälsa.example.se"),
                subject="s", text="t", html="<p>t</p>", message_id="<2@example.se>",
            )
        ).as_bytes(),
        policy=default,
    )  # fmt: skip
    (address,) = parsed["To"].addresses
    assert address.display_name == "Yusuf, Amina"
    assert address.addr_spec == "amina@xn--hlsa-loa.example.se"


@pytest.mark.parametrize(
    ("name", "address"),
    [("Eve\r\nBcc: x@example.se", "eve@example.se"), ("Eve", "eve@example.se\nBcc: x@e.se")],
)
def test_recipients_with_line_breaks_are_refused(name, address):
    with pytest.raises(ValueError, match="line break"):
        format_recipient(name, address)


def test_emails_are_written_in_the_attendees_language():
    # A Tuesday one to two weeks ahead, so registration is open whatever today is.
    soon = (utcnow() + timedelta(days=7)).date()
    tuesday = soon + timedelta(days=(1 - soon.weekday()) % 7)
    event = make_event(start_dt=local(tuesday.year, tuesday.month, tuesday.day, 9), capacity=10)
    swedish = make_registration(event, locale="sv")
    english = make_registration(event, locale="en")
    by_registration = {e.registration_id: e for e in outbox()}
    sv, en = by_registration[swedish.id], by_registration[english.id]
    # Dates come from Babel's locale data: a Tuesday in each language.
    assert "tisdag" in sv.body_text
    assert "tisdag" in sv.body_html
    assert "Tuesday" in en.body_text
    assert "Tuesday" in en.body_html
    assert '<html lang="sv">' in sv.body_html
    assert '<html lang="en">' in en.body_html
    assert en.subject == f"Registration confirmed: {event.title}"


def test_each_email_carries_the_manage_link():
    event = make_event(capacity=1)
    holder, waiting = make_registration(event), make_registration(event)
    service.cancel_registration(holder)
    for email in outbox():
        link = f"/anmalan/{service.manage_token(email.registration)}"
        if email.kind == "cancellation":
            assert f"/evenemang/{event.public_id}/" in email.body_text
            continue
        assert link in email.body_text, email.kind
        assert link in email.body_html, email.kind
    assert [e.kind for e in outbox()] == ["confirmation", "waiting", "cancellation", "promotion"]
    assert [e.ics_method for e in outbox()] == ["PUBLISH", None, "CANCEL", "PUBLISH"]
    assert waiting.is_confirmed


def test_links_in_emails_use_base_url_when_configured(app):
    app.config["BASE_URL"] = "https://evenemang.halland.example/"
    try:
        registration = make_registration(make_event())
        (email,) = outbox()  # rendered (as when sent) with the setting in force
    finally:
        app.config["BASE_URL"] = None
    token = service.manage_token(registration)
    assert f"https://evenemang.halland.example/anmalan/{token}" in email.body_text


# --- queued as what to send, rendered when sent ---------------------------------------


def test_a_sign_up_queues_what_to_send_and_renders_nothing(monkeypatch):
    """The registration service queues emails while it holds the event's lock, so queueing
    must not render templates, build the calendar file or draw the QR code."""
    slow_work = []
    for module, name in (
        (notifications, "render_template"),
        (notifications, "event_calendar_bytes"),
        (notifications, "qr_pixel_size"),
        (notifications.ical, "build_calendar"),
    ):
        original = getattr(module, name)

        def recorded(*args, _name=name, _original=original, **kwargs):
            slow_work.append(_name)
            return _original(*args, **kwargs)

        monkeypatch.setattr(module, name, recorded)
    event = make_event(capacity=1)
    holder = make_registration(event, locale="en")
    make_registration(event, locale="en")
    service.cancel_registration(holder)
    assert slow_work == []
    emails = db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)).all()
    assert [e.kind for e in emails] == ["confirmation", "waiting", "cancellation", "promotion"]
    assert all(e.subject is None and e.body_text is None and e.ics is None for e in emails)
    assert [e.locale for e in emails] == ["en"] * 4
    assert emails[1].params == {"position": 1}


def test_the_sender_renders_a_queued_email_and_keeps_what_it_sent(app):
    registration = make_registration(make_event(title="Språkcafé"), locale="en")
    db.session.commit()
    assert mail_sender.send_due().sent == 1
    db.session.expire_all()
    email = db.session.scalar(select(OutboxEmail))
    assert email.subject == "Registration confirmed: Språkcafé"
    assert f"/anmalan/{service.manage_token(registration)}" in email.body_text
    assert b"BEGIN:VCALENDAR" in email.ics
    path = Path(app.config["OUTBOX_DIR"]) / mail_sender.eml_filename(email)
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    assert parsed["Subject"] == email.subject
    text = parsed.get_body(("plain",)).get_content()
    assert text.replace("\r\n", "\n").strip() == email.body_text.strip()
    assert calendar_part(parsed).get_payload(decode=True) == email.ics


def test_a_waiting_list_email_says_the_place_it_was_queued_with(app):
    """Rendered after the person got a seat, the waiting-list email still tells the place
    they had (and does not fail for want of one)."""
    event = make_event(capacity=1)
    holder = make_registration(event, locale="en")
    waiting = make_registration(event, locale="en")
    notifications.queue_event_changed(waiting)  # while waiting: no calendar file
    service.cancel_registration(holder)
    db.session.commit()
    assert waiting.is_confirmed
    assert mail_sender.send_due().sent == 5
    by_kind = {e.kind: e for e in outbox() if e.registration_id == waiting.id}
    assert "You are number 1 on the list." in by_kind["waiting"].body_text
    changed = by_kind["event_changed"]
    assert changed.ics is None
    assert "You are still on the waiting list." in changed.body_text
    assert "calendar file" not in changed.body_text


# --- delivery without SMTP: the outbox folder -----------------------------------------


def test_without_mail_server_emails_are_written_to_the_outbox_folder(app):
    assert not app.config.get("MAIL_SERVER")
    registration = make_registration(make_event())
    db.session.commit()
    report = mail_sender.send_due()
    assert report.sent == 1
    (email,) = outbox()
    assert email.status == "sent"
    assert email.sent_at is not None
    path = Path(app.config["OUTBOX_DIR"]) / mail_sender.eml_filename(email)
    parsed = message_from_bytes(path.read_bytes(), policy=default)
    assert parsed["To"].addresses[0].addr_spec == registration.email
    assert parsed["Message-ID"] == email.message_id
    assert calendar_part(parsed) is not None
    assert mail_sender.send_due().sent == 0  # nothing goes twice


# --- delivery over SMTP ---------------------------------------------------------------


def test_confirmation_arrives_over_smtp_with_text_html_and_the_event(client, smtp_server):
    event = make_event(title="Språkcafé i Varberg", capacity=10)
    db.session.commit()
    data = registration_form(name="Åsa Öberg", email="asa@example.se")
    response = client.post(f"/evenemang/{event.public_id}/anmalan?lang=en", data=data)
    assert response.status_code == 302
    assert mail_sender.send_due().sent == 1
    (message,) = smtp_server.messages
    assert message["To"].addresses[0].addr_spec == "asa@example.se"
    # The address alone, and no greeting by name: the name was typed by whoever filled in
    # the form (see tests/test_signup_privacy.py).
    assert message["To"].addresses[0].display_name == ""
    assert message["Subject"] == "Registration confirmed: Språkcafé i Varberg"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    registration = db.session.scalar(select(Registration))
    manage = f"/anmalan/{service.manage_token(registration)}"
    assert "Hello," in text
    assert "Åsa" not in text
    assert manage in text
    assert manage in html
    assert "<html" in html
    attachment = calendar_part(message)
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_param("method") == "PUBLISH"
    calendar = icalendar.Calendar.from_ical(attachment.get_payload(decode=True))
    assert str(calendar["METHOD"]) == "PUBLISH"
    (vevent,) = calendar.walk("VEVENT")
    assert str(vevent["UID"]) == event_uid(event)
    assert str(vevent["SUMMARY"]) == "Språkcafé i Varberg"
    # The QR code holds the check-in page at the configured address (here the development
    # one), never at the Host the request named.
    check_in = f"http://localhost:5000/arrangor/evenemang/{event.id}/incheckning"
    assert_check_in_qr(message, registration, f"{check_in}?q={registration.check_in_code}")


def test_a_waiting_list_email_has_no_calendar_file(smtp_server):
    make_registration(make_event(capacity=0), locale="en")
    db.session.commit()
    mail_sender.send_due()
    (message,) = smtp_server.messages
    assert "waiting list" in message["Subject"]
    assert calendar_part(message) is None


def test_with_the_server_down_nothing_is_lost_and_each_email_arrives_once(client, smtp_server):
    event = make_event(capacity=2)
    db.session.commit()
    smtp_server.stop()

    # Registrations and a cancellation succeed while the mail server is down.
    for n in range(4):
        data = registration_form(email=f"person{n}@example.se")
        response = client.post(f"/evenemang/{event.public_id}/anmalan?lang=en", data=data)
        assert response.status_code == 302
    first = db.session.scalar(select(Registration).order_by(Registration.id))
    assert client.post(f"/anmalan/{service.manage_token(first)}/avboka").status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Registration)) == 4

    report = mail_sender.send_due()
    assert report.sent == 0
    assert report.retried == 1
    tried = [e for e in outbox() if e.attempts]
    assert len(tried) == 1
    assert tried[0].status == "pending"
    assert tried[0].last_error
    assert tried[0].next_attempt_at > utcnow()
    assert mail_sender.send_due().sent == 0  # still down, and the failed one is backing off
    assert all(e.status == "pending" for e in outbox())

    smtp_server.start()
    report = mail_sender.send_due(now=utcnow() + LATER)
    emails = outbox()
    assert report.sent == len(emails) == 6  # 2 confirmations, 2 waiting, cancel, promotion
    assert all(e.status == "sent" for e in emails)
    assert mail_sender.send_due(now=utcnow() + 2 * LATER).sent == 0

    received = Counter(message["Message-ID"] for message in smtp_server.messages)
    assert received == Counter({email.message_id: 1 for email in emails})
    subjects = sorted(message["Subject"].split(":")[0] for message in smtp_server.messages)
    assert subjects.count("Registration confirmed") == 2


def test_a_permanently_refused_recipient_fails_and_the_rest_still_go(smtp_server):
    event = make_event()
    make_registration(event, email="nobody@example.se")
    make_registration(event, email="somebody@example.se")
    db.session.commit()
    smtp_server.handler.refuse["nobody@example.se"] = "550 5.1.1 No such user"
    report = mail_sender.send_due()
    assert (report.sent, report.failed) == (1, 1)
    refused, delivered = outbox()
    assert refused.status == "failed"
    assert "550" in refused.last_error
    assert delivered.status == "sent"
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["somebody@example.se"]


def test_an_address_the_server_cannot_take_fails_without_blocking_the_rest(smtp_server):
    event = make_event()
    make_registration(event, email="åsa@exempel.se")  # needs SMTPUTF8, which it lacks
    make_registration(event, email="erik@example.se")
    db.session.commit()
    smtp_server.stop()
    smtp_server.smtputf8 = False
    smtp_server.start()
    report = mail_sender.send_due()
    assert (report.sent, report.failed) == (1, 1)
    assert [e.status for e in outbox()] == ["failed", "sent"]
    assert len(smtp_server.messages) == 1


def test_event_details_are_escaped_in_the_html_body():
    # Attendees' names no longer appear in their emails at all; the event's own fields do.
    make_registration(make_event(title="<script>alert(1)</script>"), locale="en")
    (email,) = outbox()
    assert "<script>" not in email.body_html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in email.body_html
    assert "<script>alert(1)</script> is" not in email.body_html
    assert "seat at <script>alert(1)</script>." in email.body_text  # plain text is not HTML


def test_a_temporary_refusal_is_retried_later(smtp_server):
    make_registration(make_event(), email="busy@example.se")
    db.session.commit()
    smtp_server.handler.refuse["busy@example.se"] = "451 4.3.0 Try again later"
    assert mail_sender.send_due().retried == 1
    (email,) = outbox()
    assert email.status == "pending"
    assert email.attempts == 1
    smtp_server.handler.refuse.clear()
    assert mail_sender.send_due().sent == 0  # not due yet
    assert mail_sender.send_due(now=utcnow() + LATER).sent == 1
    assert len(smtp_server.messages) == 1


def test_after_the_last_attempt_an_email_is_failed_not_deleted(
    app, smtp_server, runner, monkeypatch
):
    make_registration(make_event())
    db.session.commit()
    smtp_server.stop()
    monkeypatch.setitem(app.config, "MAIL_MAX_ATTEMPTS", 2)
    mail_sender.send_due()
    mail_sender.send_due(now=utcnow() + LATER)
    (email,) = outbox()
    assert email.status == "failed"
    assert email.attempts == 2
    smtp_server.start()
    result = runner.invoke(args=["send-mail", "--requeue-failed"])
    assert result.exit_code == 0, result.output
    assert "Requeued 1" in result.output
    assert "Sent 1" in result.output
    assert len(smtp_server.messages) == 1


def test_an_email_left_mid_send_by_a_crash_is_never_sent_again_on_its_own(smtp_server, runner):
    make_registration(make_event())
    db.session.commit()
    (email,) = outbox()
    # A sender claimed it, handed it to the server, and died before recording the result.
    email.status, email.claimed_at, email.attempts = "sending", utcnow() - timedelta(hours=1), 1
    db.session.commit()
    report = mail_sender.send_due()
    assert report.sent == 0
    assert report.uncertain == [email.id]
    db.session.refresh(email)
    assert email.status == "uncertain"
    assert smtp_server.messages == []
    assert mail_sender.send_due(now=utcnow() + LATER).sent == 0
    # A person checked the server's log and decided to send it.
    result = runner.invoke(args=["send-mail", "--requeue-uncertain"])
    assert "Requeued 1" in result.output
    assert "Sent 1" in result.output
    assert len(smtp_server.messages) == 1


def test_an_email_is_claimed_by_only_one_sender():
    make_registration(make_event())
    db.session.commit()
    (email,) = outbox()
    now = utcnow()
    assert mail_sender._claim(email.id, now) is True
    assert mail_sender._claim(email.id, now) is False  # a second sender finds it taken
    db.session.refresh(email)
    assert email.status == "sending"
    assert email.attempts == 1


def test_backoff_grows_and_is_capped():
    delays = [mail_sender.backoff(n) for n in range(1, 10)]
    assert delays[:4] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert delays == sorted(delays)
    assert max(delays) == timedelta(hours=1)


def test_send_mail_command_reports_what_it_did(runner):
    make_registration(make_event())
    make_registration(make_event())
    db.session.commit()
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert "Sent 2, to retry 0, failed 0." in result.output


# --- anonymisation command ------------------------------------------------------------


def test_anonymise_command_erases_old_registrations_and_their_emails(app, runner):
    old = make_event(capacity=5)
    kept = make_event(capacity=5)
    old_registration = make_registration(old, name="Amina Yusuf", email="amina@example.se")
    kept_registration = make_registration(kept, name="Erik Johansson")
    db.session.commit()
    mail_sender.send_due()  # writes .eml copies to the outbox folder
    folder = Path(app.config["OUTBOX_DIR"])
    old_email = db.session.scalar(
        select(OutboxEmail).where(OutboxEmail.registration_id == old_registration.id)
    )
    kept_email = db.session.scalar(
        select(OutboxEmail).where(OutboxEmail.registration_id == kept_registration.id)
    )
    assert (folder / mail_sender.eml_filename(old_email)).exists()
    end = utcnow() - timedelta(days=31)
    old.start_dt, old.end_dt = end - timedelta(hours=2), end
    db.session.commit()

    result = runner.invoke(args=["anonymise-registrations", "--days", "30"])
    assert result.exit_code == 0, result.output
    assert "Anonymised 1 registration(s)" in result.output
    db.session.expire_all()
    assert old_registration.name == ""
    assert old_registration.email is None
    assert old_registration.status == "confirmed"
    assert old_registration.sector == "municipality"
    assert old_email.status == "purged"
    assert old_email.body_text == ""
    assert old_email.qr_content is None
    assert not (folder / mail_sender.eml_filename(old_email)).exists()
    assert (folder / mail_sender.eml_filename(kept_email)).exists()
    assert kept_registration.name == "Erik Johansson"


def test_anonymise_command_defaults_to_the_retention_setting(app, runner):
    event = make_event()
    registration = make_registration(event)
    end = utcnow() - timedelta(days=app.config["RETENTION_DAYS"] - 1)
    event.start_dt, event.end_dt = end - timedelta(hours=2), end
    db.session.commit()
    result = runner.invoke(args=["anonymise-registrations"])
    assert "Anonymised 0" in result.output
    assert "90 days" in result.output
    db.session.refresh(registration)
    assert registration.anonymised_at is None


@pytest.mark.real_clock
def test_send_mail_watch_keeps_delivering_as_a_background_sender(database_url, smtp_server):
    """`flask send-mail --watch` as its own process, as it runs in production: it delivers
    what is queued after it started, without being run again."""
    environment = {
        **os.environ, "DATABASE_URL": database_url, "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_server.port), "SECRET_KEY": "test-secret-key",
    }  # fmt: skip
    command = [sys.executable, "-m", "flask", "--app", "eventreg", "send-mail", "--watch",
               "--interval", "1"]  # fmt: skip
    watcher = subprocess.Popen(
        command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    lines: list[str] = []

    def read_output() -> None:
        for line in watcher.stdout:
            lines.append(line)

    reader = threading.Thread(target=read_output)
    reader.start()
    try:
        time.sleep(1)
        make_registration(make_event(), email="later@example.se")
        db.session.commit()
        # The server has the message before the sender has the server's answer: wait for the
        # sender to report it, not just for the message, before stopping it.
        deadline = time.monotonic() + 30
        while not any("Sent 1" in line for line in lines) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert watcher.poll() is None, "".join(lines)  # still running
    finally:
        watcher.terminate()
        watcher.wait(timeout=10)
        reader.join(timeout=10)
        watcher.stdout.close()
    output = "".join(lines)
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["later@example.se"]
    assert "Sent 1" in output
    db.session.expire_all()
    assert [e.status for e in outbox()] == ["sent"]
