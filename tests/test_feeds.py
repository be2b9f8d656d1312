"""The calendar feeds over HTTP: what each feed holds, how it follows changes, and how
polling calendars are answered (ETag, Last-Modified, 304, the in-process cache)."""

import re
from datetime import UTC, date, datetime, timedelta
from html import unescape
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from icalendar import Calendar
from werkzeug.http import parse_options_header

from eventreg.extensions import db
from eventreg.feeds import ical
from eventreg.feeds.views import CACHE_EXTENSION
from eventreg.models import utcnow
from tests.factories import local, make_event, make_organisation, make_theme

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(autouse=True)
def _empty_feed_cache(app):
    app.extensions[CACHE_EXTENSION].clear()


@pytest.fixture
def builds(monkeypatch):
    """Counts how often a feed is actually built (rather than served from the cache)."""
    calls = []
    real = ical.build_calendar

    def counting(*args, **kwargs):
        calls.append(kwargs.get("name"))
        return real(*args, **kwargs)

    monkeypatch.setattr(ical, "build_calendar", counting)
    return calls


def get_feed(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response, Calendar.from_ical(response.data)


def filename(response) -> str:
    disposition, options = parse_options_header(response.headers["Content-Disposition"])
    assert disposition == "attachment"
    return options["filename"]


def uids(calendar) -> set[str]:
    return {str(vevent["uid"]) for vevent in calendar.walk("VEVENT")}


def vevent_for(calendar, event):
    (vevent,) = [v for v in calendar.walk("VEVENT") if str(v["uid"]) == ical.event_uid(event)]
    return vevent


def in_days(days: float, hour: int = 10) -> datetime:
    day = (utcnow() + timedelta(days=days)).astimezone(STOCKHOLM).date()
    return local(day.year, day.month, day.day, hour)


# --- What each feed holds ---


def test_all_events_feed_is_a_complete_calendar(client):
    event = make_event(title="Inkludering på arbetsplatsen")
    db.session.commit()
    response, calendar = get_feed(client, "/kalender/evenemang.ics?lang=en")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert filename(response) == "evenemang.ics"
    assert response.headers["ETag"]
    assert response.headers["Last-Modified"]
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["method"]) == "PUBLISH"
    assert str(calendar["calscale"]) == "GREGORIAN"
    # The site's name (SITE_NAME), in the request's language.
    assert str(calendar["x-wr-calname"]) == str(calendar["name"]) == "Halland's seminars"
    assert str(calendar["x-wr-caldesc"]) == str(calendar["description"])
    assert str(calendar["x-wr-timezone"]) == "Europe/Stockholm"
    assert calendar["refresh-interval"].params["VALUE"] == "DURATION"
    assert "x-published-ttl" in calendar
    assert [str(tz["tzid"]) for tz in calendar.walk("VTIMEZONE")] == ["Europe/Stockholm"]
    vevent = vevent_for(calendar, event)
    assert str(vevent["summary"]) == "Inkludering på arbetsplatsen"
    assert str(vevent["status"]) == "CONFIRMED"
    assert vevent.decoded("dtstart") == event.start_dt
    assert vevent["dtstart"].params["TZID"] == "Europe/Stockholm"
    assert vevent.decoded("dtend") == event.end_dt
    url = f"http://localhost/evenemang/{event.public_id}/{event.slug}"
    assert str(vevent["url"]) == url
    assert url in str(vevent["description"])
    assert vevent.decoded("created") == event.created_at.replace(microsecond=0)
    assert vevent.decoded("last-modified") == event.updated_at.replace(microsecond=0)
    assert "dtstamp" in vevent


def test_event_properties_in_feed(client):
    organisation = make_organisation(name="Länsstyrelsen i Hallands län")
    themes = [make_theme(name_en="Health"), make_theme(name_en="Work")]
    event = make_event(
        organisation=organisation,
        themes=themes,
        venue_name="Kulturhuset",
        address="Storgatan 2",
        municipality="varberg",
        description="Om *hälsa* och [arbete](https://example.se/arbete).",
        contact_email="kontakt@example.se",
    )
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/evenemang.ics?lang=en")
    vevent = vevent_for(calendar, event)
    assert str(vevent["location"]) == "Kulturhuset, Storgatan 2, Varberg"
    assert vevent.categories == ["Health", "Work"]
    description = str(vevent["description"])
    assert "Om hälsa och arbete." in description  # Markdown becomes plain text
    assert "*" not in description
    assert "<" not in description
    assert "Länsstyrelsen i Hallands län" in description
    assert "kontakt@example.se" in description
    # The organiser is named in the description, not as ORGANIZER: calendar apps would
    # send replies to that address from a public feed.
    assert "organizer" not in vevent


def test_online_event_location_is_the_link_when_the_organiser_made_it_public(client):
    event = make_event(municipality="online", format="webinar", venue_name="", address="",
                       online_url="https://meet.example.se/abc",
                       online_url_public=True)  # fmt: skip
    private = make_event(municipality="online", format="webinar", venue_name="", address="",
                         online_url="https://meet.example.se/private")  # fmt: skip
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/evenemang.ics?lang=en")
    assert str(vevent_for(calendar, event)["location"]) == "https://meet.example.se/abc"
    # Only people with a seat get a link that is not public (tests/test_lifecycle_online.py).
    assert str(vevent_for(calendar, private)["location"]) == "Online"


def test_theme_feed_holds_only_that_theme(client):
    health, work = make_theme(slug="halsa"), make_theme(slug="arbete")
    in_theme = make_event(themes=[health])
    make_event(themes=[work])
    db.session.commit()
    response, calendar = get_feed(client, "/kalender/tema/halsa.ics?lang=en")
    assert uids(calendar) == {ical.event_uid(in_theme)}
    assert health.name_en in str(calendar["x-wr-calname"])
    assert filename(response) == "tema-halsa.ics"


def test_municipality_feed_holds_only_that_municipality(client):
    in_varberg = make_event(municipality="varberg")
    make_event(municipality="halmstad")
    db.session.commit()
    response, calendar = get_feed(client, "/kalender/kommun/varberg.ics")
    assert uids(calendar) == {ical.event_uid(in_varberg)}
    assert "Varberg" in str(calendar["x-wr-calname"])


def test_organisation_feed_holds_only_that_organisation(client):
    region = make_organisation(slug="region-halland", name="Region Halland")
    by_region = make_event(organisation=region)
    make_event()
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/arrangor/region-halland.ics")
    assert uids(calendar) == {ical.event_uid(by_region)}
    assert "Region Halland" in str(calendar["x-wr-calname"])


def test_filtered_feed_uses_the_event_list_filters(client):
    theme = make_theme(slug="halsa")
    match = make_event(themes=[theme], municipality="laholm", format="lecture",
                       languages=["ar"])  # fmt: skip
    make_event(themes=[theme], municipality="laholm", format="seminar", languages=["ar"])
    make_event(themes=[theme], municipality="hylte", format="lecture", languages=["ar"])
    make_event(municipality="laholm", format="lecture", languages=["sv"])
    db.session.commit()
    _, calendar = get_feed(
        client, "/kalender/evenemang.ics?tema=halsa&kommun=laholm&format=lecture&sprak=ar&lang=en"
    )
    assert uids(calendar) == {ical.event_uid(match)}
    assert str(calendar["x-wr-calname"]) == "Halland's seminars – selected events"


def test_filtered_feed_by_dates_and_text(client):
    soon = make_event(title="Språkcafé", start_dt=in_days(3))
    make_event(title="Språkcafé", start_dt=in_days(40))
    make_event(title="Annat", start_dt=in_days(3))
    db.session.commit()
    day = soon.start_dt.astimezone(STOCKHOLM).date()
    _, calendar = get_feed(
        client, f"/kalender/evenemang.ics?q=språkcafé&fran={day}&till={day + timedelta(days=1)}"
    )
    assert uids(calendar) == {ical.event_uid(soon)}


def test_single_event_feed(client):
    event = make_event(title="Föreläsning om mottagande")
    make_event()
    db.session.commit()
    response, calendar = get_feed(client, f"/kalender/evenemang/{event.public_id}.ics")
    assert uids(calendar) == {ical.event_uid(event)}
    assert str(calendar["x-wr-calname"]) == "Föreläsning om mottagande"
    assert filename(response) == f"{event.slug}.ics"


def test_single_past_event_is_still_available(client):
    event = make_event(start_dt=in_days(-400))
    db.session.commit()
    _, calendar = get_feed(client, f"/kalender/evenemang/{event.public_id}.ics")
    assert uids(calendar) == {ical.event_uid(event)}


def test_drafts_never_appear(client):
    theme = make_theme(slug="halsa")
    organisation = make_organisation(slug="region")
    draft = make_event(status="draft", themes=[theme], organisation=organisation,
                       municipality="varberg")  # fmt: skip
    published = make_event(themes=[theme], organisation=organisation, municipality="varberg")
    db.session.commit()
    for url in (
        "/kalender/evenemang.ics",
        "/kalender/tema/halsa.ics",
        "/kalender/kommun/varberg.ics",
        "/kalender/arrangor/region.ics",
        "/kalender/evenemang.ics?kommun=varberg&tema=halsa",
    ):
        _, calendar = get_feed(client, url)
        assert uids(calendar) == {ical.event_uid(published)}, url
    assert client.get(f"/kalender/evenemang/{draft.public_id}.ics").status_code == 404


def test_window_recent_past_and_all_upcoming(client):
    far_future = make_event(start_dt=in_days(700))
    recent = make_event(start_dt=in_days(-60))
    old = make_event(start_dt=in_days(-200))
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/evenemang.ics")
    assert uids(calendar) == {ical.event_uid(far_future), ical.event_uid(recent)}
    assert ical.event_uid(old) not in uids(calendar)


def test_cancelled_event_stays_until_it_is_past(client):
    upcoming = make_event(start_dt=in_days(5), title="Workshop om bemötande")
    past = make_event(start_dt=in_days(-5))
    db.session.commit()
    _, before = get_feed(client, "/kalender/evenemang.ics?lang=en")
    assert int(vevent_for(before, upcoming)["sequence"]) == 0
    for event in (upcoming, past):
        event.status = "cancelled"
        event.cancellation_reason = "Föreläsaren är sjuk."
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/evenemang.ics?lang=en")
    assert uids(calendar) == {ical.event_uid(upcoming)}  # the past cancelled one has gone
    vevent = vevent_for(calendar, upcoming)
    assert str(vevent["status"]) == "CANCELLED"
    assert str(vevent["summary"]) == "CANCELLED: Workshop om bemötande"
    assert int(vevent["sequence"]) == 1
    assert "Föreläsaren är sjuk." in str(vevent["description"])
    _, swedish = get_feed(client, "/kalender/evenemang.ics?lang=sv")
    assert str(vevent_for(swedish, upcoming)["summary"]) == "INSTÄLLT: Workshop om bemötande"


def test_uid_is_stable_and_sequence_rises_with_each_visible_change(client):
    event = make_event(title="Första titel")
    db.session.commit()
    url = "/kalender/evenemang.ics"
    first = vevent_for(get_feed(client, url)[1], event)
    event.title = "Ny titel"
    db.session.commit()
    second = vevent_for(get_feed(client, url)[1], event)
    event.start_dt = event.start_dt + timedelta(hours=1)
    event.end_dt = event.end_dt + timedelta(hours=1)
    db.session.commit()
    third = vevent_for(get_feed(client, url)[1], event)
    event.capacity = 40  # not something a calendar shows
    db.session.commit()
    fourth = vevent_for(get_feed(client, url)[1], event)
    assert {str(v["uid"]) for v in (first, second, third, fourth)} == {ical.event_uid(event)}
    assert [int(v["sequence"]) for v in (first, second, third, fourth)] == [0, 1, 2, 2]
    assert str(second["summary"]) == "Ny titel"
    assert second.decoded("last-modified") >= first.decoded("last-modified")


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


def test_ten_oclock_stays_ten_oclock_across_next_years_summer_time_changes(client):
    """Through HTTP, with next year's change days (the builder test pins 2027)."""
    year = utcnow().year + 1
    days = []
    for sunday in (_last_sunday(year, 3), _last_sunday(year, 10)):
        days += [sunday - timedelta(days=1), sunday + timedelta(days=1)]
    events = [make_event(start_dt=local(d.year, d.month, d.day, 10)) for d in days]
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/evenemang.ics")
    tz = calendar.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    offsets = []
    for event in events:
        vevent = vevent_for(calendar, event)
        assert vevent["dtstart"].params["TZID"] == "Europe/Stockholm"
        start = vevent.decoded("dtstart")
        assert (start.hour, start.minute) == (10, 0)
        naive = start.replace(tzinfo=None)
        offsets.append(naive.replace(tzinfo=tz).utcoffset())
        assert naive.replace(tzinfo=tz).astimezone(UTC) == event.start_dt
    assert [o.total_seconds() / 3600 for o in offsets] == [1, 2, 2, 1]


# --- Errors ---


@pytest.mark.parametrize(
    "url",
    [
        "/kalender/tema/finns-inte.ics",
        "/kalender/kommun/goteborg.ics",
        "/kalender/arrangor/finns-inte.ics",
        "/kalender/evenemang/000000000000.ics",
    ],
)
def test_unknown_feed_is_404(client, url):
    make_theme(slug="halsa")
    db.session.commit()
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("kommun=goteborg", "Municipality"),
        ("tema=finns-inte", "Theme"),
        ("format=dans", "Format"),
        ("fran=igår", "From date"),
        ("fran=2027-05-02&till=2027-05-01", "To date"),
    ],
)
def test_bad_filter_is_400_with_a_plain_message(client, query, field):
    response = client.get(f"/kalender/evenemang.ics?lang=en&{query}")
    assert response.status_code == 400
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert text.startswith("The filter in the address is not valid:")
    assert f"- {field}: " in text


# --- Conditional GET and the cache ---


def test_if_none_match_gives_304(client):
    make_event()
    db.session.commit()
    response = client.get("/kalender/evenemang.ics")
    again = client.get(
        "/kalender/evenemang.ics", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == response.headers["ETag"]


def test_if_modified_since_gives_304(client):
    make_event()
    db.session.commit()
    response = client.get("/kalender/evenemang.ics")
    again = client.get(
        "/kalender/evenemang.ics", headers={"If-Modified-Since": response.headers["Last-Modified"]}
    )
    assert again.status_code == 304


def test_changed_event_gives_new_etag_and_full_response(client):
    event = make_event()
    db.session.commit()
    first = client.get("/kalender/evenemang.ics")
    event.venue_name = "Nya salen"
    db.session.commit()
    second = client.get("/kalender/evenemang.ics", headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    assert "Nya salen" in str(vevent_for(Calendar.from_ical(second.data), event)["location"])


def test_unpublished_event_changes_feed_for_both_validators(client):
    """An event leaving the feed changes no remaining row; the feed must still change."""
    staying = make_event()
    leaving = make_event()
    db.session.commit()
    first = client.get("/kalender/evenemang.ics")
    leaving.status = "draft"
    db.session.commit()
    by_etag = client.get(
        "/kalender/evenemang.ics", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert by_etag.status_code == 200
    assert uids(Calendar.from_ical(by_etag.data)) == {ical.event_uid(staying)}


def test_unpublished_event_is_seen_by_if_modified_since_too(client):
    """A client that only sends If-Modified-Since must not get 304 after an event left the
    feed, although no remaining event's updated_at changed."""
    make_event()
    leaving = make_event()
    db.session.commit()
    first = client.get("/kalender/evenemang.ics")
    with time_machine.travel(utcnow() + timedelta(seconds=2)):  # Last-Modified has seconds
        leaving.status = "draft"
        db.session.commit()
    again = client.get(
        "/kalender/evenemang.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]}
    )
    assert again.status_code == 200
    assert ical.event_uid(leaving) not in uids(Calendar.from_ical(again.data))


def test_polling_an_unchanged_feed_builds_it_once(client, builds):
    make_event()
    db.session.commit()
    bodies = {client.get("/kalender/evenemang.ics").data for _ in range(3)}
    etag = client.get("/kalender/evenemang.ics").headers["ETag"]
    assert client.get("/kalender/evenemang.ics", headers={"If-None-Match": etag}).status_code == 304
    assert len(builds) == 1
    assert len(bodies) == 1


def test_cache_is_invalidated_when_an_event_changes(client, builds):
    event = make_event(title="Före")
    db.session.commit()
    client.get("/kalender/evenemang.ics")
    client.get("/kalender/evenemang.ics")
    assert len(builds) == 1
    event.title = "Efter"
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/evenemang.ics")
    assert len(builds) == 2
    assert str(vevent_for(calendar, event)["summary"]) == "Efter"
    client.get("/kalender/evenemang.ics")
    assert len(builds) == 2


def test_cache_is_invalidated_when_an_event_is_added_or_removed(client, builds):
    theme = make_theme(slug="halsa")
    first = make_event(themes=[theme])
    db.session.commit()
    client.get("/kalender/tema/halsa.ics")
    second = make_event(themes=[theme])
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/tema/halsa.ics")
    assert uids(calendar) == {ical.event_uid(first), ical.event_uid(second)}
    db.session.delete(second)
    db.session.commit()
    _, calendar = get_feed(client, "/kalender/tema/halsa.ics")
    assert uids(calendar) == {ical.event_uid(first)}
    assert len(builds) == 3


def test_each_language_is_cached_separately(client, builds):
    event = make_event(status="cancelled")
    db.session.commit()
    _, swedish = get_feed(client, "/kalender/evenemang.ics")
    _, english = get_feed(client, "/kalender/evenemang.ics?lang=en")
    assert str(vevent_for(swedish, event)["summary"]).startswith("INSTÄLLT: ")
    assert str(vevent_for(english, event)["summary"]).startswith("CANCELLED: ")
    assert len(builds) == 2


def test_single_event_feed_is_cached_and_follows_changes(client, builds):
    event = make_event()
    db.session.commit()
    url = f"/kalender/evenemang/{event.public_id}.ics"
    etag = client.get(url).headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    event.status = "cancelled"
    db.session.commit()
    response, calendar = get_feed(client, url, headers={"If-None-Match": etag})
    assert str(vevent_for(calendar, event)["status"]) == "CANCELLED"
    assert len(builds) == 2


# --- The subscribe links on the pages ---


def links_in(html: str) -> list[str]:
    return [unescape(href) for href in re.findall(r'href="([^"]+)"', html)]


def test_event_page_offers_download_google_and_outlook(client):
    event = make_event(title="Samtal, frågor; svar", start_dt=local(2027, 7, 1, 10))
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}?lang=en").get_data(as_text=True)
    links = links_in(html)
    ics = f"http://localhost/kalender/evenemang/{event.public_id}.ics?lang=en"
    assert ics in links
    assert ics.replace("http://", "webcal://") in links
    assert "Add to Google Calendar" in html
    assert "Add to Outlook" in html
    google = next(link for link in links if link.startswith("https://calendar.google.com/"))
    query = parse_qs(urlsplit(google).query)
    assert query["action"] == ["TEMPLATE"]
    assert query["text"] == ["Samtal, frågor; svar"]
    assert query["dates"] == ["20270701T080000Z/20270701T100000Z"]  # 10:00 summer time
    assert event.slug in query["details"][0]
    outlook = next(link for link in links if link.startswith("https://outlook.live.com/"))
    query = parse_qs(urlsplit(outlook).query)
    assert query["subject"] == ["Samtal, frågor; svar"]
    assert query["startdt"] == ["2027-07-01T08:00:00Z"]
    assert query["enddt"] == ["2027-07-01T10:00:00Z"]
    assert get_feed(client, urlsplit(ics).path + "?lang=en")[1].walk("VEVENT")


def test_theme_page_offers_the_theme_feed(client):
    make_theme(slug="halsa")
    db.session.commit()
    links = links_in(client.get("/teman/halsa").get_data(as_text=True))
    assert "webcal://localhost/kalender/tema/halsa.ics" in links
    assert "http://localhost/kalender/tema/halsa.ics" in links


@pytest.mark.parametrize(
    ("query", "feed"),
    [
        ("", "/kalender/evenemang.ics"),
        ("?kommun=varberg", "/kalender/kommun/varberg.ics"),
        ("?arrangor=region", "/kalender/arrangor/region.ics"),
        ("?tema=halsa&sida=2", "/kalender/tema/halsa.ics"),
        ("?kommun=varberg&format=lecture", "/kalender/evenemang.ics?kommun=varberg&format=lecture"),
        ("?kommun=varberg&kommun=hylte", "/kalender/evenemang.ics?kommun=varberg&kommun=hylte"),
    ],
)
def test_event_list_offers_the_feed_of_its_filters(client, query, feed):
    # An event every query finds: an empty selection offers no feed (a calendar of nothing).
    make_event(themes=[make_theme(slug="halsa")], organisation=make_organisation(slug="region"),
               municipality="varberg", format="lecture")  # fmt: skip
    db.session.commit()
    links = links_in(client.get(f"/evenemang/{query}").get_data(as_text=True))
    assert f"webcal://localhost{feed}" in links
    assert f"http://localhost{feed}" in links
    assert client.get(feed).status_code == 200
