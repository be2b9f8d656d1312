"""The public follow-up figures: the follow-up statistics of events that took place, per
theme, municipality where held, format and month, with small counts of people withheld."""

from datetime import timedelta

import pytest

from eventreg.extensions import db
from eventreg.models import utcnow
from eventreg.services.open_data import open_statistics, suppress
from eventreg.services.statistics import Bucket
from tests.factories import make_event, make_registration, make_theme


def bucket(registrations=0, attended=0, demand=0, events=1) -> Bucket:
    return Bucket("x", registrations=registrations, attended=attended, demand=demand,
                  events=events)  # fmt: skip


def test_counts_from_one_to_four_are_withheld_zero_and_five_are_shown():
    total, figures = suppress(
        bucket(registrations=20, attended=9, demand=0),
        [("a", bucket(registrations=0)), ("b", bucket(registrations=5)),
         ("c", bucket(registrations=15, attended=9))],
        min_count=5,
    )  # fmt: skip
    assert [f.registrations for f in figures] == [0, 5, 15]
    assert total.registrations == 20
    assert [f.attended for f in figures] == [0, 0, 9]


def test_a_lone_withheld_count_takes_the_next_smallest_with_it():
    total, figures = suppress(
        bucket(registrations=30),
        [("a", bucket(registrations=3)), ("b", bucket(registrations=12)),
         ("c", bucket(registrations=15))],
        min_count=5,
    )  # fmt: skip
    # Otherwise a = 30 - 12 - 15.
    assert [f.registrations for f in figures] == [None, None, 15]
    assert total.registrations == 30


def test_a_lone_withheld_count_with_nothing_else_to_withhold_withholds_the_total():
    total, figures = suppress(
        bucket(registrations=3), [("a", bucket(registrations=3)), ("b", bucket())], min_count=5
    )
    assert [f.registrations for f in figures] == [None, 0]
    assert total.registrations is None


def test_two_withheld_counts_need_nothing_more():
    total, figures = suppress(
        bucket(registrations=27),
        [("a", bucket(registrations=3)), ("b", bucket(registrations=4)),
         ("c", bucket(registrations=20))],
        min_count=5,
    )  # fmt: skip
    assert [f.registrations for f in figures] == [None, None, 20]


def took_place(event, days_ago: int) -> None:
    start = utcnow().replace(microsecond=0) - timedelta(days=days_ago)
    event.start_dt, event.end_dt = start, start + timedelta(hours=2)


@pytest.fixture
def past_events(app):
    """Two events that took place (one a workshop in Varberg under a theme), with eight
    and six registrations, five and one of them attending, and two people left on the
    waiting list of the first; and an upcoming event with registrations."""
    theme = make_theme(slug="arbete", name_sv="Arbete", name_en="Work")
    first = make_event(capacity=8, themes=[theme], format="workshop", municipality="varberg")
    second = make_event(capacity=10, format="lecture", municipality="halmstad")
    people = [make_registration(first, email=f"f{n}@example.se") for n in range(10)]
    for person in people[:5]:
        person.attended_at = utcnow()
    seconds = [make_registration(second, email=f"s{n}@example.se") for n in range(6)]
    seconds[0].attended_at = utcnow()
    upcoming = make_event(capacity=10)
    for n in range(7):
        make_registration(upcoming, email=f"u{n}@example.se")
    took_place(first, 40)
    took_place(second, 10)
    db.session.commit()
    return first, second


def test_figures_of_events_that_took_place(past_events):
    figures = open_statistics(min_count=5)
    assert figures.total.events == 2
    assert figures.total.registrations == 14  # the upcoming event's 7 are not counted
    assert figures.total.attended == 6
    # Two on the waiting list: withheld alone, and nothing else in the total to withhold.
    assert figures.total.waiting_list_demand is None
    by_format = {f.key: f for f in figures.by_format}
    assert by_format["workshop"].registrations == 8
    assert by_format["lecture"].registrations == 6
    # 1 attended at the lecture is withheld, and with it the workshop's 5 (else 6 - 5).
    assert by_format["lecture"].attended is None
    assert by_format["workshop"].attended is None
    assert [f.key for f in figures.by_municipality] == ["halmstad", "varberg"]
    assert [f.key for f in figures.by_theme] == ["arbete"]
    assert figures.by_theme[0].registrations == 8
    assert len(figures.by_month) in (1, 2)


def test_statistics_in_the_api_and_on_the_public_page(client, past_events):
    body = client.get("/api/v1/statistics?lang=en").get_json()
    assert body["min_count"] == 5
    assert body["total"]["registrations"] == 14
    assert {f["key"]: f["name"] for f in body["by_format"]} == {
        "lecture": "Lecture",
        "workshop": "Workshop",
    }
    assert body["by_theme"][0]["name"] == "Work"
    for secret in ("@example.se", "f0", "attended_at"):
        assert secret not in client.get("/api/v1/statistics").get_data(as_text=True)
    page = client.get("/oppna-data/statistik?lang=sv")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Uppföljning i siffror" in html
    assert "färre än 5" in html
    assert "Varberg" in html
    assert "Arbete" in html
