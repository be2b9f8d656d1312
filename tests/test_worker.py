"""Issue 13, one worker for everything scheduled: `flask --app eventreg worker` runs the jobs
in eventreg.worker.JOBS (scheduled emails, anonymisation, the outbox) every round, logs what
it did, survives a failing job, and stops cleanly on SIGTERM; `--once` runs one round."""

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from eventreg import worker as worker_module
from eventreg.extensions import db
from eventreg.models import OutboxEmail, Registration, utcnow
from eventreg.worker import JOBS, Job, Worker
from tests.factories import make_event, make_registration


def test_the_registry_runs_reminders_and_anonymisation_before_the_outbox():
    names = [job.name for job in JOBS]
    assert names[-1] == "outbox"
    assert {"scheduled-emails", "anonymise"} <= set(names)


def test_worker_once_queues_and_sends_what_is_due_in_one_round(app, runner, caplog):
    start = utcnow().replace(microsecond=0) + timedelta(days=5)
    event = make_event(start_dt=start, first_reminder_hours=48, second_reminder_hours=None)
    make_registration(event)
    ended = make_event(start_dt=utcnow() - timedelta(days=200))
    with time_machine.travel(ended.start_dt - timedelta(days=1), tick=False):
        old = make_registration(ended)
    db.session.commit()
    old_id = old.id
    caplog.set_level(logging.INFO, logger="eventreg")
    with time_machine.travel(start - timedelta(hours=47), tick=False):
        result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert [(e.kind, e.status) for e in db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.registration_id != old_id).order_by(OutboxEmail.id)
    )] == [("confirmation", "sent"), ("reminder_first", "sent")]  # fmt: skip
    assert db.session.get(Registration, old_id).anonymised_at is not None
    log = caplog.text
    assert "scheduled-emails: queued 1 reminder(s)" in log
    assert "anonymise: anonymised 1 registration(s)" in log
    assert "outbox: sent 2" in log
    assert "stopped" in log


def test_a_failing_job_is_logged_and_the_others_still_run(app, caplog):
    ran = []

    def broken(now):
        db.session.execute(select(OutboxEmail))
        raise RuntimeError("boom")

    worker = Worker([Job("broken", broken), Job("fine", lambda now: ran.append(now) or "ok")])
    caplog.set_level(logging.INFO, logger="eventreg")
    said = worker.run_round()
    assert said == {"broken": None, "fine": "ok"}
    assert len(ran) == 1
    assert "job broken failed" in caplog.text
    assert "RuntimeError: boom" in caplog.text
    assert "fine: ok" in caplog.text


def test_a_job_with_every_runs_at_most_that_often(app):
    ran = []
    worker = Worker([Job("hourly", lambda now: ran.append(now), every=timedelta(hours=1))])
    start = utcnow()
    with time_machine.travel(start, tick=False):
        worker.run_round()
    with time_machine.travel(start + timedelta(minutes=59), tick=False):
        worker.run_round()
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        worker.run_round()
    assert len(ran) == 2


def test_stop_ends_the_loop_without_waiting_out_the_interval(app):
    worker = Worker([Job("nothing", lambda now: None)], interval=3600)

    def run():
        with app.app_context():
            worker.run()

    thread = threading.Thread(target=run)
    thread.start()
    time.sleep(0.2)
    worker.stop(signal.SIGTERM, None)
    thread.join(10)
    assert not thread.is_alive()


@pytest.mark.real_clock
def test_the_worker_process_runs_rounds_and_stops_cleanly_on_sigterm(database_url, tmp_path):
    """As it runs in production: its own process, sending a reminder that became due,
    then SIGTERM. It finishes and exits 0, saying so."""
    start = utcnow().replace(microsecond=0) + timedelta(hours=1)
    event = make_event(start_dt=start, first_reminder_hours=None, second_reminder_hours=2)
    registration = make_registration(event)
    registration.confirmed_at = utcnow() - timedelta(days=1)  # had the seat for a day
    db.session.commit()
    environment = {
        **os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "test-secret-key",
        "EVENTREG_INSTANCE_PATH": str(tmp_path),
    }  # fmt: skip
    environment.pop("MAIL_SERVER", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "eventreg", "worker", "--interval", "0.5"],
        env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(process.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 60
        while not any("outbox: sent 2" in line for line in lines):
            assert time.monotonic() < deadline, "".join(lines)
            assert process.poll() is None, "".join(lines)
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        reader.join(10)
        process.stdout.close()
    output = "".join(lines)
    assert "started: scheduled-emails" in output
    assert "scheduled-emails: queued 1 reminder(s)" in output
    assert output.rstrip().endswith("stopped"), output
    assert sorted(path.name.split("-", 1)[1] for path in (tmp_path / "outbox").glob("*.eml")) == [
        "confirmation.eml", "reminder_second.eml",
    ]  # fmt: skip


def test_send_mail_stays_a_one_shot(runner):
    result = runner.invoke(args=["send-mail"])
    assert result.exit_code == 0
    assert "Sent 0" in result.output
    assert worker_module.send_outbox(utcnow()) is None
