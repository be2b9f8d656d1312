"""Importing events from CSV and .ics: preview with per-row errors, then the good rows
together; the web upload and the import-events command."""

import base64
import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.models import Event
from eventreg.services import imports
from tests.factories import log_in, make_event, make_organisation, make_theme, make_user

CSV = """title;start;end;municipality;format;venue_name;capacity;themes;languages
Språkcafé i Varberg;2030-03-12 09:00;2030-03-12 11:00;varberg;workshop;Biblioteket;30;halsa;sv,ar
Hälsa på lika villkor;2030-04-02 13:00;2030-04-02 15:00;halmstad;lecture;Rådhuset;;;
Fel tid;2030-03-31 02:30;2030-03-31 04:00;halmstad;seminar;;;;
Slutar före start;2030-05-01 12:00;2030-05-01 10:00;halmstad;seminar;;;;
Okänt tema;2030-05-02 12:00;2030-05-02 14:00;halmstad;seminar;;;abc;
;2030-05-03 12:00;2030-05-03 14:00;oslo;seminar;;;;
"""

ICS = b"""BEGIN:VCALENDAR
VERSION:2.0
PRODID:-//test//EN
BEGIN:VEVENT
UID:1@test
SUMMARY:Integration i Falkenberg
DTSTART;TZID=Europe/Stockholm:20300310T090000
DTEND;TZID=Europe/Stockholm:20300310T120000
LOCATION:Biblioteket\\, Falkenberg
CATEGORIES:halsa
END:VEVENT
BEGIN:VEVENT
UID:2@test
SUMMARY:Webbinarium
DTSTART:20300311T080000Z
DURATION:PT1H
LOCATION:Teams
END:VEVENT
BEGIN:VEVENT
UID:3@test
SUMMARY:Heldag
DTSTART;VALUE=DATE:20300312
DTEND;VALUE=DATE:20300313
END:VEVENT
BEGIN:VEVENT
UID:4@test
SUMMARY:Flytande tid i Laholm
DTSTART:20300701T090000
DTEND:20300701T100000
LOCATION:Laholm
END:VEVENT
END:VCALENDAR
"""


@pytest.fixture(autouse=True)
def _request_context(app):
    with app.test_request_context("/?lang=en"):
        yield


@pytest.fixture
def varberg():
    make_theme(slug="halsa")
    return make_organisation(slug="varbergs-kommun", name="Varbergs kommun")


def count_events() -> int:
    return db.session.scalar(select(func.count()).select_from(Event))


def test_csv_rows_are_read_and_checked_one_by_one(varberg):
    rows = imports.parse_file("events.csv", CSV.encode("utf-8"), varberg)
    assert [(r.line, r.is_good) for r in rows] == [
        (2, True),
        (3, True),
        (4, False),
        (5, False),
        (6, False),
        (7, False),
    ]
    first = rows[0].data
    assert first.title == "Språkcafé i Varberg"
    assert first.capacity == 30
    assert first.start_dt == datetime(2030, 3, 12, 8, 0, tzinfo=UTC)  # 09:00 Swedish winter
    assert first.language_codes == ["sv", "ar"]
    assert len(first.theme_ids) == 1
    assert "does not exist in Swedish time" in rows[2].errors[0]
    assert any("“end”" in e for e in rows[3].errors)
    assert any("“themes”" in e and "abc" in e for e in rows[4].errors)
    assert any("title" in e for e in rows[5].errors)
    assert any(
        "municipality" in e for e in rows[5].errors
    )
    assert count_events() == 0  # checking saves nothing


def test_csv_in_windows_1252_with_commas_is_read(varberg):
    text = "title,start,end,municipality\nÅrsmöte,2030-03-12 09:00,2030-03-12 10:00,varberg\n"
    rows = imports.parse_file("e.csv", text.encode("cp1252"), varberg)
    assert rows[0].is_good
    assert rows[0].data.title == "Årsmöte"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("e.csv", b"namn;datum\nx;y\n", "no column title, start, end"),
        ("e.pdf", b"%PDF", "Choose a .csv or .ics file"),
        ("e.ics", b"BEGIN:VCALENDAR\nnonsense", "not a readable iCalendar"),
        ("e.csv", b"\xff\xfe\x00x" + b"\x81" * 10, "not text in UTF-8"),
    ],
)
def test_unreadable_files_are_refused_as_a_whole(varberg, name, content, message):
    with pytest.raises(imports.ImportFileError, match=message):
        imports.parse_file(name, content, varberg)


def test_good_rows_are_imported_together_as_drafts(varberg):
    rows = imports.parse_file("events.csv", CSV.encode(), varberg)
    created = imports.import_rows(rows, None)
    db.session.commit()
    assert [e.title for e in created] == ["Språkcafé i Varberg", "Hälsa på lika villkor"]
    assert all(e.status == "draft" and e.organisation_id == varberg.id for e in created)
    # The same file again adds nothing: both are now duplicates.
    again = imports.parse_file("events.csv", CSV.encode(), varberg)
    assert not any(r.is_good for r in again)
    assert "already exists" in again[0].errors[-1]


def test_ics_events_with_zones_durations_and_places(varberg):
    rows = imports.parse_file("cal.ics", ICS, varberg)
    assert [r.title for r in rows] == [
        "Integration i Falkenberg",
        "Webbinarium",
        "Heldag",
        "Flytande tid i Laholm",
    ]
    falkenberg, webinar, all_day, floating = rows
    assert falkenberg.is_good
    assert falkenberg.data.municipality == "falkenberg"
    assert falkenberg.data.start_dt == datetime(2030, 3, 10, 8, 0, tzinfo=UTC)
    assert len(falkenberg.data.theme_ids) == 1
    assert not webinar.is_good
    assert "municipality" in webinar.errors[0]
    assert not all_day.is_good
    assert "all-day" in all_day.errors[0]
    assert floating.is_good
    assert floating.data.start_dt == datetime(2030, 7, 1, 7, 0, tzinfo=UTC)
    with_default = imports.parse_file("cal.ics", ICS, varberg, default_municipality="online")
    assert with_default[1].errors == ["URL: Give the link for an online event."]


def test_web_upload_previews_then_imports(client, varberg):
    organiser = make_user(organisations=[varberg])
    db.session.commit()
    log_in(client, organiser)
    response = client.post(
        "/arrangor/import?lang=en",
        data={"file": (io.BytesIO(CSV.encode()), "events.csv"),
              "organisation_id": str(varberg.id), "default_municipality": ""},
        content_type="multipart/form-data",
    )  # fmt: skip
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "2 of 6 rows can be imported" in html
    assert "does not exist in Swedish time" in html
    assert count_events() == 0
    fields = dict(re.findall(r'name="([a-z_]+)" type="hidden" value="([^"]*)"', html))
    assert base64.b64decode(fields["content"]).decode() == CSV
    response = client.post("/arrangor/import/bekrafta", data=fields)
    assert response.status_code == 302
    assert count_events() == 2


def test_upload_errors_re_render(client, varberg):
    organiser = make_user(organisations=[varberg])
    db.session.commit()
    log_in(client, organiser)
    response = client.post("/arrangor/import?lang=en",
                           data={"organisation_id": str(varberg.id)},
                           content_type="multipart/form-data")  # fmt: skip
    assert response.status_code == 400
    assert 'href="#file"' in response.get_data(as_text=True)
    response = client.post(
        "/arrangor/import?lang=en",
        data={"file": (io.BytesIO(b"x;y\n1;2\n"), "e.csv"), "organisation_id": str(varberg.id)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "no column" in response.get_data(as_text=True)


def test_import_for_another_organisation_is_forbidden(client, varberg):
    other = make_organisation()
    organiser = make_user(organisations=[varberg])
    db.session.commit()
    log_in(client, organiser)
    response = client.post(
        "/arrangor/import",
        data={"file": (io.BytesIO(CSV.encode()), "events.csv"), "organisation_id": str(other.id)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 403
    content = base64.b64encode(CSV.encode()).decode()
    response = client.post(
        "/arrangor/import/bekrafta",
        data={"content": content, "filename": "e.csv", "organisation_id": str(other.id)},
    )
    assert response.status_code == 403
    assert count_events() == 0


def test_tampered_confirmation_is_refused(client, varberg):
    organiser = make_user(organisations=[varberg])
    db.session.commit()
    log_in(client, organiser)
    response = client.post(
        "/arrangor/import/bekrafta",
        data={"content": "not base64!!", "filename": "e.csv", "organisation_id": str(varberg.id)},
    )
    assert response.status_code == 400
    assert count_events() == 0


def test_import_command_with_progress_and_summary(runner, varberg, tmp_path):
    make_event(organisation=varberg, title="Hälsa på lika villkor",
               start_dt=datetime(2030, 4, 2, 11, 0, tzinfo=UTC))  # fmt: skip
    db.session.commit()
    path = tmp_path / "events.csv"
    path.write_text(CSV, encoding="utf-8")
    result = runner.invoke(args=["import-events", str(path), "--dry-run",
                                 "--organisation", "varbergs-kommun"])  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "1 events would be imported, 5 rows left out." in result.output
    assert count_events() == 1
    result = runner.invoke(args=["import-events", str(path), "--organisation", "varbergs-kommun"])
    assert result.exit_code == 0, result.output
    assert "Importing" in result.output  # the progress bar
    assert (
        "Row 3 (Hälsa på lika villkor): An event with this title and start already exists."
        in result.output
    )
    assert "Row 4 (Fel tid): Column “start”:" in result.output
    assert "1 events imported as drafts, 5 rows left out." in result.output
    db.session.expire_all()
    assert count_events() == 2


def test_import_command_refuses_unknown_organisation_and_bad_file(runner, varberg, tmp_path):
    path = tmp_path / "e.csv"
    path.write_text("a;b\n", encoding="utf-8")
    result = runner.invoke(args=["import-events", str(path), "--organisation", "nej"])
    assert result.exit_code != 0
    assert "no organisation" in result.output
    result = runner.invoke(args=["import-events", str(path), "--organisation", "varbergs-kommun"])
    assert result.exit_code != 0
    assert "no column" in result.output


@pytest.mark.parametrize(
    ("column", "value", "field"),
    [
        ("title", "x" * 201, "title"),
        ("online_url", "javascript:alert(1)", "online_url"),
        ("contact_email", "inte-en-adress", "contact_email"),
        ("start", "0001-01-01 00:30", "start"),
        ("start", "9999-12-31 23:30", "start"),
    ],
)
def test_imported_values_meet_the_same_rules_as_the_form(varberg, column, value, field):
    values = {"title": "Möte", "start": "2030-03-12 09:00", "end": "2030-03-12 10:00",
              "municipality": "varberg", column: value}  # fmt: skip
    header = ";".join(values)
    content = f"{header}\n{';'.join(values.values())}\n".encode()
    [row] = imports.parse_file("e.csv", content, varberg)
    assert not row.is_good
    assert any(f"“{field}”" in error for error in row.errors), row.errors


@pytest.mark.parametrize(
    "content",
    [b"title;start\x00;end\n", b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:nonsense\r\n"
     b"END:VEVENT\r\nEND:VCALENDAR\r\n", b"\"title\nstart"],
)  # fmt: skip
def test_broken_files_never_raise_anything_but_a_file_error(varberg, content):
    name = "e.ics" if content.startswith(b"BEGIN") else "e.csv"
    try:
        rows = imports.parse_file(name, content, varberg)
    except imports.ImportFileError:
        return
    assert all(not row.is_good for row in rows)
