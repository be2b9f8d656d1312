"""The pure iCalendar builder: what a calendar app reads from a feed or an email attachment."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from eventreg.extensions import db
from eventreg.feeds.ical import build_calendar, event_uid, serialize, stockholm_vtimezone
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


def test_cancel_message_for_email_keeps_uid_raises_sequence_and_names_organizer():
    organisation = make_organisation(name="Region Halland", contact_email="info@example.se")
    event = make_event(organisation=organisation)
    before = only_event(build_calendar([event], base_url=BASE, name="x"))
    event.status = "cancelled"
    db.session.flush()
    sent = datetime(2027, 1, 1, 9, 30, tzinfo=UTC)
    parsed = parse(
        build_calendar(
            [event],
            base_url=BASE,
            name="x",
            method="CANCEL",
            now=sent,
            attendee="deltagare@example.se",
        )
    )
    assert str(parsed["method"]) == "CANCEL"
    (vevent,) = parsed.walk("VEVENT")
    assert str(vevent["uid"]) == str(before["uid"]) == event_uid(event)
    assert str(vevent["status"]) == "CANCELLED"
    assert int(vevent["sequence"]) > int(before["sequence"])
    assert int(vevent["sequence"]) == event.revision
    assert str(vevent["summary"]).startswith("INSTÄLLT: ")
    assert vevent.decoded("dtstamp") == sent
    # iTIP messages need ORGANIZER (and ATTENDEE); a public feed leaves ORGANIZER out.
    assert str(vevent["organizer"]) == "mailto:info@example.se"
    assert vevent["organizer"].params["CN"] == "Region Halland"
    assert str(vevent["attendee"]) == "mailto:deltagare@example.se"
    assert "organizer" not in before


def test_publish_can_include_organizer_when_asked():
    organisation = make_organisation(contact_email="info@example.se")
    event = make_event(organisation=organisation, contact_email="kurs@example.se")
    vevent = only_event(build_calendar([event], base_url=BASE, name="x", include_organizer=True))
    assert str(vevent["organizer"]) == "mailto:kurs@example.se"  # the event's own contact first


# --- Time zones ---


@pytest.mark.parametrize(
    ("day", "offset_hours"),
    [
        ((2027, 3, 27), 1),  # Saturday before the last Sunday of March: winter time
        ((2027, 3, 29), 2),  # Monday after: summer time
        ((2027, 10, 30), 2),  # Saturday before the last Sunday of October: summer time
        ((2027, 11, 1), 1),  # Monday after: winter time
    ],
)
def test_ten_oclock_is_ten_oclock_local_on_both_sides_of_the_change(day, offset_hours):
    event = make_event(start_dt=local(*day, 10), end_dt=local(*day, 12))
    parsed = parse(build_calendar([event], base_url=BASE, name="x"))
    (vevent,) = parsed.walk("VEVENT")
    assert vevent["dtstart"].params["TZID"] == "Europe/Stockholm"
    assert vevent["dtend"].params["TZID"] == "Europe/Stockholm"
    raw = serialize(build_calendar([event], base_url=BASE, name="x")).decode()
    assert f"DTSTART;TZID=Europe/Stockholm:{day[0]}{day[1]:02}{day[2]:02}T100000" in raw
    # What a client without its own tz database does: apply the feed's VTIMEZONE.
    feed_tz = parsed.walk("VTIMEZONE")[0].to_tz(lookup_tzid=False)
    wall = datetime(*day, 10, 0)
    assert wall.replace(tzinfo=feed_tz).utcoffset() == timedelta(hours=offset_hours)
    assert wall.replace(tzinfo=STOCKHOLM).utcoffset() == timedelta(hours=offset_hours)
    assert wall.replace(tzinfo=feed_tz).astimezone(UTC) == event.start_dt


def test_vtimezone_agrees_with_zoneinfo_every_hour_around_every_change():
    """The published rule against the tz database, 2020–2040, including the changeover
    hours themselves; fails if Sweden's rules ever change."""
    feed_tz = stockholm_vtimezone().to_tz(lookup_tzid=False)
    for year in range(2020, 2041):
        for month in (3, 10):
            last_day = date(year, month, 31)
            sunday = last_day - timedelta(days=(last_day.weekday() + 1) % 7)
            start = datetime(sunday.year, sunday.month, sunday.day, tzinfo=UTC) - timedelta(hours=6)
            for hour in range(12):
                instant = start + timedelta(hours=hour)
                assert instant.astimezone(feed_tz).utcoffset() == (
                    instant.astimezone(STOCKHOLM).utcoffset()
                ), instant
                assert instant.astimezone(feed_tz).replace(tzinfo=None) == (
                    instant.astimezone(STOCKHOLM).replace(tzinfo=None)
                ), instant


def test_vtimezone_onsets_are_the_local_time_before_the_change():
    """RFC 5545: an observance's DTSTART is local time in its TZOFFSETFROM, so spring is
    02:00 (+01:00) and autumn 03:00 (+02:00), both 01:00 UTC."""
    timezone = stockholm_vtimezone()
    (daylight,) = timezone.walk("DAYLIGHT")
    (standard,) = timezone.walk("STANDARD")
    assert daylight.decoded("dtstart") == datetime(1970, 3, 29, 2, 0)
    assert daylight.decoded("tzoffsetfrom") == timedelta(hours=1)
    assert standard.decoded("dtstart") == datetime(1970, 10, 25, 3, 0)
    assert standard.decoded("tzoffsetfrom") == timedelta(hours=2)


# --- Text ---


def test_swedish_and_arabic_text_survive():
    organisation = make_organisation(name="Länsstyrelsen i Hallands län")
    event = make_event(
        title="Välkomna: أهلاً وسهلاً – språkcafé för nyanlända",
        summary="Samtal på svenska och arabiska med Åsa Öberg och محمد العلي.",
        venue_name="Kulturhuset Fyren",
        address="Ängsgatan 3, Hylte",
        municipality="hylte",
        organisation=organisation,
        speakers=["Fatima Al-Hassan", "Åke Ärlig"],
    )
    body = serialize(build_calendar([event], base_url=BASE, name="Evenemang i Halland"))
    body.decode("utf-8")  # valid UTF-8 throughout, even where lines are folded
    vevent = only_event(build_calendar([event], base_url=BASE, name="x"))
    assert str(vevent["summary"]) == "Välkomna: أهلاً وسهلاً – språkcafé för nyanlända"
    description = str(vevent["description"])
    assert "Samtal på svenska och arabiska med Åsa Öberg och محمد العلي." in description
    assert "Fatima Al-Hassan, Åke Ärlig" in description
    assert "Länsstyrelsen i Hallands län" in description
    assert str(vevent["location"]) == "Kulturhuset Fyren, Ängsgatan 3, Hylte"


def test_long_description_is_folded_and_unfolds_unchanged():
    paragraph = "Ärendet gäller mottagande av nyanlända i Hallands kommuner – " * 40
    arabic = "برنامج التعريف بالمجتمع السويدي للقادمين الجدد " * 20
    event = make_event(summary="", description=f"{paragraph}\n\n{arabic}")
    body = serialize(build_calendar([event], base_url=BASE, name="x"))
    lines = body.split(b"\r\n")
    assert max(len(line) for line in lines) <= 75  # octets, per RFC 5545
    assert any(line.startswith(b" ") for line in lines)  # folded
    for line in lines:
        line.decode("utf-8")  # folding never splits a multi-byte character
    description = str(Calendar.from_ical(body).walk("VEVENT")[0]["description"])
    assert paragraph.strip() in description
    assert arabic.strip() in description


def test_commas_semicolons_and_backslashes_are_escaped():
    theme = make_theme(name_sv="Arbete, utbildning; framtid")
    event = make_event(
        title="Frågor, svar; och mer \\ annat",
        summary="Tid: 10-12; plats, sal 3",
        venue_name="Sal 3, plan 2",
        address="Storgatan 1; ingång B",
        themes=[theme],
    )
    raw = serialize(build_calendar([event], base_url=BASE, name="Tema; x, y")).decode()
    unfolded = raw.replace("\r\n ", "")
    assert "SUMMARY:Frågor\\, svar\\; och mer \\\\ annat" in unfolded
    assert "LOCATION:Sal 3\\, plan 2\\, Storgatan 1\\; ingång B\\, Halmstad" in unfolded
    assert "CATEGORIES:Arbete\\, utbildning\\; framtid" in unfolded
    vevent = only_event(build_calendar([event], base_url=BASE, name="x"))
    assert str(vevent["summary"]) == "Frågor, svar; och mer \\ annat"
    assert str(vevent["location"]) == "Sal 3, plan 2, Storgatan 1; ingång B, Halmstad"
    # CATEGORIES is checked on the raw line above only: icalendar 6.3.2's own parser
    # unescapes before splitting on commas, so it cannot read an escaped comma back.
    assert "Tid: 10-12; plats, sal 3" in str(vevent["description"])
    assert str(Calendar.from_ical(raw)["x-wr-calname"]) == "Tema; x, y"


def test_locale_chooses_the_language_of_the_labels():
    event = make_event(status="cancelled", themes=[make_theme(name_sv="Hälsa", name_en="Health")])
    english = only_event(build_calendar([event], base_url=BASE, name="x", locale="en"))
    swedish = only_event(build_calendar([event], base_url=BASE, name="x", locale="sv"))
    assert str(english["summary"]).startswith("CANCELLED: ")
    assert str(swedish["summary"]).startswith("INSTÄLLT: ")
    assert english.categories == ["Health"]
    assert swedish.categories == ["Hälsa"]


def test_uid_does_not_change_when_the_event_is_edited():
    event = make_event(title="Före")
    before = event_uid(event)
    event.title = "Efter"
    event.slug = "efter"
    event.start_dt = event.start_dt + timedelta(days=1)
    event.end_dt = event.end_dt + timedelta(days=1)
    db.session.flush()
    assert event_uid(event) == before
    assert str(only_event(build_calendar([event], base_url=BASE, name="x"))["uid"]) == before


def test_unknown_method_is_refused():
    with pytest.raises(ValueError, match="Unsupported iTIP method"):
        build_calendar([], base_url=BASE, name="x", method="REPLY")
