"""Target groups (issue 15): a controlled list kept by administrators, several per event,
a filter on lists and feeds, a dimension in the statistics; the free-text audience stays as
a note. And the migration that brings them (with registration modes), on both databases."""

import json
import re
from datetime import timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, text

from eventreg.extensions import db
from eventreg.models import AuditEntry, Event, TargetGroup, utcnow
from eventreg.models.target_groups import SEED_TARGET_GROUPS
from eventreg.services import imports, statistics
from eventreg.services.statistics import EventFact, RegistrationFact
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_user,
)

_numbers = iter(range(1, 10_000))


def make_target_group(**fields) -> TargetGroup:
    n = next(_numbers)
    values = {"slug": f"grupp-{n}", "name_sv": f"Grupp {n}", "name_en": f"Group {n}",
              "position": n}  # fmt: skip
    values.update(fields)
    group = TargetGroup(**values)
    db.session.add(group)
    db.session.flush()
    return group


@pytest.fixture
def groups():
    made = {
        "skola": make_target_group(slug="skola", name_sv="Personal i skolan",
                                   name_en="School staff"),
        "nyanlanda": make_target_group(slug="nyanlanda", name_sv="Nyanlända",
                                       name_en="Newcomers"),
    }  # fmt: skip
    db.session.commit()
    return made


def titles(response) -> list[str]:
    html = response.get_data(as_text=True)
    return re.findall(r'class="event-card-title">\s*<a [^>]*>(?:<span[^>]*>)?([^<]+)', html)


# --- lists and feeds --------------------------------------------------------------------------


def test_the_event_list_filters_on_target_groups(client, groups):
    school = make_event(title="För skolan")
    school.target_groups = [groups["skola"]]
    both = make_event(title="För alla")
    both.target_groups = [groups["skola"], groups["nyanlanda"]]
    make_event(title="Utan målgrupp")
    db.session.commit()
    assert titles(client.get("/evenemang/?malgrupp=nyanlanda")) == ["För alla"]
    assert sorted(titles(client.get("/evenemang/?malgrupp=skola"))) == ["För alla", "För skolan"]
    html = client.get("/evenemang/?malgrupp=skola&lang=en").get_data(as_text=True)
    assert "Target group: School staff" in html  # the active filter's chip
    assert 'name="malgrupp" type="checkbox" value="nyanlanda"' in html
    assert client.get("/evenemang/?malgrupp=okand").status_code == 400


def test_feeds_filter_on_target_groups(client, groups):
    school = make_event(title="För skolan")
    school.target_groups = [groups["skola"]]
    make_event(title="Annat")
    db.session.commit()
    calendar = Calendar.from_ical(client.get("/kalender/evenemang.ics?malgrupp=skola").data)
    assert [str(v["summary"]) for v in calendar.walk("VEVENT")] == ["För skolan"]
    # The list's calendar link carries the filter.
    html = client.get("/evenemang/?malgrupp=skola").get_data(as_text=True)
    assert "/kalender/evenemang.ics?malgrupp=skola" in html


def test_the_event_page_shows_target_groups_and_keeps_the_note(client, groups):
    untranslated = make_target_group(slug="bara-svenska", name_sv="Bara svenska", name_en="")
    event = make_event(audience="Särskilt för rektorer")
    event.target_groups = [groups["skola"], untranslated]
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}?lang=en").get_data(
        as_text=True
    )
    assert "<dt>Target groups</dt>" in html
    assert "<span>School staff</span>" in html
    assert '<span lang="sv">Bara svenska</span>' in html
    assert "Särskilt för rektorer" in html  # the note stays, beside the list
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    assert {"@type": "Audience", "audienceType": "Personal i skolan"} in json.loads(raw)[
        "audience"
    ]


# --- the organiser's form ---------------------------------------------------------------------


def test_organisers_choose_several_target_groups(client, groups):
    varberg = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    organiser = make_user(organisations=[varberg], quick_hash=True)
    db.session.commit()
    log_in(client, organiser)
    html = client.get("/arrangor/evenemang/nytt").get_data(as_text=True)
    assert f'name="target_group_ids" type="checkbox" value="{groups["skola"].id}"' in html
    start = utcnow() + timedelta(days=20)
    form = {
        "organisation_id": str(varberg.id), "title": "Skolseminarium", "format": "seminar",
        "language_codes": ["sv"], "municipality": "varberg",
        "start_dt": start.strftime("%Y-%m-%dT09:00"), "end_dt": start.strftime("%Y-%m-%dT12:00"),
        "target_group_ids": [str(groups["skola"].id), str(groups["nyanlanda"].id)],
        "audience": "Särskilt för rektorer",
    }  # fmt: skip
    assert client.post("/arrangor/evenemang/nytt", data=form).status_code == 302
    event = db.session.scalar(select(Event).where(Event.title == "Skolseminarium"))
    assert [g.slug for g in event.target_groups] == ["skola", "nyanlanda"]
    assert event.audience == "Särskilt för rektorer"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "event.create"))
    assert sorted(entry.changes["target_group_ids"][1]) == sorted(
        [groups["skola"].id, groups["nyanlanda"].id]
    )
    # Editing shows the choice made, and an unknown id is refused.
    html = client.get(f"/arrangor/evenemang/{event.id}/redigera").get_data(as_text=True)
    assert re.search(rf'checked[^>]*value="{groups["skola"].id}"', html)
    response = client.post(f"/arrangor/evenemang/{event.id}/redigera",
                           data={**form, "target_group_ids": ["999999"]})  # fmt: skip
    assert response.status_code == 400


def test_an_import_sets_target_groups(app, groups):
    varberg = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    content = (
        "title;start;end;municipality;målgrupper\n"
        "Med;2031-05-01 10:00;2031-05-01 12:00;varberg;skola|nyanlanda\n"
        "Okänd;2031-05-02 10:00;2031-05-02 12:00;varberg;lärare\n"
    )
    with app.test_request_context("/?lang=en"):
        rows = imports.parse_file("e.csv", content.encode(), varberg)
        assert rows[0].errors == []
        assert rows[1].errors == ["Column “målgrupper”: no target group has the address name "
                                  "lärare. Known target groups: skola, nyanlanda."]  # fmt: skip
        [event] = imports.import_rows(rows, None)
    assert [g.slug for g in event.target_groups] == ["skola", "nyanlanda"]


# --- statistics -------------------------------------------------------------------------------


def test_statistics_count_per_target_group():
    start = utcnow() - timedelta(days=3)
    facts = [
        RegistrationFact(1, start, True, (), "halmstad", "municipality", "confirmed", True,
                         target_groups=("skola", "nyanlanda")),
        RegistrationFact(1, start, True, (), "halmstad", "region", "confirmed", False,
                         target_groups=("skola", "nyanlanda")),
        RegistrationFact(2, start, True, (), "varberg", "region", "confirmed", True,
                         target_groups=("skola",)),
    ]  # fmt: skip
    events = [EventFact(1, start, "halmstad", (), target_groups=("skola", "nyanlanda")),
              EventFact(2, start, "varberg", (), target_groups=("skola",)),
              EventFact(3, start, "varberg", (), target_groups=("nyanlanda",))]  # fmt: skip
    figures = statistics.compute(facts, events=events, target_group_names={
        "skola": "Personal i skolan", "nyanlanda": "Nyanlända"})  # fmt: skip
    rows = [(b.label, b.events, b.registrations, b.attended) for b in figures.by_target_group]
    assert rows == [("Personal i skolan", 2, 3, 2), ("Nyanlända", 2, 2, 1)]
    assert ("target_group", figures.by_target_group) in figures.dimensions()


def test_the_statistics_page_and_csv_have_a_target_group_column(client, groups):
    event = make_event(title="Skoldag")
    event.target_groups = [groups["skola"]]
    make_registration(event)
    admin = make_user(is_admin=True, quick_hash=True)
    db.session.commit()
    log_in(client, admin)
    html = client.get("/arrangor/statistik?lang=en").get_data(as_text=True)
    assert '<h2 id="h-target_group">Target group</h2>' in html
    assert "<th scope=\"row\">School staff</th>" in html
    csv = client.get("/arrangor/statistik.csv?lang=en").get_data(as_text=True)
    assert "Target group;School staff;1;1;" in csv


# --- administration --------------------------------------------------------------------------


@pytest.fixture
def admin_client(client):
    admin = make_user(is_admin=True, quick_hash=True)
    db.session.commit()
    log_in(client, admin)
    return client


def test_administrators_add_change_and_remove_target_groups(admin_client, groups):
    client = admin_client
    html = client.get("/admin/malgrupper?lang=en").get_data(as_text=True)
    assert "Personal i skolan" in html
    assert "School staff" in html
    assert 'href="/admin/malgrupper"' in client.get("/admin/").get_data(as_text=True)

    response = client.post("/admin/malgrupper/ny", data={
        "name_sv": "Personal i äldreomsorgen", "name_en": "Staff in elderly care", "slug": "",
        "position": ""})  # fmt: skip
    assert response.status_code == 302
    added = db.session.scalar(select(TargetGroup).where(TargetGroup.name_sv.startswith("Pers"),
                                                        TargetGroup.slug != "skola"))  # fmt: skip
    assert added.slug == "personal-i-aldreomsorgen"
    assert added.position > groups["nyanlanda"].position  # last

    response = client.post(f"/admin/malgrupper/{added.id}?lang=en", data={
        "name_sv": "Äldreomsorgen", "name_en": "Elderly care", "slug": "skola",
        "position": "0"})  # fmt: skip
    assert response.status_code == 400
    assert "Another target group already uses this address name." in response.get_data(
        as_text=True
    )
    response = client.post(f"/admin/malgrupper/{added.id}", data={
        "name_sv": "Äldreomsorgen", "name_en": "Elderly care", "slug": "aldreomsorg",
        "position": "0"})  # fmt: skip
    assert response.status_code == 302
    db.session.expire_all()
    assert (added.name_sv, added.slug, added.position) == ("Äldreomsorgen", "aldreomsorg", 0)

    event = make_event()
    event.target_groups = [added, groups["skola"]]
    db.session.commit()
    confirm = client.get(f"/admin/malgrupper/{added.id}/ta-bort?lang=en").get_data(as_text=True)
    assert "1 event has this target group." in confirm
    added_id = added.id
    assert client.post(f"/admin/malgrupper/{added_id}/ta-bort").status_code == 302
    db.session.expire_all()
    assert db.session.get(TargetGroup, added_id) is None
    assert [g.slug for g in db.session.get(Event, event.id).target_groups] == ["skola"]
    actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-3:] == ["admin.target_group.create", "admin.target_group.update",
                            "admin.target_group.delete"]  # fmt: skip
    log = client.get("/admin/logg?lang=en").get_data(as_text=True)
    assert "Target group removed" in log


def test_a_target_group_needs_both_names(admin_client):
    response = admin_client.post("/admin/malgrupper/ny?lang=en", data={
        "name_sv": "", "name_en": "", "slug": "", "position": ""})  # fmt: skip
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter the Swedish name." in html
    assert "Enter the English name." in html
    assert db.session.scalar(select(func.count()).select_from(TargetGroup)) == 0


# --- demo data --------------------------------------------------------------------------------


def test_demo_data_has_an_open_lecture_an_event_elsewhere_and_target_groups(runner):
    result = runner.invoke(args=["demo-db", "--force"])
    assert result.exit_code == 0, result.output
    modes = db.session.execute(
        select(Event.registration_mode, func.count()).group_by(Event.registration_mode)
    ).all()
    assert dict(modes)["none"] == 1
    assert dict(modes)["external"] == 1
    slugs = set(db.session.scalars(select(TargetGroup.slug)))
    assert {slug for slug, *_ in SEED_TARGET_GROUPS} <= slugs
    with_groups = [e for e in db.session.scalars(select(Event)) if e.target_groups]
    assert len(with_groups) >= 5


# --- the migration, on the database the suite runs on ------------------------------------------


def test_the_migration_keeps_events_registering_here_and_seeds_target_groups(
    empty_database_url,
):
    from flask_migrate import downgrade, upgrade

    from eventreg import create_app

    old = create_app({"TESTING": True, "SECRET_KEY": "x",
                      "SQLALCHEMY_DATABASE_URI": empty_database_url})  # fmt: skip
    with old.app_context():
        try:
            upgrade(revision="8b1f0e7a0005")
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO organisation (id, slug, name) VALUES (1, 'o', 'O')"))
                conn.execute(text(
                    "INSERT INTO event (id, public_id, slug, title, summary, description, "
                    "format, audience, interpretation_available, interpretation_note, start_dt, "
                    "end_dt, venue_name, address, municipality, accessibility_notes, capacity, "
                    "seats_taken, status, cancellation_reason, organisation_id, created_at, "
                    "updated_at, revision, search_text) VALUES (1, 'p', 's', 'T', '', '', "
                    "'seminar', 'Rektorer och lärare', false, '', '2030-01-01 09:00:00', "
                    "'2030-01-01 10:00:00', '', '', 'varberg', '', 40, 0, 'published', '', 1, "
                    "'2030-01-01', '2030-01-01', 0, '')"
                ))  # fmt: skip
            upgrade(revision="9a2f0e7a0006")
            with db.engine.connect() as conn:
                event = conn.execute(text(
                    "SELECT registration_mode, external_registration_url, audience, capacity "
                    "FROM event"
                )).one()  # fmt: skip
                seeded = conn.execute(
                    text("SELECT slug, name_sv, name_en FROM target_group ORDER BY position")
                ).all()
            downgrade(revision="8b1f0e7a0005")  # and back, keeping the event
            with db.engine.connect() as conn:
                assert conn.execute(text("SELECT audience FROM event")).scalar() == (
                    "Rektorer och lärare"
                )
        finally:
            db.engine.dispose()
    assert tuple(event) == ("eventreg", None, "Rektorer och lärare", 40)
    assert [tuple(row) for row in seeded] == list(SEED_TARGET_GROUPS)
    assert ("nyanlanda", "Nyanlända", "Newcomers") in seeded
