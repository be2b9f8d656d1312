"""Feedback after an event: the request the day after (with a fake clock), who gets it, the
signed once-only form, anonymity, what organisers see, ratings in the follow-up statistics
against hand-computed figures, and clearing free text after the retention period."""

import csv
import io
import re
from datetime import UTC, datetime, time, timedelta

import pytest
import time_machine
from sqlalchemy import inspect, select

from eventreg import worker
from eventreg.extensions import db
from eventreg.mail.notifications import render
from eventreg.models import (
    FeedbackAnswer,
    FeedbackGiven,
    FeedbackRound,
    OutboxEmail,
    Registration,
    utcnow,
)
from eventreg.services import feedback
from eventreg.services.feedback import FeedbackData, RatingFact
from eventreg.services.registrations import register
from eventreg.tokens import manage_token
from tests.factories import (
    STOCKHOLM,
    log_in,
    make_event,
    make_organisation,
    make_theme,
    make_user,
    registration_details,
)
from tests.races import race_while_held


def attendee(event, locale: str = "sv", **fields) -> Registration:
    """A registration for any event, past ones too (the sign-up window is ignored)."""
    return register(event, registration_details(**fields), locale=locale,
                    ignore_window=True).registration  # fmt: skip


def event_ending(end_local: datetime, **fields):
    return make_event(start_dt=(end_local - timedelta(hours=2)).astimezone(UTC),
                      end_dt=end_local.astimezone(UTC), **fields)  # fmt: skip


def an_afternoon_ahead(days: int = 10) -> datetime:
    """16:00 Swedish time on a day some way ahead of today (never a fixed date)."""
    day = (utcnow() + timedelta(days=days)).astimezone(STOCKHOLM).date()
    return datetime.combine(day, time(16), tzinfo=STOCKHOLM)


def feedback_emails() -> list[OutboxEmail]:
    db.session.expire_all()
    return list(db.session.scalars(
        select(OutboxEmail).where(OutboxEmail.kind == "feedback_request").order_by(OutboxEmail.id)
    ))  # fmt: skip


def feedback_link(email: OutboxEmail) -> str:
    text = render(email).body_text
    (url,) = re.findall(r"https?://\S+/omdome/\S+", text)
    return url.split("localhost:5000", 1)[-1]


def answer_form(**fields) -> dict:
    values = {"rating": "4", "usefulness": "yes", "improvements": ["length"], "comment": ""}
    values.update(fields)
    return values


# --- the request the day after ------------------------------------------------------------


def test_requests_go_out_the_day_after_at_nine_once(app):
    end = an_afternoon_ahead()
    event = event_ending(end)
    people = [attendee(event) for _ in range(3)]
    db.session.commit()

    day_after_nine = datetime.combine(end.date() + timedelta(days=1), time(9), tzinfo=STOCKHOLM)
    with time_machine.travel(end + timedelta(hours=6), tick=False):  # 22:00 the same day
        assert feedback.queue_feedback_requests() == 0
    with time_machine.travel(day_after_nine - timedelta(minutes=1), tick=False):
        assert feedback.queue_feedback_requests() == 0
    with time_machine.travel(day_after_nine, tick=False):
        assert feedback.queue_feedback_requests() == 3
        db.session.commit()
        # Another run, or another worker, finds the round taken.
        assert feedback.queue_feedback_requests() == 0
    with time_machine.travel(day_after_nine + timedelta(hours=5), tick=False):
        assert feedback.queue_feedback_requests() == 0
    emails = feedback_emails()
    assert sorted(e.registration_id for e in emails) == sorted(p.id for p in people)
    assert db.session.get(FeedbackRound, event.id).recipients == 3


def test_a_worker_that_was_down_does_not_ask_about_events_long_gone(app):
    end = an_afternoon_ahead()
    attendee(event_ending(end))
    db.session.commit()
    late = datetime.combine(end.date() + timedelta(days=9), time(9), tzinfo=STOCKHOLM)
    with time_machine.travel(late, tick=False):
        assert feedback.queue_feedback_requests() == 0
    assert feedback_emails() == []


def test_checked_in_people_are_asked_or_everyone_with_a_seat_if_nobody_was(app):
    end = an_afternoon_ahead()
    with_check_in = event_ending(end, capacity=2)
    came, stayed_away = attendee(with_check_in), attendee(with_check_in)
    waiting = attendee(with_check_in)
    assert waiting.status == "waiting"
    came.attended_at = end - timedelta(hours=2)
    without_check_in = event_ending(end)
    seat, cancelled = attendee(without_check_in), attendee(without_check_in)
    cancelled.status = "cancelled"
    cancelled_event = event_ending(end)
    attendee(cancelled_event)
    cancelled_event.status = "cancelled"
    draft = event_ending(end)
    attendee(draft)
    draft.status = "draft"
    db.session.commit()

    with time_machine.travel(end + timedelta(days=1, hours=1), tick=False):
        assert feedback.queue_feedback_requests() == 2
        db.session.commit()
    assert {e.registration_id for e in feedback_emails()} == {came.id, seat.id}
    assert stayed_away.id not in {e.registration_id for e in feedback_emails()}


def test_the_email_is_in_the_attendees_language_and_links_to_the_form(app, client):
    end = an_afternoon_ahead()
    event = event_ending(end, title="Språkcafé")
    attendee(event, locale="en")
    db.session.commit()
    with time_machine.travel(end + timedelta(days=1, hours=1), tick=False):
        feedback.queue_feedback_requests()
        db.session.commit()
        (email,) = feedback_emails()
        rendered = render(email)
        assert rendered.subject == "What did you think of Språkcafé?"
        assert "anonymous" in rendered.body_text
        response = client.get(feedback_link(email) + "?lang=en")
        assert response.status_code == 200
        assert "Was it useful for your work?" in response.get_data(as_text=True)
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_the_worker_runs_the_feedback_jobs(app):
    end = an_afternoon_ahead()
    event = event_ending(end)
    attendee(event)
    db.session.commit()
    with time_machine.travel(end + timedelta(days=1, hours=1), tick=False):
        said = worker.queue_feedback_requests(utcnow())
    assert said == "queued 1 feedback request(s)"
    names = [job.name for job in worker.JOBS]
    assert names.index("feedback-requests") < names.index("outbox")
    assert "anonymise-feedback" in names


# --- answering ----------------------------------------------------------------------------


@pytest.fixture
def asked():
    """A registration whose event ended yesterday, and its feedback link."""
    event = make_event(start_dt=utcnow() - timedelta(days=1, hours=3),
                       end_dt=utcnow() - timedelta(days=1, hours=1))  # fmt: skip
    registration = attendee(event, name="Åsa Öberg", email="asa.oberg@example.se")
    db.session.commit()
    return registration, "/omdome/" + feedback.feedback_token(registration)


def test_an_answer_is_taken_once(client, asked):
    registration, link = asked
    response = client.post(link, data=answer_form(comment="Bra föreläsare"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(link + "/tack")
    assert client.get(link + "/tack").status_code == 200

    second = client.post(link + "?lang=en", data=answer_form(rating="1"))
    assert second.status_code == 409
    assert "Already answered" in second.get_data(as_text=True)
    assert "Already answered" in client.get(link + "?lang=en").get_data(as_text=True)
    db.session.expire_all()
    (answer,) = db.session.scalars(select(FeedbackAnswer)).all()
    assert (answer.rating, answer.usefulness, answer.improvements, answer.comment) == (
        4, "yes", "length", "Bra föreläsare")
    assert db.session.get(FeedbackGiven, registration.id) is not None


def test_the_marker_and_the_answer_are_written_together(asked):
    registration, _link = asked
    feedback.submit_feedback(registration, FeedbackData(5, "yes"))
    db.session.rollback()  # the request failed after the answer: neither is kept
    assert db.session.scalars(select(FeedbackGiven)).all() == []
    assert db.session.scalars(select(FeedbackAnswer)).all() == []
    feedback.submit_feedback(registration, FeedbackData(5, "yes"))
    db.session.commit()
    with pytest.raises(feedback.FeedbackError):
        feedback.submit_feedback(registration, FeedbackData(1, "no"))


def test_the_database_refuses_a_second_marker(asked):
    """Two submissions at once both pass the check; the primary key keeps one."""
    from sqlalchemy.exc import IntegrityError

    registration, _link = asked
    db.session.add(FeedbackGiven(registration_id=registration.id))
    db.session.commit()
    db.session.add(FeedbackGiven(registration_id=registration.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


@pytest.mark.parametrize(
    "fields",
    [{"rating": ""}, {"rating": "7"}, {"rating": "0"}, {"usefulness": "maybe"},
     {"usefulness": ""}, {"improvements": ["everything"]}, {"comment": "x" * 2001}],
)  # fmt: skip
def test_a_bad_answer_is_refused_with_a_message(client, asked, fields):
    _registration, link = asked
    response = client.post(link + "?lang=en", data=answer_form(**fields))
    assert response.status_code == 400
    assert "There is a problem" in response.get_data(as_text=True)
    assert db.session.scalars(select(FeedbackAnswer)).all() == []


def test_an_answer_with_only_the_required_questions_is_taken(client, asked):
    _registration, link = asked
    response = client.post(link, data={"rating": "3", "usefulness": "partly"})
    assert response.status_code == 302


def test_a_tampered_or_foreign_link_opens_nothing(client, asked):
    registration, link = asked
    token = link.rsplit("/", 1)[1]
    for bad in (token[:-2] + ("A" if token[-2] != "A" else "B") + token[-1],
                token + "x", "nonsense", manage_token(registration)):  # fmt: skip
        assert client.get(f"/omdome/{bad}").status_code == 404
        assert client.post(f"/omdome/{bad}", data=answer_form()).status_code == 404
    # Signed for the registration but naming another event: refused as well.
    from eventreg.tokens import FEEDBACK_SALT, _serializer

    forged = _serializer(FEEDBACK_SALT).dumps([registration.id, "000000000000"])
    assert client.get(f"/omdome/{forged}").status_code == 404
    assert db.session.scalars(select(FeedbackAnswer)).all() == []


def test_the_form_opens_after_the_event_and_closes_weeks_later(app, client):
    end = an_afternoon_ahead()
    event = event_ending(end)
    registration = attendee(event)
    db.session.commit()
    link = "/omdome/" + feedback.feedback_token(registration)
    with time_machine.travel(end - timedelta(hours=1), tick=False):
        assert client.post(link, data=answer_form()).status_code == 200
    closes = end + timedelta(days=app.config["FEEDBACK_OPEN_DAYS"])
    with time_machine.travel(closes + timedelta(minutes=1), tick=False):
        page = client.post(link + "?lang=en", data=answer_form())
        assert "closed" in page.get_data(as_text=True)
    assert db.session.scalars(select(FeedbackAnswer)).all() == []
    with time_machine.travel(closes - timedelta(minutes=1), tick=False):
        assert client.post(link, data=answer_form()).status_code == 302


def test_an_anonymised_registrations_link_stops_working(client, asked):
    registration, link = asked
    registration.anonymised_at = utcnow()
    db.session.commit()
    assert client.get(link).status_code == 404


# --- anonymity and what organisers see ----------------------------------------------------


def test_answers_carry_nothing_that_leads_to_a_person():
    answer_columns = {c.key for c in inspect(FeedbackAnswer).columns}
    assert answer_columns == {"id", "event_id", "rating", "usefulness", "improvements",
                              "comment"}  # fmt: skip
    foreign = {fk.column.table.name for fk in FeedbackAnswer.__table__.foreign_keys}
    assert foreign == {"event"}
    # The marker has no time either, so the two cannot be lined up by when they came.
    assert {c.key for c in inspect(FeedbackGiven).columns} == {"registration_id"}


@pytest.fixture
def organiser_and_event(client):
    organisation = make_organisation()
    event = make_event(organisation=organisation, title="Samverkan kring SFI",
                       start_dt=utcnow() - timedelta(days=2, hours=3),
                       end_dt=utcnow() - timedelta(days=2, hours=1))  # fmt: skip
    user = make_user([organisation])
    db.session.commit()
    log_in(client, user)
    return event


def _answer(event, comments: list[str], ratings: list[int] | None = None) -> list[Registration]:
    people = []
    for n, comment in enumerate(comments):
        registration = attendee(event)  # a new name and address each time
        rating = ratings[n] if ratings else 4
        feedback.submit_feedback(registration, FeedbackData(rating, "partly", ["content"], comment))
        people.append(registration)
    db.session.commit()
    return people


def test_free_text_is_shown_from_five_answers_and_never_with_a_person(
    client, organiser_and_event
):
    event = organiser_and_event
    people = _answer(event, ["Zebra-kommentar", "Alfa-kommentar", "Mitt-kommentar", ""])
    page = client.get(f"/arrangor/evenemang/{event.id}/omdomen?lang=en").get_data(as_text=True)
    assert "4 answers" in page or "Average rating" in page
    assert "kommentar" not in page
    assert "from 5 answers on" in page

    people += _answer(event, ["Beta-kommentar"])
    page = client.get(f"/arrangor/evenemang/{event.id}/omdomen?lang=en").get_data(as_text=True)
    # Alphabetical, not in the order they came.
    shown = re.findall(r"(\w+)-kommentar", page)
    assert shown == ["Alfa", "Beta", "Mitt", "Zebra"]
    for person in people:
        assert person.name not in page
        assert person.email not in page
        assert f"/anmalningar/{person.id}" not in page
        assert person.check_in_code not in page


def test_event_results_add_up(organiser_and_event):
    event = organiser_and_event
    _answer(event, ["", "", ""], ratings=[5, 4, 2])
    results = feedback.event_feedback(event)
    assert results.answers == 3
    assert results.mean_rating == pytest.approx(11 / 3)
    assert results.ratings == {1: 0, 2: 1, 3: 0, 4: 1, 5: 1}
    assert results.usefulness == {"yes": 0, "partly": 3, "no": 0}
    assert results.improvements["content"] == 3
    assert results.comments is None


# --- ratings in the follow-up statistics --------------------------------------------------


def test_ratings_per_theme_place_and_format_by_hand():
    facts = [
        RatingFact(("t1",), "halmstad", "seminar", 5, "yes"),
        RatingFact(("t1",), "halmstad", "seminar", 4, "partly"),
        RatingFact(("t1", "t2"), "varberg", "lecture", 3, "yes"),
        RatingFact(("t1", "t2"), "varberg", "lecture", 2, "no"),
        RatingFact(("t1", "t2"), "varberg", "lecture", 1, "no"),
    ]
    ratings = feedback.compute_ratings(
        facts, {"t1": "Tema 1", "t2": "Tema 2"},
        {"municipality": {"halmstad": "Halmstad", "varberg": "Varberg"},
         "format": {"seminar": "Seminarium", "lecture": "Föreläsning"}},
    )  # fmt: skip
    assert (ratings.total.answers, ratings.total.mean_rating) == (5, 3.0)
    assert [(b.label, b.answers, b.mean_rating) for b in ratings.by_theme] == [
        ("Tema 1", 5, 3.0), ("Tema 2", 3, 2.0)]
    assert [(b.label, b.mean_rating) for b in ratings.by_municipality] == [
        ("Halmstad", 4.5), ("Varberg", 2.0)]
    assert [(b.label, b.mean_rating) for b in ratings.by_format] == [
        ("Seminarium", 4.5), ("Föreläsning", 2.0)]
    assert dict(ratings.by_municipality[1].usefulness) == {"yes": 1, "no": 2}


def test_the_statistics_page_and_csv_show_the_ratings(client):
    organisation = make_organisation()
    theme_a, theme_b = make_theme(name_sv="Språk"), make_theme(name_sv="Arbete")
    past = utcnow() - timedelta(days=5)
    a = make_event(organisation=organisation, themes=[theme_a], municipality="halmstad",
                   format="seminar", start_dt=past, end_dt=past + timedelta(hours=2))
    b = make_event(organisation=organisation, themes=[theme_a, theme_b], municipality="varberg",
                   format="lecture", start_dt=past, end_dt=past + timedelta(hours=2))
    elsewhere = make_event(start_dt=past, end_dt=past + timedelta(hours=2))  # not theirs
    _answer(a, ["", ""], ratings=[5, 4])
    _answer(b, ["", "", ""], ratings=[3, 2, 1])
    _answer(elsewhere, [""], ratings=[1])
    user = make_user([organisation])
    db.session.commit()
    log_in(client, user)

    page = client.get("/arrangor/statistik").get_data(as_text=True)
    assert "5 svar" in page or "5 answers" in page
    response = client.get("/arrangor/statistik/omdomen.csv")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="omdomen.csv"'
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))
    figures = {(row[0], row[1]): row[2:] for row in rows[1:]}
    total = [v for k, v in figures.items() if k[1] in ("Alla", "All")][0]
    assert total[:2] == ["5", "3,0"]
    assert figures[(rows[2][0], "Språk")][:2] == ["5", "3,0"]
    assert figures[(rows[3][0], "Arbete")][:2] == ["3", "2,0"]
    assert ["2", "4,5"] in [v[:2] for k, v in figures.items() if k[1] == "Halmstad"]
    assert ["3", "2,0"] in [v[:2] for k, v in figures.items() if k[1] == "Varberg"]


# --- data protection ----------------------------------------------------------------------


def test_free_text_is_cleared_after_the_retention_period(app, runner):
    days = app.config["RETENTION_DAYS"]
    old = make_event(start_dt=utcnow() - timedelta(days=days + 2),
                     end_dt=utcnow() - timedelta(days=days + 1))  # fmt: skip
    recent = make_event(start_dt=utcnow() - timedelta(days=3),
                        end_dt=utcnow() - timedelta(days=2))  # fmt: skip
    for event in (old, recent):
        db.session.add(FeedbackAnswer(event_id=event.id, rating=4, usefulness="yes",
                                      comment="Namn Namnsson sa något"))  # fmt: skip
    db.session.commit()
    result = runner.invoke(args=["anonymise-registrations"])
    assert result.exit_code == 0, result.output
    assert "cleared the free text of 1 feedback answer(s)" in result.output
    db.session.expire_all()
    answers = {a.event_id: a for a in db.session.scalars(select(FeedbackAnswer))}
    assert answers[old.id].comment == ""
    assert answers[old.id].rating == 4
    assert answers[recent.id].comment == "Namn Namnsson sa något"

    # The worker's job does the same, with the clock moved on.
    with time_machine.travel(utcnow() + timedelta(days=days), tick=False):
        said = worker.anonymise_feedback(utcnow())
    assert said == "cleared the free text of 1 feedback answer(s)"
    db.session.expire_all()
    assert db.session.get(FeedbackAnswer, answers[recent.id].id).comment == ""


def test_two_workers_queue_an_events_requests_once(app):
    """The first worker has claimed the event and queued its emails but not committed; a
    second one running then waits for that claim (PostgreSQL: the conflicting INSERT; SQLite:
    the write lock) and queues nothing."""
    end = an_afternoon_ahead()
    event = event_ending(end)
    for _ in range(3):
        attendee(event)
    db.session.commit()
    now = end + timedelta(days=1, hours=1)
    race = race_while_held(
        app,
        lambda: feedback.queue_feedback_requests(now),
        lambda: feedback.queue_feedback_requests(now),
        watch_seconds=1,
    )
    assert not race.second_finished_while_held, (
        "the second worker did not wait for the first one's claim"
    )
    assert (race.first, race.second) == (3, 0)
    assert len(feedback_emails()) == 3


def test_a_second_submission_racing_the_first_says_already_answered(client, asked, monkeypatch):
    """Both passed the "answered yet?" check; the marker's primary key refuses the second."""
    registration, link = asked
    feedback.submit_feedback(registration, FeedbackData(5, "yes"))
    db.session.commit()
    monkeypatch.setattr(feedback, "has_answered", lambda registration: False)
    response = client.post(link + "?lang=en", data=answer_form())
    assert response.status_code == 409
    assert "Already answered" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(FeedbackAnswer)).all()) == 1
