"""Delivering the outbox: over SMTP (MAIL_* settings) or, without MAIL_SERVER, as .eml files
in OUTBOX_DIR.

Each email is claimed in its own committed transaction before it is handed to the server
(pending → sending), and marked sent in another right after the server accepts it. So two
senders running at once never both send an email, and an email is never sent twice: if the
process dies between the server's acceptance and the mark, the row stays `sending`, and the
next run moves it to `uncertain` for a person to check (`send-mail --requeue-uncertain`)
rather than sending it again. A temporary failure (server down, 4xx) puts the email back as
pending with a growing delay; a permanent refusal of the recipient (5xx) marks it failed.
Nothing is ever deleted here.
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
from pathlib import Path

from flask import current_app
from sqlalchemy import select, update

from ..extensions import db
from ..models import OutboxEmail, utcnow
from .messages import OutgoingEmail, build_message

log = logging.getLogger(__name__)

DEFAULT_MAX_ATTEMPTS = 48  # with the one-hour cap below: about two days of trying
MAX_BACKOFF = timedelta(hours=1)
# A claim older than this without a result means the sender died mid-send.
STALE_CLAIM = timedelta(minutes=15)


class TemporaryFailure(Exception):
    """Try again later."""


class PermanentFailure(Exception):
    """The server refused this message for good (e.g. no such recipient)."""


class ServerUnavailable(TemporaryFailure):
    """No point trying the next email in this run either."""


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    uncertain: list[int] = field(default_factory=list)


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the 1st, 2nd, 3rd … failure, at most an hour."""
    return min(timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def outgoing(email: OutboxEmail, sender: str) -> OutgoingEmail:
    event = email.registration.event if email.registration else None
    return OutgoingEmail(
        sender=sender,
        recipient=email.recipient,
        subject=email.subject,
        text=email.body_text,
        html=email.body_html,
        message_id=email.message_id,
        ics=email.ics,
        ics_method=email.ics_method,
        ics_filename=f"{event.slug}.ics" if event else "event.ics",
        qr_content=email.qr_content,
    )


class FolderTransport:
    """Writes each message as an .eml file: the embedded default, readable by a newcomer."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def __enter__(self):
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def __exit__(self, *exc_info) -> None:
        return None

    def send(self, message: EmailMessage, email: OutboxEmail) -> None:
        target = self.folder / eml_filename(email)
        # Written under a temporary name and renamed, so a reader never sees half a file.
        handle, temporary = tempfile.mkstemp(dir=self.folder, suffix=".tmp")
        try:
            with os.fdopen(handle, "wb") as file:
                # SMTPUTF8: a file can hold any address, unlike some mail servers.
                file.write(message.as_bytes(policy=SMTPUTF8))
            os.replace(temporary, target)
        except OSError as error:
            Path(temporary).unlink(missing_ok=True)
            raise ServerUnavailable(f"could not write {target}: {error}") from error


def eml_filename(email: OutboxEmail) -> str:
    return f"{email.id:08d}-{email.kind}.eml"


class SMTPTransport:
    """One SMTP connection for a run, opened on the first message and reopened after an
    error that may have left it unusable."""

    def __init__(self, config):
        self.config = config
        self.connection: smtplib.SMTP | None = None

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

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        host, port = config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25)
        timeout = config.get("MAIL_TIMEOUT", 30)
        if config.get("MAIL_USE_SSL"):
            connection = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            connection = smtplib.SMTP(host, port, timeout=timeout)
            if config.get("MAIL_USE_TLS"):
                connection.starttls(context=ssl.create_default_context())
        if config.get("MAIL_USERNAME"):
            connection.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        return connection

    def send(self, message: EmailMessage, email: OutboxEmail) -> None:
        try:
            if self.connection is None:
                self.connection = self._connect()
            self.connection.send_message(message)
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
            self._close()
            if error.smtp_code >= 500:
                raise PermanentFailure(f"message refused: {error.smtp_code}") from error
            raise TemporaryFailure(f"message deferred: {error.smtp_code}") from error
        except smtplib.SMTPResponseException as error:
            # Sender refused, authentication, 4xx: a setting or the server, not this email.
            self._close()
            raise ServerUnavailable(f"SMTP {error.smtp_code}") from error
        except (smtplib.SMTPException, OSError) as error:
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
                OutboxEmail.status == "sending", OutboxEmail.claimed_at < now - STALE_CLAIM
            )
        )
    )
    if stale:
        db.session.execute(
            update(OutboxEmail)
            .where(OutboxEmail.id.in_(stale), OutboxEmail.status == "sending")
            .values(status="uncertain", last_error="sender stopped before recording the result")
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        log.warning("outbox emails %s may have been sent; see --requeue-uncertain", stale)
    return stale


def _claim(email_id: int, now: datetime) -> bool:
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.id == email_id, OutboxEmail.status == "pending")
        .values(status="sending", claimed_at=now, attempts=OutboxEmail.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return result.rowcount == 1


def send_due(now: datetime | None = None, limit: int = 200) -> SendReport:
    """Send the outbox emails that are due, committing after each. Used by `send-mail`."""
    now = now or utcnow()
    config = current_app.config
    sender = config["MAIL_DEFAULT_SENDER"]
    max_attempts = config.get("MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS)
    report = SendReport(uncertain=mark_stale_claims(now))
    due = list(
        db.session.scalars(
            select(OutboxEmail.id)
            .where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
            .order_by(OutboxEmail.id)
            .limit(limit)
        )
    )
    db.session.commit()
    with transport_for(config) as transport:
        for email_id in due:
            if not _claim(email_id, now):
                continue  # another sender has it
            email = db.session.get(OutboxEmail, email_id, populate_existing=True)
            try:
                try:
                    message = build_message(outgoing(email, sender))
                except (ValueError, TypeError) as error:  # a header that cannot be written
                    raise PermanentFailure(f"message could not be built: {error}") from error
                transport.send(message, email)
            except PermanentFailure as error:
                email.status = "failed"
                email.last_error = str(error)
                report.failed += 1
                db.session.commit()
                log.warning("outbox email %s refused for good: %s", email.id, error)
            except TemporaryFailure as error:
                email.last_error = str(error)
                if email.attempts >= max_attempts:
                    email.status = "failed"
                    report.failed += 1
                else:
                    email.status = "pending"
                    email.next_attempt_at = now + backoff(email.attempts)
                    report.retried += 1
                db.session.commit()
                log.warning("outbox email %s not sent (attempt %s): %s",
                            email.id, email.attempts, error)  # fmt: skip
                if isinstance(error, ServerUnavailable):
                    break  # the rest stay due and go next run
            else:
                email.status = "sent"
                email.sent_at = utcnow()
                email.last_error = ""
                db.session.commit()
                report.sent += 1
    return report


def requeue(statuses: tuple[str, ...]) -> int:
    """Put `uncertain` (or `failed`) emails back in the queue after a person has checked."""
    result = db.session.execute(
        update(OutboxEmail)
        .where(OutboxEmail.status.in_(statuses))
        .values(status="pending", next_attempt_at=utcnow(), claimed_at=None)
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
