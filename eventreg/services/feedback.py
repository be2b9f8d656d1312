"""Feedback after an event: the request the day after, the answer through a signed link
(once, without an account), the results organisers see, ratings in the follow-up
statistics, and clearing free text after the retention period.

Anonymity: an answer is stored with its event only (models.feedback). The registration that
answered is recorded apart, in FeedbackGiven, in the same transaction, so it cannot answer
twice; nothing links the two rows, and neither carries a time. Results never list answers
in the order they came, and free text is shown only from FEEDBACK_MIN_ANSWERS_FOR_TEXT
answers on.

Functions add and flush; the caller (view, CLI command, worker) commits.
"""

import csv
import hmac
import io
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlalchemy.dialects import postgresql, sqlite

from .. import vocab
from ..extensions import db
from ..mail.links import absolute_url
from ..mail.notifications import queue_registration_email
from ..models import (
    Event,
    EventStatus,
    FeedbackAnswer,
    FeedbackGiven,
    FeedbackRound,
    Registration,
    RegistrationStatus,
    Theme,
    event_theme,
    utcnow,
)
from ..models.events import arranged_by
from ..models.feedback import IMPROVEMENT_AREAS, USEFULNESS
from ..models.types import LOCAL_TZ
from ..text import spreadsheet_safe
from ..tokens import FEEDBACK_SALT, feedback_token, read_token
from .catalogue import local_midnight_utc
from .errors import RuleError

# --- Requests ---------------------------------------------------------------------------


def request_due_at(event: Event) -> datetime:
    """When an event's feedback requests go out: the day after it ends, at
    FEEDBACK_REQUEST_HOUR Swedish time."""
    last_day = event.end_dt.astimezone(LOCAL_TZ).date()
    hour = int(current_app.config["FEEDBACK_REQUEST_HOUR"])
    return datetime.combine(last_day + timedelta(days=1), time(hour), tzinfo=LOCAL_TZ).astimezone(
        UTC
    )


def recipients(event: Event) -> list[Registration]:
    """Who is asked: those checked in, or, at an event where nobody was checked in, everyone
    with a seat. Never cancelled or anonymised registrations."""
    base = select(Registration).where(
        Registration.event_id == event.id,
        Registration.status == RegistrationStatus.CONFIRMED,
        Registration.anonymised_at.is_(None),
        Registration.email.is_not(None),
    )
    checked_in = base.where(Registration.attended_at.is_not(None))
    attendance_taken = db.session.scalar(
        select(
            exists().where(
                Registration.event_id == event.id, Registration.attended_at.is_not(None)
            )
        )
    )
    chosen = checked_in if attendance_taken else base
    return list(db.session.scalars(chosen.order_by(Registration.id)))


def _claim_round(event: Event, now: datetime) -> bool:
    """Record that this event's requests are being queued; False if another worker (or an
    earlier run) did. The row's primary key decides: INSERT … ON CONFLICT DO NOTHING, which
    on PostgreSQL waits for a concurrent insert of the same event to commit or roll back."""
    insert = postgresql.insert if db.engine.dialect.name == "postgresql" else sqlite.insert
    claimed = db.session.scalar(
        insert(FeedbackRound)
        .values(event_id=event.id, queued_at=now, recipients=0)
        .on_conflict_do_nothing(index_elements=["event_id"])
        .returning(FeedbackRound.event_id)
    )
    return claimed is not None


def queue_feedback_requests(now: datetime | None = None) -> int:
    """Queue the feedback email for every event whose day-after moment has come (and is not
    more than FEEDBACK_REQUEST_LATEST_DAYS past), once per event even with several workers.
    Published events only: nobody is asked about a cancelled one. Returns how many emails
    were queued."""
    now = now or utcnow()
    config = current_app.config
    latest = timedelta(days=int(config["FEEDBACK_REQUEST_LATEST_DAYS"]))
    # The day after at the request hour is at most two days after the end.
    candidates = db.session.scalars(
        select(Event)
        .where(
            Event.status == EventStatus.PUBLISHED,
            Event.end_dt <= now,
            Event.end_dt > now - latest - timedelta(days=2),
            ~exists().where(FeedbackRound.event_id == Event.id),
        )
        .order_by(Event.end_dt, Event.id)
    ).all()
    queued = 0
    for event in candidates:
        due = request_due_at(event)
        if not (due <= now < due + latest):
            continue
        if not _claim_round(event, now):
            continue
        people = recipients(event)
        for registration in people:
            queue_registration_email(
                registration,
                "feedback_request",
                feedback_url=absolute_url("feedback.answer", token=feedback_token(registration)),
            )
        db.session.get(FeedbackRound, event.id).recipients = len(people)
        queued += len(people)
    db.session.flush()
    return queued


# --- Answering ---------------------------------------------------------------------------


class FeedbackError(RuleError):
    """The form cannot take this answer: `state` says why ("answered", "closed")."""

    def __init__(self, message: str, state: str):
        super().__init__(message)
        self.state = state


@dataclass
class FeedbackData:
    rating: int
    usefulness: str
    improvements: list[str] = field(default_factory=list)
    comment: str = ""


def registration_from_feedback_token(token: str) -> Registration | None:
    """The registration a feedback link was sent to, or None for a wrong or tampered link,
    or one whose registration has since been anonymised."""
    signed = read_token(token, FEEDBACK_SALT)
    if signed is None:
        return None
    registration_id, public_id = signed
    registration = db.session.get(Registration, registration_id)
    if registration is None or registration.anonymised_at is not None:
        return None
    if not hmac.compare_digest(registration.event.public_id, public_id):
        return None
    return registration


def has_answered(registration: Registration) -> bool:
    return db.session.get(FeedbackGiven, registration.id) is not None


def form_state(registration: Registration, now: datetime | None = None) -> str:
    """"open", "answered", "not_yet" (the event has not ended) or "closed"."""
    now = now or utcnow()
    event = registration.event
    if has_answered(registration):
        return "answered"
    if event.end_dt > now:
        return "not_yet"
    if now > event.end_dt + timedelta(days=int(current_app.config["FEEDBACK_OPEN_DAYS"])):
        return "closed"
    return "open"


def submit_feedback(
    registration: Registration, data: FeedbackData, now: datetime | None = None
) -> None:
    """Store an answer, anonymously, once per registration: FeedbackError("answered") the
    second time, FeedbackError("closed") outside the form's days. Two submissions at once
    both insert the marker; the database keeps one and the other's flush raises
    IntegrityError, which the caller answers as "already answered"."""
    state = form_state(registration, now)
    if state == "answered":
        raise FeedbackError(_("You have already answered. Thank you!"), state)
    if state != "open":
        raise FeedbackError(_("This feedback form is closed."), "closed")
    db.session.add(FeedbackGiven(registration_id=registration.id))
    db.session.flush()
    db.session.add(
        FeedbackAnswer(
            event_id=registration.event_id,
            rating=data.rating,
            usefulness=data.usefulness,
            improvements=",".join(code for code in IMPROVEMENT_AREAS if code in data.improvements),
            comment=data.comment.strip(),
        )
    )
    db.session.flush()


# --- Results -----------------------------------------------------------------------------


@dataclass
class EventFeedback:
    """What organisers see about one event's feedback."""

    answers: int
    asked: int | None  # None: no requests were sent (yet)
    mean_rating: float | None
    ratings: dict[int, int]  # 1..5 → answers
    usefulness: dict[str, int]  # USEFULNESS → answers
    improvements: dict[str, int]  # IMPROVEMENT_AREAS → answers naming it
    # Free-text answers in alphabetical order (never the order they came in), or None while
    # there are too few answers to show them.
    comments: list[str] | None
    min_answers_for_text: int


def event_feedback(event: Event) -> EventFeedback:
    rows = db.session.execute(
        select(FeedbackAnswer.rating, FeedbackAnswer.usefulness, FeedbackAnswer.improvements,
               FeedbackAnswer.comment).where(FeedbackAnswer.event_id == event.id)
    ).all()  # fmt: skip
    round_ = db.session.get(FeedbackRound, event.id)
    minimum = int(current_app.config["FEEDBACK_MIN_ANSWERS_FOR_TEXT"])
    ratings = Counter(row.rating for row in rows)
    usefulness = Counter(row.usefulness for row in rows)
    improvements = Counter(code for row in rows for code in row.improvements.split(",") if code)
    comments = None
    if len(rows) >= minimum:
        comments = sorted((row.comment for row in rows if row.comment), key=str.casefold)
    return EventFeedback(
        answers=len(rows),
        asked=round_.recipients if round_ else None,
        mean_rating=(sum(row.rating for row in rows) / len(rows)) if rows else None,
        ratings={value: ratings.get(value, 0) for value in range(1, 6)},
        usefulness={code: usefulness.get(code, 0) for code in USEFULNESS},
        improvements={code: improvements.get(code, 0) for code in IMPROVEMENT_AREAS},
        comments=comments,
        min_answers_for_text=minimum,
    )


# --- Ratings in the follow-up statistics ---------------------------------------------------


@dataclass(frozen=True)
class RatingFact:
    """One answer, with what the statistics group it by (all the event's)."""

    themes: tuple[str, ...]
    municipality: str
    format: str
    rating: int
    usefulness: str
    count: int = 1  # answers alike in all of the above


@dataclass
class RatingBucket:
    label: str
    answers: int = 0
    rating_sum: int = 0
    usefulness: Counter = field(default_factory=Counter)

    @property
    def mean_rating(self) -> float | None:
        return self.rating_sum / self.answers if self.answers else None

    def add(self, fact: RatingFact) -> None:
        self.answers += fact.count
        self.rating_sum += fact.rating * fact.count
        self.usefulness[fact.usefulness] += fact.count


@dataclass
class Ratings:
    total: RatingBucket
    by_theme: list[RatingBucket]
    by_municipality: list[RatingBucket]
    by_format: list[RatingBucket]

    def dimensions(self) -> list[tuple[str, list[RatingBucket]]]:
        return [
            ("theme", self.by_theme),
            ("event_municipality", self.by_municipality),
            ("format", self.by_format),
        ]


def load_rating_facts(
    organisation_ids: set[int] | None, date_from: date | None = None, date_to: date | None = None
) -> list[RatingFact]:
    """The answers about events of these organisations (None: all) starting within the
    dates (Swedish calendar days), counted by the database per event, rating and usefulness
    (two queries, a few rows per event however many answered)."""
    answers = func.count().label("count")
    stmt = select(
        FeedbackAnswer.event_id, FeedbackAnswer.rating, FeedbackAnswer.usefulness,
        Event.municipality, Event.format, answers,
    ).join(Event, Event.id == FeedbackAnswer.event_id)  # fmt: skip
    if organisation_ids is not None:
        # Co-organised events count too, each once.
        stmt = stmt.where(arranged_by(organisation_ids))
    if date_from:
        stmt = stmt.where(Event.start_dt >= local_midnight_utc(date_from))
    if date_to:
        stmt = stmt.where(Event.start_dt < local_midnight_utc(date_to + timedelta(days=1)))
    event_ids = stmt.with_only_columns(FeedbackAnswer.event_id)
    groups = [FeedbackAnswer.event_id, FeedbackAnswer.rating, FeedbackAnswer.usefulness,
              Event.municipality, Event.format]  # fmt: skip
    rows = db.session.execute(stmt.group_by(*groups).order_by(*groups)).all()
    themes: dict[int, list[str]] = defaultdict(list)
    if rows:
        for event_id, slug in db.session.execute(
            select(event_theme.c.event_id, Theme.slug)
            .join(Theme, Theme.id == event_theme.c.theme_id)
            .where(event_theme.c.event_id.in_(event_ids))
            .order_by(Theme.position, Theme.id)
        ):
            themes[event_id].append(slug)
    return [
        RatingFact(tuple(themes.get(row.event_id, ())), row.municipality, row.format,
                   row.rating, row.usefulness, row.count)
        for row in rows
    ]  # fmt: skip


def compute_ratings(
    facts: Iterable[RatingFact],
    theme_names: dict[str, str],
    labels: dict[str, dict[str, str]],
) -> Ratings:
    """Answers, mean rating and usefulness in total and per theme (an event with two themes
    counts under both), where the event was held and its format; groups in the order the
    names list them, unknown codes after."""
    total = RatingBucket("total")
    groups: dict[str, dict[str, RatingBucket]] = defaultdict(dict)

    def bucket(dimension: str, key: str, names: dict[str, str]) -> RatingBucket:
        if key not in groups[dimension]:
            groups[dimension][key] = RatingBucket(names.get(key, key))
        return groups[dimension][key]

    municipalities = labels.get("municipality", {})
    formats = labels.get("format", {})
    for fact in facts:
        total.add(fact)
        for slug in fact.themes:
            bucket("theme", slug, theme_names).add(fact)
        bucket("event_municipality", fact.municipality, municipalities).add(fact)
        bucket("format", fact.format, formats).add(fact)

    def ordered(dimension: str, order: Iterable[str]) -> list[RatingBucket]:
        found = groups.get(dimension, {})
        order = list(order)
        return [found[k] for k in order if k in found] + [
            found[k] for k in sorted(found) if k not in order
        ]

    return Ratings(
        total=total,
        by_theme=ordered("theme", theme_names),
        by_municipality=ordered("event_municipality", municipalities),
        by_format=ordered("format", formats),
    )


def rating_labels() -> dict[str, dict[str, str]]:
    return {
        "municipality": {k: str(v) for k, v in vocab.MUNICIPALITIES.items()},
        "format": {k: str(v) for k, v in vocab.FORMATS.items()},
    }


def format_mean(value: float | None) -> str:
    """A mean rating with one decimal as the current language writes it ("4,2")."""
    return "" if value is None else format_decimal(value, "0.0")


def ratings_csv(ratings: Ratings, dimension_names: dict[str, str]) -> bytes:
    """The ratings as CSV (UTF-8 with BOM, semicolons, for Excel), headings in the current
    language."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Dimension"), _("Group"), _("Answers"), _("Average rating (1–5)"),
                     _("Useful: yes"), _("Useful: partly"), _("Useful: no")])  # fmt: skip
    for dimension, buckets in [("total", [ratings.total]), *ratings.dimensions()]:
        for b in buckets:
            label = dimension_names.get("total", "total") if dimension == "total" else b.label
            writer.writerow([
                spreadsheet_safe(dimension_names.get(dimension, dimension)),
                spreadsheet_safe(label), b.answers, format_mean(b.mean_rating),
                *(b.usefulness.get(code, 0) for code in USEFULNESS),
            ])  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")


# --- Data protection -----------------------------------------------------------------------


def anonymise_feedback(now: datetime | None = None, days: int | None = None) -> int:
    """Clear the free text of answers about events that ended more than `days` (default
    RETENTION_DAYS) ago; ratings and choices stay for the statistics. Returns how many
    answers were cleared."""
    now = now or utcnow()
    if days is None:
        days = int(current_app.config["RETENTION_DAYS"])
    cutoff = now - timedelta(days=days)
    answers = db.session.scalars(
        select(FeedbackAnswer)
        .join(Event, Event.id == FeedbackAnswer.event_id)
        .where(Event.end_dt < cutoff, FeedbackAnswer.comment != "")
    ).all()
    for answer in answers:
        answer.comment = ""
    db.session.flush()
    return len(answers)
