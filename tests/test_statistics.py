"""Follow-up statistics, checked against figures worked out by hand."""

import csv
import io
from datetime import UTC, datetime, timedelta

import pytest
from flask_babel import force_locale

from eventreg.extensions import db
from eventreg.models import utcnow
from eventreg.organiser.charts import bar_chart_svg
from eventreg.services import statistics
from eventreg.services.statistics import RegistrationFact
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_theme,
    make_user,
)

ENDED = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
# 00:30 on 1 April in Stockholm: an April event, though still March in UTC.
MONTH_EDGE = datetime(2026, 3, 31, 22, 30, tzinfo=UTC)
FUTURE = datetime(2030, 1, 15, 9, 0, tzinfo=UTC)


def fact(event_id, start, ended, themes, municipality, sector, status, attended=False):
    return RegistrationFact(event_id, start, ended, themes, municipality, sector, status, attended)


FACTS = [
    # Event 1: ended, attendance taken.
    fact(1, ENDED, True, ("halsa",), "halmstad", "municipality", "confirmed", attended=True),
    fact(1, ENDED, True, ("halsa",), "varberg", "region", "confirmed"),  # no-show
    fact(1, ENDED, True, ("halsa",), "halmstad", "business", "waiting"),  # not counted
    fact(1, ENDED, True, ("halsa",), "varberg", "region", "cancelled"),  # not counted
    # Event 2: ended, nobody checked in, so attendance unknown: no no-show figures.
    fact(2, MONTH_EDGE, True, ("halsa", "arbete"), "halmstad", "municipality", "confirmed"),
    fact(2, MONTH_EDGE, True, ("halsa", "arbete"), "elsewhere", "civil_society", "confirmed"),
    # Event 3: not yet held.
    fact(3, FUTURE, False, (), "varberg", "region", "confirmed"),
]
THEMES = {"halsa": "Hälsa", "arbete": "Arbete"}


def row(bucket):
    return (bucket.label, bucket.registrations, bucket.attended, bucket.no_show,
            bucket.counted_for_no_show, bucket.no_show_rate)  # fmt: skip


@pytest.fixture
def figures(app):
    with app.test_request_context("/?lang=en"):
        return statistics.compute(FACTS, THEMES, statistics.vocabulary_labels())


def test_totals(figures):
    assert figures.events == 3
    assert row(figures.total) == ("total", 5, 1, 1, 2, 0.5)


def test_per_theme(figures):
    assert [row(b) for b in figures.by_theme] == [
        ("Hälsa", 4, 1, 1, 2, 0.5),
        ("Arbete", 2, 0, 0, 0, None),
    ]


def test_per_municipality_in_vocabulary_order(figures):
    assert [row(b) for b in figures.by_municipality] == [
        ("Halmstad", 2, 1, 0, 1, 0.0),
        ("Varberg", 2, 0, 1, 1, 1.0),
        ("Outside Halland", 1, 0, 0, 0, None),
    ]


def test_per_sector(figures):
    assert [row(b) for b in figures.by_sector] == [
        ("Municipality", 2, 1, 0, 1, 0.0),
        ("Region", 2, 0, 1, 1, 1.0),
        ("Non-profit organisation", 1, 0, 0, 0, None),
    ]


def test_per_month_in_swedish_time(figures):
    assert [row(b) for b in figures.by_month] == [
        ("2026-03", 2, 1, 1, 2, 0.5),
        ("2026-04", 2, 0, 0, 0, None),
        ("2030-01", 1, 0, 0, 0, None),
    ]


def test_no_data_gives_zeros_not_errors():
    empty = statistics.compute([], THEMES, {})
    assert row(empty.total) == ("total", 0, 0, 0, 0, None)
    assert empty.by_theme == []
    assert empty.events == 0


def test_csv_of_the_figures(figures):
    with force_locale("sv"):
        data = statistics.figures_csv(figures, {"total": "Alla", "theme": "Tema",
                                                "month": "Månad"})  # fmt: skip
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:3] == ["Dimension", "Grupp", "Evenemang"]  # Swedish by default
    # Events, registered, attended, no-shows, basis, rate with a decimal comma, demand.
    assert rows[1] == ["Alla", "Alla", "3", "5", "1", "1", "2", "50,0", "0"]
    assert ["Tema", "Hälsa", "2", "4", "1", "1", "2", "50,0", "0"] in rows
    assert ["Tema", "Arbete", "1", "2", "0", "0", "0", "", "0"] in rows
    assert ["Månad", "2026-04", "1", "2", "0", "0", "0", "", ""] in rows


def test_bar_chart_has_labels_and_numbers_and_no_colour_dependence():
    svg = bar_chart_svg(
        "Per tema", [("Hälsa & vård", 12, 7), ("Arbete", 3, 0)], ("Anmälda", "Närvarande"), "c1"
    )
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert '<title id="c1-title">Per tema</title>' in svg
    assert "Hälsa &amp; vård" in svg  # escaped
    for number in (">12<", ">7<", ">3<", ">0<"):
        assert number in svg
    assert "pattern" in svg  # attended bars are hatched, not a different hue
    assert "style=" not in svg  # nothing the strict CSP would block


def test_load_facts_reads_the_database_by_scope_and_dates(app):
    org_a, org_b = make_organisation(), make_organisation()
    theme = make_theme(slug="halsa")
    past_start = utcnow().replace(microsecond=0) + timedelta(days=3)
    a_event = make_event(organisation=org_a, themes=[theme], start_dt=past_start, capacity=1)
    b_event = make_event(organisation=org_b, start_dt=past_start)
    draft = make_event(organisation=org_a, status="draft")
    with app.test_request_context():
        first = make_registration(a_event, municipality="varberg", sector="region")
        make_registration(a_event)  # waiting
        make_registration(b_event)
    first.attended_at = utcnow()
    db.session.flush()
    facts = statistics.load_facts({org_a.id})
    assert [(f.event_id, f.status, f.attended, f.themes, f.municipality) for f in facts] == [
        (a_event.id, "confirmed", True, ("halsa",), "varberg"),
        (a_event.id, "waiting", False, ("halsa",), "halmstad"),
    ]
    assert not facts[0].event_ended
    assert len(statistics.load_facts(None)) == 3
    assert statistics.load_facts(set()) == []
    local_day = past_start.astimezone(statistics.LOCAL_TZ).date()
    assert len(statistics.load_facts(None, date_from=local_day, date_to=local_day)) == 3
    assert statistics.load_facts(None, date_from=local_day + timedelta(days=1)) == []
    assert draft.id not in {f.event_id for f in statistics.load_facts(None)}


@pytest.fixture
def two_organisations(app):
    varberg = make_organisation(name="Varbergs kommun")
    hylte = make_organisation(name="Hylte kommun")
    with app.test_request_context():
        make_registration(make_event(organisation=varberg, capacity=5), municipality="varberg")
        make_registration(make_event(organisation=hylte, capacity=5), municipality="hylte")
        make_registration(make_event(organisation=hylte, capacity=5), municipality="hylte")
    organiser = make_user(organisations=[varberg])
    admin = make_user(is_admin=True)
    db.session.commit()
    return varberg, hylte, organiser, admin


def test_statistics_page_for_an_organiser_shows_their_figures_only(client, two_organisations):
    varberg, hylte, organiser, _admin = two_organisations
    log_in(client, organiser)
    html = client.get("/arrangor/statistik?lang=en").get_data(as_text=True)
    assert "<svg" in html
    assert "<table>" in html
    assert "<dt>Registered</dt><dd>1</dd>" in html
    assert client.get(f"/arrangor/statistik?organisation={hylte.id}").status_code == 403
    assert client.get(f"/arrangor/statistik.csv?organisation={hylte.id}").status_code == 403
    assert client.get("/arrangor/statistik?organisation=x").status_code == 400
    response = client.get(f"/arrangor/statistik.csv?organisation={varberg.id}&lang=en")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")


def test_statistics_page_for_an_admin_covers_all(client, two_organisations):
    _varberg, hylte, _organiser, admin = two_organisations
    log_in(client, admin)
    html = client.get("/arrangor/statistik?lang=en").get_data(as_text=True)
    assert "<dt>Registered</dt><dd>3</dd>" in html
    html = client.get(f"/arrangor/statistik?organisation={hylte.id}&lang=en").get_data(as_text=True)
    assert "<dt>Registered</dt><dd>2</dd>" in html
    response = client.get("/arrangor/statistik?fran=2030-02-01&till=2030-01-01&lang=en")
    assert response.status_code == 400
    assert 'href="#till"' in response.get_data(as_text=True)
    assert client.get("/arrangor/statistik.csv?fran=inte-ett-datum").status_code == 400
