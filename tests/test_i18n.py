"""Swedish first, English too; times in Europe/Stockholm across summer-time changes."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from eventreg.extensions import db
from tests.factories import local, make_event

TRANSLATIONS = Path(__file__).resolve().parent.parent / "eventreg" / "translations"


def event_url(event) -> str:
    return f"/evenemang/{event.public_id}/{event.slug}"


def test_swedish_is_the_default_locale(client):
    html = client.get("/").get_data(as_text=True)
    assert '<html lang="sv">' in html
    assert "Kommande evenemang" in html
    assert "Hoppa till innehållet" in html


def test_english_by_url_and_the_choice_is_remembered(client):
    html = client.get("/?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html
    assert "Upcoming events" in html
    assert 'href="/?lang=sv"' in html  # the switch back, on the same page
    later = client.get("/teman/").get_data(as_text=True)
    assert '<html lang="en">' in later
    back = client.get("/teman/?lang=sv").get_data(as_text=True)
    assert '<html lang="sv">' in back
    assert '<html lang="sv">' in client.get("/").get_data(as_text=True)


def test_language_switch_keeps_the_filters(client):
    html = client.get("/evenemang/?kommun=varberg&format=seminar").get_data(as_text=True)
    link = re.search(r'<a href="([^"]+)" lang="en"', html).group(1).replace("&amp;", "&")
    assert link.startswith("/evenemang/?")
    assert "kommun=varberg" in link
    assert "format=seminar" in link
    assert "lang=en" in link


def test_unknown_locale_falls_back_to_swedish(client):
    assert '<html lang="sv">' in client.get("/?lang=xx").get_data(as_text=True)


def test_dates_are_formatted_for_the_locale(client):
    event = make_event(start_dt=local(2027, 3, 23, 9, 30), end_dt=local(2027, 3, 23, 12, 0))
    db.session.commit()
    swedish = client.get(event_url(event)).get_data(as_text=True)
    assert "tisdag 23 mars 2027, 09:30–12:00" in swedish
    english = client.get(event_url(event) + "?lang=en").get_data(as_text=True)
    assert "Tuesday 23 March 2027, 09:30–12:00" in english  # British, as in Swedish


@pytest.mark.parametrize(
    ("day", "utc_hour"),
    [
        ((2027, 3, 27), 9),  # Saturday before summer time: UTC+1
        ((2027, 3, 29), 8),  # Monday after the last Sunday of March: UTC+2
        ((2027, 10, 30), 8),  # Saturday before winter time: UTC+2
        ((2027, 11, 1), 9),  # Monday after the last Sunday of October: UTC+1
    ],
)
def test_ten_oclock_stays_ten_oclock_across_summer_time_changes(client, day, utc_hour):
    event = make_event(start_dt=local(*day, 10), end_dt=local(*day, 12))
    db.session.commit()
    db.session.expire_all()
    assert event.start_dt.utcoffset().total_seconds() == 0  # stored and read back as UTC
    assert event.start_dt.hour == utc_hour
    html = client.get(event_url(event)).get_data(as_text=True)
    assert "10:00–12:00" in html


def _catalogue(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as fh:
        return read_po(fh, locale=language)


def test_swedish_catalogue_is_complete():
    untranslated = [
        message.id
        for message in _catalogue("sv")
        if message.id
        and (
            message.fuzzy
            or not (all(message.string) if isinstance(message.string, tuple) else message.string)
        )
    ]
    assert untranslated == []


def test_catalogue_covers_every_string_in_the_code(tmp_path):
    """Every translatable string in the code and templates is in both catalogues."""
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "--quiet", "extract",
         "-F", "eventreg/babel.cfg", "-k", "_l", "-k", "lazy_gettext", "-o", str(pot), "."],
        cwd=TRANSLATIONS.parent.parent, check=True,
    )  # fmt: skip
    with open(pot, "rb") as fh:
        template_ids = {m.id for m in read_po(fh) if m.id}
    assert len(template_ids) > 100
    for language in ("sv", "en"):
        assert {m.id for m in _catalogue(language) if m.id} >= template_ids


def _messages(catalog) -> dict:
    """Translations by message id (and context), as gettext would look them up: the header
    entry (whose Generated-By line names the Babel version) and untranslated entries,
    which gettext answers with the id anyway, left out."""
    def key(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    translations = {
        (message.context, key(message.id)): key(message.string)
        for message in catalog
        if message.id and not message.fuzzy
    }
    # An empty translation and one equal to the id (how Babel writes untranslated plurals)
    # both make gettext show the id.
    return {
        k: v for k, v in translations.items() if v != k[1] and v not in ("", ("", ""))
        and (not isinstance(v, tuple) or all(v))
    }


@pytest.mark.parametrize("language", ["sv", "en"])
def test_compiled_catalogue_is_up_to_date(language):
    """The committed .mo holds exactly the .po's translations. Compared message by message,
    not byte by byte, so a new Babel release that writes a different header can't fail it."""
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as fh:
        compiled = read_mo(fh)
    assert _messages(compiled) == _messages(_catalogue(language)), (
        "run: pybabel compile -d eventreg/translations"
    )


def test_translations_work_outside_a_request(app):
    """CLI commands and the mail sender translate without a request (default Swedish)."""
    from flask_babel import gettext

    assert gettext("Upcoming events") == "Kommande evenemang"
