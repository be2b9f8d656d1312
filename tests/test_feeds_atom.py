"""The Atom feeds (issue 14): one beside every list kind of calendar feed, parsed back with
feedparser; new and changed events as entries; the calendar feeds' caching and validators;
no drafts and no meeting links; linked from the list pages."""

from datetime import timedelta
from html import unescape

import feedparser
import pytest
from sqlalchemy import update

from eventreg.extensions import db
from eventreg.feeds import atom
from eventreg.feeds.views import CACHE_EXTENSION
from eventreg.models import Event, utcnow
from tests.factories import make_event, make_organisation, make_theme


@pytest.fixture(autouse=True)
def _empty_feed_cache(app):
    app.extensions[CACHE_EXTENSION].clear()


def get_atom(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    parsed = feedparser.parse(response.data)
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return response, parsed


def titles(parsed) -> set[str]:
    return {entry.title for entry in parsed.entries}


@pytest.fixture
def spread():
    """Events in two themes, two municipalities and two organisations, plus a draft."""
    theme, other_theme = make_theme(slug="sprak"), make_theme(slug="arbete")
    org, other_org = make_organisation(slug="varberg"), make_organisation(slug="hylte")
    make_event(title="Språk i Varberg", themes=[theme], municipality="varberg", organisation=org)
    make_event(title="Arbete i Hylte", themes=[other_theme], municipality="hylte",
               organisation=other_org)  # fmt: skip
    make_event(title="Utkast", themes=[theme], municipality="varberg", organisation=org,
               status="draft")  # fmt: skip
    db.session.commit()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/kalender/evenemang.atom", {"Språk i Varberg", "Arbete i Hylte"}),
        ("/kalender/tema/sprak.atom", {"Språk i Varberg"}),
        ("/kalender/kommun/hylte.atom", {"Arbete i Hylte"}),
        ("/kalender/arrangor/varberg.atom", {"Språk i Varberg"}),
        ("/kalender/evenemang.atom?kommun=varberg&kommun=hylte&q=arbete", {"Arbete i Hylte"}),
    ],
    ids=["all", "theme", "municipality", "organiser", "filtered"],
)
def test_every_feed_kind_parses_back_with_its_events_and_no_drafts(client, spread, url, expected):
    response, parsed = get_atom(client, url)
    assert titles(parsed) == expected
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]
    assert "Content-Disposition" not in response.headers  # a reader shows it, no download
    assert response.headers["Access-Control-Allow-Origin"] == "*"  # like every public feed
    self_link = next(link for link in parsed.feed.links if link.rel == "self")
    assert self_link.href.startswith("http://localhost/kalender/")
    assert parsed.feed.id == self_link.href
    alternate = next(link for link in parsed.feed.links if link.rel == "alternate")
    assert alternate.type == "text/html"
    assert client.get(alternate.href.removeprefix("http://localhost")).status_code == 200


def test_entry_describes_the_event_and_links_to_its_page(client):
    theme = make_theme(slug="inkludering", name_sv="Inkludering")
    event = make_event(title="Bemötande", themes=[theme], municipality="falkenberg",
                       venue_name="Rådhuset", summary="Om bemötande.")  # fmt: skip
    db.session.commit()
    _, parsed = get_atom(client, "/kalender/evenemang.atom")
    (entry,) = parsed.entries
    assert entry.id == atom.entry_id(event) == f"tag:eventreg.halland,2026:event:{event.public_id}"
    assert entry.link == f"http://localhost/evenemang/{event.public_id}/{event.slug}"
    assert entry.updated_parsed[:6] == event.updated_at.timetuple()[:6]
    assert entry.published_parsed[:6] == event.created_at.timetuple()[:6]
    assert entry.author == event.organisation.name
    assert [tag.term for tag in entry.tags] == ["inkludering"]
    assert [tag.label for tag in entry.tags] == ["Inkludering"]
    summary = unescape(entry.summary)
    for expected in ("Rådhuset", "Falkenberg", "Om bemötande.", event.organisation.name,
                     f"/evenemang/{event.public_id}/"):  # fmt: skip
        assert expected in summary


def test_meeting_links_never_appear(client):
    make_event(title="Webbinarium", municipality="online", online_url="https://meet.example/hemlig")
    make_event(title="Hybrid", online_url="https://meet.example/ocksa-hemlig")
    db.session.commit()
    response, parsed = get_atom(client, "/kalender/evenemang.atom")
    assert len(parsed.entries) == 2
    assert b"meet.example" not in response.data
    assert "Digitalt" in unescape(parsed.entries[0].summary + parsed.entries[1].summary)


def test_feed_language_follows_lang(client):
    make_event(title="Seminarium", status="cancelled", cancellation_reason="Sjuk föreläsare")
    db.session.commit()
    _, english = get_atom(client, "/kalender/evenemang.atom?lang=en")
    assert english.feed.language == "en"
    assert english.entries[0].title == "CANCELLED: Seminarium"
    assert "lang=en" in english.feed.id
    _, swedish = get_atom(client, "/kalender/evenemang.atom?lang=sv")
    assert swedish.feed.language == "sv"
    assert swedish.entries[0].title == "INSTÄLLT: Seminarium"
    assert "Sjuk föreläsare" in unescape(swedish.entries[0].summary)


def test_new_and_changed_events_come_first_with_their_change_time(client):
    old = make_event(title="Gammal")
    new = make_event(title="Ny")
    for event, days in ((old, 3), (new, 1)):  # a bulk UPDATE: the model's hook sets "now"
        db.session.execute(
            update(Event).where(Event.id == event.id).values(updated_at=utcnow() - timedelta(days))
        )
    db.session.commit()
    _, before = get_atom(client, "/kalender/evenemang.atom")
    assert [entry.title for entry in before.entries] == ["Ny", "Gammal"]

    old.title = "Gammal, ändrad"  # the model's hook sets updated_at
    db.session.commit()
    _, after = get_atom(client, "/kalender/evenemang.atom")
    assert [entry.title for entry in after.entries] == ["Gammal, ändrad", "Ny"]
    assert after.entries[0].id == before.entries[1].id  # the same entry, updated
    assert after.feed.updated_parsed > before.feed.updated_parsed


def test_same_data_gives_the_same_bytes(client, app):
    event = make_event()
    db.session.execute(  # an hour ago, so "now" as the feed's date would show
        update(Event).where(Event.id == event.id).values(updated_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    first = client.get("/kalender/evenemang.atom").data
    # The feed's date is its newest event change, not the time it was built.
    assert feedparser.parse(first).feed.updated_parsed[:6] == event.updated_at.timetuple()[:6]
    app.extensions[CACHE_EXTENSION].clear()  # another worker, building it anew
    assert client.get("/kalender/evenemang.atom").data == first


def test_empty_feed_is_valid(client):
    _, parsed = get_atom(client, "/kalender/evenemang.atom")
    assert parsed.entries == []
    assert parsed.feed.updated_parsed[:3] == (2026, 1, 1)


def test_control_characters_in_old_rows_do_not_break_the_xml(client):
    make_event(title="Titel\x0bmed\x0ctecken", summary="a\x1bb")  # PostgreSQL refuses NUL
    db.session.commit()
    _, parsed = get_atom(client, "/kalender/evenemang.atom")
    assert parsed.entries[0].title == "Titel med tecken"


def test_if_none_match_and_if_modified_since_give_304(client):
    make_event()
    db.session.commit()
    response, _ = get_atom(client, "/kalender/evenemang.atom")
    again = client.get(
        "/kalender/evenemang.atom", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.data == b""
    since = client.get(
        "/kalender/evenemang.atom", headers={"If-Modified-Since": response.headers["Last-Modified"]}
    )
    assert since.status_code == 304
    assert response.headers["Cache-Control"] == "public, max-age=900"


def test_atom_and_calendar_are_cached_apart_with_their_own_etags(client):
    make_event()
    db.session.commit()
    calendar = client.get("/kalender/evenemang.ics")
    feed = client.get("/kalender/evenemang.atom")
    assert calendar.headers["Content-Type"].startswith("text/calendar")
    assert feed.headers["Content-Type"].startswith("application/atom+xml")
    assert calendar.headers["ETag"] != feed.headers["ETag"]
    assert client.get("/kalender/evenemang.ics").data == calendar.data


def test_a_change_gives_a_new_etag_and_a_full_response(client):
    event = make_event(title="Före")
    db.session.commit()
    etag = client.get("/kalender/evenemang.atom").headers["ETag"]
    event.title = "Efter"
    db.session.commit()
    response = client.get("/kalender/evenemang.atom", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert feedparser.parse(response.data).entries[0].title == "Efter"


@pytest.mark.parametrize(
    "url",
    ["/kalender/tema/finns-inte.atom", "/kalender/kommun/paris.atom", "/kalender/arrangor/x.atom"],
)
def test_unknown_feed_is_404(client, url):
    assert client.get(url).status_code == 404


def test_bad_filter_is_400_with_a_plain_message(client):
    response = client.get("/kalender/evenemang.atom?kommun=paris")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"


def link_alternates(html: str) -> list[str]:
    import re

    return [
        unescape(href)
        for href in re.findall(
            r'<link rel="alternate" type="application/atom\+xml" title="[^"]+" href="([^"]+)"', html
        )
    ]


@pytest.mark.parametrize(
    ("page", "feed"),
    [
        ("/", "http://localhost/kalender/evenemang.atom"),
        ("/evenemang/", "http://localhost/kalender/evenemang.atom"),
        ("/evenemang/?kommun=varberg", "http://localhost/kalender/kommun/varberg.atom"),
        ("/evenemang/?arrangor=varberg", "http://localhost/kalender/arrangor/varberg.atom"),
        ("/evenemang/?tema=sprak", "http://localhost/kalender/tema/sprak.atom"),
        (
            "/evenemang/?kommun=varberg&format=seminar",
            "http://localhost/kalender/evenemang.atom?kommun=varberg&format=seminar",
        ),
        ("/teman/sprak", "http://localhost/kalender/tema/sprak.atom"),
        ("/evenemang/?lang=en", "http://localhost/kalender/evenemang.atom?lang=en"),
    ],
)
def test_list_pages_link_their_atom_feed(client, spread, page, feed):
    html = client.get(page).get_data(as_text=True)
    assert link_alternates(html) == [feed]
    path = feed.removeprefix("http://localhost")
    assert client.get(path).status_code == 200
    if page != "/":
        assert f'href="{feed.replace("&", "&amp;")}" type="application/atom+xml"' in html
