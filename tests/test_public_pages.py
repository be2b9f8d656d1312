"""The public pages over HTTP (issue 12): one date format in both languages, Swedish content
marked lang="sv" on English pages, the service's configurable name, the tags that make a
shared link preview well, and the pieces behind the browser tests (statuses, filter chips,
map links, the cancelled event page, the manage page's confirmation)."""

import re
from datetime import date, timedelta
from html import unescape

import pytest
from babel.dates import format_date
from flask import render_template
from markupsafe import escape
from werkzeug.datastructures import MultiDict

from eventreg import create_app
from eventreg.catalogue.forms import EventFilterForm, active_filters
from eventreg.extensions import db
from eventreg.models import utcnow
from eventreg.services import registrations as service
from eventreg.templating import map_url
from tests.factories import STOCKHOLM, local, make_event, make_registration, make_theme

IMG = "<img src=x onerror=alert(1)>"
BASE_URL = "https://seminarier.example.se"


def event_url(event) -> str:
    return f"/evenemang/{event.public_id}/{event.slug}"


def meta(html: str, attribute: str, name: str) -> str:
    match = re.search(rf'<meta {attribute}="{re.escape(name)}" content="([^"]*)">', html)
    assert match, f"no <meta {attribute}={name}>"
    return unescape(match[1])


@pytest.fixture
def base_url(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", BASE_URL)
    return BASE_URL


# --- 10: dates ---------------------------------------------------------------------------


def test_english_dates_are_british_with_the_weekday_like_swedish(client):
    # An upcoming 2 January that is a Saturday (the list shows upcoming events only).
    year = utcnow().year + 1
    while date(year, 1, 2).weekday() != 5:
        year += 1
    event = make_event(start_dt=local(year, 1, 2, 9, 30), end_dt=local(year, 1, 2, 12))
    db.session.commit()
    swedish = client.get(event_url(event)).text
    english = client.get(event_url(event) + "?lang=en").text
    assert f"lördag 2 januari {year}, 09:30–12:00" in swedish
    assert f"Saturday 2 January {year}, 09:30–12:00" in english
    assert f"January 2, {year}" not in english
    listed = client.get("/evenemang/?lang=en").text
    assert f"Saturday 2 January {year}, 09:30–12:00" in listed
    # Over several days: the same day-month-year order, with times.
    longer = make_event(start_dt=local(year, 3, 1, 9), end_dt=local(year, 3, 2, 16))
    db.session.commit()
    english = client.get(event_url(longer) + "?lang=en").text
    assert f"1 March {year} 09:00 – 2 March {year} 16:00" in english


# --- 11: Swedish content on English pages ------------------------------------------------


def test_swedish_event_text_is_marked_swedish_on_english_pages(client):
    theme = make_theme(name_sv="Jämlik hälsa", name_en="Equal health")
    untranslated = make_theme(name_sv="Språkcafé", name_en="")
    event = make_event(
        title="Vård på lika villkor", summary="Om vård", description="Mer om vård",
        audience="Vårdpersonal", themes=[theme, untranslated],
    )  # fmt: skip
    db.session.commit()
    html = client.get(event_url(event) + "?lang=en").text
    assert '<h1 id="event-title"><span lang="sv">Vård på lika villkor</span></h1>' in html
    assert '<p class="lead" lang="sv">Om vård</p>' in html
    assert '<div class="prose" lang="sv"><p>Mer om vård</p>' in html
    assert '<dd lang="sv">Vårdpersonal</dd>' in html
    assert re.search(r'<a href="/teman/[^"]+" lang="sv">Språkcafé</a>', html)
    assert re.search(r'<a href="/teman/[^"]+">Equal health</a>', html)  # translated
    listed = client.get("/evenemang/?lang=en").text
    assert '<span lang="sv">Vård på lika villkor</span>' in listed
    assert '<p lang="sv">Om vård</p>' in listed
    swedish = client.get(event_url(event) + "?lang=sv").text
    assert 'lang="sv">' not in swedish.split("<body>", 1)[1]  # the page itself is Swedish


def test_an_untranslated_theme_is_marked_swedish_on_its_english_page(client):
    make_theme(slug="sprakcafe", name_sv="Språkcafé", name_en="",
                       description_sv="Samtal på svenska", description_en="")  # fmt: skip
    translated = make_theme(slug="halsa", name_sv="Hälsa", name_en="Health")
    db.session.commit()
    html = client.get("/teman/sprakcafe?lang=en").text
    assert '<h1 lang="sv">Språkcafé</h1>' in html
    assert '<p class="lead" lang="sv">Samtal på svenska</p>' in html
    assert f"<h1>{translated.name_en}</h1>" in client.get("/teman/halsa?lang=en").text


@pytest.mark.parametrize(
    ("lang", "text"),
    [("sv", "Delar som bara finns på svenska"), ("en", "Parts in Swedish only")],
)
def test_the_accessibility_statement_names_the_parts_in_swedish_only(client, lang, text):
    html = client.get(f"/tillganglighet?lang={lang}").text
    assert text in html
    assert "eventreg" not in html


# --- 12: name, logo, sharing -------------------------------------------------------------


def test_the_header_shows_the_service_name_not_the_package_name(client):
    swedish = client.get("/").text
    assert '<span class="brand-name">Hallands seminarier</span>' in swedish
    assert "<title>Start – Hallands seminarier</title>" in swedish
    assert ">eventreg<" not in swedish
    english = client.get("/?lang=en").text
    assert '<span class="brand-name">Halland\'s seminars</span>' in english
    assert 'rel="icon" href="/static/img/favicon.svg" type="image/svg+xml"' in english
    assert 'class="brand-mark" src="/static/img/logo.svg" alt=""' in english


def test_the_service_name_is_configurable(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "SITE_NAME", f"{IMG} Kungsbackas kurser")
    html = client.get("/?lang=en").text
    assert f'<span class="brand-name">{escape(app.config["SITE_NAME"])}</span>' in html
    assert f"{escape(app.config['SITE_NAME'])} is run together by" in html
    assert IMG not in html


def test_an_installation_names_the_service_and_the_sender_in_the_environment(monkeypatch):
    monkeypatch.setenv("EVENTREG_SITE_NAME", "Kungsbackas kurser")
    monkeypatch.setenv("EVENTREG_MAIL_SENDER_NAME", "Kurser i Kungsbacka")
    app = create_app(
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://", "BASE_URL": "http://localhost"}
    )
    assert app.config["SITE_NAME"] == "Kungsbackas kurser"
    assert app.config["MAIL_SENDER_NAME"] == "Kurser i Kungsbacka"


def test_the_tagline_does_not_repeat_the_home_heading(client):
    for lang in ("sv", "en"):
        html = client.get(f"/?lang={lang}").text
        tagline = re.search(r'<span class="brand-tagline">([^<]+)</span>', html)[1]
        heading = re.search(r"<h1>([^<]+)</h1>", html)[1]
        assert tagline != heading


def test_the_logo_and_favicon_are_svg_files(client):
    for name in ("logo", "favicon"):
        with client.get(f"/static/img/{name}.svg") as response:
            assert response.status_code == 200
            assert response.mimetype == "image/svg+xml"
            assert b"<script" not in response.data


def test_an_event_page_has_a_description_and_share_tags_with_absolute_urls(client, base_url):
    event = make_event(
        title="Mångfald i rekrytering", summary="Om att rekrytera bredare",
        start_dt=local(2027, 3, 30, 10), end_dt=local(2027, 3, 30, 12),
        venue_name="Stadsbiblioteket", municipality="halmstad",
    )  # fmt: skip
    db.session.commit()
    # Built from BASE_URL, never from the request's Host.
    html = client.get(event_url(event), headers={"Host": "evil.example"}).text
    url = f"{base_url}{event_url(event)}"
    description = (
        "tisdag 30 mars 2027, 10:00–12:00 · Stadsbiblioteket, Halmstad · Om att rekrytera bredare"
    )
    assert meta(html, "name", "description") == description
    assert meta(html, "property", "og:title") == "Mångfald i rekrytering"
    assert meta(html, "property", "og:description") == description
    assert meta(html, "property", "og:url") == url
    assert meta(html, "property", "og:site_name") == "Hallands seminarier"
    assert meta(html, "property", "og:locale") == "sv_SE"
    assert meta(html, "name", "twitter:card") == "summary"
    assert meta(html, "name", "twitter:title") == "Mångfald i rekrytering"
    assert f'<link rel="canonical" href="{url}">' in html
    assert '"url": "' + url + '"' in html  # the JSON-LD uses the same address
    english = client.get(event_url(event) + "?lang=en").text
    assert meta(english, "property", "og:locale") == "en_GB"
    assert meta(english, "name", "description").startswith("Tuesday 30 March 2027")
    # The organisers' preview extends the event page but is not a page to share.
    with client.application.test_request_context():
        client.application.preprocess_request()
        preview = render_template("organiser/preview.html", event=event)
    assert 'property="og:' not in preview


def test_a_cancelled_events_share_title_says_so(client, base_url):
    event = make_event(title="Språkcafé", status="cancelled")
    db.session.commit()
    html = client.get(event_url(event)).text
    assert meta(html, "property", "og:title") == "Inställt: Språkcafé"


def test_share_tags_escape_the_organisers_text(client, base_url):
    event = make_event(title=f"{IMG} Språkcafé", summary=f'{IMG} "citat"')
    db.session.commit()
    html = client.get(event_url(event)).text
    assert IMG not in html
    assert meta(html, "property", "og:title") == f"{IMG} Språkcafé"
    assert meta(html, "name", "description").endswith(f'{IMG} "citat"')


def test_a_theme_page_has_a_description_and_share_tags(client, base_url):
    make_theme(slug="halsa", name_sv="Jämlik hälsa", description_sv="Hälsa för alla")
    db.session.commit()
    html = client.get("/teman/halsa").text
    assert meta(html, "name", "description") == "Hälsa för alla"
    assert meta(html, "property", "og:title") == "Jämlik hälsa"
    assert meta(html, "property", "og:url") == f"{base_url}/teman/halsa"
    assert meta(html, "name", "twitter:card") == "summary"


# --- 1, 2, 5: cards, filters, map ---------------------------------------------------------


def test_cards_show_where_registration_stands(client):
    soon = utcnow() + timedelta(days=10)
    closes = soon - timedelta(days=1)
    make_event(title="Platser", capacity=10, seats_taken=9, start_dt=soon,
               registration_closes_dt=closes)  # fmt: skip
    make_event(title="Fullt", capacity=5, seats_taken=5, start_dt=soon)
    make_event(title="Obegränsat", start_dt=soon)
    make_event(title="Snart", start_dt=soon, registration_opens_dt=soon - timedelta(days=2))
    make_event(title="Stängt", start_dt=soon, registration_closes_dt=utcnow() - timedelta(hours=1))
    make_event(title="Inställt evenemang", status="cancelled", start_dt=soon)
    db.session.commit()
    html = client.get("/evenemang/").text
    card = (
        r'<a href="[^"]+">(?:<span[^>]*>[^<]*</span> )?([^<]+)</a>\s*'
        r'</h3>\s*(?:<p class="status-line">(.*?)</p>)?'
    )
    cards = dict(re.findall(card, html, re.S))
    status = {title: " ".join(re.sub(r"<[^>]+>", " ", text).split())
              for title, text in cards.items()}  # fmt: skip
    day = format_date(closes.astimezone(STOCKHOLM), "d MMM", locale="sv")  # "2 jan."
    assert status["Platser"] == f"1 plats kvar · Anmälan stänger {day}"
    assert status["Fullt"] == "Fullbokat – väntelista"
    assert status["Obegränsat"] == "Anmälan öppen"
    assert status["Snart"].startswith("Anmälan öppnar ")
    assert status["Stängt"] == "Anmälan stängd"
    assert status["Inställt evenemang"] == ""  # the Inställt tag in its title says it all


def test_theme_chips_on_cards_are_links(client):
    theme = make_theme(slug="arbete", name_sv="Arbete")
    make_event(themes=[theme])
    db.session.commit()
    assert '<a class="tag tag-link" href="/teman/arbete">Arbete</a>' in client.get("/").text


def test_active_filters_each_link_to_the_list_without_them(app):
    make_theme(slug="arbete", name_sv="Arbete")
    db.session.commit()
    args = MultiDict([("tema", "arbete"), ("kommun", "varberg"), ("kommun", "hylte"),
                      ("q", " språk "), ("fran", "2027-01-02"), ("sida", "3")])  # fmt: skip
    with app.test_request_context("/evenemang/"):
        form = EventFilterForm(args)
        assert form.validate()
        chips = active_filters(form, args.to_dict(flat=False))
    assert [(c.field, c.value) for c in chips] == [
        ("Sök", "språk"), ("Tema", "Arbete"), ("Kommun", "Varberg"), ("Kommun", "Hylte"),
        ("Från datum", "2 januari 2027"),
    ]  # fmt: skip
    by_value = {c.value: c.remove_args for c in chips}
    assert by_value["Varberg"] == {
        "tema": ["arbete"], "kommun": ["hylte"], "q": [" språk "], "fran": ["2027-01-02"],
    }  # fmt: skip
    assert "q" not in by_value["språk"]
    assert "fran" not in by_value["2 januari 2027"]
    assert all("sida" not in remove for remove in by_value.values())  # back to page 1


def test_an_empty_filtered_list_offers_clearing_and_no_calendar(client):
    make_event(municipality="varberg")
    db.session.commit()
    html = client.get(f"/evenemang/?kommun=hylte&q={IMG}").text
    assert "calendar-links" not in html
    assert '<a class="button button-secondary" href="/evenemang/">Rensa filter</a>' in html
    assert 'class="chip"' in html
    assert IMG not in html
    assert str(escape(IMG)) in html
    everything = client.get("/evenemang/").text
    assert "calendar-links" in everything
    assert 'class="chip"' not in everything


def test_the_map_link_searches_the_address_and_is_left_out_without_one(app):
    with app.test_request_context():
        assert map_url(make_event(address="Fredsgatan 1", municipality="halmstad")) == (
            "https://www.openstreetmap.org/search?query=Fredsgatan+1%2C+Halmstad"
        )
        assert map_url(make_event(address="Storgatan 2, 432 41 Varberg", municipality="varberg"))\
            .endswith("query=Storgatan+2%2C+432+41+Varberg")  # fmt: skip
        assert map_url(make_event(address="", municipality="halmstad")) is None
        assert map_url(make_event(address="Teams", municipality="online")) is None


# --- 3, 4: the event page ------------------------------------------------------------------


def test_the_register_link_comes_before_the_details(client):
    event = make_event(capacity=10)
    db.session.commit()
    html = client.get(event_url(event)).text
    register = html.index(f'href="/evenemang/{event.public_id}/anmalan"')
    assert register < html.index('<dl class="facts">')


def test_a_cancelled_event_says_so_first_and_offers_no_calendar_or_online_link(client):
    event = make_event(title="Språkcafé", status="cancelled", online_url="https://meet.example.se/x",
                       cancellation_reason="Sjukdom")  # fmt: skip
    db.session.commit()
    html = client.get(event_url(event)).text
    main = html.split('<main id="main"', 1)[1]
    assert re.search(r'<h1 id="event-title"><span class="tag tag-cancelled">Inställt</span>', main)
    assert main.index("Sjukdom") < main.index('<dl class="facts">')
    assert "https://meet.example.se/x" not in main
    assert "calendar-links" not in main
    assert "/kalender/" not in main
    assert "/anmalan" not in main


# --- 6, 7: the manage page -----------------------------------------------------------------


def test_the_manage_page_leads_with_the_confirmation_and_calendar_buttons(client):
    registration = make_registration(make_event(title="Språkcafé", capacity=5))
    db.session.commit()
    html = client.get(f"/anmalan/{service.manage_token(registration)}").text
    heading = html.index('<h1 id="confirmation-heading">')
    assert "Tack, du är anmäld" in html[heading : heading + 100]
    google = html.index('href="https://calendar.google.com/calendar/render?')
    outlook = html.index('href="https://outlook.live.com/calendar/')
    ics = html.index(f'href="/anmalan/{service.manage_token(registration)}/evenemang.ics"')
    details = html.index('id="details-heading"')
    assert heading < google < outlook < ics < details


def test_a_waiting_registration_is_told_its_place_and_not_about_its_seat(client):
    event = make_event(capacity=1)
    make_registration(event)
    make_registration(event)
    waiting = make_registration(event)
    db.session.commit()
    html = client.get(f"/anmalan/{service.manage_token(waiting)}?lang=en").text
    assert "You are on the waiting list, number 2" in html
    assert "someone on the waiting list can have your seat" not in html
    assert "Leave the waiting list" in html
    assert "calendar.google.com" not in html
    page = client.get(f"/anmalan/{service.manage_token(waiting)}/avboka?lang=en").text
    assert "Leave the waiting list?" in page
    assert "Yes, leave the waiting list" in page


def test_a_cancelled_events_manage_page_offers_no_calendar(client):
    event = make_event(capacity=5)
    registration = make_registration(event)
    event.status = "cancelled"
    db.session.commit()
    html = client.get(f"/anmalan/{service.manage_token(registration)}?lang=en").text
    heading = re.search(r'<h1 id="confirmation-heading">\s*([^<]*?)\s*</h1>', html)[1]
    assert heading == "This event is cancelled"
    assert "You have a seat." not in html
    assert "calendar.google.com" not in html
    assert "evenemang.ics" not in html
