"""What comes in through a form, an import or an address is bounded and clean before it
reaches the database, the pages, the emails and the calendar files (issue 9, items 4, 7, 8,
9 and 13). Each promise holds on SQLite and on PostgreSQL (EVENTREG_TEST_DATABASE_URL),
where the "never a server error" ones used to fail.

- Markdown renders in time linear in its length; every text has a length limit, on every
  path into the database.
- One-line texts refuse line breaks and control characters; multi-line texts keep LF line
  ends only; no lone CR reaches a calendar file, and emails about such an event are sent.
- A NUL in any form field or query parameter is a 400, on every page.
- Ids, dates and numbers from outside are bounded: a 404, 400 or a form error, never a 500.
- The statistics CSV writes names that a spreadsheet would run as formulas as text.
"""

import csv
import io
import re
import time
from datetime import timedelta

import icalendar
import pytest
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.mail import sender as mail_sender
from eventreg.models import Event, Organisation, Registration, Resource, Theme, User, utcnow
from eventreg.models.events import MAX_CAPACITY
from eventreg.models.types import MAX_ROW_ID, max_length
from eventreg.services import imports
from eventreg.services.materials import MaterialData, add_material
from eventreg.services.questions import QuestionData, add_question
from eventreg.services.series import SeriesData, create_series
from eventreg.text import render_markdown
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_resource,
    make_series,
    make_theme,
    make_user,
)
from tests.smtp_fixtures import running_smtp_server


@pytest.fixture(autouse=True)
def _request_context(app):
    """Services and imports run inside a request (their messages are translated)."""
    with app.test_request_context("/?lang=en"):
        yield


@pytest.fixture
def varberg():
    return make_organisation(slug="varbergs-kommun", name="Varbergs kommun")


@pytest.fixture
def organiser(app, varberg):
    """A logged-in client of an organiser of Varberg."""
    user = make_user(organisations=[varberg], quick_hash=True)
    db.session.commit()
    client = app.test_client()
    log_in(client, user)
    return client


@pytest.fixture
def admin(app):
    """A logged-in client of an administrator."""
    user = make_user(is_admin=True, quick_hash=True)
    db.session.commit()
    client = app.test_client()
    log_in(client, user)
    return client


def count(model) -> int:
    db.session.rollback()  # a fresh look at what the requests committed
    return db.session.scalar(select(func.count()).select_from(model))


def local_time(days: int, hour: int, separator: str = "T") -> str:
    """A Swedish wall-clock time `days` from now, as a form or an import writes it."""
    day = (utcnow() + timedelta(days=days)).date()
    return f"{day.isoformat()}{separator}{hour:02d}:00"


def event_form(organisation, **overrides) -> dict:
    values = {
        "organisation_id": str(organisation.id),
        "title": "Hälsa på lika villkor",
        "summary": "Om vård för alla",
        "description": "**Program**\n\n- Inledning",
        "format": "lecture",
        "language_codes": ["sv"],
        "start_dt": local_time(30, 9),
        "end_dt": local_time(30, 12),
        "municipality": "varberg",
        "venue_name": "Stadsbiblioteket",
        "address": "Västra vallgatan 1",
        "capacity": "40",
        "speakers": "Amina Yusuf, Region Halland",
    }
    values.update(overrides)
    return values


def csv_file(**columns) -> bytes:
    """A CSV import of one event (quoted as a spreadsheet would, so line breaks travel)."""
    values = {
        "title": "Möte i Varberg",
        "start": local_time(30, 9, " "),
        "end": local_time(30, 12, " "),
        "municipality": "varberg",
        **columns,
    }
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(values.keys())
    writer.writerow(values.values())
    return out.getvalue().encode()


def import_csv(organiser, varberg, content: bytes):
    """Upload through the organiser's import page, then confirm whatever the preview offers."""
    preview = organiser.post(
        "/arrangor/import?lang=en",
        data={"file": (io.BytesIO(content), "events.csv"), "organisation_id": str(varberg.id),
              "default_municipality": ""},
        content_type="multipart/form-data",
    )  # fmt: skip
    fields = dict(re.findall(r'name="([a-z_]+)" type="hidden" value="([^"]*)"', preview.text))
    if "content" in fields:
        organiser.post("/arrangor/import/bekrafta", data=fields)
    return preview


# --- 4. Markdown in linear time, and a length limit on every path in -----------------------

ADVERSARIAL = {
    "brackets": "[",
    "image brackets": "![",
    "nested link openers": "[![",
    "reference openers": "[a][",
    "unclosed emphasis": "*a",
    "nested emphasis": "*a **b ***c _d __e ",
    "less-than signs": "<",
    "tag openers": "<a ",
    "code spans": "`a",
    "quoted list links": "> - [",
}


def repeated(unit: str, length: int) -> str:
    return (unit * (length // len(unit) + 1))[:length]


def render_seconds(source: str) -> float:
    start = time.perf_counter()
    render_markdown(source)
    return time.perf_counter() - start


@pytest.mark.parametrize(
    "source_of",
    [*(lambda n, unit=unit: repeated(unit, n) for unit in ADVERSARIAL.values()),
     lambda n: "".join(repeated(unit, n // len(ADVERSARIAL)) for unit in ADVERSARIAL.values())],
    ids=[*ADVERSARIAL, "all of them"],
)  # fmt: skip
def test_an_adversarial_description_renders_in_well_under_a_second(source_of):
    """Python-Markdown took 14 s for 4,000 "[", and a page renders its description twice.
    The longest description a form takes must render in under a second. 4,000 characters
    first, so a super-linear parser fails early; a slow run is measured again (best of three)
    so that a busy machine does not fail the test."""
    for length in (4_000, max_length(Event.description)):
        source = source_of(length)
        assert len(source) == length
        seconds = render_seconds(source)
        if 1.0 <= seconds < 5.0:
            seconds = min(seconds, render_seconds(source), render_seconds(source))
        assert seconds < 1.0, f"{length} characters took {seconds:.2f} s"


def test_every_text_limit_is_the_columns_own():
    """One source: a String(n) column's n, or the limit a Text column declares."""
    assert max_length(Event.title) == Event.__table__.c.title.type.length == 200
    assert max_length(Event.description) == 20_000
    assert max_length(Event.accessibility_notes) == max_length(Event.cancellation_reason) == 2_000
    assert max_length(Theme.description_sv) == max_length(Resource.description) == 5_000


def test_over_long_event_texts_are_refused_by_the_form_and_nothing_is_stored(organiser, varberg):
    too_long = {
        "description": "x" * (max_length(Event.description) + 1),
        "accessibility_notes": "x" * (max_length(Event.accessibility_notes) + 1),
        "venue_name": "x" * (max_length(Event.venue_name) + 1),
        "speakers": "x" * 201 + ", Region Halland",  # used to be cut short without a word
    }
    for name, value in too_long.items():
        response = organiser.post("/arrangor/evenemang/nytt?lang=en",
                                  data=event_form(varberg, **{name: value}))  # fmt: skip
        assert response.status_code == 400, name
        assert f'href="#{name}"' in response.text, name
    assert count(Event) == 0
    longest = "x" * max_length(Event.description)
    response = organiser.post("/arrangor/evenemang/nytt", data=event_form(varberg,
                                                                          description=longest))
    assert response.status_code == 302
    assert db.session.scalar(select(Event.description)) == longest


@pytest.mark.parametrize(
    ("column", "limit"),
    [("description", max_length(Event.description)), ("summary", max_length(Event.summary)),
     ("title", max_length(Event.title)), ("venue_name", max_length(Event.venue_name)),
     ("address", max_length(Event.address)), ("audience", max_length(Event.audience))],
)  # fmt: skip
def test_over_long_imported_texts_are_refused_and_nothing_is_stored(
    organiser, varberg, column, limit
):
    """The import used to take any description and to cut other texts short silently."""
    [row] = imports.parse_file("e.csv", csv_file(**{column: "x" * (limit + 1)}), varberg)
    assert not row.is_good
    assert f"Column “{column}”: Write at most {limit} characters." in row.errors
    preview = import_csv(organiser, varberg, csv_file(**{column: "x" * (limit + 1)}))
    assert "Write at most" in preview.text
    assert count(Event) == 0
    [row] = imports.parse_file("e.csv", csv_file(**{column: "x" * limit}), varberg)
    assert row.is_good, row.errors


def test_over_long_ics_texts_are_refused_not_cut_short(varberg):
    content = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nBEGIN:VEVENT\r\nUID:1@test\r\n"
        f"SUMMARY:{'x' * 201}\r\nDTSTART:20300310T090000Z\r\nDTEND:20300310T100000Z\r\n"
        "LOCATION:Varberg\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    ).encode()
    [row] = imports.parse_file("e.ics", content, varberg)
    assert not row.is_good
    assert "SUMMARY: Write at most 200 characters." in row.errors  # the .ics property


def test_over_long_texts_are_refused_by_the_admin_forms(admin):
    theme = make_theme()
    db.session.commit()
    too_long = "x" * (max_length(Theme.description_sv) + 1)
    response = admin.post("/admin/teman/nytt", data={
        "slug": "ny", "name_sv": "Ny", "name_en": "New", "description_sv": too_long})
    assert response.status_code == 400
    response = admin.post(f"/admin/teman/{theme.id}/resurser/ny", data={
        "kind": "reading", "title": "x" * (max_length(Resource.title) + 1),
        "url": "https://example.se", "language": "sv"})  # fmt: skip
    assert response.status_code == 400
    assert count(Theme) == 1
    assert count(Resource) == 0


# --- 7. Control characters: refused on one line, normalised in paragraphs -------------------

ONE_LINE_BREAKERS = {
    "CR": "a\rb",
    "LF": "a\nb",
    "CRLF": "a\r\nb",
    "NUL": "a\x00b",
    "escape": "a\x1bb",
    "tab": "a\tb",
    "NEL": "a\x85b",
    "line separator": "a\u2028b",
    "paragraph separator": "a\u2029b",
}
breakers = pytest.mark.parametrize(
    "value", ONE_LINE_BREAKERS.values(), ids=ONE_LINE_BREAKERS.keys()
)
ONE_LINE_ERROR = "Write this on one line, without line breaks or control characters."
# A paragraph with every kind of line end and a control character, and how it is stored.
PARAGRAPHS = "Rad 1\r\nRad 2\rRad 3\u2028Rad 4\x0bRad 5\x85Rad 6\x1b!\tSlut"
NORMALISED = "Rad 1\nRad 2\nRad 3\nRad 4\nRad 5\nRad 6!\tSlut"


def refused_with_error(response, field: str, value: str) -> bool:
    """A NUL is refused before any form reads it (a 400 page, item 8); anything else is the
    form again, with the field's error."""
    if response.status_code != 400:
        return False
    if "\x00" in value:
        return "The request could not be understood" in response.text
    return f'href="#{field}"' in response.text and ONE_LINE_ERROR in response.text


@breakers
@pytest.mark.parametrize(
    "field", ["title", "venue_name", "address", "audience", "interpretation_note"]
)
def test_one_line_event_fields_refuse_control_characters_in_the_form(
    organiser, varberg, field, value
):
    response = organiser.post("/arrangor/evenemang/nytt?lang=en",
                              data=event_form(varberg, **{field: value}))  # fmt: skip
    assert refused_with_error(response, field, value)
    assert count(Event) == 0


@pytest.mark.parametrize("value", ["Amina\x1bYusuf", "Amina\tYusuf, Region Halland",
                                   "Amina, Region\x7fHalland", "Amina\x00"])  # fmt: skip
def test_speakers_refuse_control_characters_in_the_form(organiser, varberg, value):
    """Each line is a speaker, so line breaks separate them; other controls are refused."""
    response = organiser.post("/arrangor/evenemang/nytt?lang=en",
                              data=event_form(varberg, speakers=value))  # fmt: skip
    assert refused_with_error(response, "speakers", value)
    assert count(Event) == 0


@breakers
def test_an_event_edit_refuses_control_characters_too(organiser, varberg, value):
    event = make_event(organisation=varberg, status="draft", title="Före")
    db.session.commit()
    response = organiser.post(f"/arrangor/evenemang/{event.id}/redigera?lang=en",
                              data=event_form(varberg, title=value))  # fmt: skip
    assert refused_with_error(response, "title", value)
    assert db.session.get(Event, event.id).title == "Före"


@breakers
@pytest.mark.parametrize(
    ("url", "data", "field", "model"),
    [
        ("/admin/teman/nytt", {"slug": "tema", "name_en": "Theme"}, "name_sv", Theme),
        ("/admin/teman/nytt", {"slug": "tema", "name_sv": "Tema"}, "name_en", Theme),
        ("/admin/organisationer/ny", {"slug": "org"}, "name", Organisation),
        ("/admin/teman/{theme}/resurser/ny",
         {"kind": "reading", "url": "https://example.se", "language": "sv"}, "title", Resource),
        ("/admin/anvandare/ny", {"email": "ny@example.se", "password": "ett långt lösenord",
                                 "password_again": "ett långt lösenord"}, "name", User),
    ],
    ids=["theme name_sv", "theme name_en", "organisation name", "resource title", "user name"],
)  # fmt: skip
def test_one_line_admin_fields_refuse_control_characters(admin, url, data, field, model, value):
    theme = make_theme()
    db.session.commit()
    before = count(model)
    response = admin.post(url.format(theme=theme.id) + "?lang=en", data={**data, field: value})
    assert refused_with_error(response, field, value)
    assert count(model) == before


@breakers
@pytest.mark.parametrize("column", ["title", "venue_name", "address", "audience"])
def test_one_line_imported_columns_refuse_control_characters(organiser, varberg, column, value):
    try:
        [row] = imports.parse_file("e.csv", csv_file(**{column: value}), varberg)
    except imports.ImportFileError:
        assert "\x00" in value  # a NUL makes the whole file unreadable as text
    else:
        assert not row.is_good
        assert f"Column “{column}”: {ONE_LINE_ERROR}" in row.errors
    import_csv(organiser, varberg, csv_file(**{column: value}))
    assert count(Event) == 0


def test_multi_line_texts_keep_only_lf_line_ends_on_every_path(organiser, admin, varberg):
    response = organiser.post("/arrangor/evenemang/nytt", data=event_form(
        varberg, description=PARAGRAPHS, summary=PARAGRAPHS, accessibility_notes=PARAGRAPHS))
    assert response.status_code == 302
    event = db.session.scalar(select(Event))
    assert event.description == event.summary == event.accessibility_notes == NORMALISED

    import_csv(organiser, varberg, csv_file(title="Importerat", description=PARAGRAPHS,
                                            summary=PARAGRAPHS))  # fmt: skip
    imported = db.session.scalar(select(Event).where(Event.title == "Importerat"))
    assert imported.description == imported.summary == NORMALISED

    response = admin.post("/admin/teman/nytt", data={
        "slug": "tema", "name_sv": "Tema", "name_en": "Theme", "description_sv": PARAGRAPHS})
    assert response.status_code == 302
    theme = db.session.scalar(select(Theme))
    assert theme.description_sv == NORMALISED
    response = admin.post(f"/admin/teman/{theme.id}/resurser/ny", data={
        "kind": "reading", "title": "Läsning", "url": "https://example.se", "language": "sv",
        "description": PARAGRAPHS})  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalar(select(Resource.description)) == NORMALISED


LONE_CR_OR_LF = re.compile(rb"\r(?!\n)|(?<!\r)\n")


def assert_valid_calendar(data: bytes) -> icalendar.Calendar:
    """Every line ends in CRLF (no lone CR or LF), and the file reads as a calendar."""
    assert not LONE_CR_OR_LF.search(data), data
    return icalendar.Calendar.from_ical(data)


def test_an_event_with_normalised_fields_sends_its_emails_and_calendar_files(
    app, organiser, varberg
):
    form = event_form(varberg, description=PARAGRAPHS, summary=PARAGRAPHS,
                      accessibility_notes=PARAGRAPHS)  # fmt: skip
    assert organiser.post("/arrangor/evenemang/nytt", data=form).status_code == 302
    event = db.session.scalar(select(Event))
    assert organiser.post(f"/arrangor/evenemang/{event.id}/publicera").status_code == 302
    feed = organiser.get(f"/kalender/evenemang/{event.public_id}.ics")
    assert feed.status_code == 200
    (vevent,) = assert_valid_calendar(feed.data).walk("VEVENT")
    assert "Rad 1\nRad 2\nRad 3" in str(vevent["DESCRIPTION"])
    with running_smtp_server(app) as smtp_server:
        make_registration(db.session.get(Event, event.id))
        db.session.commit()
        response = organiser.post(f"/arrangor/evenemang/{event.id}/stall-in",
                                  data={"reason": "Sjukdom\r\nVi ses\rsnart"})  # fmt: skip
        assert response.status_code == 302
        report = mail_sender.send_due(now=utcnow() + timedelta(minutes=1))
        assert report.sent == 2
        assert not report.failed
        for message in smtp_server.messages:
            assert message["Subject"]
            assert "\r" not in message["Subject"]
            for part in message.iter_attachments():
                if part.get_content_type() == "text/calendar":
                    assert_valid_calendar(part.get_payload(decode=True))
    assert db.session.get(Event, event.id).cancellation_reason == "Sjukdom\nVi ses\nsnart"


def test_no_lone_cr_reaches_a_calendar_from_rows_saved_before_the_checks(client):
    """Rows written before control characters were refused on the way in."""
    event = make_event(title="Före\rEfter", venue_name="Sal\r1", address="Gatan 1\r\nVarberg",
                       summary="Kort\rsammanfattning", description="Lång\rbeskrivning",
                       cancellation_reason="Sjuk\rdom", status="cancelled")  # fmt: skip
    db.session.commit()
    feed = client.get(f"/kalender/evenemang/{event.public_id}.ics")
    assert feed.status_code == 200
    (vevent,) = assert_valid_calendar(feed.data).walk("VEVENT")
    assert str(vevent["SUMMARY"]).endswith("Före\nEfter")


# --- 8. A NUL in any field or query parameter is a 400 -------------------------------------

FIELD_NAME = re.compile(r'<(?:input|select|textarea)\b[^>]*\bname="([^"]+)"')
VARIABLE = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")


def build_path(rule, values: dict) -> str:
    """The rule's path with these values for its variables."""
    return VARIABLE.sub(lambda match: str(values[match.group(1)]), rule.rule)


@pytest.fixture
def pages(varberg):
    """The pages with a form, each with the URL its form is sent to and how."""
    # In a series, so the event list's form has its series choice too.
    event = make_event(organisation=varberg, capacity=10, series=make_series(varberg))
    theme = make_theme()
    db.session.commit()
    organiser_pages = [
        ("GET", "/arrangor/evenemang/nytt", "POST"),
        ("GET", f"/arrangor/evenemang/{event.id}/redigera", "POST"),
        ("GET", f"/arrangor/evenemang/{event.id}/kopiera", "POST"),
        ("GET", f"/arrangor/evenemang/{event.id}/stall-in", "POST"),
        ("GET", f"/arrangor/evenemang/{event.id}/meddelande", "POST"),
        ("GET", f"/arrangor/evenemang/{event.id}/anmalningar/ny", "POST"),
        ("GET", "/arrangor/import", "POST"),
        ("GET", f"/arrangor/evenemang/{event.id}/incheckning", "GET"),
        ("GET", "/arrangor/statistik", "GET"),
        ("GET", "/admin/logg", "GET"),
        ("GET", "/admin/teman/nytt", "POST"),
        ("GET", f"/admin/teman/{theme.id}/resurser/ny", "POST"),
        ("GET", "/admin/organisationer/ny", "POST"),
        ("GET", "/admin/anvandare/ny", "POST"),
    ]
    public_pages = [
        ("GET", "/arrangor/logga-in", "POST"),
        ("GET", "/arrangor/glomt-losenord", "POST"),
        ("GET", f"/evenemang/{event.public_id}/anmalan", "POST"),
        ("GET", "/evenemang/", "GET"),
    ]
    return organiser_pages, public_pages


def nul_in_each_field(client, pages) -> tuple[int, list[str]]:
    """Send a NUL in each field of each page's form, alone and among ordinary values; the
    number of fields tried, and every answer that was not a 400."""
    tried, problems = 0, []
    for _method, page, send in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        names = sorted(set(FIELD_NAME.findall(response.text)) - {"csrf_token"})
        assert names, page
        for name in names:
            for data in ({name: "a\x00b"}, {**dict.fromkeys(names, "1"), name: "\x00"}):
                tried += 1
                if send == "GET":
                    answer = client.get(page, query_string=data)
                else:
                    answer = client.post(page, data=data)
                if answer.status_code != 400:
                    problems.append(f"{send} {page} {name}: {answer.status_code}")
    return tried, problems


def test_a_nul_in_any_field_of_any_form_is_refused(app, admin, pages):
    organiser_pages, public_pages = pages
    before = {model: count(model) for model in (Event, Theme, Organisation, User, Registration)}
    tried, problems = nul_in_each_field(admin, organiser_pages)
    public_tried, public_problems = nul_in_each_field(app.test_client(), public_pages)
    assert not problems + public_problems, "\n".join(problems + public_problems)
    assert tried + public_tried > 100  # every field of every form, not a handful
    assert {model: count(model) for model in before} == before


def test_a_nul_anywhere_on_any_route_is_a_400(app, admin):
    """Every route, whatever its path values mean: the check runs before any view."""
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        path = build_path(rule, dict.fromkeys(rule.arguments, "1"))
        for method in sorted(rule.methods & {"GET", "POST"}):
            if method == "GET":
                answers = [admin.get(path, query_string={"q": "a\x00b"}),
                           admin.get(path, query_string={"a\x00b": "q"})]  # fmt: skip
            else:
                answers = [admin.post(path, data={"title": "a\x00b"}),
                           admin.post(path, data={"a\x00": "x"})]  # fmt: skip
            assert [a.status_code for a in answers] == [400, 400], f"{method} {rule.rule}"
            checked += 1
    assert checked > 40


# --- 9. Ids, dates and numbers from outside are bounded ------------------------------------

HUGE_IDS = [str(MAX_ROW_ID + 1), "99999999999999999999", "9" * 5_000, "0"]


def _course_session_id(event) -> int:
    """The second session of `event`, made a course of two."""
    from eventreg.services.sessions import SessionData, add_session

    later = event.start_dt + timedelta(days=7)
    return add_session(event, SessionData(later, later + timedelta(hours=2)), None).session.id


def test_huge_ids_in_organiser_and_admin_addresses_are_not_found(admin, varberg):
    event = make_event(organisation=varberg, capacity=10)
    registration = make_registration(event)
    theme = make_theme()
    real = {
        "event_id": event.id, "registration_id": registration.id, "theme_id": theme.id,
        "resource_id": make_resource(theme=theme).id, "organisation_id": varberg.id,
        "user_id": make_user().id,
        "question_id": add_question(event, QuestionData("text", "Fråga"), None).id,
        "session_id": _course_session_id(event),
        "series_id": create_series(SeriesData("Föreläsningar", varberg.id), None).id,
        "code": "en",  # a language of event text (not an id: a huge one is just unknown)
        "material_id": add_material(
            make_event(organisation=varberg, start_dt=utcnow() - timedelta(days=2)),
            MaterialData("slides", "Bilder", "sv", url="https://example.se/b.pdf"),
        ).id,
    }  # fmt: skip
    db.session.commit()
    app = admin.application
    rules = [r for r in app.url_map.iter_rules()
             if r.rule.startswith(("/arrangor/", "/admin/")) and r.arguments & set(real)]
    assert len(rules) >= 20
    for rule in rules:
        for name in sorted(rule.arguments):
            for huge in HUGE_IDS:
                path = build_path(rule, {**real, name: huge})
                method = "GET" if "GET" in rule.methods else "POST"
                status = admin.open(path, method=method).status_code
                assert status == 404, f"{method} {path[:120]}: {status}"


def test_huge_numbers_and_far_dates_in_query_strings_are_refused(admin):
    for query in ("event_id=99999999999999999999", f"event_id={MAX_ROW_ID + 1}",
                  "event_id=" + "9" * 5_000):  # fmt: skip
        assert admin.get(f"/admin/logg?{query}").status_code == 400, query
    for query in ("till=9999-12-31", "fran=0001-01-01", "fran=1999-12-31", "till=2101-01-01",
                  "fran=0001-01-01&till=9999-12-31", "organisation=999999999999",
                  "organisation=" + "9" * 5_000, "organisation=%C2%B2"):  # fmt: skip
        for page in ("/arrangor/statistik", "/arrangor/statistik.csv"):
            assert admin.get(f"{page}?{query}").status_code == 400, f"{page}?{query}"
    assert admin.get("/arrangor/statistik?fran=2000-01-01&till=2100-12-31").status_code == 200


@pytest.mark.parametrize("capacity", [str(MAX_CAPACITY + 1), "99999999999999999999"])
def test_a_capacity_over_the_limit_is_refused_on_every_path(organiser, varberg, capacity):
    response = organiser.post("/arrangor/evenemang/nytt?lang=en",
                              data=event_form(varberg, capacity=capacity))  # fmt: skip
    assert response.status_code == 400
    assert 'href="#capacity"' in response.text
    [row] = imports.parse_file("e.csv", csv_file(capacity=capacity), varberg)
    assert f"Column “capacity”: Enter a number of seats from 0 to {MAX_CAPACITY}." in row.errors
    import_csv(organiser, varberg, csv_file(capacity=capacity))
    assert count(Event) == 0
    [row] = imports.parse_file("e.csv", csv_file(capacity=str(MAX_CAPACITY)), varberg)
    assert row.is_good, row.errors


# --- 13. The statistics CSV is safe to open in a spreadsheet -------------------------------


def test_names_that_look_like_formulas_are_text_in_the_statistics_csv(admin, varberg):
    names = ["=HYPERLINK(\"https://evil.example\")", "+1+1", "-2+3", "@SUM(A1)"]
    themes = [make_theme(name_sv=name, name_en=name) for name in names]
    event = make_event(organisation=varberg, themes=themes, capacity=10)
    make_registration(event)
    db.session.commit()
    response = admin.get("/arrangor/statistik.csv")
    assert response.status_code == 200
    cells = [row[1] for row in csv.reader(io.StringIO(response.data.decode("utf-8-sig")),
                                          delimiter=";")]  # fmt: skip
    for name in names:
        assert "'" + name in cells, name
        assert name not in cells, name
