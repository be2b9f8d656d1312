"""Follow-up statistics counted by the database (issue 16): the same figures as one fact per
registration, in a number of queries that does not grow with the registrations or events."""

from contextlib import contextmanager
from datetime import timedelta
from itertools import count

import pytest
from sqlalchemy import event as sa_event

from eventreg.extensions import db
from eventreg.models import FeedbackAnswer, Registration, TargetGroup, utcnow
from eventreg.services import feedback, open_data, statistics
from tests.factories import log_in, make_event, make_organisation, make_theme, make_user

_numbers = count(1)
MUNICIPALITIES = ["halmstad", "varberg", "hylte", "elsewhere"]
SECTORS = ["municipality", "region", "business", "civil_society"]


def register(event, status="confirmed", *, attended=False, had_seat=None, municipality="halmstad",
             sector="region") -> Registration:  # fmt: skip
    """A registration written directly (past events included). `had_seat` says whether a
    waiting or cancelled one once held a seat; a confirmed one always has."""
    now = utcnow()
    seated = status == "confirmed" or bool(had_seat)
    registration = Registration(
        event=event, status=status, municipality=municipality, sector=sector,
        consent_at=now, confirmed_at=now if seated else None,
        cancelled_at=now if status == "cancelled" else None,
        attended_at=now if attended else None, email=f"p{next(_numbers)}@example.se",
    )  # fmt: skip
    db.session.add(registration)
    return registration


def populate(events: int, per_event: int, organisations=None, themes=None, groups=None):
    """Events in the past, in progress and ahead, some cancelled, one draft, with every kind
    of registration spread over municipalities and sectors; attendance taken at some ended
    events (at some only people no longer confirmed were checked in) and not at others."""
    organisations = organisations or [make_organisation(), make_organisation()]
    themes = themes or [make_theme(), make_theme()]
    if groups is None:
        groups = []
        for _ in range(2):
            n = next(_numbers)
            groups.append(TargetGroup(slug=f"stat-grupp-{n}", name_sv=f"Grupp {n}",
                                      name_en=f"Group {n}", position=n))  # fmt: skip
        db.session.add_all(groups)
    now = utcnow().replace(microsecond=0)
    for i in range(events):
        start = now + timedelta(days=(i % 5 - 3) * 20, hours=i)  # some ended, some ahead
        if i == 3:
            start = now - timedelta(hours=1)  # in progress: not ended
        event = make_event(
            organisation=organisations[i % len(organisations)],
            themes=themes[: i % (len(themes) + 1)],  # none, one or both themes
            start_dt=start,
            municipality=MUNICIPALITIES[i % 3],
            status=["published", "published", "cancelled"][i % 3] if i % 7 else "published",
            format=["seminar", "webinar"][i % 2],
        )
        event.target_groups = groups[: i % 3]
        taken = i % 4 != 1  # where i % 4 == 1, nobody was checked in
        db.session.add_all(FeedbackAnswer(event_id=event.id, rating=1 + (i + j) % 5,
                                          usefulness=["yes", "partly", "no"][j % 3])
                           for j in range(max(1, per_event // 2)))  # fmt: skip
        for j in range(per_event):
            kind = (i + j) % 6
            person = {"municipality": MUNICIPALITIES[j % 4], "sector": SECTORS[(i + j) % 4]}
            if kind in (0, 1, 2):
                register(event, attended=taken and kind == 0 and i % 4 != 3, **person)
            elif kind == 3:
                register(event, "waiting", **person)  # never seated
            elif kind == 4:
                register(event, "cancelled", had_seat=j % 2 == 0, **person)
            else:
                register(event, "waiting", had_seat=True, attended=taken and j % 2 == 0,
                         **person)  # fmt: skip
    make_event(organisation=organisations[0], status="draft")
    db.session.flush()
    return organisations, themes, groups


def as_tuples(figures: statistics.Statistics):
    def row(b):
        return (b.label, b.registrations, b.attended, b.no_show, b.counted_for_no_show,
                b.events, b.demand)  # fmt: skip

    dimensions = [(name, [row(b) for b in buckets]) for name, buckets in figures.dimensions()]
    return figures.events, figures.cancelled_events, row(figures.total), dimensions


def test_database_counts_give_the_figures_of_one_fact_per_registration(app):
    organisations, _themes, _groups = populate(events=15, per_event=12)
    today = utcnow().astimezone(statistics.LOCAL_TZ).date()
    scopes = [
        (None, None, None),
        ({organisations[0].id}, None, None),
        ({organisations[1].id}, today - timedelta(days=30), None),
        (None, None, today),
        (set(), None, None),
    ]
    with app.test_request_context("/?lang=en"):
        names = (statistics.theme_names(), statistics.vocabulary_labels())
        groups = statistics.target_group_names()
        for scope, date_from, date_to in scopes:
            expected = statistics.compute(
                statistics.load_facts(scope, date_from, date_to), *names,
                events=statistics.load_events(scope, date_from, date_to),
                target_group_names=groups,
            )  # fmt: skip
            counted = statistics.compute_tallies(
                statistics.load_tallies(scope, date_from, date_to), *names,
                target_group_names=groups,
            )  # fmt: skip
            assert as_tuples(counted) == as_tuples(expected), (scope, date_from, date_to)
    everything = statistics.compute_tallies(statistics.load_tallies(None))
    # The data has every case the figures tell apart.
    assert all([everything.total.no_show, everything.total.attended, everything.total.demand,
                everything.cancelled_events])  # fmt: skip


@contextmanager
def counting_queries():
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)


def queries_of(client, path: str) -> int:
    with counting_queries() as statements:
        response = client.get(path)
    assert response.status_code == 200
    return len(statements)


PAGES = ["/arrangor/statistik", "/arrangor/statistik.csv", "/arrangor/statistik/omdomen.csv"]


@pytest.mark.parametrize("as_admin", [True, False])
def test_the_statistics_page_makes_as_many_queries_for_many_registrations_as_for_few(
    client, as_admin
):
    organisations, themes, groups = populate(events=2, per_event=1)
    user = make_user(organisations=[] if as_admin else organisations, is_admin=as_admin)
    db.session.commit()
    log_in(client, user)
    few = {path: queries_of(client, path) for path in PAGES}
    with client.application.test_request_context():
        few_open = len_queries(lambda: open_data.open_statistics(min_count=5))

    populate(events=25, per_event=20, organisations=organisations, themes=themes, groups=groups)
    db.session.commit()
    many = {path: queries_of(client, path) for path in PAGES}
    assert many == few
    # The database sends counts, not a row per registration (27 events, 502 registrations).
    tallies = statistics.load_tallies(None)
    assert sum(t.count for t in tallies.by_event) == sum(t.count for t in tallies.by_person) == 502
    assert len(tallies.by_event) <= 6 * len(tallies.events) < 502
    with client.application.test_request_context():
        assert len_queries(lambda: open_data.open_statistics(min_count=5)) == few_open


def len_queries(call) -> int:
    with counting_queries() as statements:
        call()
    return len(statements)


def test_feedback_ratings_are_counted_by_the_database(app):
    event = make_event(format="lecture", municipality="varberg", themes=[make_theme(slug="sprak")])
    db.session.add_all(
        [FeedbackAnswer(event_id=event.id, rating=5, usefulness="yes") for _ in range(3)]
    )
    db.session.add(FeedbackAnswer(event_id=event.id, rating=2, usefulness="no"))
    db.session.flush()
    facts = feedback.load_rating_facts(None)
    assert len(facts) == 2  # one row per event, rating and usefulness
    ratings = feedback.compute_ratings(facts, {"sprak": "Språk"}, feedback.rating_labels())
    assert (ratings.total.answers, ratings.total.mean_rating) == (4, 4.25)
    assert dict(ratings.total.usefulness) == {"yes": 3, "no": 1}
    assert [(b.label, b.answers) for b in ratings.by_theme] == [("Språk", 4)]
