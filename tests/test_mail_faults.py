"""Email delivery when things break, with the real component broken: an outbox folder that
cannot be written, an SMTP server on loopback (aiosmtpd) that is down, refuses, stalls after
the message or dies after receiving it, and two senders working one queue at once.

What the sender promises (see eventreg/mail/sender.py and README "Email"):
- a failure before the message is handed over puts the email back to `pending` with back-off,
  the attempt counted and the error recorded; it is never left `sending` or made `uncertain`;
- a lost reply after the message body makes it `uncertain`: sent at most once, never again
  without the operator's `--requeue-uncertain`;
- a clear refusal is a clear answer: 4xx → `pending` with back-off, 5xx → `failed`;
- `send-mail --retry-now` makes the waiting emails due at once;
- two senders never send the same email.
"""

import asyncio
import socket
import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from eventreg.database import set_lock_timeout
from eventreg.extensions import db
from eventreg.mail import sender as mail_sender
from eventreg.mail.notifications import render
from eventreg.models import OutboxEmail, utcnow
from tests.factories import make_event, make_registration
from tests.smtp_fixtures import RecordingHandler, running_smtp_server

LATER = timedelta(hours=3)  # past every back-off a test can cause
MAIL_TIMEOUT = 1  # seconds the sender waits for each reply in these tests
STALL = MAIL_TIMEOUT + 2  # a stalling server answers well after the sender gave up


class FaultyHandler(RecordingHandler):
    """Records each message it keeps (in `received`), and answers as told:

    - `mail_from_reply`: answer MAIL FROM with this instead of accepting it;
    - `on_data`: "accept"; "stall" (keep the message, answer only after STALL seconds);
      "drop" (keep the message, then close the connection without answering); or an SMTP
      reply such as "451 4.3.0 Try later", sent without keeping the message;
    - `delay`: seconds each accepted message takes, so two senders overlap.
    """

    def __init__(self):
        super().__init__()
        self.mail_from_reply: str | None = None
        self.on_data = "accept"
        self.delay = 0.0

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.mail_from_reply:
            return self.mail_from_reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.on_data not in ("accept", "stall", "drop"):
            return self.on_data
        self.received.append(bytes(envelope.original_content or envelope.content))
        if self.on_data == "stall":
            await asyncio.sleep(STALL)
        elif self.on_data == "drop":
            server.transport.close()  # the reply below never leaves
        elif self.delay:
            await asyncio.sleep(self.delay)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_server(app, monkeypatch):
    monkeypatch.setitem(app.config, "MAIL_TIMEOUT", MAIL_TIMEOUT)
    with running_smtp_server(app) as server:
        server.stop()
        server.handler = FaultyHandler()
        server.start()
        yield server


def outbox() -> list[OutboxEmail]:
    db.session.expire_all()  # what the database holds, not what this session remembers
    return list(db.session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))


def queue_emails(count: int) -> list[OutboxEmail]:
    """`count` confirmation emails, pending and due."""
    event = make_event(capacity=count)
    for n in range(count):
        make_registration(event, email=f"person{n}@example.se")
    db.session.commit()
    emails = outbox()
    assert len(emails) == count
    assert all(e.status == "pending" for e in emails)
    return emails


def arrivals(server) -> Counter:
    """How many times the server kept each email, by Message-ID."""
    return Counter(message["Message-ID"] for message in server.messages)


def assert_put_back_for_later(email: OutboxEmail, now) -> None:
    assert email.status == "pending", email.last_error
    assert email.attempts == 1
    assert email.last_error
    assert email.next_attempt_at > now
    assert email.claimed_at is not None


# --- defect 1: a failure before the hand-over puts the email back ----------------------


def outbox_folder_below_a_file(tmp_path: Path) -> Path:
    (tmp_path / "not-a-folder").write_text("a file where a folder is expected")
    return tmp_path / "not-a-folder" / "outbox"


def outbox_folder_that_is_a_file(tmp_path: Path) -> Path:
    (tmp_path / "outbox").write_text("a file where a folder is expected")
    return tmp_path / "outbox"


def outbox_folder_without_room_for_a_file_name(tmp_path: Path) -> Path:
    """A folder that can be made, but in which no file can be created: its path is so long
    that a file's path inside it exceeds the system's limit (chmod would not stop root)."""
    longest = 4095  # PATH_MAX on Linux, less the closing NUL
    folder = tmp_path
    while len(str(folder)) < longest - 200:
        folder /= "d" * 150
    folder /= "d" * (longest - 6 - len(str(folder)))  # room for "/x.eml", not for more
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize(
    "unwritable",
    [
        outbox_folder_below_a_file,
        outbox_folder_that_is_a_file,
        outbox_folder_without_room_for_a_file_name,
    ],
    ids=["below-a-file", "is-a-file", "no-file-can-be-created"],
)
def test_an_unwritable_outbox_folder_puts_the_email_back_with_backoff(
    app, tmp_path, monkeypatch, unwritable
):
    folder = unwritable(tmp_path)
    monkeypatch.setitem(app.config, "OUTBOX_DIR", str(folder))
    first, second = queue_emails(2)
    now = utcnow()

    report = mail_sender.send_due(now=now)
    assert (report.sent, report.retried, report.failed, report.uncertain) == (0, 1, 0, [])
    tried, untouched = outbox()
    assert_put_back_for_later(tried, now)
    assert "could not write" in tried.last_error
    # The folder's fault, not the email's: the run stopped, the second waits untried.
    assert untouched.status == "pending"
    assert untouched.attempts == 0

    # Long after a stale claim would have been judged: still pending, never `uncertain`.
    later = now + mail_sender.STALE_CLAIM + timedelta(minutes=1)
    assert mail_sender.send_due(now=later).uncertain == []
    assert {e.status for e in outbox()} == {"pending"}

    # Fixed: both are written, once each.
    fixed = tmp_path / "fixed-outbox"
    monkeypatch.setitem(app.config, "OUTBOX_DIR", str(fixed))
    assert mail_sender.send_due(now=now + LATER).sent == 2
    emails = outbox()
    assert [e.status for e in emails] == ["sent", "sent"]
    assert sorted(p.name for p in fixed.iterdir()) == [mail_sender.eml_filename(e) for e in emails]


def test_a_message_that_cannot_be_built_goes_back_to_pending_and_the_rest_still_go(
    app, tmp_path, monkeypatch
):
    # A folder of its own: ids start again in every test, so another test's file of the same
    # name may be in the shared one.
    monkeypatch.setitem(app.config, "OUTBOX_DIR", str(tmp_path))
    broken, fine = queue_emails(2)
    # A header that cannot be written (it would add a header of its own).
    render(broken, store=True).subject = "Confirmed\r\nBcc: someone@example.se"
    db.session.commit()
    now = utcnow()
    report = mail_sender.send_due(now=now)
    assert (report.sent, report.retried, report.failed) == (1, 1, 0)
    broken, fine = outbox()
    assert_put_back_for_later(broken, now)
    assert "could not be built" in broken.last_error
    assert fine.status == "sent"
    assert not (Path(app.config["OUTBOX_DIR"]) / mail_sender.eml_filename(broken)).exists()


def listener_that_never_answers():
    """A socket that takes connections and says nothing: a hung mail server."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    return listener


@pytest.mark.parametrize(
    "fault",
    ["server-down", "server-silent", "mail-from-refused", "no-starttls", "no-auth"],
)
def test_a_failure_before_the_message_is_sent_puts_it_back_with_backoff(
    app, smtp_server, runner, monkeypatch, fault
):
    emails = queue_emails(2)
    now = utcnow()
    silent = None
    if fault == "server-down":
        smtp_server.stop()  # the port is closed: connection refused
    elif fault == "server-silent":
        silent = listener_that_never_answers()
        monkeypatch.setitem(app.config, "MAIL_PORT", silent.getsockname()[1])
    elif fault == "mail-from-refused":
        smtp_server.handler.mail_from_reply = "530 5.7.0 Authentication required"
    elif fault == "no-starttls":  # the settings ask for STARTTLS, the server offers none
        monkeypatch.setitem(app.config, "MAIL_USE_TLS", True)
    elif fault == "no-auth":  # a user name is set, the server offers no AUTH
        monkeypatch.setitem(app.config, "MAIL_USERNAME", "eventreg")
    try:
        report = mail_sender.send_due(now=now)
    finally:
        if silent is not None:
            silent.close()
    assert (report.sent, report.retried, report.failed, report.uncertain) == (0, 1, 0, [])
    tried, untouched = outbox()
    assert_put_back_for_later(tried, now)
    assert untouched.attempts == 0  # the server's fault: the run stopped
    assert smtp_server.messages == []

    # The fault is fixed; --retry-now sends what was waiting at once, each exactly once.
    if fault == "server-down":
        smtp_server.start()
    monkeypatch.setitem(app.config, "MAIL_PORT", smtp_server.port)
    monkeypatch.setitem(app.config, "MAIL_USE_TLS", False)
    monkeypatch.setitem(app.config, "MAIL_USERNAME", None)
    smtp_server.handler.mail_from_reply = None
    result = runner.invoke(args=["send-mail", "--retry-now"])
    assert result.exit_code == 0, result.output
    assert "Made 1 waiting email(s) due now." in result.output
    assert "Sent 2, to retry 0, failed 0." in result.output
    assert arrivals(smtp_server) == Counter({e.message_id: 1 for e in emails})


# --- defect 2: after the message, a lost reply is `uncertain`; a refusal is an answer ----


@pytest.mark.parametrize("fault", ["stall", "drop"])
def test_a_lost_reply_after_the_message_makes_it_uncertain_and_it_is_not_sent_again(
    smtp_server, runner, fault
):
    first, second = queue_emails(2)
    smtp_server.handler.on_data = fault
    report = mail_sender.send_due()
    assert (report.sent, report.retried, report.failed) == (0, 0, 0)
    assert report.uncertain == [first.id]
    first, second = outbox()
    assert first.status == "uncertain"
    assert first.attempts == 1
    assert "no reply after the message was sent" in first.last_error
    # A server that loses replies would lose the next one too: the run stopped there.
    assert second.status == "pending"
    assert second.attempts == 0
    assert arrivals(smtp_server) == Counter({first.message_id: 1})

    # The server behaves again: later runs send the rest, never the uncertain one.
    smtp_server.handler.on_data = "accept"
    result = runner.invoke(args=["send-mail", "--retry-now"])
    assert "Sent 1, to retry 0, failed 0." in result.output
    for hours in (3, 6, 24):
        assert mail_sender.send_due(now=utcnow() + timedelta(hours=hours)).sent == 0
    assert [e.status for e in outbox()] == ["uncertain", "sent"]
    assert arrivals(smtp_server) == Counter({first.message_id: 1, second.message_id: 1})

    # Only the operator sends it again, knowing it may arrive twice.
    result = runner.invoke(args=["send-mail", "--requeue-uncertain"])
    assert "Requeued 1 email(s)." in result.output
    assert "Sent 1," in result.output
    assert arrivals(smtp_server)[first.message_id] == 2


def test_a_temporary_refusal_of_the_message_is_retried_and_arrives_once(smtp_server):
    (email,) = queue_emails(1)
    smtp_server.handler.on_data = "451 4.3.0 Try again later"
    now = utcnow()
    report = mail_sender.send_due(now=now)
    assert (report.sent, report.retried, report.uncertain) == (0, 1, [])
    (email,) = outbox()
    assert_put_back_for_later(email, now)
    assert "451" in email.last_error
    assert smtp_server.messages == []

    smtp_server.handler.on_data = "accept"
    assert mail_sender.send_due(now=now).sent == 0  # waiting out its back-off
    assert mail_sender.send_due(now=now + LATER).sent == 1
    assert mail_sender.send_due(now=now + 2 * LATER).sent == 0
    assert arrivals(smtp_server) == Counter({email.message_id: 1})


def test_a_permanent_refusal_of_the_message_fails_it_and_the_rest_still_go(smtp_server):
    refused, other = queue_emails(2)
    smtp_server.handler.on_data = "550 5.7.1 Message rejected"
    report = mail_sender.send_due()
    assert (report.sent, report.failed, report.uncertain) == (0, 2, [])
    assert all(e.status == "failed" and "550" in e.last_error for e in outbox())
    assert mail_sender.send_due(now=utcnow() + LATER).sent == 0
    assert smtp_server.messages == []


# --- send-mail --retry-now --------------------------------------------------------------


def test_retry_now_makes_only_the_waiting_emails_due(runner, smtp_server):
    waiting, due, failed, uncertain, sent = queue_emails(5)
    now = utcnow()
    waiting.attempts, waiting.next_attempt_at = 2, now + timedelta(minutes=30)
    failed.status, failed.attempts = "failed", 48
    uncertain.status, uncertain.attempts = "uncertain", 1
    uncertain.claimed_at = now - timedelta(hours=1)
    sent.status, sent.sent_at = "sent", now
    db.session.commit()

    # Without the option the waiting one keeps waiting.
    result = runner.invoke(args=["send-mail"])
    assert "Sent 1, to retry 0, failed 0." in result.output
    assert arrivals(smtp_server) == Counter({due.message_id: 1})

    result = runner.invoke(args=["send-mail", "--retry-now"])
    assert result.exit_code == 0, result.output
    assert "Made 1 waiting email(s) due now." in result.output
    assert "Sent 1, to retry 0, failed 0." in result.output
    assert arrivals(smtp_server) == Counter({due.message_id: 1, waiting.message_id: 1})
    assert [e.status for e in outbox()] == ["sent", "sent", "failed", "uncertain", "sent"]

    result = runner.invoke(args=["send-mail", "--retry-now"])
    assert "Made 0 waiting email(s) due now." in result.output
    assert "Sent 0," in result.output


# --- several senders at once --------------------------------------------------------------


def test_two_senders_claiming_at_once_never_take_the_same_email(app):
    first, second, third = queue_emails(3)
    now = utcnow()
    postgresql = db.engine.dialect.name == "postgresql"
    with app.app_context():  # sender B, half-way through its claim, transaction open
        seen = db.session.scalar(mail_sender._next_due(now))
        assert seen == first.id
        with app.app_context():  # sender A claims meanwhile, with a session of its own
            # Waiting for B's row lock would fail here rather than hang the test.
            set_lock_timeout(db.session, 2000)
            claimed_by_a = mail_sender.claim_next(now)
        # B finishes its claim as claim_next does: the update, or the next email if taken.
        claimed_by_b = seen if mail_sender._claim(seen, now) else mail_sender.claim_next(now)
    assert claimed_by_a != claimed_by_b
    if postgresql:  # B's look-up locked the first: A skipped it without waiting
        assert (claimed_by_a, claimed_by_b) == (second.id, first.id)
    else:  # no row locks: A got the first, and B's conditional update found it taken
        assert (claimed_by_a, claimed_by_b) == (first.id, second.id)
    emails = outbox()
    assert [(e.status, e.attempts) for e in emails] == [("sending", 1), ("sending", 1),
                                                        ("pending", 0)]  # fmt: skip


def test_two_senders_running_at_once_send_each_email_exactly_once(app, smtp_server):
    emails = queue_emails(24)
    smtp_server.handler.delay = 0.05  # each message takes a while, so the senders overlap
    start = threading.Barrier(2)
    reports, errors = [], []

    def run_sender():
        try:
            with app.app_context():
                start.wait(timeout=10)
                reports.append(mail_sender.send_due())
        except Exception as error:  # noqa: BLE001 - reported by the test below
            errors.append(error)

    senders = [threading.Thread(target=run_sender) for _ in range(2)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(report.sent for report in reports) != [0, len(emails)], "no overlap"
    assert sum(report.sent for report in reports) == len(emails)
    assert arrivals(smtp_server) == Counter({email.message_id: 1 for email in emails})
    assert {(e.status, e.attempts) for e in outbox()} == {("sent", 1)}
