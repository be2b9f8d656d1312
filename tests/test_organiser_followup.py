"""Issue 11, items 7–16: what organisers hit in real use, checked over HTTP and in the
services. (The phone and desktop layouts of check-in, registrations, the attendance sheet
and the audit log are checked in Chromium: tests/browser/test_organiser_phone_browser.py.)"""

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from babel.dates import format_date
from flask_babel import force_locale
from sqlalchemy import func, select, text

from eventreg.extensions import db
from eventreg.models import AuditEntry, Event, OutboxEmail, Resource, Theme, utcnow
from eventreg.services import attendees, audit, imports, statistics
from eventreg.services import events as event_service
from eventreg.services.statistics import EventFact, RegistrationFact
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_theme,
    make_user,
)


@pytest.fixture
def varberg():
    return make_organisation(name="Varbergs kommun", slug="varbergs-kommun")


@pytest.fixture
def organiser(varberg):
    return make_user(organisations=[varberg], name="Olga Organiser", quick_hash=True)


@pytest.fixture
def admin():
    return make_user(is_admin=True, name="Ada Admin", quick_hash=True)


def logged_in(client, user):
    db.session.commit()
    log_in(client, user)
    return client


def soon(days: int = 10) -> datetime:
    return utcnow().replace(microsecond=0, second=0) + timedelta(days=days)


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


def outbox(kind: str) -> list[OutboxEmail]:
    return list(db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == kind)))


# --- 7. check-in: everyone as a tap list, back to the search after each -------------------


def test_check_in_lists_everyone_with_a_seat_and_counts_who_is_here(client, varberg, organiser):
    event = make_event(organisation=varberg, capacity=2)
    bo = make_registration(event, name="Bo Ek")
    make_registration(event, name="Åsa Öberg")
    make_registration(event, name="Väntande Person")  # waiting list: no seat, not listed
    bo.attended_at = utcnow()
    logged_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/incheckning").get_data(as_text=True)
    assert "1 av 2 här" in html  # Swedish first
    names = re.findall(r'data-name="([^"]+)"', html)
    assert names == ["bo ek", "åsa öberg"]  # everyone with a seat, by name, before any search
    assert "Väntande Person" not in html
    assert re.search(r'<input(?=[^>]*name="q")(?=[^>]*autofocus)', html)  # focus on the search
    assert "js/door-filter.js" in html  # filters as you type; the form works without it
    # Without script the search is a GET: the list holds the ones found.
    html = client.get(f"/arrangor/evenemang/{event.id}/incheckning?q=åsa").get_data(as_text=True)
    assert re.findall(r'data-name="([^"]+)"', html) == ["åsa öberg"]


def test_after_a_check_in_the_page_is_back_at_the_search_with_the_name(client, varberg, organiser):
    event = make_event(organisation=varberg, capacity=5, start_dt=utcnow() + timedelta(hours=1))
    asa = make_registration(event, name="Åsa Öberg")
    logged_in(client, organiser)
    response = client.post(
        f"/arrangor/evenemang/{event.id}/incheckning/{asa.id}", data={"q": "åsa"}
    )
    assert response.headers["Location"] == f"/arrangor/evenemang/{event.id}/incheckning"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    search_area = html[html.index('id="sok"'):html.index('name="q"')]
    assert "Åsa Öberg är incheckad" in search_area  # confirmed beside the search, not above it
    assert "1 av 1 här" in html


def test_check_in_by_code_still_finds_the_person(client, varberg, organiser):
    event = make_event(organisation=varberg, capacity=5)
    asa = make_registration(event, name="Åsa Öberg")
    make_registration(event, name="Bo Ek")
    logged_in(client, organiser)
    code = f"{asa.check_in_code[:4].lower()}-{asa.check_in_code[4:]}"
    html = client.get(f"/arrangor/evenemang/{event.id}/incheckning?q={code}").get_data(
        as_text=True
    )
    assert re.findall(r'data-name="([^"]+)"', html) == ["åsa öberg"]
    assert "data:image/svg+xml;base64," in html  # the QR code of the one found


# --- 8. the registrations: search, sort, choose ---------------------------------------------


@pytest.fixture
def crowd(varberg):
    event = make_event(organisation=varberg, capacity=3, title="Språkcafé")
    people = [
        make_registration(event, name="Cecilia Ström", organisation="Region Halland"),
        make_registration(event, name="Anna Berg", organisation="Varbergs kommun",
                          email="anna@varberg.se"),
        make_registration(event, name="Bo Ek", organisation="Arbetsförmedlingen",
                          interpretation_language="ar"),
        make_registration(event, name="Dina Väntar", organisation="Hylte kommun"),
    ]  # fmt: skip
    return event, people


def names_in(html: str, section: str) -> list[str]:
    part = html.split(f'id="{section}"')[1].split("<h2")[0]
    return re.findall(r'<td class="stack-name">([^<]+)', part)


def test_registrations_can_be_searched_and_sorted_without_script(client, organiser, crowd):
    event, _people = crowd
    logged_in(client, organiser)
    url = f"/arrangor/evenemang/{event.id}/anmalningar"
    html = client.get(url).get_data(as_text=True)
    assert names_in(html, "confirmed") == ["Cecilia Ström", "Anna Berg", "Bo Ek"]  # arrival
    assert names_in(client.get(url + "?ordning=namn").get_data(as_text=True), "confirmed") == [
        "Anna Berg", "Bo Ek", "Cecilia Ström"]  # fmt: skip
    by_organisation = client.get(url + "?ordning=organisation").get_data(as_text=True)
    assert names_in(by_organisation, "confirmed") == ["Bo Ek", "Cecilia Ström", "Anna Berg"]
    found = client.get(url + "?sok=VARBERG.SE").get_data(as_text=True)  # email, any case
    assert names_in(found, "confirmed") == ["Anna Berg"]
    assert "1 av 3" in found
    assert client.get(url + "?sok=kommun").status_code == 200
    assert names_in(client.get(url + "?sok=kommun").get_data(as_text=True), "waiting") == [
        "Dina Väntar"]  # fmt: skip
    assert client.get(url + "?ordning=x").status_code == 400


def test_the_registrations_table_stacks_on_a_phone(client, organiser, crowd):
    event, _people = crowd
    logged_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/anmalningar").get_data(as_text=True)
    assert '<table class="stack-table with-choice">' in html
    assert 'data-label="E-postadress"' in html  # what each value is, when stacked
    with client.get("/static/css/organiser.css") as response:
        css = response.get_data(as_text=True)
    assert re.search(r"@media \(max-width: 40rem\) \{\s*\.stack-table thead", css)


def test_the_people_chosen_are_exported_together(client, organiser, crowd):
    event, people = crowd
    other = make_registration(make_event(organisation=event.organisation), name="Annan")
    logged_in(client, organiser)
    chosen = [people[1].id, people[3].id, other.id]  # another event's id is left out
    response = client.get(
        f"/arrangor/evenemang/{event.id}/anmalningar.csv",
        query_string={"urval": "1", "valda": [str(i) for i in chosen]},
    )
    rows = csv_rows(response.data)
    assert [row[1] for row in rows[1:]] == ["Anna Berg", "Dina Väntar"]
    nobody = client.get(f"/arrangor/evenemang/{event.id}/anmalningar.csv?urval=1")
    assert nobody.status_code == 302  # "choose someone first", not everyone
    everyone = client.get(f"/arrangor/evenemang/{event.id}/anmalningar.csv")
    assert len(csv_rows(everyone.data)) == 5


def test_the_people_chosen_get_the_message_and_nobody_else(client, organiser, crowd):
    event, people = crowd
    logged_in(client, organiser)
    chosen = {"urval": "1", "valda": [str(people[0].id), str(people[3].id)]}
    page = client.get(f"/arrangor/evenemang/{event.id}/meddelande", query_string=chosen)
    html = page.get_data(as_text=True)
    assert "Cecilia Ström" in html
    assert "Dina Väntar" in html
    assert "Anna Berg" not in html
    response = client.post(
        f"/arrangor/evenemang/{event.id}/meddelande",
        data={**chosen, "subject": "Parkering", "body": "Parkera bakom huset.",
              "message_step": "send"},
    )  # fmt: skip
    assert response.status_code == 302
    recipients = {e.registration_id for e in outbox("organiser_message")}
    assert recipients == {people[0].id, people[3].id}


# --- 9. the attendance sheet ----------------------------------------------------------------


def test_attendance_sheet_has_needs_a_count_walk_in_rows_and_a_print_button(
    client, organiser, crowd
):
    event, people = crowd
    people[1].dietary_needs = "Vegetarisk"
    people[1].accessibility_needs = "Rullstol"
    logged_in(client, organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/narvarolista").get_data(as_text=True)
    assert "<th scope=\"col\">Behov</th>" in html
    assert "Specialkost: Vegetarisk" in html
    assert "Rullstol" in html
    assert "Tolkning: Arabiska" in html
    assert "Bekräftade: 3" in html
    assert html.count('<tr class="walk-in">') == 8
    assert re.search(r'<button type="button" data-print hidden>', html)  # shown by script
    assert "js/print-button.js" in html
    with client.get("/static/js/print-button.js") as response:
        script = response.get_data(as_text=True)
    assert "window.print()" in script


# --- 10. exports and figures in the reader's language ----------------------------------------


def test_registrations_csv_has_words_not_codes(app, crowd):
    event, people = crowd
    rows = attendees.registrations_by_status(event)
    with app.test_request_context("/?lang=sv"):
        data = attendees.registrations_csv(rows["confirmed"] + rows["waiting"])
    swedish = csv_rows(data)
    assert swedish[0][:3] == ["Status", "Namn", "E-postadress"]
    by_name = {row[1]: row for row in swedish[1:]}
    assert by_name["Bo Ek"][0] == "Bekräftad"
    assert by_name["Bo Ek"][8] == "Arabiska"
    assert by_name["Dina Väntar"][0] == "På väntelistan"
    with app.test_request_context("/?lang=en"), force_locale("en"):
        english = csv_rows(attendees.registrations_csv(rows["confirmed"]))
    assert {row[0] for row in english[1:]} == {"Confirmed seat"}
    assert "Arabic" in [row[8] for row in english[1:]]


def test_statistics_say_percentages_and_months_as_the_language_does(client, admin, varberg):
    event = make_event(organisation=varberg, capacity=10)
    regs = [make_registration(event) for _ in range(4)]
    start = (utcnow() - timedelta(days=40)).replace(microsecond=0)  # held since, 3 of 4 came
    event.start_dt, event.end_dt = start, start + timedelta(hours=2)
    regs[0].attended_at = start
    regs[1].attended_at = start
    regs[2].attended_at = start
    logged_in(client, admin)
    month = format_date(start.date(), "LLLL y", locale="sv")
    html = client.get("/arrangor/statistik?lang=sv").get_data(as_text=True)
    assert "25,0 %" in html
    assert month in html
    rows = csv_rows(client.get("/arrangor/statistik.csv?lang=sv").data)
    assert rows[0][:3] == ["Dimension", "Grupp", "Evenemang"]
    assert rows[1][7] == "25,0"
    assert any(row[1] == month for row in rows)
    english = csv_rows(client.get("/arrangor/statistik.csv?lang=en").data)
    assert english[1][7] == "25.0"
    assert any(row[1] == format_date(start.date(), "LLLL y", locale="en") for row in english)


# --- 11. every event counts; waiting-list demand; where events were held ---------------------


def fact(event_id, status, municipality="halmstad", *, themes=("halsa",), where="varberg",
         never_seated=False, cancelled=False):  # fmt: skip
    start = datetime(2030, 3, 10, 9, 0).astimezone()
    return RegistrationFact(event_id, start, False, themes, municipality, "region", status,
                            False, where, never_seated, cancelled)  # fmt: skip


def test_statistics_count_events_without_registrations_and_waiting_list_demand():
    start = datetime(2030, 3, 10, 9, 0).astimezone()
    events = [
        EventFact(1, start, "varberg", ("halsa",)),
        EventFact(2, start, "hylte", ("arbete",)),  # nobody registered
        EventFact(3, start, "laholm", ("halsa",), cancelled=True),
    ]
    facts = [
        fact(1, "confirmed"),
        fact(1, "waiting", "kungsbacka", never_seated=True),
        fact(1, "cancelled", "kungsbacka", never_seated=True),  # left the waiting list
        fact(1, "cancelled", "halmstad"),  # had a seat, then cancelled: not demand
        fact(3, "waiting", "laholm", where="laholm", never_seated=True, cancelled=True),
    ]
    labels = {"municipality": {"varberg": "Varberg", "hylte": "Hylte", "kungsbacka": "Kungsbacka",
                               "halmstad": "Halmstad", "laholm": "Laholm"}}  # fmt: skip
    figures = statistics.compute(facts, {"halsa": "Hälsa", "arbete": "Arbete"}, labels,
                                 events=events)  # fmt: skip
    assert figures.events == 2
    assert figures.cancelled_events == 1
    assert figures.total.demand == 2
    themes = {b.label: (b.events, b.registrations, b.demand) for b in figures.by_theme}
    assert themes == {"Hälsa": (1, 1, 2), "Arbete": (1, 0, 0)}
    held = {b.label: (b.events, b.registrations, b.demand) for b in figures.by_event_municipality}
    assert held == {"Varberg": (1, 1, 2), "Hylte": (1, 0, 0)}
    own = {b.label: b.demand for b in figures.by_municipality}
    assert own["Kungsbacka"] == 2


def test_statistics_read_every_published_event_of_the_period(client, admin, varberg):
    theme = make_theme(name_sv="Arbete", name_en="Work")
    make_event(organisation=varberg, themes=[theme], municipality="hylte", title="Tomt")
    full = make_event(organisation=varberg, capacity=1, municipality="varberg")
    make_registration(full, municipality="halmstad")
    make_registration(full, municipality="kungsbacka")  # waiting, never seated
    make_event(organisation=varberg, status="draft")
    make_event(organisation=varberg, status="cancelled")
    assert len(statistics.load_events(None)) == 3
    assert [f.never_seated for f in statistics.load_facts(None)] == [False, True]
    logged_in(client, admin)
    html = client.get("/arrangor/statistik?lang=en").get_data(as_text=True)
    assert "<dt>Events</dt><dd>2 (and 1 cancelled)</dd>" in html
    assert "<dt>Waiting-list demand</dt><dd>1</dd>" in html
    assert 'id="h-event_municipality">Where held' in html
    assert "<th scope=\"row\">Work</th><td>1</td><td>0</td>" in html  # theme: 1 event


# --- 12. the audit log, readable ------------------------------------------------------------


def test_audit_log_shows_names_labels_words_and_swedish_time(client, admin, organiser, varberg):
    theme = make_theme(name_sv="Jämlik hälsa")
    data = event_service.EventData(
        title="Språkcafé", format="seminar", municipality="halmstad",
        start_dt=datetime.fromisoformat("2030-07-01T07:00:00+00:00"),
        end_dt=datetime.fromisoformat("2030-07-01T09:00:00+00:00"), organisation_id=varberg.id,
    )  # fmt: skip
    event = event_service.create_event(data, organiser)
    data.municipality, data.theme_ids = "varberg", [theme.id]
    event_service.update_event(event, data, organiser)
    event_service.publish_event(event, organiser)
    registration = make_registration(event, name="Åsa Öberg")
    logged_in(client, admin)
    html = client.get(f"/admin/logg?event_id={event.id}").get_data(as_text=True)
    assert "Olga Organiser" in html
    assert "Kommun: Halmstad → Varberg" in html  # label and values in words, not codes
    assert "Teman: – → Jämlik hälsa" in html  # names, not ids
    assert "Status: Utkast → Publicerat" in html
    assert "Börjar: – → 2030-07-01 09:00" in html  # Swedish summer time, not UTC
    assert f"Åsa Öberg (anmälan nr {registration.id})" in html
    assert "municipality" not in html.split('id="main"')[1]  # no column names


def test_audit_log_is_paged_and_filtered_not_cut_short(client, admin, organiser, varberg):
    event = make_event(organisation=varberg, title="Många ändringar")
    other = make_event(organisation=varberg, title="Annat")
    for n in range(520):
        audit.record_event_change(event, "event.update", organiser, {"capacity": [n, n + 1]})
    audit.record_event_change(other, "event.publish", admin, {"status": ["draft", "published"]})
    old = audit.record_event_change(other, "event.update", None, {"title": ["A", "B"]})
    # At noon UTC: the filter's dates are Stockholm's, which run up to two hours ahead (in
    # the late evening UTC the local date is already the next day).
    old.created_at = (utcnow() - timedelta(days=400)).replace(hour=12, minute=0)
    logged_in(client, admin)
    html = client.get("/admin/logg?lang=en").get_data(as_text=True)
    assert "Changes 1–50 of 522." in html
    assert 'aria-label="Page 11"' in html  # the last page is reachable
    last = client.get("/admin/logg?lang=en&sida=11").get_data(as_text=True)
    assert "Changes 501–522 of 522." in last
    by_user = client.get(f"/admin/logg?lang=en&user_id={admin.id}").get_data(as_text=True)
    assert "Changes 1–1 of 1." in by_user
    by_event = client.get(f"/admin/logg?lang=en&event_id={other.id}").get_data(as_text=True)
    assert "of 2." in by_event
    day = old.created_at.date()
    by_date = client.get(f"/admin/logg?lang=en&fran={day}&till={day}").get_data(as_text=True)
    assert "Changes 1–1 of 1." in by_date
    bad = client.get("/admin/logg?lang=en&fran=2030-01-02&till=2030-01-01")
    assert bad.status_code == 400
    assert client.get("/admin/logg?user_id=x").status_code == 400


# --- 13. venue accessibility: yes, no or not stated -----------------------------------------


def test_accessibility_answers_are_yes_no_or_not_stated(client, organiser, varberg):
    logged_in(client, organiser)
    start = soon()
    form = {
        "organisation_id": str(varberg.id), "title": "Möte", "format": "seminar",
        "language_codes": ["sv"], "municipality": "varberg",
        "start_dt": event_service.utc_to_local(start).strftime("%Y-%m-%dT%H:%M"),
        "end_dt": event_service.utc_to_local(start + timedelta(hours=1)).strftime(
            "%Y-%m-%dT%H:%M"),
        "step_free_access": "y", "hearing_loop": "n", "sign_language_interpretation": "",
    }  # fmt: skip
    assert client.post("/arrangor/evenemang/nytt", data=form).status_code == 302
    event = db.session.scalar(select(Event))
    assert (event.step_free_access, event.hearing_loop, event.sign_language_interpretation) == (
        True, False, None)  # fmt: skip
    page = client.get(f"/arrangor/evenemang/{event.id}/redigera").get_data(as_text=True)
    assert re.search(r'<input checked id="sign_language_interpretation-2"[^>]*value=""', page) \
        or re.search(r'id="sign_language_interpretation-2"[^>]*checked', page)
    response = client.post("/arrangor/evenemang/nytt", data={**form, "hearing_loop": "kanske"})
    assert response.status_code == 400
    missing = {k: v for k, v in form.items() if k != "hearing_loop"}
    client.post("/arrangor/evenemang/nytt", data={**missing, "title": "Utan svar"})
    unanswered = db.session.scalar(select(Event).where(Event.title == "Utan svar"))
    assert unanswered.hearing_loop is None  # not posted: not stated, never a silent "no"


def test_the_public_page_says_only_what_is_known(client, varberg):
    known = make_event(organisation=varberg, step_free_access=False, hearing_loop=True)
    unknown = make_event(organisation=varberg)
    db.session.commit()
    html = client.get(f"/evenemang/{known.public_id}/{known.slug}?lang=en").get_data(as_text=True)
    assert "No step-free access" in html
    assert "Hearing loop" in html
    assert "sign language" not in html.lower()
    html = client.get(f"/evenemang/{unknown.public_id}/{unknown.slug}?lang=en").get_data(
        as_text=True
    )
    assert "No step-free access" not in html
    assert "The organiser has not told us about accessibility yet." in html


def test_imported_events_leave_accessibility_not_stated(varberg, app):
    content = "title;start;end;municipality\nMöte;2030-03-12 09:00;2030-03-12 10:00;varberg\n"
    with app.test_request_context("/?lang=en"):
        [row] = imports.parse_file("e.csv", content.encode(), varberg)
        [event] = imports.import_rows([row], None)
    assert (event.step_free_access, event.hearing_loop, event.sign_language_interpretation) == (
        None, None, None)  # fmt: skip


def test_the_migration_makes_existing_answers_not_stated(tmp_path):
    """Before the three answers, "no" was only the form's default: existing rows become
    NULL (not stated). Run on a database of its own, migrated step by step."""
    from flask_migrate import upgrade

    from eventreg import create_app

    old = create_app({
        "TESTING": True, "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'old.sqlite'}",
    })  # fmt: skip
    with old.app_context():
        try:
            upgrade(revision="6b0e7a110002")
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO organisation (id, slug, name) VALUES (1, 'o', 'O')"))
                conn.execute(text(
                    "INSERT INTO event (id, public_id, slug, title, summary, description, "
                    "format, audience, interpretation_available, interpretation_note, start_dt, "
                    "end_dt, venue_name, address, municipality, step_free_access, hearing_loop, "
                    "sign_language_interpretation, accessibility_notes, seats_taken, status, "
                    "cancellation_reason, organisation_id, created_at, updated_at, revision, "
                    "search_text) VALUES (1, 'p', 's', 'T', '', '', 'seminar', '', 0, '', "
                    "'2030-01-01 09:00:00', '2030-01-01 10:00:00', '', '', 'varberg', 0, 1, 0, "
                    "'', 0, 'draft', '', 1, '2030-01-01', '2030-01-01', 0, '')"
                ))  # fmt: skip
            upgrade(revision="7c0e7a110003")
            with db.engine.connect() as conn:
                row = conn.execute(text(
                    "SELECT step_free_access, hearing_loop, sign_language_interpretation "
                    "FROM event"
                )).one()  # fmt: skip
        finally:
            db.engine.dispose()
    assert tuple(row) == (None, None, None)


# --- 14. the event form, drafts published together, a series copied at once -----------------


def test_event_form_has_section_headings_and_the_organisers_municipality(client, organiser):
    logged_in(client, organiser)
    html = client.get("/arrangor/evenemang/nytt").get_data(as_text=True)
    assert re.findall(r"<legend><h2>([^<]+)</h2></legend>", html) == [
        "Om evenemanget", "Tid", "Plats", "Språk och tillgänglighet", "Anmälan",
        "Påminnelser"]  # fmt: skip
    assert re.search(r'<option selected value="varberg">|<option value="varberg" selected', html)


def test_no_municipality_is_guessed_for_an_organisation_named_after_none(client):
    region = make_organisation(name="Region Halland")
    user = make_user(organisations=[region], quick_hash=True)
    assert event_service.default_municipality([region]) is None
    logged_in(client, user)
    html = client.get("/arrangor/evenemang/nytt").get_data(as_text=True)
    assert "selected" not in html.split('name="municipality"')[1].split("</select>")[0]


def test_drafts_are_published_together_through_the_same_rules(client, organiser, varberg):
    first = make_event(organisation=varberg, status="draft", title="Första", capacity=20)
    second = make_event(organisation=varberg, status="draft", title="Andra")
    ended = make_event(organisation=varberg, status="draft", title="Redan slut",
                       start_dt=utcnow() - timedelta(days=3))  # fmt: skip
    logged_in(client, organiser)
    dashboard = client.get("/arrangor/").get_data(as_text=True)
    assert f'form="publish-drafts" name="valda" value="{first.id}"' in dashboard
    chosen = {"valda": [str(first.id), str(second.id), str(ended.id)]}
    html = client.get("/arrangor/evenemang/publicera-flera", query_string=chosen).get_data(
        as_text=True
    )
    assert "20 platser" in html  # what will be public, before publishing
    assert "Ett evenemang som redan har avslutats kan inte publiceras." in html
    assert "Publicera 2 evenemang" in html
    response = client.post("/arrangor/evenemang/publicera-flera", data=chosen)
    assert response.status_code == 302
    db.session.expire_all()
    statuses = [db.session.get(Event, e.id).status for e in (first, second, ended)]
    assert statuses == ["published", "published", "draft"]
    published = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.publish"))
    assert len(list(published)) == 2  # each logged, as one publish is
    someone_elses = make_event(status="draft")
    db.session.commit()
    response = client.post("/arrangor/evenemang/publicera-flera",
                           data={"valda": [str(someone_elses.id)]})  # fmt: skip
    assert response.status_code == 403


def test_a_series_is_copied_at_once_from_a_list_of_dates(client, organiser, varberg):
    # 09:00 Swedish time; the copies cross the change to summer time and keep 09:00.
    start = event_service.local_to_utc(datetime(2031, 3, 18, 9, 0))
    event = make_event(organisation=varberg, start_dt=start, end_dt=start + timedelta(hours=2))
    logged_in(client, organiser)
    response = client.post(f"/arrangor/evenemang/{event.id}/kopiera", data={
        "start_dt": "2031-03-25T09:00", "more_dates": "2031-04-01\n\n2031-04-08 13:30\n"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/arrangor/"
    copies = db.session.scalars(select(Event).where(Event.id != event.id).order_by(Event.start_dt))
    local = [event_service.utc_to_local(c.start_dt) for c in copies]
    assert local == [datetime(2031, 3, 25, 9), datetime(2031, 4, 1, 9),
                     datetime(2031, 4, 8, 13, 30)]  # fmt: skip
    bad = client.post(f"/arrangor/evenemang/{event.id}/kopiera?lang=en", data={
        "start_dt": "2031-03-25T09:00", "more_dates": "2031-04-01\nnästa vecka"})
    assert bad.status_code == 400
    assert "Line 2, “nästa vecka”, is not a date" in bad.get_data(as_text=True)
    gap = client.post(f"/arrangor/evenemang/{event.id}/kopiera?lang=en", data={
        "start_dt": "2031-03-25T09:00", "more_dates": "2031-03-30 02:30"})
    assert gap.status_code == 400  # that hour does not exist in Swedish time
    assert db.session.scalar(select(func.count()).select_from(Event)) == 4


# --- 15. import errors in the organiser's words; https only ---------------------------------


def test_import_errors_name_the_column_as_the_file_does_and_explain(app, varberg):
    make_theme(slug="halsa")
    content = (
        "Titel;START;Slut;Kommun;Platser;Teman\n"
        "Möte;2030-03-12 09:00;2030-03-12 08:00;Varberg;många;okänt\n"
        "Träff;2030-03-12 09:00;2030-03-12 10:00;Göteborg;;\n"
        "Bra;2030-03-13 09:00;2030-03-13 10:00;Falkenberg;12;halsa\n"
    ).encode()
    with app.test_request_context("/?lang=sv"), force_locale("sv"):
        rows = imports.parse_file("e.csv", content, varberg)
    first, second, good = rows
    assert "Kolumnen ”Platser”: ”många” är inte ett heltal." in first.errors[0]
    assert any(e.startswith("Kolumnen ”Teman”: inget tema har adressnamnet okänt.")
               for e in first.errors)  # fmt: skip
    assert second.errors == [
        "Kolumnen ”Kommun”: ”Göteborg” är ingen kommun vi känner till. Skriv en av: halmstad, "
        "kungsbacka, varberg, falkenberg, laholm, hylte, online, elsewhere."
    ]
    assert good.is_good
    assert good.data.municipality == "falkenberg"  # the name, read as the code
    with app.test_request_context("/?lang=en"), force_locale("en"):
        [row] = imports.parse_file("e.csv", (
            "title;Start;end;municipality\nMöte;2030-03-12 09:00;2030-03-12 08:00;varberg\n"
        ).encode(), varberg)  # fmt: skip
    assert row.errors == ["Column “end”: The end must be after the start."]


def test_links_must_be_https(client, admin, varberg, app):
    theme = make_theme()
    logged_in(client, admin)
    response = client.post(f"/admin/teman/{theme.id}/resurser/ny?lang=en", data={
        "kind": "reading", "title": "Läs", "url": "http://example.se/", "language": "sv"})
    assert response.status_code == 400
    assert "Enter a web address starting with https://." in response.get_data(as_text=True)
    assert db.session.scalar(select(Resource).where(Resource.title == "Läs")) is None
    from eventreg.admin import operations

    with app.test_request_context("/"), pytest.raises(operations.AdminRuleError, match="https"):
        operations.save_resource(None, theme, {"kind": "reading", "title": "X",
                                               "url": "javascript:alert(1)", "description": "",
                                               "language": "sv", "position": 0}, admin)  # fmt: skip
    data = event_service.EventData(title="Webbinarium", format="webinar", municipality="online",
                                   start_dt=soon(), end_dt=soon() + timedelta(hours=1),
                                   organisation_id=varberg.id,
                                   online_url="http://meet.example.se/abc")  # fmt: skip
    with app.test_request_context("/"):
        assert "online_url" in event_service.validate_event_data(data)
        data.online_url = "https://meet.example.se/abc"
        assert event_service.validate_event_data(data) == {}


# --- 16. themes, invitations, organisations with events -------------------------------------


def test_a_theme_slug_is_made_from_its_name_and_a_new_theme_goes_last(client, admin):
    make_theme(slug="jamlik-halsa", position=0)
    make_theme(position=7)
    logged_in(client, admin)
    response = client.post("/admin/teman/nytt", data={
        "slug": "", "name_sv": "Jämlik hälsa", "name_en": "Equal health", "position": ""})
    assert response.status_code == 302
    theme = db.session.scalar(select(Theme).where(Theme.name_en == "Equal health"))
    assert theme.slug == "jamlik-halsa-2"  # the name's, with a number: the plain one is taken
    assert theme.position == 8  # after every other theme
    html = client.get("/admin/teman").get_data(as_text=True)
    assert '<table class="admin-table stack-table">' in html
    row = html.split("Jämlik hälsa <span")[1].split("</tr>")[0]
    assert "Redigera temat Jämlik hälsa" in row  # the row's own actions


def test_a_new_account_is_invited_to_choose_its_own_password(client, admin, app, monkeypatch):
    varberg = make_organisation(name="Varbergs kommun")
    logged_in(client, admin)
    form = client.get("/admin/anvandare/ny").get_data(as_text=True)
    assert 'name="password"' not in form  # the administrator chooses no password
    response = client.post("/admin/anvandare/ny", data={
        "email": "eva@varberg.se", "name": "Eva Ek", "active": "y",
        "organisation_ids": [str(varberg.id)]})  # fmt: skip
    assert response.status_code == 302
    [invitation] = outbox("invitation")
    link = re.search(r"https?://\S+(/arrangor/nytt-losenord/\S+)", invitation.body_text)[1]
    assert "7 dagar" in invitation.body_text
    # Two days later the link still works (a reset link lives an hour).
    import time

    later = time.time() + 2 * 24 * 3600
    monkeypatch.setattr("itsdangerous.timed.time.time", lambda: later)
    newcomer = app.test_client()
    password = "vinter kaffe båt melodi"
    response = newcomer.post(link, data={"password": password, "password_again": password})
    assert response.status_code == 302
    monkeypatch.undo()
    eva = db.session.scalar(select(type(admin)).where(type(admin).email == "eva@varberg.se"))
    log_in(newcomer, eva, password)
    assert newcomer.post(link, data={"password": password, "password_again": password}
                         ).status_code == 404  # used once  # fmt: skip


def test_an_organisation_with_events_offers_no_delete_and_says_why(client, admin, varberg):
    make_event(organisation=varberg)
    empty = make_organisation(name="Tom förening")
    logged_in(client, admin)
    html = client.get("/admin/organisationer").get_data(as_text=True)
    assert f"/admin/organisationer/{varberg.id}/ta-bort" not in html
    assert "Kan inte tas bort: den har evenemang, som sparas som historik." in html
    assert f"/admin/organisationer/{empty.id}/ta-bort" in html
    response = client.get(f"/admin/organisationer/{varberg.id}/ta-bort")
    assert response.status_code == 302  # no confirmation page for what cannot be done
    page = client.get("/admin/organisationer").get_data(as_text=True)
    assert "Varbergs kommun har 1 evenemang och kan därför inte tas bort." in page
