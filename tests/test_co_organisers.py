"""Joint events: one responsible organisation, any number of co-organisers.

Co-organisers are named wherever the event is (page, cards, feeds, JSON-LD, API) and an
organisation's lists and feeds include what it co-organises. Their organisers see the
event read only and count it in their figures, once; only the responsible organisation
edits it and sees the people registered (the full route-by-route matrix is in
test_organiser_permissions.py, role "co")."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, text

from eventreg.extensions import db
from eventreg.models import (
    AuditEntry,
    Event,
    FeedbackAnswer,
    Organisation,
    OutboxEmail,
    User,
    utcnow,
)
from eventreg.models.co_organisers import event_co_organiser
from eventreg.organiser.notifications import describe_event_changes
from eventreg.services import audit, feedback, statistics
from eventreg.services import events as event_service
from eventreg.services.events import EventData, EventRuleError, validate_event_data
from eventreg.services.imports import parse_csv
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_user,
)

PAYLOAD = "<img src=x onerror=alert(1)>"
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


@pytest.fixture
def region():
    return make_organisation(slug="region-halland", name="Region Halland")


@pytest.fixture
def lansstyrelsen():
    return make_organisation(slug="lansstyrelsen-halland", name="Länsstyrelsen i Hallands län")


@pytest.fixture
def joint(region, lansstyrelsen):
    """A published event of Region Halland, co-organised by Länsstyrelsen."""
    event = make_event(organisation=region, title="Etablering i Halland", capacity=30,
                       co_organisers=[lansstyrelsen])  # fmt: skip
    db.session.commit()
    return event


def data_for(organisation: Organisation, **fields) -> EventData:
    start = utcnow().replace(microsecond=0) + timedelta(days=30)
    values = dict(title="Samverkansdag", format="seminar", municipality="halmstad",
                  start_dt=start, end_dt=start + timedelta(hours=2),
                  organisation_id=organisation.id)  # fmt: skip
    values.update(fields)
    return EventData(**values)


def client_of(app, user: User):
    client = app.test_client()
    log_in(client, user)
    return client


# --- the rules ---------------------------------------------------------------------------------


def test_co_organisers_are_kept_by_name_and_logged(app, region, lansstyrelsen):
    halmstad = make_organisation(name="Halmstads kommun")
    data = data_for(region, co_organiser_ids=[lansstyrelsen.id, halmstad.id])
    event = event_service.create_event(data, None)
    db.session.commit()
    db.session.expire_all()
    assert [o.name for o in event.co_organisers] == [
        "Halmstads kommun", "Länsstyrelsen i Hallands län"]  # fmt: skip
    assert event.organisation_id == region.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.create"))
    assert entry.changes["co_organiser_ids"] == [None, sorted([lansstyrelsen.id, halmstad.id])]
    with app.test_request_context("/?lang=sv"):
        (line,) = audit.present([entry])
    assert ("Medarrangörer", "–", "Länsstyrelsen i Hallands län, Halmstads kommun") in [
        (change.label, change.old, change.new) for change in line.changes
    ]


def test_the_responsible_organisation_is_never_also_a_co_organiser(region, lansstyrelsen):
    both = data_for(region, co_organiser_ids=[region.id, lansstyrelsen.id])
    assert "co_organiser_ids" in validate_event_data(both)
    with pytest.raises(EventRuleError):
        event_service.create_event(both, None)
    # Nor by moving the event to one of its co-organisers.
    event = event_service.create_event(data_for(region, co_organiser_ids=[lansstyrelsen.id]),
                                       None)  # fmt: skip
    moved = EventData.from_event(event)
    moved.organisation_id = lansstyrelsen.id
    with pytest.raises(EventRuleError):
        event_service.update_event(event, moved, None)


@pytest.mark.parametrize("bad_id", [999_999, 2**31 + 5, 10**30])
def test_an_unknown_co_organiser_is_refused(region, bad_id):
    errors = validate_event_data(data_for(region, co_organiser_ids=[bad_id]))
    assert errors == {"co_organiser_ids": "Välj medarrangörer i listan."}


def test_a_copy_for_a_series_keeps_the_co_organisers(joint, lansstyrelsen):
    copy = event_service.duplicate_event(joint, joint.start_dt + timedelta(weeks=1), None)
    assert copy.co_organisers == [lansstyrelsen]
    assert copy.organisation_id == joint.organisation_id


def test_a_change_of_co_organisers_is_named_in_the_change_notice(app, joint, lansstyrelsen):
    make_registration(joint)
    halmstad = make_organisation(name="Halmstads kommun")
    data = EventData.from_event(joint)
    data.co_organiser_ids = [lansstyrelsen.id, halmstad.id]
    notice = event_service.change_notice(joint, data)
    assert notice.may_notify  # a correction may skip the email
    assert not notice.must_notify
    with app.test_request_context("/?lang=sv"):
        lines = describe_event_changes(notice.notified_changes)
    assert [(line.label, line.old, line.new) for line in lines] == [
        ("Medarrangörer", "Länsstyrelsen i Hallands län",
         "Halmstads kommun, Länsstyrelsen i Hallands län")]  # fmt: skip


def test_deleting_an_organisation_that_co_organises_is_refused(app, joint, lansstyrelsen):
    from eventreg.admin.operations import AdminRuleError, delete_organisation, event_counts

    admin = make_user(is_admin=True)
    assert event_counts()[lansstyrelsen.id] == 1
    with pytest.raises(AdminRuleError):
        delete_organisation(lansstyrelsen, admin)


def test_a_deleted_draft_takes_its_co_organiser_rows_along(joint, lansstyrelsen):
    other = make_event(status="draft", co_organisers=[lansstyrelsen])
    db.session.commit()
    event_service.delete_draft(other, None)
    db.session.commit()
    rows = db.session.execute(select(event_co_organiser.c.event_id)).scalars().all()
    assert rows == [joint.id]
    if db.engine.dialect.name == "postgresql":  # SQLite here does not enforce foreign keys
        # ON DELETE CASCADE on both sides: the database's own rule, also for raw SQL.
        db.session.execute(text("DELETE FROM organisation WHERE id = :id"),
                           {"id": lansstyrelsen.id})  # fmt: skip
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(event_co_organiser)) == 0


# --- the event form ----------------------------------------------------------------------------


def test_the_form_offers_other_organisations_and_saves_them(app, region, lansstyrelsen):
    organiser = make_user(organisations=[region])
    db.session.commit()
    client = client_of(app, organiser)
    html = client.get("/arrangor/evenemang/nytt?lang=sv").get_data(as_text=True)
    group = re.search(r'<fieldset[^>]*id="co_organiser_ids".*?</fieldset>', html, re.S).group(0)
    assert "<legend>Medarrangörer</legend>" in group
    assert "Länsstyrelsen i Hallands län" in group
    assert "Region Halland" not in group  # their own is the responsible one
    start = (utcnow() + timedelta(days=40)).strftime("%Y-%m-%d")
    form = {"organisation_id": str(region.id), "title": "Samverkansdag", "format": "seminar",
            "language_codes": ["sv"], "start_dt": f"{start}T09:00", "end_dt": f"{start}T11:00",
            "municipality": "halmstad", "co_organiser_ids": [str(lansstyrelsen.id)]}  # fmt: skip
    response = client.post("/arrangor/evenemang/nytt", data=form)
    assert response.status_code == 302
    event = db.session.scalar(select(Event).where(Event.title == "Samverkansdag"))
    assert event.co_organisers == [lansstyrelsen]
    # The edit form shows it ticked, and saving without co-organisers (none posted: an
    # optional field left empty) removes it.
    edit = client.get(f"/arrangor/evenemang/{event.id}/redigera").get_data(as_text=True)
    assert re.search(rf'value="{lansstyrelsen.id}"[^>]*checked|checked[^>]*value="'
                     rf'{lansstyrelsen.id}"', edit)  # fmt: skip
    del form["co_organiser_ids"]
    assert client.post(f"/arrangor/evenemang/{event.id}/redigera", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).co_organisers == []


@pytest.mark.parametrize("posted", ["own", "99999999999999999999", "abc", "1\x00"])
def test_the_form_refuses_a_bad_co_organiser_without_a_500(app, region, posted):
    organiser = make_user(organisations=[region])
    db.session.commit()
    client = client_of(app, organiser)
    start = (utcnow() + timedelta(days=40)).strftime("%Y-%m-%d")
    form = {"organisation_id": str(region.id), "title": "Samverkansdag", "format": "seminar",
            "language_codes": ["sv"], "start_dt": f"{start}T09:00", "end_dt": f"{start}T11:00",
            "municipality": "halmstad",
            "co_organiser_ids": [str(region.id) if posted == "own" else posted]}  # fmt: skip
    response = client.post("/arrangor/evenemang/nytt", data=form)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Event)) == 0


def test_with_several_organisations_the_responsible_one_ticked_is_explained(
    app, region, lansstyrelsen
):
    both = make_user(organisations=[region, lansstyrelsen])
    db.session.commit()
    client = client_of(app, both)
    start = (utcnow() + timedelta(days=40)).strftime("%Y-%m-%d")
    form = {"organisation_id": str(region.id), "title": "Samverkansdag", "format": "seminar",
            "language_codes": ["sv"], "start_dt": f"{start}T09:00", "end_dt": f"{start}T11:00",
            "municipality": "halmstad", "co_organiser_ids": [str(region.id)]}  # fmt: skip
    response = client.post("/arrangor/evenemang/nytt?lang=sv", data=form)
    assert response.status_code == 400
    assert "Den ansvariga organisationen kan inte också vara medarrangör." in response.get_data(
        as_text=True
    )


def test_the_import_reads_co_organisers_by_address_name(region, lansstyrelsen):
    csv_text = (
        "title;start;end;municipality;medarrangörer\n"
        "Gemensam;2031-05-01 10:00;2031-05-01 12:00;varberg;lansstyrelsen-halland\n"
        "Okänd;2031-05-02 10:00;2031-05-02 12:00;varberg;finns-inte\n"
        "Egen;2031-05-03 10:00;2031-05-03 12:00;varberg;region-halland\n"
        "Ingen;2031-05-04 10:00;2031-05-04 12:00;varberg;\n"
    ).encode()
    rows = parse_csv(csv_text, region)
    for row in rows:
        if row.data is not None:
            for message in validate_event_data(row.data).values():
                row.problem("co_organiser_ids", message)
    good, unknown, own, none = rows
    assert good.is_good
    assert good.data.co_organiser_ids == [lansstyrelsen.id]
    assert "finns-inte" in unknown.errors[0]
    assert "medarrangörer" in own.errors[0]  # the column as the file names it
    assert none.is_good
    assert none.data.co_organiser_ids == []


# --- seeing is not editing ---------------------------------------------------------------------


def test_a_co_organiser_sees_the_overview_read_only(app, joint, lansstyrelsen):
    co = make_user(organisations=[lansstyrelsen])
    db.session.commit()
    html = client_of(app, co).get(f"/arrangor/evenemang/{joint.id}?lang=sv").get_data(as_text=True)
    assert "Er organisation är medarrangör för evenemanget" in html
    assert "<dt>Medarrangörer</dt><dd>Länsstyrelsen i Hallands län</dd>" in html
    for endpoint in ("redigera", "kopiera", "stall-in", "avpublicera", "anmalningar",
                     "incheckning", "narvarolista", "material", "meddelande"):  # fmt: skip
        assert f"/arrangor/evenemang/{joint.id}/{endpoint}" not in html, endpoint
    assert f"/arrangor/evenemang/{joint.id}/omdomen" in html
    assert f"/arrangor/evenemang/{joint.id}/forhandsvisning" in html


def test_the_responsible_organisation_still_sees_every_page(app, joint, region):
    owner = make_user(organisations=[region])
    db.session.commit()
    html = client_of(app, owner).get(f"/arrangor/evenemang/{joint.id}").get_data(as_text=True)
    assert "medarrangör för evenemanget" not in html
    for endpoint in ("redigera", "kopiera", "stall-in", "anmalningar", "narvarolista"):
        assert f"/arrangor/evenemang/{joint.id}/{endpoint}" in html, endpoint


def test_a_co_organiser_gets_no_personal_data(app, joint, lansstyrelsen):
    make_registration(joint, name="Anna Lindqvist", email="anna@example.se")
    co = make_user(organisations=[lansstyrelsen])
    db.session.commit()
    client = client_of(app, co)
    for path in ("anmalningar", "anmalningar.csv", "narvarolista", "incheckning?q=anna",
                 "meddelande"):  # fmt: skip
        response = client.get(f"/arrangor/evenemang/{joint.id}/{path}")
        assert response.status_code == 403, path
        assert "Anna" not in response.get_data(as_text=True)
    for path in ("", "/forhandsvisning", "/omdomen"):
        response = client.get(f"/arrangor/evenemang/{joint.id}{path}")
        assert response.status_code == 200, path
        assert "Anna" not in response.get_data(as_text=True)


def test_the_dashboard_lists_co_organised_events_marked_and_not_to_publish(
    app, region, lansstyrelsen
):
    start = utcnow() + timedelta(days=10)
    make_event(organisation=region, title="Gemensamt utkast", status="draft", start_dt=start,
               co_organisers=[lansstyrelsen])  # fmt: skip
    own_draft = make_event(organisation=lansstyrelsen, title="Eget utkast", status="draft",
                           start_dt=start)  # fmt: skip
    make_event(organisation=region, title="Regionens eget", start_dt=start)
    co = make_user(organisations=[lansstyrelsen])
    db.session.commit()
    html = client_of(app, co).get("/arrangor/?lang=sv").get_data(as_text=True)
    assert "Gemensamt utkast" in html
    assert "Eget utkast" in html
    assert "Regionens eget" not in html
    assert html.count("Er organisation är medarrangör: bara läsa") == 1
    assert re.findall(r'name="valda" value="(\d+)"', html) == [str(own_draft.id)]


def test_events_for_lists_each_event_once(region, lansstyrelsen):
    make_event(organisation=region, co_organisers=[lansstyrelsen])
    both = make_user(organisations=[region, lansstyrelsen])
    assert len(event_service.events_for(both)) == 1
    assert len(event_service.events_for(make_user(organisations=[lansstyrelsen]))) == 1
    assert event_service.events_for(make_user(organisations=[make_organisation()])) == []


# --- figures, counted once ---------------------------------------------------------------------


def test_statistics_count_a_joint_event_once_for_either_or_both(region, lansstyrelsen):
    event = make_event(organisation=region, co_organisers=[lansstyrelsen])
    make_registration(event)
    make_registration(event)
    event.start_dt -= timedelta(days=10)  # held now, with feedback
    event.end_dt -= timedelta(days=10)
    db.session.add_all(FeedbackAnswer(event_id=event.id, rating=r, usefulness="yes")
                       for r in (4, 5))  # fmt: skip
    make_event(organisation=make_organisation())  # not theirs
    for scope in ({region.id}, {lansstyrelsen.id}, {region.id, lansstyrelsen.id}):
        tallies = statistics.load_tallies(scope)
        figures = statistics.compute_tallies(tallies)
        assert (figures.events, figures.total.registrations) == (1, 2), scope
        facts = statistics.load_facts(scope)
        assert len(facts) == 2, scope
        ratings = feedback.load_rating_facts(scope)
        assert sum(fact.count for fact in ratings) == 2, scope


def total_row(csv_bytes: bytes) -> list[str]:
    rows = list(csv.reader(io.StringIO(csv_bytes.decode("utf-8-sig")), delimiter=";"))
    return rows[1]


def test_the_statistics_page_of_a_co_organiser_counts_the_joint_event(
    app, joint, region, lansstyrelsen
):
    make_registration(joint)
    co = make_user(organisations=[lansstyrelsen])
    both = make_user(organisations=[region, lansstyrelsen])
    db.session.commit()
    for user in (co, both):
        response = client_of(app, user).get("/arrangor/statistik.csv")
        assert response.status_code == 200
        assert total_row(response.data)[2:4] == ["1", "1"]  # one event, one registered
    chosen = client_of(app, co).get(f"/arrangor/statistik.csv?organisation={lansstyrelsen.id}")
    assert total_row(chosen.data)[2:4] == ["1", "1"]


# --- the public side ---------------------------------------------------------------------------


def test_the_event_page_names_the_co_organisers(client, joint):
    html = client.get(f"/evenemang/{joint.public_id}/{joint.slug}?lang=sv").get_data(as_text=True)
    assert "<dt>Arrangör</dt>" in html
    assert "Region Halland i samarbete med Länsstyrelsen i Hallands län" in html
    english = client.get(f"/evenemang/{joint.public_id}/{joint.slug}?lang=en").get_data(
        as_text=True
    )
    assert "Region Halland in cooperation with Länsstyrelsen i Hallands län" in english


def test_the_registration_form_says_who_holds_the_registrations(client, joint):
    html = client.get(f"/evenemang/{joint.public_id}/anmalan?lang=sv").get_data(as_text=True)
    assert "<dd>Region Halland i samarbete med Länsstyrelsen i Hallands län</dd>" in html
    assert "<dt>Ansvarig för anmälningarna</dt>\n  <dd>Region Halland</dd>" in html


def test_the_confirmation_email_names_the_co_organisers_in_the_persons_language(app, joint):
    from eventreg.mail import sender as mail_sender

    make_registration(joint, locale="en")
    db.session.commit()
    assert mail_sender.send_due().sent == 1
    email = db.session.scalar(select(OutboxEmail))
    assert "Region Halland in cooperation with Länsstyrelsen i Hallands län" in email.body_text
    calendar = Calendar.from_ical(email.ics)
    (vevent,) = calendar.walk("VEVENT")
    assert "in cooperation with Länsstyrelsen i Hallands län" in str(vevent["description"])


def test_several_co_organisers_are_a_list_in_the_readers_language(client, joint):
    joint.co_organisers = [*joint.co_organisers, make_organisation(name="Halmstads kommun"),
                           make_organisation(name="Hylte kommun")]  # fmt: skip
    db.session.commit()
    html = client.get(f"/evenemang/{joint.public_id}/{joint.slug}?lang=sv").get_data(as_text=True)
    assert ("Region Halland i samarbete med Halmstads kommun, Hylte kommun och "
            "Länsstyrelsen i Hallands län") in html  # fmt: skip


def test_an_organisations_list_feed_and_api_include_what_it_co_organises(
    client, joint, lansstyrelsen
):
    make_event(organisation=make_organisation(), title="Någon annans")
    db.session.commit()
    slug = lansstyrelsen.slug
    listing = client.get(f"/evenemang/?arrangor={slug}").get_data(as_text=True)
    assert "Etablering i Halland" in listing
    assert "Någon annans" not in listing
    assert "Region Halland i samarbete med Länsstyrelsen i Hallands län" in listing  # the card
    calendar = Calendar.from_ical(client.get(f"/kalender/arrangor/{slug}.ics").data)
    (vevent,) = calendar.walk("VEVENT")
    assert "i samarbete med Länsstyrelsen i Hallands län" in str(vevent["description"])
    atom = client.get(f"/kalender/arrangor/{slug}.atom").get_data(as_text=True)
    assert atom.count("<entry>") == 1
    assert "Region Halland i samarbete med Länsstyrelsen i Hallands län" in atom
    items = client.get(f"/api/v1/events?arrangor={slug}").get_json()["items"]
    assert [item["name"] for item in items] == ["Etablering i Halland"]
    assert items[0]["organizer"]["identifier"] == "region-halland"
    assert items[0]["coOrganizers"] == [{
        "@type": "Organization", "identifier": "lansstyrelsen-halland",
        "name": "Länsstyrelsen i Hallands län", "url": "https://example.se/",
    }]  # fmt: skip
    # The responsible organisation's own list has it too, once.
    region_items = client.get("/api/v1/events?arrangor=region-halland").get_json()["items"]
    assert [item["name"] for item in region_items] == ["Etablering i Halland"]


def test_an_event_without_co_organisers_is_unchanged(client):
    event = make_event(organisation=make_organisation(name="Hylte kommun"))
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}?lang=sv").get_data(as_text=True)
    assert "i samarbete med" not in html
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                                re.S).group(1))  # fmt: skip
    assert data["organizer"]["name"] == "Hylte kommun"
    item = client.get("/api/v1/events").get_json()["items"][0]
    assert item["coOrganizers"] == []


def test_following_an_organisation_includes_what_it_co_organises(client, lansstyrelsen):
    from tests.test_alerts import confirm_last, outbox, run_alerts, subscribe

    db.session.commit()
    assert subscribe(client, {"arrangor": lansstyrelsen.slug}).status_code == 302
    confirm_last(client)
    make_event(organisation=make_organisation(), co_organisers=[lansstyrelsen], title="Gemensam")
    make_event(organisation=make_organisation(), title="Någon annans")
    db.session.commit()
    assert run_alerts() == (1, 0)
    assert [email.subject for email in outbox("alert_event")] == ["Nytt evenemang: Gemensam"]


def test_json_ld_lists_every_organiser(client, joint):
    html = client.get(f"/evenemang/{joint.public_id}/{joint.slug}").get_data(as_text=True)
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', html,
                                re.S).group(1))  # fmt: skip
    assert data["organizer"] == [
        {"@type": "Organization", "name": "Region Halland", "url": "https://example.se/"},
        {"@type": "Organization", "name": "Länsstyrelsen i Hallands län",
         "url": "https://example.se/"},
    ]  # fmt: skip


def test_renaming_a_co_organiser_changes_the_feed(client, joint, lansstyrelsen):
    # The feed of all events: its name does not change with the co-organiser's.
    path = "/kalender/evenemang.ics"
    first = client.get(path)
    lansstyrelsen.name = "Länsstyrelsen Halland"
    db.session.commit()
    second = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert "i samarbete med Länsstyrelsen Halland" in second.get_data(as_text=True).replace(
        "\r\n ", ""
    )


def test_adding_a_co_organiser_raises_the_events_sequence(client, joint):
    before = joint.revision
    joint.co_organisers = [*joint.co_organisers, make_organisation(name="Hylte kommun")]
    db.session.commit()
    assert joint.revision == before + 1
    page = client.get(f"/evenemang/{joint.public_id}/{joint.slug}").get_data(as_text=True)
    assert "Hylte kommun" in page  # the cached page was not served stale


# --- escaping ----------------------------------------------------------------------------------


def test_an_organisation_name_with_markup_is_shown_as_text_everywhere(app, client, region):
    hostile = make_organisation(slug="elak", name=PAYLOAD)
    event = make_event(organisation=region, co_organisers=[hostile], title="Gemensam")
    their_own = make_event(organisation=hostile, co_organisers=[region], title="Deras")
    owner = make_user(organisations=[region])
    db.session.commit()
    pages = [
        client.get(f"/evenemang/{event.public_id}/{event.slug}"),
        client.get("/evenemang/"),
        client.get(f"/evenemang/?arrangor={hostile.slug}"),
    ]
    organiser = client_of(app, owner)
    pages += [
        organiser.get(f"/arrangor/evenemang/{event.id}"),
        organiser.get(f"/arrangor/evenemang/{their_own.id}"),  # co-organiser's notice
        organiser.get("/arrangor/"),
        organiser.get("/arrangor/evenemang/nytt"),
    ]
    for response in pages:
        html = response.get_data(as_text=True)
        assert response.status_code == 200, response.request.path
        assert PAYLOAD not in html, response.request.path
        assert ESCAPED in html, response.request.path


def test_an_organisation_name_cannot_break_out_of_the_json_ld(client, region):
    hostile = make_organisation(slug="elak", name="</script><script>alert(1)</script>")
    event = make_event(organisation=region, co_organisers=[hostile])
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}").get_data(as_text=True)
    assert "<script>alert(1)" not in html


# --- migration and demo data -------------------------------------------------------------------


def test_the_migration_keeps_every_event_with_its_organisation_as_responsible(
    empty_database_url,
):
    from flask_migrate import downgrade, upgrade

    from eventreg import create_app

    old = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})  # fmt: skip
    columns = "id, title, organisation_id, status, revision, updated_at"
    with old.app_context():
        try:
            upgrade(revision="9a2f0e7a0006")
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO organisation (id, slug, name) VALUES "
                                  "(1, 'region-halland', 'Region Halland'), "
                                  "(2, 'lansstyrelsen-halland', 'Länsstyrelsen')"))  # fmt: skip
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
            upgrade(revision="f18f0e7a0012")
            with db.engine.connect() as conn:
                before = conn.execute(text(f"SELECT {columns} FROM event")).one()
            upgrade(revision="029f0e7a0013")
            with db.engine.begin() as conn:
                after = conn.execute(text(f"SELECT {columns} FROM event")).one()
                rows = conn.execute(text("SELECT count(*) FROM event_co_organiser")).scalar()
                # The new table takes a co-organiser, once per event and organisation.
                conn.execute(text("INSERT INTO event_co_organiser VALUES (1, 2)"))
            downgrade(revision="f18f0e7a0012")
            with db.engine.connect() as conn:
                kept = conn.execute(text(f"SELECT {columns} FROM event")).one()
                tables = set(db.inspect(conn).get_table_names())
        finally:
            db.engine.dispose()
    assert tuple(after) == tuple(before) == tuple(kept)
    assert after.organisation_id == 1  # the responsible organisation, as before
    assert rows == 0
    assert "event_co_organiser" not in tables


def test_the_demo_has_a_joint_event_its_co_organiser_sees_read_only(app, runner):
    from eventreg.demo import DEMO_CO_ORGANISER_USERS, JOINT_EVENT_TITLE

    result = runner.invoke(args=["demo-db", "--force"])
    assert result.exit_code == 0, result.output
    event = db.session.scalar(select(Event).where(Event.title == JOINT_EVENT_TITLE))
    assert event.organisation.name == "Region Halland"
    assert [o.name for o in event.co_organisers] == ["Länsstyrelsen i Hallands län"]
    email, _name, password, _admin = DEMO_CO_ORGANISER_USERS[0]
    client = app.test_client()
    response = client.post("/arrangor/logga-in", data={"email": email, "password": password})
    assert response.status_code == 302
    dashboard = client.get("/arrangor/?lang=sv").get_data(as_text=True)
    assert JOINT_EVENT_TITLE in dashboard
    assert "Er organisation är medarrangör: bara läsa" in dashboard
    assert client.get(f"/arrangor/evenemang/{event.id}").status_code == 200
    assert client.get(f"/arrangor/evenemang/{event.id}/redigera").status_code == 403
    assert client.get(f"/arrangor/evenemang/{event.id}/anmalningar").status_code == 403
