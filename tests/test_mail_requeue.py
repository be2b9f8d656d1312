"""`send-mail --requeue-*` puts back only the status it names.

An outbox holds one email in every status there is. Requeueing `uncertain` or `failed` must
leave the others exactly as they were: a `sent` one requeued reaches the person twice, a
`sending` one is in another sender's hands, a `purged` one has lost its recipient, and a
`pending` one waiting out its back-off would be hurried.
"""

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.mail import sender as mail_sender
from eventreg.models import OutboxEmail, OutboxStatus, utcnow
from tests.factories import make_event, make_registration
from tests.smtp_fixtures import running_smtp_server

# The columns the sender and requeue change; an email not requeued keeps every one.
TRACKED = ("status", "attempts", "next_attempt_at", "claimed_at", "sent_at", "last_error",
           "recipient")  # fmt: skip

# option(s) given to send-mail → the statuses they name
OPTIONS = [
    ([], set()),
    (["--requeue-uncertain"], {"uncertain"}),
    (["--requeue-failed"], {"failed"}),
    (["--requeue-uncertain", "--requeue-failed"], {"uncertain", "failed"}),
]
OPTION_IDS = ["no-option", "uncertain", "failed", "uncertain+failed"]


@pytest.fixture
def smtp_server(app):
    with running_smtp_server(app) as server:
        yield server


def address(status: str) -> str:
    return f"{status}@example.se"


def put_in_status(email: OutboxEmail, status: str) -> None:
    """Leave `email` as the sender (or the anonymisation) would have left it in `status`."""
    now = utcnow()
    email.status = status
    if status == "pending":  # after a temporary failure, waiting out its back-off
        email.attempts, email.last_error = 1, "451 try again later"
        email.next_attempt_at = now + timedelta(hours=1)
    elif status == "sending":  # claimed a minute ago by a sender that is still running
        email.attempts, email.claimed_at = 1, now - timedelta(minutes=1)
    elif status == "sent":
        email.attempts, email.claimed_at, email.sent_at = 1, now - timedelta(hours=2), now
    elif status == "failed":
        email.attempts, email.last_error = 3, "recipient refused: [550]"
        email.claimed_at = now - timedelta(hours=2)
    elif status == "uncertain":  # its sender died mid-send
        email.attempts, email.claimed_at = 1, now - timedelta(hours=2)
        email.last_error = "sender stopped before recording the result"
    elif status == "withdrawn":  # a reminder whose registration was cancelled while it waited
        email.attempts, email.claimed_at = 1, now - timedelta(hours=2)
        email.last_error = "no longer true when its turn came: not sent"
    elif status == "purged":  # what anonymise_registrations leaves
        email.recipient = email.subject = email.body_text = email.body_html = ""
        email.ics = email.qr_content = None
    else:
        raise AssertionError(f"this test does not know the outbox status {status!r}")


def outbox_with_every_status() -> dict[str, OutboxEmail]:
    """One email in each outbox status, each to an address named after its status."""
    event = make_event()
    emails = {}
    for status in OutboxStatus:
        registration = make_registration(event, email=address(status))
        (email,) = db.session.scalars(
            select(OutboxEmail).where(OutboxEmail.registration_id == registration.id)
        )
        put_in_status(email, status)
        emails[status] = email
    db.session.commit()
    return emails


def snapshot(emails: dict[str, OutboxEmail]) -> dict[str, tuple]:
    db.session.expire_all()  # read what the database holds, not what this session remembers
    return {status: tuple(getattr(e, name) for name in TRACKED) for status, e in emails.items()}


def arrivals(server) -> Counter:
    return Counter(m["To"].addresses[0].addr_spec for m in server.messages)


def test_the_outbox_here_has_every_status():
    emails = outbox_with_every_status()
    assert {e.status for e in emails.values()} == set(OutboxStatus)


@pytest.mark.parametrize(("options", "named"), OPTIONS[1:], ids=OPTION_IDS[1:])
def test_requeue_puts_back_only_the_statuses_named(options, named):
    emails = outbox_with_every_status()
    before = snapshot(emails)
    assert mail_sender.requeue(tuple(sorted(named))) == len(named)
    after = snapshot(emails)
    for status, email in emails.items():
        if status in named:
            assert email.status == "pending", status
            assert email.claimed_at is None, status
            assert email.next_attempt_at <= utcnow(), status
        else:
            assert after[status] == before[status], f"{status} was touched"


@pytest.mark.parametrize(("options", "named"), OPTIONS, ids=OPTION_IDS)
def test_send_mail_delivers_exactly_the_requeued_emails(runner, smtp_server, options, named):
    emails = outbox_with_every_status()
    before = snapshot(emails)
    result = runner.invoke(args=["send-mail", *options])
    assert result.exit_code == 0, result.output
    if options:
        assert f"Requeued {len(named)} email(s)." in result.output
    assert f"Sent {len(named)}, to retry 0, failed 0." in result.output

    # Exactly one message to each requeued address, and nothing to anyone else.
    assert arrivals(smtp_server) == Counter({address(status): 1 for status in named})
    after = snapshot(emails)
    for status in OutboxStatus:
        if status in named:
            assert after[status][0] == "sent", status
        else:
            assert after[status] == before[status], f"{status} was touched"

    # Running again (with the same options) sends nothing twice.
    again = runner.invoke(args=["send-mail", *options])
    assert "Sent 0," in again.output
    assert arrivals(smtp_server) == Counter({address(status): 1 for status in named})
