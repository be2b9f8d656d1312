"""Courses: an event of several sessions under one registration. The rules (no overlap, at
most twenty, the event's time kept as the span), the organiser's sessions page, every session
in every calendar, check-in and attendance per session, statistics that count a course once,
and a migration that leaves existing events as they were."""

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from icalendar import Calendar
from sqlalchemy import func, select, text

from eventreg.extensions import db
from eventreg.feeds import ical
from eventreg.mail.notifications import render
from eventreg.models import (
    AuditEntry,
    Event,
    EventSession,
    OutboxEmail,
    Registration,
    SessionAttendance,
    utcnow,
)
from eventreg.models.data_version import current_token
from eventreg.models.types import LOCAL_TZ, utc_to_local
from eventreg.services import attendees, questions, sessions, statistics
from eventreg.services import events as event_service
from eventreg.services import registrations as registration_service
from eventreg.services.questions import QuestionData
from eventreg.services.sessions import SessionData, SessionRuleError
from eventreg.tokens import feed_token, manage_token
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_theme,
    make_user,
    registration_form,
)
from tests.test_page_cache import counting_queries

PAYLOAD = "<img src=x onerror=alert(1)>"


def day_at(days: int, hour: int = 13) -> datetime:
    """`days` from today at `hour` o'clock Swedish time, in UTC."""
    day = (utcnow() + timedelta(days=days)).astimezone(LOCAL_TZ).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=LOCAL_TZ).astimezone(UTC)


def session_data(days: int, hours: int = 3, **fields) -> SessionData:
    start = day_at(days)
    return SessionData(start_dt=start, end_dt=start + timedelta(hours=hours), **fields)


def make_course(sessions_count: int = 3, weeks_apart: int = 1, **event_fields) -> Event:
    """A published course of `sessions_count` afternoons a week apart, from in 10 days."""
    start = day_at(10)
    fields = {"title": "Kort utbildning: Mångfald i rekrytering", "format": "short_course",
              "start_dt": start, "end_dt": start + timedelta(hours=3)}  # fmt: skip
    fields.update(event_fields)
    theme = fields.pop("theme", None)
    event = make_event(themes=[theme] if theme else None, **fields)
    for number in range(1, sessions_count):
        sessions.add_session(event, session_data(10 + 7 * weeks_apart * number), None)
    db.session.commit()
    return event


def outbox(kind: str | None = None) -> list[OutboxEmail]:
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        stmt = stmt.where(OutboxEmail.kind == kind)
    return list(db.session.scalars(stmt))


def local_input(moment) -> str:
    return utc_to_local(moment).strftime("%Y-%m-%dT%H:%M")


# --- the rules ---------------------------------------------------------------------------------


def test_the_first_session_added_makes_a_course_of_two_with_the_event_time_first(app):
    event = make_event(start_dt=day_at(10), end_dt=day_at(10) + timedelta(hours=3))
    first_start = event.start_dt
    change = sessions.add_session(event, session_data(17, note="Ta med övningen"), None)
    db.session.commit()

    assert [s.position for s in event.sessions] == [1, 2]
    assert event.sessions[0].start_dt == first_start
    assert event.sessions[1] is change.session
    assert event.sessions[1].note == "Ta med övningen"
    assert (event.start_dt, event.end_dt) == (first_start, day_at(17) + timedelta(hours=3))


def test_the_event_keeps_the_span_of_its_sessions_in_time_order(app):
    course = make_course(3)
    # An earlier session becomes the first; positions follow time, not the order of adding.
    sessions.add_session(course, session_data(5), None)
    db.session.commit()
    assert [s.position for s in course.sessions] == [1, 2, 3, 4]
    assert course.sessions[0].start_dt == day_at(5)
    assert course.start_dt == day_at(5)
    assert [s.start_dt for s in course.sessions] == sorted(s.start_dt for s in course.sessions)

    last = course.sessions[-1]
    sessions.update_session(course, last, session_data(40), None)
    db.session.commit()
    assert course.end_dt == day_at(40) + timedelta(hours=3)

    sessions.remove_session(course, course.sessions[0], None)
    db.session.commit()
    assert course.start_dt == day_at(10)
    assert [s.position for s in course.sessions] == [1, 2, 3]


def test_overlapping_sessions_are_refused(app):
    course = make_course(2)
    overlapping = SessionData(day_at(10) + timedelta(hours=2), day_at(10) + timedelta(hours=4))
    with pytest.raises(SessionRuleError, match="överlappar"):
        sessions.add_session(course, overlapping, None)
    # Moving a session onto another is refused too; end to start is not an overlap.
    with pytest.raises(SessionRuleError, match="överlappar"):
        sessions.update_session(course, course.sessions[1], session_data(10), None)
    back_to_back = SessionData(day_at(10) + timedelta(hours=3), day_at(10) + timedelta(hours=5))
    sessions.add_session(course, back_to_back, None)
    assert len(course.sessions) == 3


def test_a_course_has_at_most_twenty_sessions(app):
    course = make_course(sessions.MAX_SESSIONS, weeks_apart=1)
    assert len(course.sessions) == 20
    with pytest.raises(SessionRuleError, match="högst 20"):
        sessions.add_session(course, session_data(150), None)


@pytest.mark.parametrize(
    ("start_hours", "end_hours", "message"),
    [
        (3, 3, "Sluttiden måste vara efter"),
        (3, 1, "Sluttiden måste vara efter"),
        (0, 25, "högst 24 timmar"),
    ],
)
def test_a_session_ends_after_it_starts_within_a_day(app, start_hours, end_hours, message):
    course = make_course(2)
    base = day_at(30, hour=0)
    data = SessionData(base + timedelta(hours=start_hours), base + timedelta(hours=end_hours))
    with pytest.raises(SessionRuleError, match=message):
        sessions.add_session(course, data, None)


def test_all_sessions_are_within_a_year(app):
    course = make_course(2)
    with pytest.raises(SessionRuleError, match="inom ett år"):
        sessions.add_session(course, session_data(10 + 400), None)


def test_registration_must_close_before_the_last_session_ends(app):
    course = make_course(2, registration_closes_dt=day_at(15))
    with pytest.raises(SessionRuleError, match="Anmälan stänger efter"):
        sessions.update_session(course, course.sessions[1], session_data(12), None)


def test_removing_all_but_one_session_makes_the_event_meet_once_at_its_time_and_place(app):
    course = make_course(2)
    second = course.sessions[1]
    sessions.update_session(
        course, second, session_data(17, venue_name="Rådhuset", address="Storgatan 2",
                                     municipality="varberg"), None,
    )  # fmt: skip
    sessions.remove_session(course, course.sessions[0], None)
    db.session.commit()
    assert course.sessions == []
    assert db.session.scalar(select(func.count(EventSession.id))) == 0
    assert (course.start_dt, course.end_dt) == (day_at(17), day_at(17) + timedelta(hours=3))
    assert (course.venue_name, course.address, course.municipality) == (
        "Rådhuset", "Storgatan 2", "varberg")  # fmt: skip


def test_a_cancelled_events_sessions_cannot_change(app):
    course = make_course(2)
    event_service.cancel_event(course, "Sjukdom", None)
    db.session.commit()
    for change in (
        lambda: sessions.add_session(course, session_data(30), None),
        lambda: sessions.update_session(course, course.sessions[1], session_data(30), None),
        lambda: sessions.remove_session(course, course.sessions[1], None),
    ):
        with pytest.raises(SessionRuleError, match="inställt"):
            change()


def test_a_changed_session_raises_the_sequence_and_the_public_data_version(app):
    course = make_course(2)
    revision, token = course.revision, current_token()
    data = SessionData.from_session(course.sessions[1])
    data.note = "Ny lokal på plan 2"  # the span stays the same
    sessions.update_session(course, course.sessions[1], data, None)
    db.session.commit()
    assert course.revision == revision + 1
    assert current_token() != token


def test_every_change_is_in_the_audit_log(app):
    course = make_course(2)
    actions = list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.event_id == course.id)
    ))  # fmt: skip
    assert actions == ["event.session_add"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event_id == course.id))
    assert len(entry.changes["sessions"][1]) == 2
    assert "end_dt" in entry.changes


def test_people_registered_are_told_when_a_session_changes(app):
    course = make_course(2)
    seated = make_registration(course)
    db.session.commit()
    sessions.update_session(course, course.sessions[1], session_data(18), None)
    db.session.commit()
    (notice,) = outbox("event_changed")
    assert notice.registration_id == seated.id
    render(notice)
    when = utc_to_local(day_at(18)).strftime("%Y-%m-%d %H:%M")
    assert when in notice.body_text
    # Those with a seat get the calendar update: every session, a higher SEQUENCE.
    calendar = Calendar.from_ical(notice.ics)
    assert len(calendar.walk("VEVENT")) == 2


def test_the_event_form_does_not_move_a_course(client, app):
    organisation = make_organisation()
    user = make_user(organisations=[organisation], quick_hash=True)
    course = make_course(3, organisation=organisation)
    span = (course.start_dt, course.end_dt)
    data = event_service.EventData.from_event(course)
    data.start_dt, data.end_dt = day_at(3), day_at(3) + timedelta(hours=1)
    event_service.update_event(course, data, user)
    db.session.commit()
    assert (course.start_dt, course.end_dt) == span
    log_in(client, user)
    page = client.get(f"/arrangor/evenemang/{course.id}/redigera").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="start_dt"[^>]*readonly', page)
    assert "sidan Tillfällen" in page


def test_a_copy_of_a_course_is_a_course_at_the_new_dates(app):
    course = make_course(3)
    copy = event_service.duplicate_event(course, course.start_dt + timedelta(weeks=5), None)
    db.session.commit()
    assert [s.start_dt for s in copy.sessions] == [
        s.start_dt + timedelta(weeks=5) for s in course.sessions
    ]
    assert copy.end_dt == course.end_dt + timedelta(weeks=5)


# --- the organiser's sessions page ---------------------------------------------------------------


@pytest.fixture
def organiser(client):
    organisation = make_organisation()
    user = make_user(organisations=[organisation], quick_hash=True)
    db.session.commit()
    log_in(client, user)
    return user


def session_form(days: int, **overrides) -> dict:
    start = day_at(days)
    values = {"start_dt": local_input(start), "end_dt": local_input(start + timedelta(hours=3)),
              "municipality": "", "venue_name": "", "address": "", "note": ""}  # fmt: skip
    values.update(overrides)
    return values


def test_organisers_add_change_and_remove_sessions(client, organiser):
    event = make_event(organisation=organiser.organisations[0], start_dt=day_at(10),
                       end_dt=day_at(10) + timedelta(hours=3))  # fmt: skip
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/tillfallen"
    page = client.get(url)
    assert page.status_code == 200
    assert "Tillfällen" in page.get_data(as_text=True)

    response = client.post(url, data=session_form(17, venue_name="Rådhuset"))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert [s.venue_name for s in event.sessions] == ["", "Rådhuset"]

    second = event.sessions[1]
    response = client.post(f"{url}/{second.id}", data=session_form(24, note="Nytt datum"))
    assert response.status_code == 302
    db.session.expire_all()
    assert event.sessions[1].note == "Nytt datum"
    assert event.end_dt == day_at(24) + timedelta(hours=3)

    response = client.post(f"{url}/{event.sessions[1].id}/ta-bort")
    assert response.status_code == 302
    db.session.expire_all()
    assert event.sessions == []
    assert event.start_dt == day_at(10)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"start_dt": "", "end_dt": ""}, "Ange när evenemanget börjar."),
        ({"start_dt": "99999-01-01T10:00"}, "Ange datum och tid"),
        ({"start_dt": "2999-13-45T25:00"}, "Ange datum och tid"),
        ({"start_dt": "1800-01-01T10:00"}, "1900 och 2999"),
        ({"venue_name": "Sal\x00en"}, ""),
        ({"venue_name": "Rad 1\r\nRad 2"}, "på en rad"),
        ({"venue_name": "x" * 5000}, "200"),
        ({"note": "y" * 100_000}, "500"),
        ({"municipality": "atlantis"}, ""),
        ({"end_dt": "garbage"}, "Ange datum och tid"),
        ({"end_dt": "2999-01-01T10:00"}, "högst 24 timmar"),
    ],
)
def test_garbage_in_the_session_form_is_a_clear_error(client, organiser, overrides, message):
    event = make_event(organisation=organiser.organisations[0], start_dt=day_at(10))
    db.session.commit()
    response = client.post(f"/arrangor/evenemang/{event.id}/tillfallen",
                           data=session_form(17, **overrides))  # fmt: skip
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert event.sessions == []


def test_an_overlapping_session_is_refused_beside_the_field(client, organiser):
    event = make_course(2, organisation=organiser.organisations[0])
    response = client.post(f"/arrangor/evenemang/{event.id}/tillfallen", data=session_form(10))
    assert response.status_code == 400
    assert "överlappar" in response.get_data(as_text=True)


def test_another_events_session_or_a_huge_id_is_404(client, organiser):
    mine = make_course(2, organisation=organiser.organisations[0])
    other = make_course(2, organisation=organiser.organisations[0])
    base = f"/arrangor/evenemang/{mine.id}/tillfallen"
    assert client.get(f"{base}/{other.sessions[1].id}").status_code == 404
    assert client.get(f"{base}/99999999999999999999").status_code == 404
    assert client.get(f"/arrangor/evenemang/{mine.id}/incheckning?tillfalle=x").status_code == 404


# --- calendars, feeds, JSON-LD, API -----------------------------------------------------------


def course_vevents(calendar: Calendar, course: Event) -> list:
    return [v for v in calendar.walk("VEVENT") if str(v["uid"]).startswith(course.public_id)]


def assert_one_vevent_per_session(calendar: Calendar, course: Event) -> None:
    vevents = course_vevents(calendar, course)
    assert len(vevents) == 3
    course_uid = ical.event_uid(course)
    assert [str(v["uid"]) for v in vevents] == [
        course_uid, ical.session_uid(course, 2), ical.session_uid(course, 3)
    ]  # fmt: skip
    assert ical.session_uid(course, 2) == f"{course.public_id}-2@{ical.UID_DOMAIN}"
    assert [v.decoded("dtstart") for v in vevents] == [s.start_dt for s in course.sessions]
    assert [v.decoded("dtend") for v in vevents] == [s.end_dt for s in course.sessions]
    assert {int(v["sequence"]) for v in vevents} == {course.revision}
    assert "RELATED-TO" not in vevents[0]
    assert [str(v["related-to"]) for v in vevents[1:]] == [course_uid, course_uid]
    summaries = [str(v["summary"]) for v in vevents]
    assert summaries[1] == f"{course.title} (tillfälle 2 av 3)"


@pytest.mark.parametrize(
    "url",
    [
        "/kalender/evenemang.ics",
        "/kalender/tema/{theme}.ics",
        "/kalender/kommun/halmstad.ics",
        "/kalender/arrangor/{organisation}.ics",
        "/kalender/evenemang/{public_id}.ics",
        "/anmalan/{manage}/evenemang.ics",
        "/kalender/mina/{feed}.ics",
    ],
)
def test_every_session_is_its_own_vevent_in_every_calendar(client, url):
    theme = make_theme()
    course = make_course(3, theme=theme)
    registration = make_registration(course)
    db.session.commit()
    url = url.format(theme=theme.slug, organisation=course.organisation.slug,
                     public_id=course.public_id, manage=manage_token(registration),
                     feed=feed_token(registration))  # fmt: skip
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert_one_vevent_per_session(Calendar.from_ical(response.data), course)


def test_the_confirmation_email_lists_every_session_and_carries_them_all(app):
    course = make_course(3)
    make_registration(course)
    db.session.commit()
    (confirmation,) = outbox("confirmation")
    render(confirmation)
    for session in course.sessions:
        assert utc_to_local(session.start_dt).strftime("%H:%M") in confirmation.body_text
    assert confirmation.body_text.count("tillfälle") == 0  # the list, not the calendar title
    assert "Tillfällen" in confirmation.body_text
    assert "Tillfällen" in confirmation.body_html
    assert_one_vevent_per_session(Calendar.from_ical(confirmation.ics), course)


def test_a_cancelled_course_cancels_every_session(client):
    course = make_course(3)
    make_registration(course)
    db.session.commit()
    event_service.cancel_event(course, "Sjukdom", None)
    db.session.commit()
    calendar = Calendar.from_ical(client.get(f"/kalender/evenemang/{course.public_id}.ics").data)
    vevents = course_vevents(calendar, course)
    assert len(vevents) == 3
    assert {str(v["status"]) for v in vevents} == {"CANCELLED"}
    assert all(str(v["summary"]).startswith("INSTÄLLT: ") for v in vevents)
    (notice,) = outbox("event_cancelled")
    render(notice)
    cancel = Calendar.from_ical(notice.ics)
    assert str(cancel["method"]) == "CANCEL"
    assert len(course_vevents(cancel, course)) == 3


def test_an_attendees_own_cancellation_takes_every_session_out_of_their_calendar(app):
    course = make_course(3)
    registration = make_registration(course)
    db.session.commit()
    registration_service.cancel_registration(registration)
    db.session.commit()
    (cancellation,) = outbox("cancellation")
    render(cancellation)
    vevents = course_vevents(Calendar.from_ical(cancellation.ics), course)
    assert len(vevents) == 3
    assert {str(v["status"]) for v in vevents} == {"CANCELLED"}
    assert {int(v["sequence"]) for v in vevents} == {course.revision + 1}


def test_the_atom_feed_has_one_entry_per_course_listing_its_sessions(client):
    course = make_course(3)
    body = client.get("/kalender/evenemang.atom").get_data(as_text=True)
    assert body.count("<entry>") == 1
    assert "3 tillfällen:" in body
    for session in course.sessions:
        assert f"{session.position}. " in body


def test_json_ld_and_the_api_have_every_session(client):
    course = make_course(3)
    page = client.get(f"/evenemang/{course.public_id}/{course.slug}").get_data(as_text=True)
    (script,) = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    data = json.loads(script)
    assert [e["startDate"] for e in data["subEvent"]] == [
        s.start_dt.isoformat() for s in course.sessions
    ]
    api = client.get(f"/api/v1/events/{course.public_id}").get_json()
    assert [s["position"] for s in api["sessions"]] == [1, 2, 3]
    assert api["startDate"].startswith(course.start_dt.strftime("%Y-%m-%d"))
    single = make_event()
    db.session.commit()
    assert client.get(f"/api/v1/events/{single.public_id}").get_json()["sessions"] == []


def test_the_openapi_document_describes_the_sessions(client):
    document = client.get("/api/v1/openapi.json").get_json()
    schemas = document["components"]["schemas"]
    assert "sessions" in schemas["ApiEvent"]["properties"]
    assert set(schemas["Session"]["required"]) >= {"position", "startDate", "endDate"}


# --- public pages ------------------------------------------------------------------------------


def test_the_event_page_and_the_list_show_the_sessions(client):
    course = make_course(3)
    page = client.get(f"/evenemang/{course.public_id}/{course.slug}").get_data(as_text=True)
    assert "3 tillfällen, en anmälan för alla" in page
    (listed,) = re.findall(r'<ol class="session-list">(.*?)</ol>', page, re.S)
    assert re.findall(r"<strong>Tillfälle (\d):</strong>", listed) == ["1", "2", "3"]
    for session in course.sessions:
        assert utc_to_local(session.start_dt).strftime("%H:%M") in listed
    listing = client.get("/evenemang/").get_data(as_text=True)
    assert "3 tillfällen" in listing


def test_the_sign_up_takes_one_seat_for_the_whole_course(client):
    course = make_course(3, capacity=10)
    form = client.get(f"/evenemang/{course.public_id}/anmalan").get_data(as_text=True)
    assert form.count("Tillfälle ") >= 3
    response = client.post(f"/evenemang/{course.public_id}/anmalan", data=registration_form())
    assert response.status_code == 302, response.get_data(as_text=True)
    db.session.expire_all()
    assert course.seats_taken == 1
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_a_script_in_a_session_note_or_venue_is_shown_as_text(client, organiser):
    course = make_course(2, organisation=organiser.organisations[0])
    registration = make_registration(course)
    sessions.update_session(course, course.sessions[1], session_data(
        17, venue_name=PAYLOAD, address=PAYLOAD, note=PAYLOAD), None)  # fmt: skip
    db.session.commit()
    escaped = "&lt;img src=x onerror=alert(1)&gt;"
    for url in (
        f"/evenemang/{course.public_id}/{course.slug}",
        f"/evenemang/{course.public_id}/anmalan",
        f"/anmalan/{manage_token(registration)}",
        f"/arrangor/evenemang/{course.id}/tillfallen",
        f"/arrangor/evenemang/{course.id}/incheckning",
        f"/arrangor/evenemang/{course.id}/narvarolista?tillfalle={course.sessions[1].id}",
        "/evenemang/",
    ):
        body = client.get(url).get_data(as_text=True)
        assert PAYLOAD not in body, url
    page = client.get(f"/evenemang/{course.public_id}/{course.slug}").get_data(as_text=True)
    assert escaped in page
    (notice,) = outbox("event_changed")
    render(notice)
    assert PAYLOAD not in notice.body_html
    assert escaped in notice.body_html


# --- check-in and statistics -------------------------------------------------------------------


def test_check_in_is_per_session_and_offers_todays(client, organiser):
    course = make_course(3, organisation=organiser.organisations[0])
    person = make_registration(course, name="Amal Yusuf")
    db.session.commit()
    second = course.sessions[1]
    with time_machine.travel(second.start_dt - timedelta(minutes=10), tick=False):
        log_in(client, organiser)  # the login of the fixture has expired by then
        page = client.get(f"/arrangor/evenemang/{course.id}/incheckning").get_data(as_text=True)
        assert re.search(rf'<option value="{second.id}" selected>', page)
        response = client.post(
            f"/arrangor/evenemang/{course.id}/incheckning/{person.id}",
            data={"tillfalle": str(second.id)},
        )
        assert response.status_code == 302
        assert f"tillfalle={second.id}" in response.headers["Location"]
    db.session.expire_all()
    assert [a.session_id for a in db.session.scalars(select(SessionAttendance))] == [second.id]
    assert person.attended_at is not None
    # Another session: outside its time it needs "anyway"; then both are recorded.
    third = course.sessions[2]
    with pytest.raises(attendees.CheckInClosed):
        sessions.check_in_at_session(person, third, organiser, now=second.start_dt)
    assert sessions.check_in_at_session(person, third, organiser, now=second.start_dt,
                                        anyway=True)  # fmt: skip
    assert not sessions.check_in_at_session(person, third, organiser, anyway=True)
    db.session.commit()
    assert sessions.checked_in_sessions(person) == {second.id, third.id}
    log_in(client, organiser)
    sheet_url = f"/arrangor/evenemang/{course.id}/narvarolista?tillfalle="
    sheet = client.get(f"{sheet_url}{course.sessions[0].id}")
    assert "Incheckade hittills: 0" in sheet.get_data(as_text=True)
    sheet = client.get(f"{sheet_url}{third.id}")
    assert "Incheckade hittills: 1" in sheet.get_data(as_text=True)
    # Undoing one session keeps the course's attendance; undoing the last removes it.
    sessions.undo_session_check_in(person, second, organiser)
    assert person.attended_at is not None
    sessions.undo_session_check_in(person, third, organiser)
    assert person.attended_at is None


def test_statistics_count_a_course_once_and_show_attendance_per_session(client, organiser):
    course = make_course(3, organisation=organiser.organisations[0])
    came, stayed_away = make_registration(course), make_registration(course)
    for session in course.sessions:
        sessions.check_in_at_session(came, session, organiser, anyway=True)
    db.session.commit()
    tallies = statistics.load_tallies(None, now=course.end_dt + timedelta(days=1))
    total = statistics.compute_total(tallies)
    assert (total.registrations, total.attended) == (2, 1)
    assert len(tallies.events) == 1
    assert stayed_away.attended_at is None
    assert [count for _session, count in sessions.attendance_per_session(course)] == [1, 1, 1]
    overview = client.get(f"/arrangor/evenemang/{course.id}").get_data(as_text=True)
    assert "Närvaro per tillfälle" in overview


# --- the CSV export ----------------------------------------------------------------------------

# The export's headings before courses, in Swedish (the pages' default language).
EXPORT_HEADINGS = [
    "Status", "Namn", "E-postadress", "Organisation", "Sektor", "Kommun", "Specialkost",
    "Behov av tillgänglighetsanpassning", "Tolkning", "Incheckningskod", "Anmäld", "Incheckad",
]  # fmt: skip


def export(client, event: Event) -> list[list[str]]:
    response = client.get(f"/arrangor/evenemang/{event.id}/anmalningar.csv")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig")), delimiter=";"))


def session_heading(session: EventSession) -> str:
    return f"Tillfälle {session.position} ({utc_to_local(session.start_dt):%Y-%m-%d %H:%M})"


def test_the_export_has_a_column_per_session_saying_who_was_checked_in(client, organiser):
    course = make_course(3, organisation=organiser.organisations[0])
    questions.add_question(course, QuestionData("text", "Något vi ska ta upp?"), None)
    first, second, third = course.sessions
    both = make_registration(course, name="Amal Yusuf")
    middle = make_registration(course, name="Bo Ek")
    make_registration(course, name="Cecilia Nilsson")  # came to none
    for person, session in ((both, first), (both, third), (middle, second)):
        sessions.check_in_at_session(person, session, organiser, anyway=True)
    db.session.commit()
    rows = export(client, course)
    # The sessions after the export's own columns, the event's own questions last.
    assert rows[0] == EXPORT_HEADINGS + [session_heading(s) for s in course.sessions] + [
        "Något vi ska ta upp?"
    ]
    came = {row[1]: row[12:15] for row in rows[1:]}
    assert came == {"Amal Yusuf": ["Ja", "", "Ja"], "Bo Ek": ["", "Ja", ""],
                    "Cecilia Nilsson": ["", "", ""]}  # fmt: skip


def test_the_export_of_an_event_without_sessions_is_as_before(client, organiser):
    event = make_event(organisation=organiser.organisations[0])
    person = make_registration(event, name="Amal Yusuf")
    db.session.commit()
    attendees.check_in(person, organiser, anyway=True)
    db.session.commit()
    response = client.get(f"/arrangor/evenemang/{event.id}/anmalningar.csv")
    rows = export(client, event)
    assert rows[0] == EXPORT_HEADINGS
    assert [len(row) for row in rows] == [12, 12]
    with client.application.test_request_context("/?lang=sv"):
        before = attendees.registrations_csv(attendees.registrations_by_status(event)["confirmed"])
    assert response.data == before  # byte for byte the export without the session columns


def test_the_export_reads_attendance_in_one_query_however_many_people_and_sessions(
    client, organiser
):
    def queries_for(sessions_count: int, people: int) -> int:
        course = make_course(sessions_count, organisation=organiser.organisations[0])
        for _ in range(people):
            person = make_registration(course)
            for session in course.sessions:
                sessions.check_in_at_session(person, session, organiser, anyway=True)
        db.session.commit()
        db.session.expire_all()
        with counting_queries() as statements:
            rows = export(client, course)
        assert len(rows) == people + 1
        everyone_came = [["Ja"] * sessions_count] * people
        assert [row[12 : 12 + sessions_count] for row in rows[1:]] == everyone_came
        return len(statements)

    assert queries_for(2, 1) == queries_for(4, 6)


def test_session_headings_are_stockholm_time_in_summer_and_winter(client, organiser):
    year = utcnow().year + 1  # a January and a July to come, six months apart
    winter = datetime(year, 1, 14, 12, tzinfo=UTC)
    summer = datetime(year, 7, 8, 12, tzinfo=UTC)
    course = make_event(organisation=organiser.organisations[0], start_dt=winter,
                        end_dt=winter + timedelta(hours=3))  # fmt: skip
    sessions.add_session(course, SessionData(start_dt=summer, end_dt=summer + timedelta(hours=3)),
                         None)  # fmt: skip
    db.session.commit()
    assert export(client, course)[0][12:] == [
        f"Tillfälle 1 ({year}-01-14 13:00)",  # CET, UTC+1
        f"Tillfälle 2 ({year}-07-08 14:00)",  # CEST, UTC+2
    ]


# --- the migration -----------------------------------------------------------------------------


def test_the_migration_leaves_existing_events_meeting_once(empty_database_url):
    from flask_migrate import downgrade, upgrade

    from eventreg import create_app

    old = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})  # fmt: skip
    columns = "id, title, start_dt, end_dt, venue_name, municipality, revision"
    with old.app_context():
        try:
            upgrade(revision="df6f0e7a0010")
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO organisation (id, slug, name) VALUES (1, 'o', 'O')"))
                conn.execute(text(
                    "INSERT INTO event (id, public_id, slug, title, summary, description, "
                    "format, audience, interpretation_available, interpretation_note, start_dt, "
                    "end_dt, venue_name, address, municipality, accessibility_notes, capacity, "
                    "seats_taken, status, cancellation_reason, organisation_id, created_at, "
                    "updated_at, revision, search_text) VALUES (1, 'p', 's', 'T', '', '', "
                    "'seminar', '', false, '', '2030-01-01 09:00:00', "
                    "'2030-01-01 10:00:00', 'Salen', '', 'varberg', '', 40, 0, 'published', '', "
                    "1, '2030-01-01', '2030-01-01', 3, '')"
                ))  # fmt: skip
                before = conn.execute(text(f"SELECT {columns} FROM event")).one()
            upgrade(revision="e07f0e7a0011")
            with db.engine.connect() as conn:
                after = conn.execute(text(f"SELECT {columns} FROM event")).one()
                rows = conn.execute(text("SELECT count(*) FROM event_session")).scalar()
            downgrade(revision="df6f0e7a0010")
            with db.engine.connect() as conn:
                kept = conn.execute(text(f"SELECT {columns} FROM event")).one()
                tables = set(db.inspect(conn).get_table_names())
        finally:
            db.engine.dispose()
    assert tuple(after) == tuple(before) == tuple(kept)
    assert rows == 0
    assert "event_session" not in tables
    assert "session_attendance" not in tables


# --- demo data ---------------------------------------------------------------------------------


def test_demo_data_has_a_three_session_course_with_registrations(runner):
    from eventreg.demo import COURSE_TITLE

    result = runner.invoke(args=["demo-db", "--force"])
    assert result.exit_code == 0, result.output
    course = db.session.scalar(select(Event).where(Event.title == COURSE_TITLE))
    assert course.format == "short_course"
    assert [s.position for s in course.sessions] == [1, 2, 3]
    # Three afternoons a week apart (in Swedish time, across a change to summer time too).
    starts = [utc_to_local(s.start_dt) for s in course.sessions]
    assert [(b.date() - a.date()).days for a, b in zip(starts, starts[1:], strict=False)] == [7, 7]
    assert {start.hour for start in starts} == {13}
    assert (course.start_dt, course.end_dt) == (course.sessions[0].start_dt,
                                                course.sessions[-1].end_dt)  # fmt: skip
    assert course.seats_taken >= 3
    assert db.session.scalar(select(func.count(OutboxEmail.id))) == 0


def test_what_goes_with_a_session_or_a_course_leaves_no_rows_behind(app):
    course = make_course(3)
    person = make_registration(course)
    for session in course.sessions:
        sessions.check_in_at_session(person, session, None, anyway=True)
    db.session.commit()
    sessions.remove_session(course, course.sessions[1], None)
    db.session.commit()
    assert db.session.scalar(select(func.count(SessionAttendance.id))) == 2
    assert person.attended_at is not None  # they came to the course all the same

    draft = make_course(3, status="draft")
    event_service.delete_draft(draft, None)
    db.session.commit()
    assert db.session.scalar(select(func.count(EventSession.id))) == 2  # the first course's


def test_two_organisers_adding_overlapping_sessions_at_once_add_one(app):
    """Forced interleaving: the first has added a session and holds its transaction (and the
    event's lock) open while the second adds one at the same time. The second waits for the
    lock and then sees the first's session (PostgreSQL: "overlaps"), or is told the event
    is busy (SQLite, whose read snapshot cannot be upgraded): never two overlapping ones."""
    from sqlalchemy.exc import OperationalError

    from tests.races import race_while_held

    course = make_course(2)
    course_id = course.id

    def add(hour: int):
        event = db.session.get(Event, course_id)
        assert len(event.sessions) == 2  # read before the lock, as the sessions page does
        start = day_at(30, hour=hour)
        try:
            sessions.add_session(event, SessionData(start, start + timedelta(hours=3)), None)
        except (SessionRuleError, OperationalError) as error:
            db.session.rollback()
            return type(error).__name__
        return "added"

    race = race_while_held(app, lambda: add(9), lambda: add(10), watch_seconds=0.5)
    assert race.first == "added"
    assert race.second in ("SessionRuleError", "OperationalError")
    db.session.expire_all()
    starts = [s.start_dt for s in db.session.get(Event, course_id).sessions]
    assert starts.count(day_at(30, hour=9)) == 1
    assert day_at(30, hour=10) not in starts
