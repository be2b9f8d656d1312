"""The index of public series (/serier/) and the event list's series filter (?serie=): which
series are listed and in what order, what each entry says, escaping, both languages, the
filter on the list, its archive, feed and API, wrong ids, caching and query counts."""

import json
import re
from datetime import datetime, timedelta

import pytest
from flask_babel import format_date
from icalendar import Calendar
from markupsafe import escape

from eventreg.extensions import db
from eventreg.models import utcnow
from eventreg.templating import DATE_FORMAT
from tests.factories import make_event, make_organisation, make_series
from tests.test_page_cache import counting_queries
from tests.test_series import _empty_feed_cache, soon  # noqa: F401 - an autouse fixture

SCRIPT = "<script>alert(1)</script>"
ATTRIBUTE = '" onmouseover="alert(1)'


def series_url(series) -> str:
    return f"/serier/{series.public_id}/{series.slug}"


def titles_in(html: str) -> list[str]:
    """Event titles in the order the event list shows them."""
    return re.findall(
        r'class="event-card-title">\s*<a href="[^"]+">(?:<span[^>]*>[^<]*</span> )?([^<]+)</a>',
        html,
    )


def index_entries(html: str) -> list[str]:
    """The series' names on the index, in order, with the section each is in."""
    entries = []
    for section in re.findall(r'<section aria-labelledby="(series-[a-z]+)">(.*?)</section>',
                              html, re.S):  # fmt: skip
        name, body = section
        entries += [(name, title) for title in re.findall(r"<h3><a [^>]*>([^<]+)</a></h3>", body)]
    return entries


@pytest.fixture
def series_world():
    """Four public series (two coming, two over), one of drafts only, one without events."""
    region = make_organisation(name="Region Halland", slug="region")
    varberg = make_organisation(name="Varbergs kommun", slug="varberg")
    later = make_series(region, title="Alfa: föreläsningar i vår")
    sooner = make_series(varberg, title="Öppna samtal om hälsa")
    over_b = make_series(region, title="Bokcirkel förra året")
    over_a = make_series(varberg, title="Arbetsmarknadsdagar")
    drafts = make_series(region, title="Hemlig planering")
    empty = make_series(region, title="Tom serie")
    make_event(organisation=region, series=later, title="Alfa del 1", start_dt=soon(10))
    make_event(organisation=region, series=later, title="Alfa del 2", start_dt=soon(20))
    make_event(organisation=region, series=later, title="Alfa del 3", start_dt=soon(30))
    # Not coming: a cancelled part (sooner than the rest), a draft, a part that is over.
    make_event(organisation=region, series=later, title="Alfa inställd", start_dt=soon(2),
               status="cancelled")  # fmt: skip
    make_event(organisation=region, series=later, title="Alfa utkast", start_dt=soon(1),
               status="draft")  # fmt: skip
    make_event(organisation=region, series=later, title="Alfa del 0", start_dt=soon(-10))
    make_event(organisation=varberg, series=sooner, title="Samtal 1", start_dt=soon(3))
    make_event(organisation=region, series=over_b, title="Bokcirkel", start_dt=soon(-40))
    make_event(organisation=varberg, series=over_a, title="Arbetsmarknadsdag", start_dt=soon(-5))
    make_event(organisation=region, series=drafts, title="Utkast 1", start_dt=soon(5),
               status="draft")  # fmt: skip
    outside = make_event(organisation=region, title="Fristående seminarium", start_dt=soon(4))
    db.session.commit()
    return {"later": later, "sooner": sooner, "over_a": over_a, "over_b": over_b,
            "drafts": drafts, "empty": empty, "outside": outside}  # fmt: skip


# --- the index ------------------------------------------------------------------------


def test_the_index_of_series_answers(client, series_world):
    response = client.get("/serier/")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert client.get("/serier").status_code in (301, 308)  # to the index, not a 404


def test_the_index_lists_public_series_only_coming_first(client, series_world):
    html = client.get("/serier/").get_data(as_text=True)
    assert index_entries(html) == [
        ("series-coming", "Öppna samtal om hälsa"),  # the next part in 3 days
        ("series-coming", "Alfa: föreläsningar i vår"),  # in 10 days
        ("series-earlier", "Arbetsmarknadsdagar"),  # then the latest first: 5 days ago
        ("series-earlier", "Bokcirkel förra året"),  # 40 days ago
    ]
    for hidden in ("Hemlig planering", "Tom serie", "Utkast 1", "Alfa utkast"):
        assert hidden not in html


def noon(days: int) -> datetime:
    """Noon UTC `days` from today: the same date in Stockholm, whatever the hour now."""
    return utcnow().replace(hour=12, minute=0, second=0, microsecond=0) + timedelta(days=days)


def test_earlier_series_come_by_their_last_event_the_latest_first(app, client):
    organisation = make_organisation(name="Region Halland", slug="region")
    held = {"Ankor och änder": 300, "Bokcirkel": 2, "Cykelkurs": 30, "Dansafton": 30,
            "Eldsjälar": 90}  # title: days since its last event  # fmt: skip
    series = {}
    for title, days_ago in held.items():
        series[title] = make_series(organisation, title=title)
        make_event(organisation=organisation, series=series[title], start_dt=noon(-days_ago - 100))
        make_event(organisation=organisation, series=series[title], start_dt=noon(-days_ago))
    # Later parts that were not held: cancelled (past and coming) and a draft.
    for days, status in ((-1, "cancelled"), (9, "cancelled"), (-1, "draft")):
        make_event(organisation=organisation, series=series["Eldsjälar"], start_dt=noon(days),
                   status=status)  # fmt: skip
    # A series with only a cancelled part is public, but none of it was held: it comes last.
    cancelled = make_series(organisation, title="Aaa inställt")
    make_event(organisation=organisation, series=cancelled, start_dt=noon(-3), status="cancelled")
    coming = make_series(organisation, title="Öppet hus")
    make_event(organisation=organisation, series=coming, start_dt=noon(-1))
    make_event(organisation=organisation, series=coming, start_dt=noon(6))
    db.session.commit()
    html = client.get("/serier/?lang=en").get_data(as_text=True)
    assert index_entries(html) == [
        ("series-coming", "Öppet hus"),
        ("series-earlier", "Bokcirkel"),  # 2 days ago
        ("series-earlier", "Cykelkurs"),  # 30 days ago, and by title among equals
        ("series-earlier", "Dansafton"),  # 30 days ago
        ("series-earlier", "Eldsjälar"),  # 90 days ago: its later parts were not held
        ("series-earlier", "Ankor och änder"),  # 300 days ago
        ("series-earlier", "Aaa inställt"),  # none held
    ]
    for title, days_ago in held.items():
        entry = re.search(rf"<h3><a [^>]*>{title}</a></h3>(.*?)</li>", html, re.S).group(1)
        moment = re.search(r'Last event: <time datetime="([^"]+)">([^<]+)</time>', entry)
        assert datetime.fromisoformat(moment.group(1)) == noon(-days_ago), title
        with app.test_request_context("/?lang=en"):
            assert moment.group(2) == format_date(noon(-days_ago), DATE_FORMAT), title
    for title in ("Aaa inställt", "Öppet hus"):
        entry = re.search(rf"<h3><a [^>]*>{title}</a></h3>(.*?)</li>", html, re.S).group(1)
        assert "Last event" not in entry, title


def test_an_entry_names_the_organisation_counts_coming_events_and_dates_the_next(
    app, client, series_world
):
    later = series_world["later"]
    html = client.get("/serier/?lang=en").get_data(as_text=True)
    entry = re.search(r"<li>\s*<h3><a [^>]*>Alfa: föreläsningar i vår</a></h3>(.*?)</li>",
                      html, re.S).group(1)  # fmt: skip
    # Three published parts to come; the cancelled, the draft and the past one do not count.
    assert "3 upcoming events" in entry
    assert 'A series of events by <span lang="sv">Region Halland</span>.' in entry
    next_part = next(event for event in later.events if event.title == "Alfa del 1")
    moment = re.search(r'Next event: <time datetime="([^"]+)">([^<]+)</time>', entry)
    assert datetime.fromisoformat(moment.group(1)) == next_part.start_dt
    with app.test_request_context("/?lang=en"):
        assert moment.group(2) == format_date(next_part.start_dt, DATE_FORMAT)
    sooner = re.search(r"<h3><a [^>]*>Öppna samtal om hälsa</a></h3>(.*?)</li>", html, re.S)
    assert "1 upcoming event<" in sooner.group(1)
    over = re.search(r"<h3><a [^>]*>Arbetsmarknadsdagar</a></h3>(.*?)</li>", html, re.S)
    assert "No upcoming events." in over.group(1)
    assert "Next event" not in over.group(1)


def test_each_entry_links_to_its_series_page_and_the_page_back(client, series_world):
    html = client.get("/serier/").get_data(as_text=True)
    links = re.findall(r'<h3><a href="([^"]+)"[^>]*>', html)
    shown = [series_world[name] for name in ("sooner", "later", "over_a", "over_b")]
    assert links == [series_url(series) for series in shown]
    for link in links:
        page = client.get(link)
        assert page.status_code == 200, link
        text = page.get_data(as_text=True)
        assert re.search(r'class="breadcrumbs".*?<a href="/serier/">Serier</a>', text, re.S)
        assert re.search(r'<p><a href="/serier/">[^<]+</a></p>\s*</main>', text), link


def test_the_index_is_in_the_sitemap(client, series_world):
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert "<loc>http://localhost/serier/</loc>" in sitemap


def test_an_index_without_public_series_says_so(client):
    series = make_series()
    make_event(organisation=series.organisation, series=series, status="draft")
    db.session.commit()
    html = client.get("/serier/?lang=en").get_data(as_text=True)
    assert "No series yet." in html
    assert series.title not in html


def test_names_that_would_run_a_script_or_break_an_attribute_are_escaped(client):
    hostile = make_organisation(name=f"Org {SCRIPT}", slug="elak")
    for number, payload in enumerate((SCRIPT, ATTRIBUTE)):
        series = make_series(hostile, title=f"Serie {payload}", slug=f"serie-{number}")
        make_event(organisation=hostile, series=series, title=f"Del {number}")
    db.session.commit()
    chosen = series.public_id  # the one with the attribute-breaking name
    pages = ["/serier/", "/serier/?lang=en", "/evenemang/", "/evenemang/?lang=en",
             f"/evenemang/?serie={chosen}", f"/evenemang/?serie={chosen}&lang=en"]  # fmt: skip
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert SCRIPT not in html, path
        assert ATTRIBUTE not in html, path
        assert str(escape(f"Serie {ATTRIBUTE}")) in html, path
    index = client.get("/serier/?lang=sv").get_data(as_text=True)
    assert str(escape(f"Serie {SCRIPT}")) in index
    assert str(escape(f"Org {SCRIPT}")) in index
    chip = client.get(f"/evenemang/?serie={chosen}&lang=sv").get_data(as_text=True)
    shown = re.escape(str(escape(f"Serie {ATTRIBUTE}")))
    assert re.search(r'<a class="chip"[^>]*>.*?Serie: ' + shown, chip, re.S)


def test_the_index_in_english_is_english_throughout(client, series_world):
    html = client.get("/serier/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "<title>Event series –" in html
    assert "<h1>Event series</h1>" in html
    for english in ("Some events belong together", "Series with upcoming events",
                    "Earlier series", "upcoming event", "Next event:", "No upcoming events.",
                    "A series of events by"):  # fmt: skip
        assert english in html, english
    # Swedish only where the text is the organisers' own, and marked so.
    for swedish in ("Serier med kommande", "Tidigare serier", "Nästa evenemang",
                    "kommande evenemang", "En serie evenemang av", "Inga kommande", "Alla serier",
                    "En del evenemang"):  # fmt: skip
        assert swedish not in html, swedish
    assert re.search(r'<h3><a href="[^"]+" lang="sv">Öppna samtal om hälsa</a></h3>', html)
    page = client.get(series_url(series_world["sooner"]) + "?lang=en").get_data(as_text=True)
    assert '<a href="/serier/">All series</a>' in page
    assert '<a href="/serier/">Event series</a>' in page  # the breadcrumb


def test_the_index_in_swedish(client, series_world):
    html = client.get("/serier/").get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert "<h1>Serier</h1>" in html
    texts = ("En del evenemang hör ihop", "Serier med kommande evenemang", "Tidigare serier",
             "3 kommande evenemang", "Nästa evenemang: <time", "Inga kommande evenemang.",
             "En serie evenemang av Region Halland.")  # fmt: skip
    for swedish in texts:
        assert swedish in html, swedish
    assert 'lang="sv"' not in html.split("<main", 1)[1]  # nothing to mark on a Swedish page
    page = client.get(series_url(series_world["sooner"])).get_data(as_text=True)
    assert '<a href="/serier/">Alla serier</a>' in page
    listing = client.get("/evenemang/").get_data(as_text=True)
    assert '<option selected value="">Alla serier</option>' in listing  # none chosen


def test_the_index_is_cached_and_sees_changes_at_once(client, series_world):
    first = client.get("/serier/")
    again = client.get("/serier/", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    sooner = series_world["sooner"]
    sooner.title = "Samtal om hälsa, nytt namn"
    for event in sooner.events:
        event.status = "cancelled"
    db.session.commit()
    changed = client.get("/serier/", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    entries = index_entries(changed.get_data(as_text=True))
    # Its only coming part is cancelled: the series is still public, but has nothing to come.
    assert ("series-earlier", "Samtal om hälsa, nytt namn") in entries
    assert ("series-coming", "Alfa: föreläsningar i vår") == entries[0]


# --- the event list's filter -----------------------------------------------------------


def test_the_list_filters_by_series(client, series_world):
    later = series_world["later"]
    html = client.get(f"/evenemang/?serie={later.public_id}").get_data(as_text=True)
    assert titles_in(html) == ["Alfa inställd", "Alfa del 1", "Alfa del 2", "Alfa del 3"]
    archive = client.get(f"/evenemang/arkiv?serie={later.public_id}").get_data(as_text=True)
    assert titles_in(archive) == ["Alfa del 0"]
    everything = titles_in(client.get("/evenemang/").get_data(as_text=True))
    assert {"Samtal 1", "Fristående seminarium", "Alfa del 1"} <= set(everything)


def test_the_series_select_offers_the_public_series_and_keeps_the_choice(client, series_world):
    later = series_world["later"]
    html = client.get(f"/evenemang/?serie={later.public_id}").get_data(as_text=True)
    select = re.search(r'<label for="serie">Serie</label>\s*<select id="serie" name="serie">'
                       r"(.*?)</select>", html, re.S).group(1)  # fmt: skip
    options = re.findall(r"<option ([^>]*)>([^<]*)</option>", select)
    assert [label for _attrs, label in options][1:] == [
        "Alfa: föreläsningar i vår", "Arbetsmarknadsdagar", "Bokcirkel förra året",
        "Öppna samtal om hälsa",
    ]  # fmt: skip
    assert options[0][0] == 'value=""'  # every series
    chosen = [attrs for attrs, _label in options if "selected" in attrs]
    assert chosen == [f'selected value="{later.public_id}"']
    # The choice is an active filter whose link leaves it out.
    assert re.search(r'<a class="chip" href="/evenemang/">.*?Serie: Alfa: föreläsningar i vår',
                     html, re.S)  # fmt: skip
    # In English the Swedish names are marked as Swedish, the chip's too.
    english = client.get(f"/evenemang/?serie={later.public_id}&lang=en").get_data(as_text=True)
    assert f'<option lang="sv" selected value="{later.public_id}">' in english
    assert '<option selected value="">All series</option>' not in english
    assert '<option value="">All series</option>' in english
    assert re.search(r'Series: <span lang="sv">Alfa: föreläsningar i vår</span>', english)


def test_no_series_select_without_public_series(client):
    series = make_series()
    make_event(organisation=series.organisation, series=series, status="draft")
    make_event()
    db.session.commit()
    assert 'name="serie"' not in client.get("/evenemang/").get_data(as_text=True)


def test_pagination_and_the_list_feed_keep_the_series(app, client, series_world):
    later = series_world["later"]
    per_page, app.config["EVENTS_PER_PAGE"] = app.config["EVENTS_PER_PAGE"], 1
    try:
        html = client.get(f"/evenemang/?serie={later.public_id}").get_data(as_text=True)
        second = client.get(f"/evenemang/?serie={later.public_id}&sida=2")
    finally:
        app.config["EVENTS_PER_PAGE"] = per_page
    next_link = re.search(r'href="([^"]*)" rel="next"', html).group(1)
    assert f"serie={later.public_id}" in next_link
    assert "sida=2" in next_link
    assert titles_in(second.get_data(as_text=True)) == ["Alfa del 1"]
    assert f"/kalender/evenemang.ics?serie={later.public_id}" in html


def test_the_list_feed_and_the_api_filter_by_the_same_parameter(client, series_world):
    later = series_world["later"]
    feed = client.get(f"/kalender/evenemang.ics?serie={later.public_id}")
    assert feed.status_code == 200
    summaries = {str(e["summary"]) for e in Calendar.from_ical(feed.data).walk("VEVENT")}
    assert {"Alfa del 1", "Alfa del 3", "Alfa del 0"} <= summaries
    assert not {"Samtal 1", "Fristående seminarium", "Alfa utkast"} & summaries
    api = client.get(f"/api/v1/events?serie={later.public_id}").get_json()
    assert [e["name"] for e in api["items"]] == [
        "Alfa inställd", "Alfa del 1", "Alfa del 2", "Alfa del 3",
    ]  # fmt: skip


def test_the_api_documents_its_series_parameter_once_with_its_pattern(client):
    document = client.get("/api/v1/openapi.json").get_json()
    parameters = document["paths"]["/api/v1/events"]["get"]["parameters"]
    (serie,) = [p for p in parameters if p["name"] == "serie"]
    assert '"pattern": "^[A-Za-z0-9_-]{1,32}$"' in json.dumps(serie["schema"])


@pytest.mark.parametrize("which", ["unknown", "drafts only", "no events"])
def test_a_series_that_is_not_public_is_a_wrong_filter_value(client, series_world, which):
    value = {"unknown": "finns-inte", "drafts only": series_world["drafts"].public_id,
             "no events": series_world["empty"].public_id}[which]  # fmt: skip
    response = client.get(f"/evenemang/?serie={value}&lang=en")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert '<a href="#serie">Series: Not a valid choice.</a>' in html
    assert 'id="serie-error"' in html
    assert 'aria-describedby="serie-error"' in html
    assert titles_in(html) == []
    feed = client.get(f"/kalender/evenemang.ics?serie={value}&lang=en")
    assert feed.status_code == 400
    assert "- Series: Not a valid choice." in feed.get_data(as_text=True)
    api = client.get(f"/api/v1/events?serie={value}")
    assert api.status_code == 400
    assert "serie" in api.get_json()["details"]


def test_odd_series_values_never_fail(client, series_world):
    assert client.get("/evenemang/?serie=").status_code == 200  # empty: every series
    for value in ("a%00b", "%3Cscript%3E", "x" * 500, "1%20OR%201=1", "%C3%A5%C3%A4"):
        assert client.get(f"/evenemang/?serie={value}").status_code == 400, value
        assert client.get(f"/evenemang/arkiv?serie={value}").status_code == 400, value
    later = series_world["later"].public_id
    both = client.get(f"/evenemang/?serie={later}&serie=finns-inte")
    assert both.status_code == 200  # one series only: the first is taken
    assert titles_in(both.get_data(as_text=True)) == [
        "Alfa inställd", "Alfa del 1", "Alfa del 2", "Alfa del 3",
    ]  # fmt: skip


# --- cost -----------------------------------------------------------------------------


def _query_counts(app, client, paths) -> dict[str, int]:
    """Queries per page, rendered without the page cache."""
    seconds, app.config["PAGE_CACHE_SECONDS"] = app.config["PAGE_CACHE_SECONDS"], 0
    counts = {}
    try:
        for path in paths:
            with counting_queries() as queries:
                assert client.get(path).status_code == 200, path
            # The page's own queries: the data version is read by the cache layer (and only
            # when its copy of the token is older than a moment).
            counts[path] = len([query for query in queries if "data_version" not in query])
    finally:
        app.config["PAGE_CACHE_SECONDS"] = seconds
    return counts


def _add_series(number: int) -> None:
    for _ in range(number):
        organisation = make_organisation()
        series = make_series(organisation)
        make_event(organisation=organisation, series=series, start_dt=soon(5))
        make_event(organisation=organisation, series=series, start_dt=soon(-5))
    db.session.commit()


def test_the_index_and_the_list_cost_the_same_queries_for_2_and_10_series(app, client):
    first = make_series(make_organisation())
    make_event(organisation=first.organisation, series=first)
    _add_series(1)
    paths = ["/serier/", "/serier/?lang=en", "/evenemang/", f"/evenemang/?serie={first.public_id}",
             "/evenemang/arkiv"]  # fmt: skip
    two = _query_counts(app, client, paths)
    _add_series(8)
    ten = _query_counts(app, client, paths)
    assert two == ten
    assert all(count <= 20 for count in ten.values()), ten
    assert ten["/serier/"] == 2, ten  # the series with their counts, then their organisations
