"""The worker: everything scheduled, in one process (`flask --app eventreg worker`).

Each round runs the jobs in JOBS, in order, then waits WORKER_INTERVAL seconds (`--once`
runs one round). Any number of workers may run at once, on one host or several: every job
claims its rows in the database (`FOR UPDATE SKIP LOCKED` on PostgreSQL, unique rows and
conditional updates everywhere), so nothing is done twice. SIGTERM (or Ctrl-C) lets the job
under way finish and stops before the next one; a job that fails is logged and rolled back,
and the others still run.

Adding a job: write a function `run(now) -> str | None` that does what is due at `now`,
commits its own transactions, is safe to run in several processes at once, and returns a
line for the log (None or "" when there was nothing to do). Then add a `Job` to JOBS below,
before "outbox" if it queues emails (they then go in the same round). `every` limits how
often one process runs it (cheap jobs run every round).
"""

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app

from .extensions import db
from .mail import sender
from .models import utcnow
from .services import alerts, feedback, registrations, reminders

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[datetime], str | None]
    every: timedelta = timedelta(0)


def queue_scheduled_emails(now: datetime) -> str | None:
    """Reminders before events, "no seat" to waiting lists when events start."""
    report = reminders.queue_due(now)
    return str(report) if report.reminders or report.no_seat else None


def anonymise(now: datetime) -> str | None:
    """Registrations past the retention period (RETENTION_DAYS after their event)."""
    days = current_app.config["RETENTION_DAYS"]
    count, purged = registrations.anonymise_registrations(days, now)
    db.session.commit()
    sender.remove_eml_files(purged)
    if not count:
        return None
    return f"anonymised {count} registration(s), purged {len(purged)} email(s)"


def queue_feedback_requests(now: datetime) -> str | None:
    """Feedback requests the day after events (once per event, see services.feedback)."""
    count = feedback.queue_feedback_requests(now)
    db.session.commit()
    return f"queued {count} feedback request(s)" if count else None


def anonymise_feedback(now: datetime) -> str | None:
    """Free text of feedback answers past the retention period."""
    count = feedback.anonymise_feedback(now)
    db.session.commit()
    return f"cleared the free text of {count} feedback answer(s)" if count else None


def queue_alerts(now: datetime) -> str | None:
    """Email alerts: one email per new event to "immediate" subscribers, and the weekly
    digests once a week has ended (each once: see services.alerts)."""
    immediate = alerts.queue_immediate(now)
    weekly = alerts.queue_weekly(now)
    if not (immediate or weekly):
        return None
    return f"queued {immediate} alert(s) and {weekly} weekly digest(s)"


def delete_expired_alerts(now: datetime) -> str | None:
    """Alert subscriptions never confirmed within ALERT_CONFIRM_DAYS."""
    count, purged = alerts.delete_expired(now)
    db.session.commit()
    sender.remove_eml_files(purged)
    return f"deleted {count} unconfirmed alert subscription(s)" if count else None


def send_outbox(now: datetime) -> str | None:
    report = sender.send_due(now)
    if not (report.sent or report.retried or report.failed or report.uncertain
            or report.withdrawn):  # fmt: skip
        return None
    line = (f"sent {report.sent}, to retry {report.retried}, failed {report.failed}, "
            f"withdrawn {report.withdrawn}")  # fmt: skip
    if report.uncertain:
        line += f", uncertain {report.uncertain} (check the mail server's log)"
    return line


# The jobs, in the order each round runs them. Add yours here (see the module docstring).
JOBS: list[Job] = [
    Job("scheduled-emails", queue_scheduled_emails),
    Job("feedback-requests", queue_feedback_requests),
    Job("anonymise", anonymise, every=timedelta(hours=1)),
    Job("anonymise-feedback", anonymise_feedback, every=timedelta(hours=1)),
    Job("email-alerts", queue_alerts),
    Job("expired-alerts", delete_expired_alerts, every=timedelta(hours=1)),
    Job("outbox", send_outbox),
]


class Worker:
    """Runs rounds of `jobs` until stopped. `stop` may be called from a signal handler."""

    def __init__(self, jobs: list[Job] | None = None, interval: float | None = None):
        self.jobs = list(JOBS if jobs is None else jobs)
        self.interval = current_app.config["WORKER_INTERVAL"] if interval is None else interval
        self.stopping = threading.Event()
        self.last_run: dict[str, datetime] = {}

    def stop(self, *_signal_args) -> None:
        self.stopping.set()

    def run_round(self) -> dict[str, str | None]:
        """Run each job that is due once; returns what each said (jobs that failed: None)."""
        said: dict[str, str | None] = {}
        for job in self.jobs:
            if self.stopping.is_set():
                break
            now = utcnow()
            last = self.last_run.get(job.name)
            if last is not None and now - last < job.every:
                continue
            self.last_run[job.name] = now
            try:
                said[job.name] = job.run(now)
            except Exception:  # noqa: BLE001 - one failing job must not stop the others
                db.session.rollback()
                said[job.name] = None
                log.exception("job %s failed; trying again next round", job.name)
                continue
            if said[job.name]:
                log.info("%s: %s", job.name, said[job.name])
        return said

    def run(self, once: bool = False) -> None:
        log.info("worker %s started: %s, every %s s", os.getpid(),
                 ", ".join(job.name for job in self.jobs), self.interval)  # fmt: skip
        while not self.stopping.is_set():
            self.run_round()
            # A fresh session each round: nothing loaded stays cached between rounds.
            db.session.remove()
            if once:
                break
            self.stopping.wait(self.interval)
        log.info("worker %s stopped", os.getpid())
