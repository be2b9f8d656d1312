"""Series of events: the rules (one organisation's series for its own events), organisers'
pages, copy for a series, and the public side (page, feeds, sitemap, JSON-LD, API)."""

import json
import re
from datetime import UTC, datetime, timedelta
from html import unescape

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.feeds.views import CACHE_EXTENSION
from eventreg.models import AuditEntry, Event, EventSeries, utcnow
from eventreg.services import events as event_service
from eventreg.services import series as series_service
from eventreg.services.events import EventData, EventRuleError
from eventreg.services.series import SeriesData, SeriesRuleError
from tests.factories import log_in, make_event, make_organisation, make_user

PAYLOAD = "<img src=x onerror=alert(1)>"


@pytest.fixture(autouse=True)
def _empty_feed_cache(app):
    app.extensions[CACHE_EXTENSION].clear()


def soon(days: float) -> datetime:
    return utcnow().replace(microsecond=0, second=0) + timedelta(days=days)


def make_series(organisation=None, **fields) -> EventSeries:
    values = {"title": "Föreläsningsserie: Jämlik hälsa", "description": "Fyra föreläsningar."}
    values.update(fields)
    series = EventSeries(organisation=organisation or make_organisation(), **values)
    series.slug = series_service.slugify(series.title)
    db.session.add(series)
    db.session.flush()
    return series


def logged_in(client, user):
    db.session.commit()
    log_in(client, user)
    return client


def series_url(series) -> str:
    return f"/serier/{series.public_id}/{series.slug}"


def json_ld_of(html: str) -> dict:
    match = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


@pytest.fixture
def lecture_series():
    """A series of an organisation with a past, two coming and a draft part, and an event
    of the same organisation outside it."""
    organisation = make_organisation(name="Region Halland")
    series = make_series(organisation)
    past = make_event(organisation=organisation, series=series, title="Första föreläsningen",
                      start_dt=soon(-10))  # fmt: skip
    coming = make_event(organisation=organisation, series=series, title="Andra föreläsningen",
                        start_dt=soon(5))  # fmt: skip
    later = make_event(organisation=organisation, series=series, title="Tredje föreläsningen",
                       start_dt=soon(12), status="cancelled",
                       cancellation_reason="Föreläsaren är sjuk")  # fmt: skip
    draft = make_event(organisation=organisation, series=series, title="Hemligt utkast",
                       start_dt=soon(19), status="draft")  # fmt: skip
    outside = make_event(organisation=organisation, title="Utanför serien", start_dt=soon(6))
    db.session.commit()
    return {"series": series, "past": past, "coming": coming, "later": later,
            "draft": draft, "outside": outside, "organisation": organisation}  # fmt: skip


# --- the service's rules ---------------------------------------------------------------


def test_a_series_is_created_with_a_slug_and_logged():
    organisation = make_organisation()
    series = series_service.create_series(
        SeriesData(title="  Hälsa på lika villkor  ", organisation_id=organisation.id,
                   description="Rad ett\r\nrad två"), None)  # fmt: skip
    assert series.title == "Hälsa på lika villkor"
    assert series.slug == "halsa-pa-lika-villkor"
    assert series.description == "Rad ett\nrad två"
    assert len(series.public_id) >= 12
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "series.create"))
    assert entry.label == "Hälsa på lika villkor"


@pytest.mark.parametrize(
    ("title", "description", "field"),
    [
        ("", "", "title"),
        ("   ", "", "title"),
        ("Rad\nbryts", "", "title"),
        ("Nul\x00tecken", "", "title"),
        ("x" * 201, "", "title"),
        ("Bra titel", "x" * 5001, "description"),
    ],
)
def test_series_input_is_checked(title, description, field):
    organisation = make_organisation()
    with pytest.raises(SeriesRuleError) as raised:
        series_service.create_series(
            SeriesData(title=title, description=description, organisation_id=organisation.id),
            None,
        )
    assert raised.value.field == field


def test_a_series_keeps_its_organisation():
    series = make_series()
    other = make_organisation()
    with pytest.raises(SeriesRuleError):
        series_service.update_series(series, SeriesData(title="Ny", organisation_id=other.id), None)


def event_data(event: Event, **changes) -> EventData:
    data = EventData.from_event(event)
    for name, value in changes.items():
        setattr(data, name, value)
    return data


def test_an_event_can_join_a_series_of_its_own_organisation():
    series = make_series()
    event = make_event(organisation=series.organisation)
    event_service.update_event(event, event_data(event, series_id=series.id), None)
    assert event.series is series
    assert event.revision == 1  # calendars see it: the description names the series
    assert event_data(event).series_id == series.id


def test_another_organisations_series_is_refused():
    foreign = make_series()
    event = make_event()
    errors = event_service.validate_event_data(event_data(event, series_id=foreign.id))
    assert "series_id" in errors
    with pytest.raises(EventRuleError):
        event_service.update_event(event, event_data(event, series_id=foreign.id), None)
    for guessed in (999_999, 2**31, -1, 0):
        assert "series_id" in event_service.validate_event_data(
            event_data(event, series_id=guessed)
        )


def test_deleting_a_series_keeps_its_events_outside_any_series():
    series = make_series()
    events = [make_event(organisation=series.organisation, series=series) for _ in range(2)]
    db.session.commit()
    revisions = [event.revision for event in events]
    assert series_service.delete_series(series, None) == 2
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(EventSeries)) == 0
    for event, revision in zip(events, revisions, strict=True):
        db.session.refresh(event)
        assert event.series_id is None
        assert event.revision == revision + 1
    actions = set(db.session.scalars(select(AuditEntry.action)))
    assert {"series.delete", "event.update"} <= actions


# --- copy for a series ---------------------------------------------------------------


def test_copies_join_the_events_series():
    series = make_series()
    event = make_event(organisation=series.organisation, series=series)
    copies = event_service.copy_for_series(
        event, [event.start_dt + timedelta(weeks=n) for n in (1, 2)], None, link="same"
    )
    assert [copy.series_id for copy in copies] == [series.id, series.id]
    assert all(copy.status == "draft" for copy in copies)


def test_copies_for_a_new_series_take_the_original_along():
    event = make_event()
    copies = event_service.copy_for_series(
        event, [event.start_dt + timedelta(weeks=1)], None, link="new",
        new_title="Nätverksträffar hösten",
    )  # fmt: skip
    series = copies[0].series
    assert series.title == "Nätverksträffar hösten"
    assert series.organisation_id == event.organisation_id
    assert event.series is series


def test_copies_can_stay_outside_a_series():
    series = make_series()
    event = make_event(organisation=series.organisation, series=series)
    (copy,) = event_service.copy_for_series(
        event, [event.start_dt + timedelta(weeks=1)], None, link="none"
    )
    assert copy.series_id is None


@pytest.mark.parametrize(
    ("link", "title", "field"),
    [("new", "", "series_title"), ("new", "a\x00b", "series_title"),
     ("same", "", "series_link"), ("bogus", "", "series_link")],
)  # fmt: skip
def test_copy_for_a_series_refuses_what_it_cannot_do(link, title, field):
    event = make_event()  # in no series
    with pytest.raises(EventRuleError) as raised:
        event_service.copy_for_series(
            event, [event.start_dt + timedelta(weeks=1)], None, link=link, new_title=title
        )
    assert raised.value.field == field


def test_copy_for_a_series_in_the_organiser_area(client):
    series = make_series()
    owner = make_user(organisations=[series.organisation], quick_hash=True)
    event = make_event(organisation=series.organisation, series=series)
    logged_in(client, owner)
    page = client.get(f"/arrangor/evenemang/{event.id}/kopiera").get_data(as_text=True)
    assert "Föreläsningsserie: Jämlik hälsa" in unescape(page)
    assert re.search(r'value="same"[^>]*checked|checked[^>]*value="same"', page)
    start = event.start_dt + timedelta(weeks=1)
    response = client.post(f"/arrangor/evenemang/{event.id}/kopiera", data={
        "start_dt": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
        "more_dates": (start + timedelta(weeks=1)).strftime("%Y-%m-%d"),
        "series_link": "new", "series_title": "Våren, del två",
    })  # fmt: skip
    assert response.status_code == 302
    new = db.session.scalar(select(EventSeries).where(EventSeries.title == "Våren, del två"))
    assert len(new.events) == 2  # the original stays in its own series
    db.session.refresh(event)
    assert event.series_id == series.id
    refused = client.post(f"/arrangor/evenemang/{event.id}/kopiera", data={
        "start_dt": "2031-03-01T10:00", "series_link": "new", "series_title": "",
    })  # fmt: skip
    assert refused.status_code == 400
    assert "Enter a title." in refused.get_data(as_text=True) or "Ange en titel" in (
        refused.get_data(as_text=True)
    )


# --- organiser pages -----------------------------------------------------------------


def test_organiser_creates_edits_and_removes_a_series(client):
    organisation = make_organisation(name="Varbergs kommun")
    owner = make_user(organisations=[organisation], quick_hash=True)
    logged_in(client, owner)
    assert client.get("/arrangor/serier").status_code == 200
    response = client.post("/arrangor/serier/ny", data={
        "organisation_id": str(organisation.id), "title": "Kvällsföreläsningar",
        "description": "Om *integration*.",
    })  # fmt: skip
    assert response.status_code == 302
    series = db.session.scalar(select(EventSeries))
    event = make_event(organisation=organisation, series=series)
    db.session.commit()
    listing = client.get("/arrangor/serier").get_data(as_text=True)
    assert "Kvällsföreläsningar" in listing
    assert client.post(f"/arrangor/serier/{series.id}", data={
        "title": "Kvällsföreläsningar våren", "description": "",
    }).status_code == 302  # fmt: skip
    db.session.refresh(series)
    assert series.title == "Kvällsföreläsningar våren"
    assert series.organisation_id == organisation.id
    assert client.post(f"/arrangor/serier/{series.id}/ta-bort").status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).series_id is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"title": ""}, "Enter a title."),
        ({"title": "x" * 201}, "200"),
        ({"title": "Rad\x0bbryts"}, "one line"),
        ({"description": "x" * 5001}, "5000"),
    ],
)
def test_the_series_form_refuses_bad_input_with_a_message(client, values, message):
    organisation = make_organisation()
    owner = make_user(organisations=[organisation], quick_hash=True)
    logged_in(client, owner)
    data = {"organisation_id": str(organisation.id), "title": "Bra", "description": ""}
    data.update(values)
    response = client.post("/arrangor/serier/ny?lang=en", data=data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(EventSeries)) == 0


def test_the_event_form_offers_only_the_users_own_series(client):
    own = make_series(title="Vår egen serie")
    foreign = make_series(title="Någon annans serie")
    owner = make_user(organisations=[own.organisation], quick_hash=True)
    event = make_event(organisation=own.organisation)
    logged_in(client, owner)
    form = client.get(f"/arrangor/evenemang/{event.id}/redigera").get_data(as_text=True)
    assert "Vår egen serie" in form
    assert "Någon annans serie" not in form
    values = {
        "organisation_id": str(own.organisation.id), "title": event.title,
        "format": "seminar", "language_codes": ["sv"], "municipality": "halmstad",
        "start_dt": event.start_dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
        "end_dt": event.end_dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M"),
        "notice_step": "save",
    }  # fmt: skip
    for guessed in (str(foreign.id), "999999", "99999999999999999999", "abc", "1\x00"):
        refused = client.post(f"/arrangor/evenemang/{event.id}/redigera",
                              data={**values, "series_id": guessed})  # fmt: skip
        assert refused.status_code == 400, guessed
    db.session.expire_all()
    assert db.session.get(Event, event.id).series_id is None
    # Times are compared in Stockholm time by the form: give them as the form shows them.
    edit = client.get(f"/arrangor/evenemang/{event.id}/redigera").get_data(as_text=True)
    values["start_dt"] = re.search(r'id="start_dt"[^>]*value="([^"]+)"', edit).group(1)
    values["end_dt"] = re.search(r'id="end_dt"[^>]*value="([^"]+)"', edit).group(1)
    saved = client.post(f"/arrangor/evenemang/{event.id}/redigera",
                        data={**values, "series_id": str(own.id)})  # fmt: skip
    assert saved.status_code == 302, saved.get_data(as_text=True)[:3000]
    db.session.expire_all()
    assert db.session.get(Event, event.id).series_id == own.id
    # Empty: out of the series again (an optional field posted empty).
    client.post(f"/arrangor/evenemang/{event.id}/redigera", data={**values, "series_id": ""})
    db.session.expire_all()
    assert db.session.get(Event, event.id).series_id is None


def test_another_organisations_series_cannot_be_seen_or_changed(client):
    foreign = make_series(title="Främmande")
    organiser = make_user(organisations=[make_organisation()], quick_hash=True)
    logged_in(client, organiser)
    assert "Främmande" not in client.get("/arrangor/serier").get_data(as_text=True)
    assert client.get(f"/arrangor/serier/{foreign.id}").status_code == 403
    assert client.post(f"/arrangor/serier/{foreign.id}", data={"title": "Kapad"}).status_code == 403
    assert client.post(f"/arrangor/serier/{foreign.id}/ta-bort").status_code == 403
    assert (
        client.post(
            "/arrangor/serier/ny",
            data={"organisation_id": str(foreign.organisation_id), "title": "Smyg"},
        ).status_code
        == 403
    )
    for huge in ("999999", "2147483648", "9" * 30):
        assert client.get(f"/arrangor/serier/{huge}").status_code == 404
        assert client.post(f"/arrangor/serier/{huge}/ta-bort").status_code == 404
    db.session.expire_all()
    assert db.session.get(EventSeries, foreign.id).title == "Främmande"
    assert db.session.scalar(select(func.count()).select_from(EventSeries)) == 1


# --- the public page -----------------------------------------------------------------


def test_the_series_page_lists_coming_and_past_parts_but_no_drafts(client, lecture_series):
    series = lecture_series["series"]
    html = client.get(series_url(series)).get_data(as_text=True)
    coming, past = html.split('id="series-past"')
    assert "Andra föreläsningen" in coming
    assert "Tredje föreläsningen" in coming
    assert coming.index("Andra föreläsningen") < coming.index("Tredje föreläsningen")
    assert "Första föreläsningen" in past
    assert "Hemligt utkast" not in html
    assert "Utanför serien" not in html
    assert "Fyra föreläsningar." in html
    assert f"/kalender/serie/{series.public_id}.ics" in html
    assert f"/kalender/serie/{series.public_id}.atom" in html


def test_the_series_address_is_canonical(client, lecture_series):
    series = lecture_series["series"]
    for path in (f"/serier/{series.public_id}", f"/serier/{series.public_id}/fel-namn"):
        response = client.get(path)
        assert response.status_code == 301
        assert response.headers["Location"].endswith(series_url(series))
    assert client.get("/serier/finns-inte/x").status_code == 404
    assert client.get("/serier/a%00b/x").status_code == 404


def test_a_series_without_public_events_is_not_public(client):
    series = make_series()
    make_event(organisation=series.organisation, series=series, status="draft")
    db.session.commit()
    assert client.get(series_url(series)).status_code == 404
    assert client.get(f"/kalender/serie/{series.public_id}.ics").status_code == 404
    assert client.get(f"/api/v1/series/{series.public_id}").status_code == 404
    assert series.public_id not in client.get("/sitemap.xml").get_data(as_text=True)


def test_past_parts_are_paged(app, client):
    series = make_series()
    for days in range(1, 5):
        make_event(organisation=series.organisation, series=series, title=f"Del {days}",
                   start_dt=soon(-days * 7))  # fmt: skip
    db.session.commit()
    app.config["EVENTS_PER_PAGE"], before = 3, app.config["EVENTS_PER_PAGE"]
    try:
        first = client.get(series_url(series)).get_data(as_text=True)
        second = client.get(series_url(series) + "?sida=2").get_data(as_text=True)
        huge = client.get(series_url(series) + "?sida=99999999999999999999")
    finally:
        app.config["EVENTS_PER_PAGE"] = before
    assert "Del 1" in first
    assert "Del 3" in first
    assert "Del 4" not in first
    assert 'rel="next"' in first
    assert "Del 4" in second
    assert "Del 1" not in second
    assert huge.status_code == 200


def test_the_event_page_names_its_series(client, lecture_series):
    event, series = lecture_series["coming"], lecture_series["series"]
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}").get_data(as_text=True)
    assert "Del av serien" in html
    assert f'href="{series_url(series)}"' in html
    data = json_ld_of(html)
    assert data["superEvent"]["@type"] == "EventSeries"
    assert data["superEvent"]["name"] == series.title
    assert data["superEvent"]["url"].endswith(series_url(series))
    outside = lecture_series["outside"]
    other = client.get(f"/evenemang/{outside.public_id}/{outside.slug}").get_data(as_text=True)
    assert "Del av serien" not in other
    assert "superEvent" not in json_ld_of(other)


def test_the_series_page_has_event_series_json_ld(client, lecture_series):
    series = lecture_series["series"]
    data = json_ld_of(client.get(series_url(series)).get_data(as_text=True))
    assert data["@type"] == "EventSeries"
    assert data["name"] == series.title
    assert data["organizer"]["name"] == "Region Halland"
    names = [sub["name"] for sub in data["subEvent"]]
    assert names == ["Första föreläsningen", "Andra föreläsningen", "Tredje föreläsningen"]
    assert data["subEvent"][2]["eventStatus"] == "https://schema.org/EventCancelled"


def test_series_title_and_description_are_escaped_everywhere(client):
    organisation = make_organisation()
    series = make_series(organisation, title=f"Serie {PAYLOAD}",
                         description=f"Text {PAYLOAD} <script>alert(2)</script> "
                         "[klick](javascript:alert(3))")  # fmt: skip
    event = make_event(organisation=organisation, series=series)
    owner = make_user(organisations=[organisation], quick_hash=True)
    db.session.commit()
    pages = [series_url(series), f"/evenemang/{event.public_id}/{event.slug}"]
    for path in pages:
        html = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html, path
        assert "<script>alert(2)" not in html, path
        assert 'href="javascript:' not in html, path
        assert "&lt;img src=x onerror=alert(1)&gt;" in html, path
    logged_in(client, owner)
    for path in ("/arrangor/serier", f"/arrangor/serier/{series.id}",
                 f"/arrangor/evenemang/{event.id}/redigera",
                 f"/arrangor/evenemang/{event.id}/kopiera",
                 f"/arrangor/serier/{series.id}/ta-bort"):  # fmt: skip
        html = client.get(path).get_data(as_text=True)
        assert "<img src=x" not in html, path


def test_the_series_page_is_cached_and_follows_changes(client, lecture_series):
    series = lecture_series["series"]
    first = client.get(series_url(series))
    assert client.get(series_url(series), headers={
        "If-None-Match": first.headers["ETag"]}).status_code == 304  # fmt: skip
    series.title = "Nytt namn på serien"
    db.session.commit()
    again = client.get(series_url(series), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Nytt namn på serien" in again.get_data(as_text=True)


# --- feeds ----------------------------------------------------------------------------


def test_the_series_feed_has_its_public_events(client, lecture_series):
    series = lecture_series["series"]
    response = client.get(f"/kalender/serie/{series.public_id}.ics")
    assert response.status_code == 200
    calendar = Calendar.from_ical(response.data)
    summaries = {str(v["summary"]) for v in calendar.walk("VEVENT")}
    assert {"Första föreläsningen", "Andra föreläsningen"} <= summaries
    assert not {"Hemligt utkast", "Utanför serien"} & summaries
    assert str(calendar["x-wr-calname"]).startswith(series.title)
    description = str(calendar.walk("VEVENT")[0]["description"])
    assert f"Part of the series: {series.title}" in description or (
        f"Del av serien: {series.title}" in description
    )
    atom = client.get(f"/kalender/serie/{series.public_id}.atom")
    assert atom.status_code == 200
    assert atom.mimetype == "application/atom+xml"
    text = atom.get_data(as_text=True)
    assert "Andra föreläsningen" in text
    assert "Hemligt utkast" not in text


def test_the_series_feed_answers_conditional_gets_and_follows_a_rename(client, lecture_series):
    series = lecture_series["series"]
    path = f"/kalender/serie/{series.public_id}.ics"
    first = client.get(path)
    etag = first.headers["ETag"]
    assert client.get(path, headers={"If-None-Match": etag}).status_code == 304
    assert client.get(path, headers={
        "If-Modified-Since": first.headers["Last-Modified"]}).status_code == 304  # fmt: skip
    series.title = "Omdöpt serie"
    db.session.commit()
    renamed = client.get(path, headers={"If-None-Match": etag})
    assert renamed.status_code == 200
    assert "Omdöpt serie" in renamed.get_data(as_text=True)
    # The all-events feed names the series in each event's text: a rename reaches it too.
    whole = client.get("/kalender/evenemang.ics")
    series.title = "Omdöpt igen"
    db.session.commit()
    again = client.get("/kalender/evenemang.ics", headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 200
    assert "Omdöpt igen" in again.get_data(as_text=True)


# --- sitemap and API -----------------------------------------------------------------


def test_public_series_are_in_the_sitemap(client, lecture_series):
    series = lecture_series["series"]
    sitemap = client.get("/sitemap.xml").get_data(as_text=True)
    assert f"/serier/{series.public_id}/{series.slug}</loc>" in sitemap


def test_the_api_has_series_and_the_series_of_events(client, lecture_series):
    series = lecture_series["series"]
    listing = client.get("/api/v1/series").get_json()
    (item,) = listing["items"]
    assert item["identifier"] == series.public_id
    assert item["@type"] == "EventSeries"
    assert item["url"].endswith(series_url(series))
    one = client.get(f"/api/v1/series/{series.public_id}")
    assert one.status_code == 200
    assert client.get(f"/api/v1/series/{series.public_id}", headers={
        "If-None-Match": one.headers["ETag"]}).status_code == 304  # fmt: skip
    assert client.get("/api/v1/series/finns-inte").status_code == 404
    events = client.get(item["events"]).get_json()["items"]
    assert {e["name"] for e in events} == {
        "Första föreläsningen",
        "Andra föreläsningen",
        "Tredje föreläsningen",
    }
    assert all(e["series"]["identifier"] == series.public_id for e in events)
    outside = lecture_series["outside"]
    assert client.get(f"/api/v1/events/{outside.public_id}").get_json()["series"] is None
    for bad in ("a\x00b", "x" * 33, "<img>"):
        assert client.get("/api/v1/events", query_string={"serie": bad}).status_code == 400


def test_the_openapi_document_describes_series(client):
    document = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/series" in document["paths"]
    assert "/api/v1/series/{public_id}" in document["paths"]
    assert "SeriesRef" in document["components"]["schemas"]


def test_the_history_names_the_series_and_its_changes(app):
    from eventreg.services import audit

    series = make_series(title="Vårens föreläsningar")
    event = make_event(organisation=series.organisation)
    event_service.update_event(event, event_data(event, series_id=series.id), None)
    db.session.commit()
    with app.test_request_context("/?lang=en"):
        lines = audit.present(audit.audit_entries(event_id=event.id))
        changes = [(str(c.label), c.new) for line in lines for c in line.changes]
    assert ("Series", "Vårens föreläsningar") in changes


def test_the_demo_data_has_a_lecture_series_over_a_term(runner, client):
    assert runner.invoke(args=["demo-db", "--force"]).exit_code == 0
    series = db.session.scalar(
        select(EventSeries).where(EventSeries.title.startswith("Föreläsningsserie"))
    )
    now = utcnow()
    assert sum(event.end_dt <= now for event in series.events) == 1
    assert sum(event.start_dt > now for event in series.events) == 3
    assert client.get(series_url(series)).status_code == 200
