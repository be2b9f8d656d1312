"""No input gives a server error on the public side.

Every GET route of the public blueprints is found in `app.url_map` (a route added later is
walked too), and requested with real and hostile path values, hostile query strings and
garbage in the conditional-request headers. Each answer must be a deliberate one (a page,
a redirect, 304, 400 or 404, never 500), and every HTML answer must be one of the site's
own pages. A Hypothesis test then throws generated query strings at the same routes.

On PostgreSQL (EVENTREG_TEST_DATABASE_URL) this also proves that a NUL character, which
PostgreSQL refuses in a query, never reaches the database.
"""

import itertools
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventreg.extensions import db
from eventreg.models import EventSeries, utcnow
from eventreg.services.materials import MaterialData, Upload, add_material
from tests.factories import make_event, make_organisation, make_theme

PUBLIC_BLUEPRINTS = ("catalogue", "feeds")
EXPECTED_STATUSES = {200, 301, 304, 400, 404}

# Path values that name something real, by variable name. A route added later with a
# variable of another name fails `test_every_public_route_shows_a_page_for_real_values`
# until a real value for it is added here (filled in by the `world` fixture).
REAL_VALUE_SOURCES = {
    "slug": ("theme.slug", "organisation.slug", "event.slug", "series.slug"),
    "public_id": ("event.public_id", "past.public_id", "cancelled.public_id", "draft.public_id",
                  "series.public_id"),
    "code": ("municipality",),
    "material_id": ("material.id",),
}

# Hostile values as they appear in a URL (already percent-encoded where they need to be,
# so invalid UTF-8 and NUL reach the application as a client would send them).
HOSTILE_VALUES = [
    "x" * 10_000,
    "%00",
    "a%00b",
    "%01%02%09%0a%0d%1b%7f%c2%85",
    "%ff%fe",
    "%c3",
    "%ed%a0%80",  # an encoded UTF-16 surrogate
    "%25",
    "_",
    "%25_%25",
    "%27",
    "%5C",
    "%5C%25",
    "%27%3B%20DROP%20TABLE%20event%3B--",
    "%27%20OR%20%271%27%3D%271",
    "%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "%F0%9F%98%80",
    "%E2%80%AE",  # right-to-left override
    "%20",
    "+",
    "2027-02-30",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "-1",
    "0",
    "1" + "0" * 30,
    "9" * 5_000,
    "abc",
    "1e999",
    "NaN",
    "../../etc",
]
# The parameters the public pages read: the event list's filter (shared by the feeds), its
# page number and the language.
FILTER_PARAMETERS = ["q", "tema", "kommun", "format", "sprak", "arrangor", "serie", "fran", "till"]
READ_PARAMETERS = [*FILTER_PARAMETERS, "sida", "lang"]
# Then names url_for keeps for itself, names of path variables, and names nothing reads.
PARAMETERS = [
    *READ_PARAMETERS,
    "_scheme", "_external", "_anchor", "_method", "endpoint", "slug", "public_id", "code",
    "okand", "%00", "%ff%fe", "x" * 1_000,
]  # fmt: skip
# All the troubles of HOSTILE_VALUES in one value, for parameters a page only passes on.
MIXED_VALUE = "a%00%01%ff%fe%27%25_%5C%22%3E%2F..%2F"


def hostile_query_strings(real_theme: str, reads_filter: bool) -> list[str]:
    """Every parameter with hostile values, then combinations one parameter cannot show:
    repeats, date ranges, hostile text together with a valid filter.

    Every value for every parameter would be some 10,000 requests; the product is kept
    for pages that read the event filter. Elsewhere every value goes into the parameters
    that every page reads (sida is read by the lists, lang by all), and every parameter
    name gets the mixed and the very long value."""
    value_names = READ_PARAMETERS if reads_filter else ["sida", "lang"]
    queries = [f"{name}={value}" for name in value_names for value in HOSTILE_VALUES]
    queries += [f"{name}={value}" for name in PARAMETERS for value in (MIXED_VALUE, "x" * 10_000)]
    queries += [
        "",
        "&&&",
        "=",
        "q",
        "q=&q=&q=",
        "q=a&q=b&sida=2&sida=x&lang=en&lang=sv",
        "tema=" + "&tema=".join([real_theme] * 200),
        "fran=2027-03-01&till=2027-02-01",  # fran after till
        "fran=2027-02-30&till=2027-02-31",
        "fran=0001-01-01&till=9999-12-31",
        "fran=9999-12-31&till=9999-12-31",
        "fran=0001-01-01&till=0001-01-01",
        "fran=2026-01-01&fran=2026-02-01",
        f"tema={real_theme}&q=%00&sida={'9' * 30}",
        f"tema={real_theme}&kommun=halmstad&format=seminar&sprak=sv&q=%25_",
        f"tema={real_theme}&_scheme=javascript&_external=1&_anchor=x&endpoint=y&slug=z",
        "q=" + "%25" * 200,
        "q=" + "a%20" * 100,  # 100 one-letter words, each a LIKE
        "q=" + "%00" * 200,
        "lang=en&_anchor=%00&_method=DELETE",
        "%ff%fe=%ff%fe",
        "a=%zz&b=%",
        "x" * 10_000,
    ]
    return queries


HOSTILE_HEADERS = [
    {"If-None-Match": "garbage"},
    {"If-None-Match": '"'},
    {"If-None-Match": 'W/"'},
    {"If-None-Match": "*"},
    {"If-None-Match": 'W/"x", garbage, , "", W/'},
    {"If-None-Match": "x" * 10_000},
    {"If-None-Match": "\x7f\xff"},
    {"If-Modified-Since": "garbage"},
    {"If-Modified-Since": "Mon, 32 Foo 99999 25:61:61 GMT"},
    {"If-Modified-Since": "0"},
    {"If-Modified-Since": "-1"},
    {"If-Modified-Since": "9" * 40},
    {"If-Modified-Since": "Sat, 01 Jan 0001 00:00:00 GMT"},
    {"If-Modified-Since": "Fri, 31 Dec 9999 23:59:59 GMT"},
    {"If-Modified-Since": "Thu, 01 Jan 1970 00:00:00 GMT"},
    {"If-None-Match": "garbage", "If-Modified-Since": "garbage"},
    {"If-Range": "garbage", "Range": "bytes=0-0"},
    {"Range": "bytes=999999999999-"},
    {"Range": "bytes=-1"},
    {"Range": "bytes=garbage"},
    {"Range": "items=0-1"},
    {"Accept-Language": "../../etc, *;q=garbage, " + "x" * 1_000},
    {"Cookie": "lang=../../etc"},
    {"Cookie": "lang=%00; session=garbage"},
    {"Cookie": "session=" + "x" * 4_000},
]


# --- the data and the routes ---


@pytest.fixture
def world():
    """One of everything a public URL can name, and the real path values for it."""
    theme = make_theme(slug="jamlik-halsa")
    organisation = make_organisation(slug="region-halland")
    start = utcnow().replace(microsecond=0)
    event = make_event(
        title="Vård på lika villkor",
        themes=[theme],
        organisation=organisation,
        description="## Program\n\n**Viktigt** och [länk](https://example.se)",
        start_dt=start + timedelta(days=3),
    )
    past = make_event(themes=[theme], start_dt=start - timedelta(days=20))
    cancelled = make_event(status="cancelled", start_dt=start + timedelta(days=5))
    draft = make_event(status="draft")
    # A series with the upcoming event in it (its page and feeds are public routes).
    series = EventSeries(organisation=organisation, title="Föreläsningsserie",
                         slug="forelasningsserie")  # fmt: skip
    event.series = series
    # A file attached to the past event (its download is a public route).
    material = add_material(past, MaterialData("slides", "Bilder", "sv"),
                            Upload("bilder.txt", b"Bilder\n"))  # fmt: skip
    db.session.commit()
    objects = {
        "material": material,
        "theme": theme,
        "organisation": organisation,
        "event": event,
        "past": past,
        "cancelled": cancelled,
        "draft": draft,
        "series": series,
    }
    real = {}
    for variable, sources in REAL_VALUE_SOURCES.items():
        values = []
        for source in sources:
            if "." in source:
                name, attribute = source.split(".")
                values.append(str(getattr(objects[name], attribute)))
            else:
                values.append({"municipality": event.municipality}[source])
        real[variable] = values
    return real


def public_rules(app) -> list:
    return sorted(
        (
            rule
            for rule in app.url_map.iter_rules()
            if rule.endpoint.partition(".")[0] in PUBLIC_BLUEPRINTS and "GET" in rule.methods
        ),
        key=lambda rule: rule.rule,
    )


_VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def build_path(rule, values: dict[str, str]) -> str:
    """The rule's path with these (already URL-encoded) values for its variables."""
    return _VARIABLE.sub(lambda match: values[match.group(1)], rule.rule)


def real_combinations(rule, real: dict) -> list[dict[str, str]]:
    names = sorted(rule.arguments)
    choices = [[quote(value, safe="") for value in real.get(name, ["x"])] for name in names]
    return [
        dict(zip(names, combination, strict=True)) for combination in itertools.product(*choices)
    ]


@pytest.fixture
def routes(app, client, world) -> list[tuple]:
    """(rule, path values) for each public rule: values that show a page (200), else
    values it redirects (301, /evenemang/<public_id> does), else None."""
    found = []
    for rule in public_rules(app):
        by_status = {}
        for values in real_combinations(rule, world):
            with client.get(build_path(rule, values)) as response:  # a file's is open
                by_status.setdefault(response.status_code, values)
        found.append((rule, by_status.get(200, by_status.get(301))))
    return found


# --- checking one answer ---


def problem_with(client, path: str, query: str = "", headers=None, method: str = "GET"):
    """None when the answer is a deliberate one, otherwise what is wrong with it."""
    where = f"{method} {path[:120]}{'?' + query[:120] if query else ''} {headers or ''}"[:400]
    try:
        response = client.open(path, method=method, query_string=query, headers=headers or {})
    except Exception as error:  # noqa: BLE001 - the server error itself, reported below
        return f"{where}: raised {type(error).__name__}: {str(error)[:300]}"
    with response:  # a material's download holds its file open until closed
        return _problem_with_response(response, path, method, where)


def _problem_with_response(response, path: str, method: str, where: str):
    status = response.status_code
    if status not in EXPECTED_STATUSES:
        return f"{where}: status {status}"
    if status in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        if not (location.startswith("/") or location.startswith("http://localhost/")):
            return f"{where}: redirects off the site to {location[:200]!r}"
        return None
    if status == 304 or method == "HEAD":
        return None
    body = response.get_data()
    if response.mimetype == "text/html":
        html = body.decode()
        if not (
            html.lstrip().lower().startswith("<!doctype html>")
            and 'class="site-header"' in html
            and html.rstrip().endswith("</html>")
        ):
            return f"{where}: status {status}, HTML that is not one of the site's pages"
        if "Traceback" in html:
            return f"{where}: a traceback in the page"
    elif response.mimetype == "text/calendar":
        if status != 200 or not body.startswith(b"BEGIN:VCALENDAR\r\n"):
            return f"{where}: status {status}, not a calendar"
    elif response.mimetype == "application/atom+xml":
        if status != 200 or not body.startswith(b"<?xml"):
            return f"{where}: status {status}, not an Atom feed"
    elif response.mimetype == "application/xml":
        if status != 200 or b"<urlset" not in body[:200]:  # sitemap.xml
            return f"{where}: status {status}, not a sitemap"
    elif response.headers.get("Content-Disposition", "").startswith("attachment"):
        if status != 200:  # a material's file
            return f"{where}: status {status}, an attachment"
    elif response.mimetype == "text/plain":
        # The feeds' "filter not valid" answer, and robots.txt.
        if status != 400 and not (status == 200 and path == "/robots.txt"):
            return f"{where}: plain text with status {status}"
    else:
        return f"{where}: unexpected content type {response.mimetype}"
    return None


def assert_no_problems(problems: list) -> None:
    problems = [problem for problem in problems if problem]
    assert not problems, f"{len(problems)} bad answers:\n" + "\n".join(problems[:40])


# --- the walks ---


def test_every_public_route_shows_a_page_for_real_values(app, routes):
    """The walk covers the public routes (and no organiser ones), and each of them is
    reached with real values, so the hostile requests below hit real code paths."""
    endpoints = {rule.endpoint for rule, _ in routes}
    assert {"catalogue.home", "catalogue.list_events", "catalogue.show_event"} <= endpoints
    assert {"feeds.events_feed", "feeds.theme_feed", "feeds.event_feed"} <= endpoints
    assert all(endpoint.split(".")[0] in PUBLIC_BLUEPRINTS for endpoint in endpoints)
    unreached = [rule.rule for rule, values in routes if values is None]
    assert not unreached, f"add real values for these routes' variables: {unreached}"


def test_hostile_path_values_never_give_a_server_error(client, routes, world):
    problems = []
    for rule, real in routes:
        for name in sorted(rule.arguments):
            own_values = [quote(value, safe="") for value in world.get(name, [])]
            candidates = (
                own_values
                + HOSTILE_VALUES
                + [
                    value.upper() + "%00"
                    for value in own_values  # almost real
                ]
            )
            for value in candidates:
                path = build_path(rule, {**(real or {}), name: value})
                for method in ("GET", "HEAD"):
                    problems.append(problem_with(client, path, method=method))
    assert_no_problems(problems)


def test_hostile_query_strings_never_give_a_server_error(client, routes, world):
    problems = []
    filter_pages = 0
    for rule, real in routes:
        path = build_path(rule, real or {})
        # A page that answers an impossible date with 400 reads the event filter.
        with client.get(path, query_string="fran=2027-02-30") as response:
            reads_filter = response.status_code == 400
        filter_pages += reads_filter
        queries = hostile_query_strings(world["slug"][0], reads_filter)
        problems.extend(problem_with(client, path, query) for query in queries)
    assert filter_pages >= 3  # the list, the archive and the filtered feed
    assert_no_problems(problems)


def test_garbage_in_request_headers_never_gives_a_server_error(client, routes):
    problems = []
    for rule, real in routes:
        path = build_path(rule, real or {})
        with client.get(path) as first:
            first.get_data()
        # The real validators as well, mixed with garbage.
        headers = HOSTILE_HEADERS + [
            {"If-None-Match": f"{first.headers.get('ETag', '')}, garbage"},
            {
                "If-Modified-Since": first.headers.get("Last-Modified", "garbage"),
                "If-None-Match": "x",
            },
        ]
        problems.extend(problem_with(client, path, headers=h) for h in headers)
    assert_no_problems(problems)


# --- generated query strings ---

_CONTROL_AND_ODD = st.characters(
    codec="utf-8", categories=("Cc", "Cf", "Zs", "Lu", "Ll", "Nd", "Po", "Ps", "Pe", "Sm", "So")
)
_value = st.one_of(
    st.sampled_from(HOSTILE_VALUES),
    st.text(_CONTROL_AND_ODD, max_size=40).map(lambda text: quote(text, safe="")),
    st.binary(max_size=20).map(lambda raw: quote(raw, safe="")),  # any bytes, invalid UTF-8 too
    st.dates().map(lambda day: f"{day.year:04d}-{day.month:02d}-{day.day:02d}"),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
)
_name = st.one_of(
    st.sampled_from(PARAMETERS),
    st.text(_CONTROL_AND_ODD, min_size=1, max_size=10).map(lambda text: quote(text, safe="")),
)
_query = st.lists(st.tuples(_name, _value), max_size=6).map(
    lambda pairs: "&".join(f"{name}={value}" for name, value in pairs)
)


@settings(
    max_examples=150,
    derandomize=True,  # the same examples on every run: reproducible, bounded CI time
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_generated_query_strings_never_give_a_server_error(client, routes, data):
    rule, real = data.draw(st.sampled_from(routes), label="route")
    query = data.draw(_query, label="query")
    assert_no_problems([problem_with(client, build_path(rule, real or {}), query)])


# --- what the fixed inputs now do ---


def test_nul_in_the_search_is_refused_and_control_characters_separate_words(client, world):
    """PostgreSQL refuses NUL in a query: a NUL anywhere in a query string is a 400 (as in
    every form, tests/test_input_hardening.py). Other control characters in a search are
    spaces."""
    for url in ("/evenemang/?q=v%00rd", "/kalender/evenemang.ics?q=%00v%C3%A5rd"):
        assert client.get(url).status_code == 400, url
    for url in ("/evenemang/?q=v%01rd", "/evenemang/?q=%1bv%C3%A5rd%01lika%1b"):
        assert client.get(url).status_code == 200, url
    assert "Vård på lika villkor" in client.get("/evenemang/?q=%1bv%C3%A5rd%01lika").text
    feed = client.get("/kalender/evenemang.ics?q=%1bv%C3%A5rd%09lika")
    assert feed.status_code == 200
    assert b"SUMMARY:V\xc3\xa5rd p\xc3\xa5 lika villkor" in feed.data


def test_nul_in_a_path_value_is_not_found(client, world):
    for path in (
        f"/teman/{world['slug'][0]}%00",
        f"/evenemang/{world['public_id'][0]}%00",
        f"/evenemang/{world['public_id'][0]}%00/x",
        f"/kalender/tema/{world['slug'][0]}%00.ics",
        f"/kalender/arrangor/{world['slug'][1]}%00.ics",
        f"/kalender/evenemang/{world['public_id'][0]}%00.ics",
    ):
        assert client.get(path).status_code == 404, path


def test_the_extreme_dates_mean_no_limit(client, world):
    """0001-01-01 starts before UTC's year 1 and 9999-12-31 has no next day: both used to
    overflow; they now mean "from the beginning" and "with no end"."""
    for query in ("fran=0001-01-01", "till=9999-12-31", "fran=0001-01-01&till=9999-12-31"):
        response = client.get(f"/evenemang/?{query}")
        assert response.status_code == 200, query
        assert "Vård på lika villkor" in response.text
        assert client.get(f"/evenemang/arkiv?{query}").status_code == 200
        assert client.get(f"/kalender/evenemang.ics?{query}").status_code == 200
    assert "Vård på lika villkor" not in client.get("/evenemang/?fran=9999-12-31").text
    assert client.get("/evenemang/?fran=0000-01-01").status_code == 400  # no year 0


def test_a_huge_page_number_is_an_empty_page(client, world):
    response = client.get(f"/evenemang/?sida={10**30}")
    assert response.status_code == 200
    assert "Vård på lika villkor" not in response.text
    for page in ("-1", "0", "abc"):
        assert "Vård på lika villkor" in client.get(f"/evenemang/?sida={page}").text


def test_url_for_parameters_in_the_query_are_not_passed_on(app, client, world):
    """?_scheme=, ?_anchor=, ?endpoint= … and a path variable's name in the query used to
    break the language link (url_for took them as its own arguments)."""
    make_event(title="Ännu ett seminarium", themes=[make_theme(slug="arbete")])
    db.session.commit()
    per_page = app.config["EVENTS_PER_PAGE"]
    app.config["EVENTS_PER_PAGE"] = 1  # so the list has page links as well
    try:
        query = "_scheme=javascript&_external=1&_anchor=x&_method=POST&endpoint=y&slug=z&q=v"
        for path, has_slug in (
            ("/", False), ("/evenemang/", False), ("/evenemang/arkiv", False),
            (f"/teman/{world['slug'][0]}", True),
            (f"/evenemang/{world['public_id'][0]}/{world['slug'][2]}", True),
        ):  # fmt: skip
            response = client.get(f"{path}?{query}")
            assert response.status_code == 200, path
            links = re.findall(r'href="([^"]*)"', response.text)
            english = next(link for link in links if "lang=en" in link)
            assert english.startswith(path), english
            for dropped in ("javascript", "_external", "_method", "endpoint", "#"):
                assert dropped not in english, english
            if has_slug:  # the path's own slug is kept, the query's dropped
                assert "slug=" not in english, english
        listing = client.get("/evenemang/?q=&_anchor=x&endpoint=y")
        assert 'rel="next"' in listing.text
        next_link = re.search(r'href="([^"]*)" rel="next"', listing.text).group(1)
        assert "sida=2" in next_link
        assert "endpoint" not in next_link
        assert "#" not in next_link
    finally:
        app.config["EVENTS_PER_PAGE"] = per_page
