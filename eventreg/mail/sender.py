"""Delivering the outbox: over SMTP (MAIL_* settings) or, without MAIL_SERVER, as .eml files
in OUTBOX_DIR.

Each email is claimed in its own committed transaction before it is handed to the server
(pending → sending), and marked with the outcome in another right after. The claim is atomic
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, a conditional UPDATE everywhere), so several senders
running at once (two hosts with `send-mail --watch`) never take the same email.

An email is sent at most once; what happens depends on how far it got:

- Anything that fails before the message is handed over (rendering or building it, writing
  the .eml file, connecting, EHLO, STARTTLS, login, MAIL FROM, a 4xx to RCPT TO or DATA):
  nothing left, so the email goes back to `pending` and is tried again after 1, 2, 4 …
  minutes (at most an hour), up to MAIL_MAX_ATTEMPTS, then `failed`. A failure of the
  server or the folder ends the run; the rest wait for the next one.
- A clear refusal for good (5xx to RCPT TO or DATA, an address the server cannot take):
  `failed` at once.
- The message body went to the server but its reply was lost (a timeout waiting for the 250
  after the body, the connection dropped): the server may have accepted it, and SMTP cannot
  tell. The email becomes `uncertain` and is never sent again on its own; a person checks the
  server's log and decides (`send-mail --requeue-uncertain`). The same holds when the sender
  itself dies mid-send: the row stays `sending`, and after STALE_CLAIM the next run marks it
  `uncertain`.

So delivery is at most once, not at least once: an `uncertain` email may never arrive until
someone requeues it. Nothing is ever deleted here.
"""

import logging
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import parseaddr
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from sqlalchemy import select, update

from ..extensions import db
from ..models import Event, OutboxEmail, OutboxStatus, utcnow
from .messages import OutgoingEmail, build_message, format_recipient
from .notifications import render, still_true

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)
# A claim older than this without a result means the sender died mid-send.
STALE_CLAIM = timedelta(minutes=15)


class TemporaryFailure(Exception):
    """Try again later."""


class PermanentFailure(Exception):
    """The server refused this message for good (e.g. no such recipient)."""


class ServerUnavailable(TemporaryFailure):
    """No point trying the next email in this run either."""


class UncertainDelivery(Exception):
    """The message was handed over but the server's reply was lost: it may have arrived."""


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: list[int] = field(default_factory=list)
    withdrawn: int = 0  # scheduled emails no longer true when due (notifications.still_true)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def outgoing(email: OutboxEmail, sender: str) -> OutgoingEmail:
    """The message an outbox email stands for. An email queued as "what to send" is
    rendered here, and its text kept on the row (committed with the outcome), so a retry
    sends the same message."""
    render(email, store=True)
    event = email.registration.event if email.registration else None
    return OutgoingEmail(
        sender=from_header(sender, email.locale),
        reply_to=reply_to_header(event),
        recipient=email.recipient,
        subject=email.subject,
        text=email.body_text,
        html=email.body_html,
        message_id=email.message_id,
        ics=email.ics,
        ics_method=email.ics_method,
        ics_filename=f"{event.slug}.ics" if event else "event.ics",
        qr_content=email.qr_content,
        headers=email.headers,
    )


def from_header(sender: str, locale: str | None) -> str:
    """The sender's address (MAIL_DEFAULT_SENDER) under a name people recognise:
    MAIL_SENDER_NAME, else the name MAIL_DEFAULT_SENDER gives, else SITE_NAME in the
    recipient's language."""
    config = current_app.config
    name, address = parseaddr(sender)
    with force_locale(locale or config["BABEL_DEFAULT_LOCALE"]):
        name = str(config["MAIL_SENDER_NAME"] or name or config["SITE_NAME"])
    return format_recipient(name, address or sender)


def reply_to_header(event: Event | None) -> str | None:
    """Replies to an email about an event go to the people who arrange it: the event's
    contact address, else its organisation's; else to the sender."""
    if event is None:
        return None
    address = event.contact_email or event.organisation.contact_email
    return format_recipient(event.organisation.name, address) if address else None


class FolderTransport:
    """Writes each message as an .eml file: the embedded default, readable by a newcomer."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def send(self, message: EmailMessage, email: OutboxEmail) -> None:
        """The rename is the hand-over: whatever fails before it (a folder that cannot be
        made or written, a full disk) left nothing behind, so the email can go again."""
        target = self.folder / eml_filename(email)
        temporary = None
        try:
            # Made here, not once per run, so that a folder that cannot be made counts against
            # the email like any other write failure instead of stopping the run unrecorded.
            self.folder.mkdir(parents=True, exist_ok=True)
            # Written under a temporary name and renamed, so a reader never sees half a file.
            handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
            with os.fdopen(handle, "wb") as file:
                # SMTPUTF8: a file can hold any address, unlike some mail servers.
                file.write(message.as_bytes(policy=SMTPUTF8))
            os.replace(temporary, target)
        except Exception as error:  # noqa: BLE001 - nothing was handed over: safe to retry
            if temporary is not None:
                Path(temporary).unlink(missing_ok=True)
            if isinstance(error, OSError):
                raise ServerUnavailable(f"could not write {target}: {error}") from error
            raise TemporaryFailure(f"could not write {target}: {error!r}") from error


def eml_filename(email: OutboxEmail) -> str:
    return f"{email.id:08d}-{email.kind}.eml"


class _ReplyTracking:
    """Knows whether a message body is on its way to the server without a reply yet.

    Only DATA is answered with 354 (go ahead with the message). From that reply until the next
    one, a lost connection or a timeout leaves open whether the server accepted the message;
    before it, nothing was handed over and the email can safely go again."""

    awaiting_message_reply = False

    def getreply(self):
        code, text = super().getreply()  # when the reply is lost this raises: the flag stays
        self.awaiting_message_reply = code == 354
        return code, text


class _SMTP(_ReplyTracking, smtplib.SMTP):
    pass


class _SMTPSSL(_ReplyTracking, smtplib.SMTP_SSL):
    pass


class SMTPTransport:
    """One SMTP connection for a run, opened on the first message and reopened after an
    error that may have left it unusable."""

    def __init__(self, config):
        self.config = config
        self.connection: _SMTP | _SMTPSSL | None = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        self._close()

    def _close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None

    def _connect(self) -> _SMTP | _SMTPSSL:
        """Connect, greet, secure and log in. Whatever fails here (the server down, STARTTLS
        or AUTH not offered, a wrong password) is the server's or the settings' fault, not
        one email's, and comes before any message is handed over: ServerUnavailable."""
        config = self.config
        host, port = config["MAIL_SERVER"], int(config["MAIL_PORT"])
        timeout = config["MAIL_TIMEOUT"]
        connection = None
        try:
            if config.get("MAIL_USE_SSL"):
                connection = _SMTPSSL(
                    host, port, timeout=timeout, context=ssl.create_default_context()
                )
            else:
                connection = _SMTP(host, port, timeout=timeout)
                if config.get("MAIL_USE_TLS"):
                    connection.starttls(context=ssl.create_default_context())
            connection.ehlo_or_helo_if_needed()
            if config.get("MAIL_USERNAME"):
                connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        except Exception as error:  # noqa: BLE001 - before any hand-over: safe to retry
            if connection is not None:
                connection.close()
            raise ServerUnavailable(
                f"could not connect to {host}:{port}: {type(error).__name__}: {error}"
            ) from error
        return connection

    def _hand_over(self, message: EmailMessage) -> None:
        """send_message, raising UncertainDelivery when the reply to the message was lost."""
        try:
            self.connection.send_message(message)
        except Exception as error:
            if not self.connection.awaiting_message_reply:
                raise
            self._close()
            raise UncertainDelivery(
                f"no reply after the message was sent: {type(error).__name__}: {error}"
            ) from error

    def send(self, message: EmailMessage, email: OutboxEmail) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self._hand_over(message)
        except (smtplib.SMTPNotSupportedError, UnicodeEncodeError) as error:
            # A non-ASCII address the server cannot take (no SMTPUTF8): retrying cannot help.
            self._close()
            raise PermanentFailure(f"address not deliverable here: {error}") from error
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _ in error.recipients.values()]
            self._close()
            if codes and all(code >= 500 for code in codes):
                raise PermanentFailure(f"recipient refused: {codes}") from error
            raise TemporaryFailure(f"recipient deferred: {codes}") from error
        except smtplib.SMTPDataError as error:
            # The server's answer to DATA or to the message itself: a clear verdict.
            self._close()
            if error.smtp_code >= 500:
                raise PermanentFailure(f"message refused: {error.smtp_code}") from error
            raise TemporaryFailure(f"message deferred: {error.smtp_code}") from error
        except smtplib.SMTPResponseException as error:
            # MAIL FROM refused, a greeting refused: a setting or the server, not this email.
            self._close()
            raise ServerUnavailable(f"SMTP {error.smtp_code}") from error
        except UncertainDelivery:
            raise
        except Exception as error:  # noqa: BLE001 - the connection failed before the hand-over
            self._close()
            raise ServerUnavailable(f"{type(error).__name__}: {error}") from error


def transport_for(config):
    if config.get("MAIL_SERVER"):
        return SMTPTransport(config)
    return FolderTransport(config["OUTBOX_DIR"])


def mark_stale_claims(now: datetime) -> list[int]:
    """Emails left `sending` by a sender that died: `uncertain`, never sent again on their
    own, because the server may have accepted them before the crash."""
    stale = list(
        db.session.scalars(
            select(OutboxEmail.id).where(
                OutboxEmail.status == OutboxStatus.SENDING,
                OutboxEmail.claimed_at < now - STALE_CLAIM,
            )
        )
    )
    if stale:
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(stale), OutboxEmail.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.UNCERTAIN,
                last_error="sender stopped before recording the result",
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        log.warning("outbox emails %s may have been sent; see --requeue-uncertain", stale)
    return stale


def _next_due(now: datetime):
    """The next due email, oldest first. On PostgreSQL its row stays locked until the claim
    commits, and a row another sender is claiming is skipped rather than waited for (SKIP
    LOCKED), so two senders take different emails without queueing behind each other. SQLite
    has no row locks and leaves FOR UPDATE out; its writers take turns, and `_claim`'s
    condition decides who got the email."""
    return (
        select(OutboxEmail.id)
        .where(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.next_attempt_at <= now)
        .order_by(OutboxEmail.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )


def _claim(email_id: int, now: datetime) -> bool:
    """pending → sending, committed, if the email is still pending and due: a conditional
    UPDATE, so of two senders trying the same email exactly one gets it."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(
            OutboxEmail.id == email_id,
            OutboxEmail.status == OutboxStatus.PENDING,
            OutboxEmail.next_attempt_at <= now,
        )
        .values(status=OutboxStatus.SENDING, claimed_at=now, attempts=OutboxEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def claim_next(now: datetime) -> int | None:
    """Claim the next due email for this sender and return its id, or None when none is
    left. Each claim is its own committed transaction."""
    while True:
        email_id = db.session.scalar(_next_due(now))
        if email_id is None:
            db.session.commit()
            return None
        if _claim(email_id, now):
            return email_id
        # Another sender took it between our look-up and our update (SQLite): look again.


def send_due(now: datetime | None = None, limit: int = 200) -> SendReport:
    """Send up to `limit` outbox emails that are due, committing after each. Used by
    `send-mail`; see the module docstring for what each kind of failure leads to."""
    now = now or utcnow()
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    max_attempts = config["MAIL_MAX_ATTEMPTS"]
    report = SendReport(uncertain=mark_stale_claims(now))
    with transport_for(config) as transport:
        for _ in range(limit):
            email_id = claim_next(now)
            if email_id is None:
                break
            email = db.session.get(OutboxEmail, email_id, populate_existing=True)
            if not still_true(email, now):
                # A reminder for a registration or event cancelled since it was queued.
                email.status = OutboxStatus.WITHDRAWN
                email.last_error = "no longer true when its turn came: not sent"
                db.session.commit()
                report.withdrawn += 1
                continue
            try:
                try:
                    message = build_message(outgoing(email, sender))
                except Exception as error:  # noqa: BLE001 - nothing has left: try again later
                    # A bug or a broken install is fixed by a deploy, and the email then goes
                    # by itself; the claim is committed, so a rollback loses nothing.
                    db.session.rollback()
                    raise TemporaryFailure(f"message could not be built: {error!r}") from error
                transport.send(message, email)
            except PermanentFailure as error:
                email.status = OutboxStatus.FAILED
                email.last_error = str(error)
                report.failed += 1
                db.session.commit()
                log.warning("outbox email %s refused for good: %s", email.id, error)
            except TemporaryFailure as error:
                email.last_error = str(error)
                if email.attempts >= max_attempts:
                    email.status = OutboxStatus.FAILED
                    report.failed += 1
                else:
                    email.status = OutboxStatus.PENDING
                    email.next_attempt_at = now + backoff(email.attempts)
                    report.retried += 1
                db.session.commit()
                log.warning("outbox email %s not sent (attempt %s): %s",
                            email.id, email.attempts, error)  # fmt: skip
                if isinstance(error, ServerUnavailable):
                    break  # the rest stay due and go next run
            except UncertainDelivery as error:
                email.status = OutboxStatus.UNCERTAIN
                email.last_error = str(error)
                report.uncertain.append(email.id)
                db.session.commit()
                log.warning("outbox email %s may have been sent; see --requeue-uncertain: %s",
                            email.id, error)  # fmt: skip
                # A server that stalls or dies after a message would do it to the next one
                # too, and each would need a person: leave the rest for the next run.
                break
            else:
                email.status = OutboxStatus.SENT
                email.sent_at = utcnow()
                email.last_error = ""
                db.session.commit()
                report.sent += 1
    return report


def retry_now(now: datetime | None = None) -> int:
    """Make every pending email that is waiting out its back-off due at once, e.g. after the
    mail server is back (`send-mail --retry-now`). Failed and uncertain ones stay as they are:
    they need `--requeue-*`."""
    now = now or utcnow()
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status == OutboxStatus.PENDING, OutboxEmail.next_attempt_at > now)
        .values(next_attempt_at=now)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def requeue(statuses: tuple[str, ...]) -> int:
    """Put `uncertain` (or `failed`) emails back in the queue after a person has checked."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status.in_(statuses))
        .values(status=OutboxStatus.PENDING, next_attempt_at=utcnow(), claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount


def remove_eml_files(email_ids: list[int]) -> None:
    """Delete .eml copies of purged emails from the outbox folder (they hold personal data)."""
    folder = Path(current_app.config["OUTBOX_DIR"])
    if not folder.is_dir():
        return
    wanted = {f"{email_id:08d}-" for email_id in email_ids}
    for path in folder.glob("*.eml"):
        if path.name[:9] in wanted:
            path.unlink(missing_ok=True)
