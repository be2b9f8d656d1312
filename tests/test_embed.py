"""The embeddable event list (issue 14): /inbaddning/evenemang for other sites' iframes,
without JavaScript; bad parameters answered 400 with a message, never 500; framing allowed
only for the origins administrators list (Content-Security-Policy frame-ancestors), every
other page still refusing to be framed. Also sitemap.xml and robots.txt."""

import re
from datetime import timedelta
from xml.etree import ElementTree

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eventreg.extensions import db
from eventreg.models import EmbedOrigin, utcnow
from eventreg.services import catalogue
from tests.factories import make_event, make_organisation, make_theme

URL = "/inbaddning/evenemang"


def frame_ancestors(response) -> str:
    policy = response.headers["Content-Security-Policy"]
    (directive,) = [d.strip() for d in policy.split(";") if d.strip().startswith("frame-ancestors")]
    return directive.removeprefix("frame-ancestors ").strip()


def allow(organisation, *origins) -> None:
    for origin in origins:
        db.session.add(EmbedOrigin(organisation=organisation, origin=origin))
    db.session.flush()


def items(html: str) -> list[str]:
    return re.findall(r'<li class="embed-event[^"]*">(.*?)</li>', html, re.S)


# --- What the list shows ---


def test_list_shows_title_date_place_status_and_links_into_the_top_window(client):
    theme = make_theme(slug="sprak", name_sv="Språk")
    event = make_event(title="Språkcafé för handläggare", themes=[theme], municipality="varberg",
                       venue_name="Komedianten", capacity=30)  # fmt: skip
    db.session.commit()
    response = client.get(f"{URL}?tema=sprak")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    (item,) = items(html)
    assert "Språkcafé för handläggare" in item
    assert f'href="/evenemang/{event.public_id}/{event.slug}" target="_top"' in item
    assert "Komedianten, Varberg" in item
    assert f'<time datetime="{event.start_dt.isoformat()}">' in item
    assert "30 platser kvar" in item
    assert "<h1>Kommande evenemang: Språk</h1>" in html
    assert 'href="/evenemang/?tema=sprak" target="_top"' in html
    assert "<script" in html and 'src="/static/js/embed-frame.js"' in html  # noqa: PT018
    assert "site-header" not in html  # the page alone, without the site's header and footer
    assert 'name="robots" content="noindex"' in html


def test_filters_count_and_no_drafts_or_past_events(client):
    org = make_organisation(slug="halmstad-kommun", name="Halmstads kommun")
    for day in range(1, 9):
        make_event(title=f"Evenemang {day}", organisation=org, municipality="halmstad",
                   start_dt=utcnow() + timedelta(days=day))  # fmt: skip
    make_event(title="Utkast", organisation=org, status="draft")
    make_event(title="Förbi", organisation=org, start_dt=utcnow() - timedelta(days=3))
    make_event(title="Annan kommun", organisation=org, municipality="laholm")
    db.session.commit()
    html = client.get(f"{URL}?arrangor=halmstad-kommun&kommun=halmstad&antal=3").get_data(
        as_text=True
    )
    assert [re.search(r"Evenemang \d", item).group(0) for item in items(html)] == [
        "Evenemang 1", "Evenemang 2", "Evenemang 3",
    ]  # fmt: skip
    default = client.get(f"{URL}?arrangor=halmstad-kommun").get_data(as_text=True)
    assert len(items(default)) == 5
    assert "Utkast" not in default
    assert "Förbi" not in default


def test_count_is_capped(client, app):
    for day in range(1, 8):
        make_event(start_dt=utcnow() + timedelta(days=day))
    db.session.commit()
    app.config["EMBED_MAX_EVENTS"] = 4
    try:
        response = client.get(f"{URL}?antal=1000000000000000000000000")
    finally:
        app.config["EMBED_MAX_EVENTS"] = 20
    assert response.status_code == 200
    assert len(items(response.get_data(as_text=True))) == 4


def test_cancelled_event_says_so(client):
    make_event(title="Föreläsning", status="cancelled")
    db.session.commit()
    (item,) = items(client.get(URL).get_data(as_text=True))
    assert '<span class="tag-cancelled">Inställt</span>' in item


def test_heading_can_be_hidden_but_stays_for_screen_readers(client):
    html = client.get(f"{URL}?kommun=hylte&rubrik=0").get_data(as_text=True)
    assert '<h1 class="visually-hidden">Kommande evenemang: Hylte</h1>' in html
    default = client.get(URL).get_data(as_text=True)
    assert re.search(r"<h1>Kommande evenemang – [^<]+</h1>", default)


def test_english_list_links_to_english_pages_and_sets_no_cookie(client):
    event = make_event(title="Seminarium")
    db.session.commit()
    response = client.get(f"{URL}?lang=en")
    html = response.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert f'href="/evenemang/{event.public_id}/{event.slug}?lang=en" target="_top"' in html
    assert '<span lang="sv">Seminarium</span>' in html  # the event's own language
    assert "Set-Cookie" not in response.headers


def test_empty_list_says_so(client):
    html = client.get(URL).get_data(as_text=True)
    assert "Det finns inga kommande evenemang att visa just nu." in html


def test_cacheable_for_a_while(client):
    response = client.get(URL)
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert "Cookie" in response.headers["Vary"]


# --- Bad parameters: 400 with a message, never 500 ---


def test_nul_in_a_parameter_is_400(client):
    assert client.get(f"{URL}?tema=%00").status_code == 400


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("tema=finns-inte", "tema"),
        ("kommun=paris", "kommun"),
        ("arrangor=okand", "arrangor"),
        ("antal=fem", "antal"),
        ("antal=0", "antal"),
        ("antal=-3", "antal"),
        ("antal=1.5", "antal"),
        ("lang=de", "lang"),
        ("rubrik=kanske", "rubrik"),
    ],
)
def test_bad_parameter_is_400_naming_it(client, query, parameter):
    response = client.get(f"{URL}?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert f"<code>{parameter}</code>" in html
    assert html.count("<li>") == 1, html  # one clear message, not two for one mistake
    assert frame_ancestors(response) == "'self'"


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["tema", "kommun", "arrangor", "antal", "lang", "rubrik", "x", "sida"]),
            st.one_of(
                st.text(max_size=30),
                st.integers(min_value=-(10**30), max_value=10**30).map(str),
                st.sampled_from(["sprak", "varberg", "org-fuzz", "en", "0", "1", ""]),
            ),
        ),
        max_size=6,
    )
)
def test_fuzzed_parameters_never_give_a_server_error(client, params):
    if catalogue.get_theme_by_slug("sprak") is None:  # hypothesis runs in one test's tables
        theme = make_theme(slug="sprak")
        make_event(themes=[theme], organisation=make_organisation(slug="org-fuzz"))
        db.session.commit()
    response = client.get(URL, query_string=params)
    assert response.status_code in (200, 400), response.status_code
    assert "frame-ancestors" in response.headers["Content-Security-Policy"]


# --- Who may frame it ---


def test_nobody_may_frame_it_until_an_administrator_lists_a_site(client):
    response = client.get(URL)
    assert frame_ancestors(response) == "'self'"
    assert response.headers["X-Frame-Options"] == "SAMEORIGIN"


def test_every_organisations_sites_may_frame_the_whole_list(client):
    allow(make_organisation(slug="varberg"), "https://www.varberg.se", "https://intra.varberg.se")
    allow(make_organisation(slug="hylte"), "https://www.hylte.se", "https://www.varberg.se")
    db.session.commit()
    response = client.get(URL)
    assert frame_ancestors(response) == (
        "'self' https://intra.varberg.se https://www.hylte.se https://www.varberg.se"
    )
    assert "X-Frame-Options" not in response.headers
    # The rest of the policy is the site's usual one.
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]


def test_a_list_of_one_organisations_events_only_its_own_sites(client):
    allow(make_organisation(slug="varberg"), "https://www.varberg.se")
    allow(make_organisation(slug="hylte"), "https://www.hylte.se")
    make_organisation(slug="utan")
    db.session.commit()
    assert frame_ancestors(client.get(f"{URL}?arrangor=hylte")) == "'self' https://www.hylte.se"
    both = client.get(f"{URL}?arrangor=hylte&arrangor=varberg")
    assert frame_ancestors(both) == "'self' https://www.hylte.se https://www.varberg.se"
    assert frame_ancestors(client.get(f"{URL}?arrangor=utan")) == "'self'"


@pytest.mark.parametrize(
    "path", ["/", "/evenemang/", "/teman/", "/kalender/evenemang.atom", "/arrangor/logga-in"]
)
def test_every_other_page_still_refuses_to_be_framed(client, path):
    allow(make_organisation(), "https://www.varberg.se")
    db.session.commit()
    response = client.get(path)
    assert frame_ancestors(response) == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_the_sizing_scripts_are_served(client):
    for name in ("embed.js", "embed-frame.js"):
        response = client.get(f"/static/js/{name}")
        assert response.status_code == 200
        assert "eventreg-embed-height" in response.get_data(as_text=True)
        response.close()


# --- sitemap.xml and robots.txt ---

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


def test_sitemap_lists_public_pages_and_events_but_no_drafts(client):
    theme = make_theme(slug="sprak")
    event = make_event(title="Öppet seminarium")
    past = make_event(title="Förra året", start_dt=utcnow() - timedelta(days=300))
    cancelled = make_event(title="Inställt", status="cancelled")
    draft = make_event(title="Utkast", status="draft")
    db.session.commit()
    response = client.get("/sitemap.xml")
    assert response.status_code == 200
    assert response.mimetype == "application/xml"
    root = ElementTree.fromstring(response.data)
    entries = {url.find(f"{SM}loc").text: url for url in root.iter(f"{SM}url")}
    locations = set(entries)
    for path in ("/", "/teman/", "/serier/", "/evenemang/", "/evenemang/arkiv", "/tillganglighet",
                 "/personuppgifter", f"/teman/{theme.slug}"):  # fmt: skip
        assert f"http://localhost{path}" in locations
    for shown in (event, past, cancelled):
        location = f"http://localhost/evenemang/{shown.public_id}/{shown.slug}"
        assert location in locations
        lastmod = entries[location].find(f"{SM}lastmod").text
        assert lastmod == shown.updated_at.date().isoformat()
    assert not any(draft.public_id in location for location in locations)
    assert not any(
        part in location
        for location in locations
        for part in ("/arrangor/", "/admin/", "/anmalan/", "/kalender/", "/inbaddning/")
    )
    alternates = entries["http://localhost/teman/"].findall("{http://www.w3.org/1999/xhtml}link")
    assert {(a.get("hreflang"), a.get("href")) for a in alternates} == {
        ("sv", "http://localhost/teman/"),
        ("en", "http://localhost/teman/?lang=en"),
    }


def test_sitemap_uses_the_configured_address(client, app):
    app.config["BASE_URL"] = "https://seminarier.example.se"
    try:
        response = client.get("/sitemap.xml", base_url="https://seminarier.example.se")
        robots = client.get("/robots.txt", base_url="https://seminarier.example.se")
    finally:
        app.config["BASE_URL"] = None
    assert b"<loc>https://seminarier.example.se/</loc>" in response.data
    assert "Sitemap: https://seminarier.example.se/sitemap.xml" in robots.get_data(as_text=True)


def test_robots_keeps_crawlers_out_of_private_areas_links_and_feeds(client):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    lines = response.get_data(as_text=True).splitlines()
    assert lines[0] == "User-agent: *"
    disallowed = {line.removeprefix("Disallow: ") for line in lines if line.startswith("Disallow")}
    assert {"/arrangor/", "/admin/", "/anmalan/", "/kalender/"} <= disallowed
    assert "/" not in disallowed
    assert "/evenemang/" not in disallowed
    assert "Sitemap: http://localhost/sitemap.xml" in lines
    # The paths really are where those areas live.
    assert client.get("/arrangor/").status_code in (302, 401)
    assert client.get("/kalender/evenemang.ics").status_code == 200
