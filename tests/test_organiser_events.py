"""Organisers' events: the rules in services/events.py and the pages that use them."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.models import AuditEntry, Event, utcnow
from eventreg.services import events as event_service
from eventreg.services.events import EventData, EventRuleError, NonExistentLocalTime
from tests.factories import local, log_in, make_event, make_organisation, make_theme, make_user


def event_data(organisation, **overrides) -> EventData:
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=10)
    values = {
        "title": "Språkcafé i Varberg",
        "format": "seminar",
        "municipality": "varberg",
        "start_dt": start,
        "end_dt": start + timedelta(hours=2),
        "organisation_id": organisation.id,
    }
    values.update(overrides)
    return EventData(**values)


def form_data(organisation, theme=None, **overrides) -> dict:
    values = {
        "organisation_id": str(organisation.id),
        "title": "Hälsa på lika villkor",
        "summary": "Om vård för alla",
        "description": "**Program**\n\n- Inledning",
        "format": "lecture",
        "language_codes": ["sv", "ar"],
        "start_dt": "2030-03-12T09:00",
        "end_dt": "2030-03-12T12:00",
        "municipality": "varberg",
        "venue_name": "Stadsbiblioteket",
        "address": "Västra vallgatan 1",
        "capacity": "40",
        "registration_closes_dt": "2030-03-11T12:00",
        "contact_email": "info@varberg.se",
        "speakers": "Amina Yusuf, Region Halland\nErik Johansson",
        "step_free_access": "y",
    }
    if theme is not None:
        values["theme_ids"] = [str(theme.id)]
    values.update(overrides)
    return values


def errors_in(response) -> list[str]:
    """The fields the error summary links to (a group is linked through its first option)."""
    return re.findall(r'<li><a href="#([a-z_]+)(?:-0)?">', response.get_data(as_text=True))


@pytest.fixture(autouse=True)
def _request_context(app):
    """Services run inside a request (their messages are translated for its visitor)."""
    with app.test_request_context("/?lang=en"):
        yield


@pytest.fixture
def varberg():
    return make_organisation(slug="varbergs-kommun", name="Varbergs kommun")


@pytest.fixture
def organiser(varberg):
    return make_user(organisations=[varberg])


# --- times -------------------------------------------------------------------------------


def test_local_times_are_stored_as_utc():
    assert event_service.local_to_utc(datetime(2030, 1, 15, 9, 0)) == datetime(
        2030, 1, 15, 8, 0, tzinfo=UTC
    )
    assert event_service.local_to_utc(datetime(2030, 7, 15, 9, 0)) == datetime(
        2030, 7, 15, 7, 0, tzinfo=UTC
    )


def test_a_time_in_the_spring_gap_is_refused():
    with pytest.raises(NonExistentLocalTime, match="does not exist"):
        event_service.local_to_utc(datetime(2030, 3, 31, 2, 30))  # clocks go 02:00 → 03:00


def test_a_time_in_the_autumn_overlap_is_the_first_one():
    # 27 Oct 2030: 02:30 happens twice; the summer-time one is 00:30 UTC.
    assert event_service.local_to_utc(datetime(2030, 10, 27, 2, 30)) == datetime(
        2030, 10, 27, 0, 30, tzinfo=UTC
    )


def test_utc_to_local_round_trip():
    value = datetime(2030, 10, 27, 0, 30, tzinfo=UTC)
    assert event_service.utc_to_local(value) == datetime(2030, 10, 27, 2, 30)


# --- service rules -----------------------------------------------------------------------


def test_create_event_makes_a_draft_and_logs_it(varberg, organiser):
    theme = make_theme()
    data = event_data(varberg, theme_ids=[theme.id], language_codes=["sv", "so"],
                      speakers=[("Amina Yusuf", "Region Halland")])  # fmt: skip
    event = event_service.create_event(data, organiser)
    assert event.status == "draft"
    assert event.slug == "sprakcafe-i-varberg"
    assert event.themes == [theme]
    assert sorted(event.language_codes) == ["so", "sv"]
    assert [(s.name, s.affiliation) for s in event.speakers] == [("Amina Yusuf", "Region Halland")]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event_id == event.id))
    assert entry.action == "event.create"
    assert entry.user_id == organiser.id
    assert entry.changes["title"] == [None, "Språkcafé i Varberg"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"end_offset": timedelta(hours=0)}, "end_dt"),
        ({"end_offset": -timedelta(hours=1)}, "end_dt"),
        ({"closes_offset": timedelta(hours=2)}, "registration_closes_dt"),
        ({"closes_offset": timedelta(hours=3)}, "registration_closes_dt"),
        ({"opens_offset": timedelta(hours=1), "closes_offset": timedelta(hours=1)},
         "registration_opens_dt"),
        ({"municipality": "online"}, "online_url"),
        ({"capacity": -1}, "capacity"),
        ({"language_codes": []}, "language_codes"),
        ({"language_codes": ["xx"]}, "language_codes"),
        ({"theme_ids": [999999]}, "theme_ids"),
        ({"format": "party"}, "format"),
        ({"municipality": "oslo"}, "municipality"),
        ({"title": "  "}, "title"),
    ],
)  # fmt: skip
def test_rules_refuse_bad_event_data(varberg, organiser, change, field):
    data = event_data(varberg)
    change = dict(change)
    if "end_offset" in change:
        data.end_dt = data.start_dt + change.pop("end_offset")
    if "closes_offset" in change:
        data.registration_closes_dt = data.start_dt + change.pop("closes_offset")
    if "opens_offset" in change:
        data.registration_opens_dt = data.start_dt + change.pop("opens_offset")
    for name, value in change.items():
        setattr(data, name, value)
    assert field in event_service.validate_event_data(data)
    with pytest.raises(EventRuleError):
        event_service.create_event(data, organiser)
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_registration_may_close_after_the_start_but_before_the_end(varberg, organiser):
    data = event_data(varberg)
    data.registration_closes_dt = data.start_dt + timedelta(minutes=30)
    assert event_service.validate_event_data(data) == {}


def test_capacity_below_confirmed_seats_needs_confirmation(varberg, organiser):
    event = make_event(organisation=varberg, capacity=10, seats_taken=6)
    data = EventData.from_event(event)
    data.capacity = 5
    errors = event_service.validate_event_data(data, event)
    assert "6 people already have a confirmed seat" in errors["capacity"]
    assert "capacity" not in event_service.validate_event_data(
        data, event, allow_capacity_reduction=True
    )
    data.capacity = 6
    assert event_service.validate_event_data(data, event) == {}


def test_update_logs_changed_fields_with_old_and_new_values(varberg, organiser):
    event = make_event(organisation=varberg, venue_name="Gamla salen", capacity=20)
    revision = event.revision
    data = EventData.from_event(event)
    data.venue_name = "Nya salen"
    data.capacity = 30
    result = event_service.update_event(event, data, organiser)
    assert result.changes == {"venue_name": ["Gamla salen", "Nya salen"], "capacity": [20, 30]}
    assert result.notify_attendees  # a published event changed place
    assert event.revision == revision + 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.update"))
    assert entry.changes == result.changes


def test_update_of_a_draft_or_of_unseen_fields_does_not_notify(varberg, organiser):
    published = make_event(organisation=varberg)
    data = EventData.from_event(published)
    data.audience = "Alla"
    assert not event_service.update_event(published, data, organiser).notify_attendees
    draft = make_event(organisation=varberg, status="draft")
    data = EventData.from_event(draft)
    data.start_dt += timedelta(hours=1)
    data.end_dt += timedelta(hours=1)
    assert not event_service.update_event(draft, data, organiser).notify_attendees


def test_update_without_changes_logs_nothing(varberg, organiser):
    event = make_event(organisation=varberg, speakers=["Amina"])
    result = event_service.update_event(event, EventData.from_event(event), organiser)
    assert result.changes == {}
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 0


def test_duplicate_shifts_every_time_and_is_a_draft(varberg, organiser):
    theme = make_theme()
    start = local(2030, 3, 12, 9)
    event = make_event(
        organisation=varberg, themes=[theme], start_dt=start, end_dt=start + timedelta(hours=3),
        registration_closes_dt=start - timedelta(days=1), capacity=25, speakers=["Amina"],
    )  # fmt: skip
    copy = event_service.duplicate_event(event, start + timedelta(weeks=1), organiser)
    assert copy.id != event.id
    assert copy.public_id != event.public_id
    assert copy.status == "draft"
    assert copy.end_dt - copy.start_dt == timedelta(hours=3)
    assert copy.registration_closes_dt == start + timedelta(weeks=1) - timedelta(days=1)
    assert copy.themes == [theme]
    assert copy.capacity == 25
    assert copy.seats_taken == 0
    assert [s.name for s in copy.speakers] == ["Amina"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event_id == copy.id))
    assert entry.action == "event.duplicate"
    assert entry.changes["copied_from"] == [None, event.id]


def test_publish_unpublish_cancel_and_delete(varberg, organiser):
    event = make_event(organisation=varberg, status="draft")
    event_service.publish_event(event, organiser)
    assert event.status == "published"
    with pytest.raises(EventRuleError):
        event_service.publish_event(event, organiser)
    with pytest.raises(EventRuleError):
        event_service.delete_draft(event, organiser)
    event_service.unpublish_event(event, organiser)
    assert event.status == "draft"
    event_service.publish_event(event, organiser)
    with pytest.raises(EventRuleError, match="why"):
        event_service.cancel_event(event, "  ", organiser)
    result = event_service.cancel_event(event, "Föreläsaren är sjuk.", organiser)
    assert event.status == "cancelled"
    assert event.cancellation_reason == "Föreläsaren är sjuk."
    assert result.notify_attendees
    with pytest.raises(EventRuleError):
        event_service.unpublish_event(event, organiser)
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.event_id == event.id).order_by(AuditEntry.id)
    ).all()
    assert actions == ["event.publish", "event.unpublish", "event.publish", "event.cancel"]


def test_unpublish_refused_once_people_have_seats(varberg, organiser):
    event = make_event(organisation=varberg, capacity=10, seats_taken=1)
    with pytest.raises(EventRuleError, match="Cancel the event instead"):
        event_service.unpublish_event(event, organiser)


def test_a_past_event_cannot_be_published(varberg, organiser):
    start = utcnow() - timedelta(days=2)
    event = make_event(organisation=varberg, status="draft", start_dt=start)
    with pytest.raises(EventRuleError, match="ended"):
        event_service.publish_event(event, organiser)


def test_deleting_a_draft_keeps_its_history(varberg, organiser):
    event = make_event(organisation=varberg, status="draft", title="Utkast")
    event_id = event.id
    event_service.delete_draft(event, organiser)
    db.session.commit()
    assert db.session.get(Event, event_id) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.event_id == event_id))
    assert entry.action == "event.delete"
    assert entry.label == "Utkast"


def test_events_for_shows_only_the_users_organisations(varberg, organiser):
    mine = make_event(organisation=varberg)
    make_event()  # another organisation's
    admin = make_user(is_admin=True)
    assert event_service.events_for(organiser) == [mine]
    assert len(event_service.events_for(admin)) == 2
    assert event_service.events_for(make_user()) == []


# --- pages -------------------------------------------------------------------------------


def test_create_event_through_the_form(client, varberg, organiser):
    theme = make_theme()
    db.session.commit()
    log_in(client, organiser)
    assert client.get("/arrangor/evenemang/nytt").status_code == 200
    response = client.post("/arrangor/evenemang/nytt", data=form_data(varberg, theme))
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert response.headers["Location"] == f"/arrangor/evenemang/{event.id}"
    assert event.title == "Hälsa på lika villkor"
    assert event.status == "draft"
    # 09:00 Swedish winter time is 08:00 UTC.
    assert event.start_dt == datetime(2030, 3, 12, 8, 0, tzinfo=UTC)
    assert event.registration_closes_dt == datetime(2030, 3, 11, 11, 0, tzinfo=UTC)
    assert sorted(event.language_codes) == ["ar", "sv"]
    assert event.themes == [theme]
    assert [(s.name, s.affiliation) for s in event.speakers] == [
        ("Amina Yusuf", "Region Halland"), ("Erik Johansson", "")]
    assert event.step_free_access
    assert not event.hearing_loop
    assert event.capacity == 40
    assert event.contact_email == "info@varberg.se"


def test_edit_form_shows_stockholm_times(client, varberg, organiser):
    event = make_event(organisation=varberg, start_dt=datetime(2030, 7, 1, 7, 0, tzinfo=UTC))
    db.session.commit()
    log_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/redigera").get_data(as_text=True)
    assert 'value="2030-07-01T09:00"' in html


@pytest.mark.parametrize(
    ("overrides", "fields"),
    [
        ({"title": "", "start_dt": "", "end_dt": "", "language_codes": []},
         ["title", "language_codes", "start_dt", "end_dt"]),
        ({"end_dt": "2030-03-12T08:00"}, ["end_dt"]),
        ({"registration_closes_dt": "2030-03-12T12:30"}, ["registration_closes_dt"]),
        ({"start_dt": "2030-03-31T02:30", "end_dt": "2030-03-31T04:00"}, ["start_dt"]),
        ({"start_dt": "i morgon"}, ["start_dt"]),
        ({"capacity": "många"}, ["capacity"]),
        ({"capacity": "-3"}, ["capacity"]),
        ({"online_url": "javascript:alert(1)"}, ["online_url"]),
        ({"contact_email": "inte-en-adress"}, ["contact_email"]),
        ({"format": "fest"}, ["format"]),
        ({"municipality": "online", "online_url": ""}, ["online_url"]),
        ({"theme_ids": ["999999"]}, ["theme_ids"]),
        ({"title": "x" * 201}, ["title"]),
    ],
)  # fmt: skip
def test_bad_input_re_renders_with_errors_and_saves_nothing(
    client, varberg, organiser, overrides, fields
):
    db.session.commit()
    log_in(client, organiser)
    data = form_data(varberg, **overrides)
    response = client.post("/arrangor/evenemang/nytt?lang=en", data=data)
    assert response.status_code == 400
    assert errors_in(response) == fields
    html = response.get_data(as_text=True)
    assert "Hälsa på lika villkor" in html or not data["title"] or len(data["title"]) > 200
    assert 'value="Stadsbiblioteket"' in html  # the other input is kept
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0
    if overrides.get("start_dt") == "2030-03-31T02:30":
        assert "does not exist in Swedish time" in html


def test_edit_changes_the_event_and_logs_it(client, varberg, organiser):
    event = make_event(organisation=varberg, status="draft", title="Gammal titel")
    db.session.commit()
    log_in(client, organiser)
    response = client.post(
        f"/arrangor/evenemang/{event.id}/redigera", data=form_data(varberg, title="Ny titel")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).title == "Ny titel"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.update"))
    assert entry.changes["title"] == ["Gammal titel", "Ny titel"]
    assert entry.user_id == organiser.id


def test_capacity_reduction_asks_for_confirmation(client, varberg, organiser):
    event = make_event(organisation=varberg, capacity=50, seats_taken=30,
                       start_dt=datetime(2030, 3, 12, 8, 0, tzinfo=UTC))  # fmt: skip
    db.session.commit()
    log_in(client, organiser)
    response = client.post(
        f"/arrangor/evenemang/{event.id}/redigera?lang=en",
        data=form_data(varberg, capacity="20"),
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "30 people already have a confirmed seat" in html
    assert 'name="confirm_capacity_reduction"' in html
    db.session.expire_all()
    assert db.session.get(Event, event.id).capacity == 50


def test_edit_of_a_cancelled_event_is_refused(client, varberg, organiser):
    event = make_event(organisation=varberg, status="cancelled", cancellation_reason="Sjuk")
    db.session.commit()
    log_in(client, organiser)
    response = client.post(
        f"/arrangor/evenemang/{event.id}/redigera", data=form_data(varberg, title="Ny")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).title != "Ny"


def test_preview_shows_a_draft_to_its_organiser_only(client, varberg, organiser):
    event = make_event(organisation=varberg, status="draft", title="Hemligt utkast")
    db.session.commit()
    assert client.get(f"/evenemang/{event.public_id}").status_code == 404
    log_in(client, organiser)
    response = client.get(f"/arrangor/evenemang/{event.id}/forhandsvisning?lang=en")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Hemligt utkast" in html
    assert "It is a draft" in html


def test_description_markdown_is_sanitised_in_the_preview(client, varberg, organiser):
    event = make_event(organisation=varberg, status="draft",
                       description="**fet** <script>alert(1)</script>")  # fmt: skip
    db.session.commit()
    log_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/forhandsvisning").get_data(as_text=True)
    assert "<strong>fet</strong>" in html
    assert "<script>alert" not in html


def test_publish_then_public_then_cancel_through_pages(client, varberg, organiser):
    event = make_event(organisation=varberg, status="draft", title="Öppet möte")
    db.session.commit()
    log_in(client, organiser)
    assert client.post(f"/arrangor/evenemang/{event.id}/publicera").status_code == 302
    assert client.get(f"/evenemang/{event.public_id}/{event.slug}").status_code == 200
    assert client.get(f"/arrangor/evenemang/{event.id}/stall-in").status_code == 200
    response = client.post(f"/arrangor/evenemang/{event.id}/stall-in?lang=en", data={"reason": ""})
    assert response.status_code == 400
    assert errors_in(response) == ["reason"]
    client.post(f"/arrangor/evenemang/{event.id}/stall-in", data={"reason": "Sjukdom"})
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.status == "cancelled"
    assert event.cancellation_reason == "Sjukdom"
    page = client.get(f"/evenemang/{event.public_id}/{event.slug}").get_data(as_text=True)
    assert "Sjukdom" in page


def test_unpublish_and_delete_through_pages(client, varberg, organiser):
    event = make_event(organisation=varberg)
    db.session.commit()
    event_id = event.id
    log_in(client, organiser)
    client.post(f"/arrangor/evenemang/{event.id}/avpublicera")
    db.session.expire_all()
    assert db.session.get(Event, event.id).status == "draft"
    assert client.get(f"/arrangor/evenemang/{event.id}/ta-bort").status_code == 200
    response = client.post(f"/arrangor/evenemang/{event.id}/ta-bort")
    assert response.headers["Location"] == "/arrangor/"
    db.session.expunge_all()
    assert db.session.get(Event, event_id) is None


def test_refused_status_change_is_explained(client, varberg, organiser):
    event = make_event(organisation=varberg)
    db.session.commit()
    log_in(client, organiser)
    response = client.post(f"/arrangor/evenemang/{event.id}/ta-bort?lang=en")
    assert response.status_code == 302
    assert db.session.get(Event, event.id) is not None
    page = client.get(f"/arrangor/evenemang/{event.id}?lang=en").get_data(as_text=True)
    assert "Only a draft without registrations can be deleted." in page


def test_duplicate_through_the_page(client, varberg, organiser):
    event = make_event(organisation=varberg, start_dt=datetime(2030, 3, 12, 8, 0, tzinfo=UTC))
    db.session.commit()
    log_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/kopiera").get_data(as_text=True)
    assert 'value="2030-03-19T09:00"' in html  # a week later, Swedish time
    response = client.post(
        f"/arrangor/evenemang/{event.id}/kopiera", data={"start_dt": "2030-04-02T09:00"}
    )
    copy = db.session.scalar(select(Event).where(Event.id != event.id))
    assert response.headers["Location"] == f"/arrangor/evenemang/{copy.id}/redigera"
    # 2 April is summer time: 09:00 is 07:00 UTC.
    assert copy.start_dt == datetime(2030, 4, 2, 7, 0, tzinfo=UTC)
    response = client.post(
        f"/arrangor/evenemang/{event.id}/kopiera?lang=en", data={"start_dt": "2030-03-31T02:15"}
    )
    assert response.status_code == 400
    assert errors_in(response) == ["start_dt"]


def test_dashboard_lists_own_events_only(client, varberg, organiser):
    make_event(organisation=varberg, title="Vårt seminarium")
    make_event(title="Någon annans seminarium")
    db.session.commit()
    log_in(client, organiser)
    html = client.get("/arrangor/").get_data(as_text=True)
    assert "Vårt seminarium" in html
    assert "Någon annans" not in html


def test_admin_sees_the_event_history(client, varberg, organiser):
    event = make_event(organisation=varberg, status="draft")
    event_service.publish_event(event, organiser)
    admin = make_user(is_admin=True)
    db.session.commit()
    log_in(client, organiser)
    assert "event.publish" not in client.get(f"/arrangor/evenemang/{event.id}").get_data(
        as_text=True
    )
    client.post("/arrangor/logga-ut")
    log_in(client, admin)
    html = client.get(f"/arrangor/evenemang/{event.id}?lang=en").get_data(as_text=True)
    assert "History" in html
    assert "Event published" in html
    assert organiser.name in html
