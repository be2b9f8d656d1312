"""The pure iCalendar builder: what a calendar app reads from a feed or an email attachment."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from eventreg.extensions import db
from eventreg.feeds.ical import build_calendar, event_uid, serialize
from tests.factories import local, make_event, make_organisation, make_theme

STOCKHOLM = ZoneInfo("Europe/Stockholm")
BASE = "https://evenemang.example.se"


def parse(calendar) -> Calendar:
    return Calendar.from_ical(serialize(calendar))


def only_event(calendar):
    (vevent,) = parse(calendar).walk("VEVENT")
    return vevent


def test_calendar_has_the_properties_calendar_apps_need():
    event = make_event(themes=[make_theme(name_sv="Hälsa")])
    parsed = parse(
        build_calendar(
            [event], base_url=BASE, name="Alla evenemang", description="Seminarier i Halland"
        )
    )
    assert str(parsed["version"]) == "2.0"
    assert "eventreg" in str(parsed["prodid"])
    assert str(parsed["calscale"]) == "GREGORIAN"
    assert str(parsed["method"]) == "PUBLISH"
    assert str(parsed["name"]) == str(parsed["x-wr-calname"]) == "Alla evenemang"
    assert str(parsed["description"]) == str(parsed["x-wr-caldesc"]) == "Seminarier i Halland"
    assert str(parsed["x-wr-timezone"]) == "Europe/Stockholm"
    assert parsed["refresh-interval"].params["VALUE"] == "DURATION"
    assert [tz["tzid"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Stockholm"]


def test_event_properties():
    organisation = make_organisation(name="Region Halland", contact_email="info@example.se")
    event = make_event(
        organisation=organisation,
        themes=[make_theme(name_sv="Arbete")],
        start_dt=local(2027, 5, 4, 13, 30),
    )
    vevent = only_event(build_calendar([event], base_url=BASE, name="x"))
    assert str(vevent["uid"]) == event_uid(event) == f"{event.public_id}@eventreg.halland"
    assert vevent.decoded("dtstart") == local(2027, 5, 4, 13, 30)
    assert vevent["dtstart"].params["TZID"] == "Europe/Stockholm"
    assert str(vevent["status"]) == "CONFIRMED"
    assert int(vevent["sequence"]) == 0
    assert f"/evenemang/{event.public_id}/" in str(vevent["url"])
    assert str(vevent["url"]) in str(vevent["description"])
    assert "Region Halland" in str(vevent["description"])
    assert "organizer" not in vevent
    assert vevent.categories == ["Arbete"]
    assert "Stadsbiblioteket, Fredsgatan 1, Halmstad" == str(vevent["location"])


def test_cancel_method_keeps_uid_and_cancels():
    event = make_event()
    event.status = "cancelled"
    db.session.flush()
    parsed = parse(
        build_calendar(
            [event],
            base_url=BASE,
            name="x",
            method="CANCEL",
            now=datetime(2027, 1, 1, tzinfo=UTC) + timedelta(0),
        )
    )
    assert str(parsed["method"]) == "CANCEL"
    (vevent,) = parsed.walk("VEVENT")
    assert str(vevent["uid"]) == event_uid(event)
    assert str(vevent["status"]) == "CANCELLED"
    assert int(vevent["sequence"]) == event.revision == 1
    assert str(vevent["summary"]).startswith("INSTÄLLT: ")
    assert "organizer" in vevent or not event.organisation.contact_email
