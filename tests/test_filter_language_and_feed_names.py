"""Issue 12, the rest: Swedish-only names in the filters and the active-filter chips of an
English page are marked lang="sv" (WCAG 3.1.2), and calendar feeds are named after the site
(SITE_NAME)."""

import re

import pytest
from icalendar import Calendar

from eventreg.extensions import db
from tests.factories import make_event, make_organisation, make_registration, make_theme

ENGLISH_ONLY_THEME = {"slug": "svenska", "name_sv": "Bara svenska", "name_en": ""}


def label_of(html: str, name: str, value: str) -> str:
    """The <label> of one filter checkbox."""
    field_id = re.search(rf'id="([^"]+)" name="{name}" type="checkbox" value="{value}"', html)
    assert field_id, f"no checkbox {name}={value}"
    return re.search(rf'<label[^>]*for="{field_id.group(1)}"[^>]*>[^<]*</label>', html).group(0)


def test_untranslated_theme_and_organisation_names_are_marked_swedish_in_english_filters(client):
    make_theme(**ENGLISH_ONLY_THEME)
    make_theme(slug="halsa", name_sv="Hälsa", name_en="Health")
    make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    db.session.commit()
    html = client.get("/evenemang/?lang=en").get_data(as_text=True)
    assert 'lang="sv"' in label_of(html, "tema", "svenska")
    assert "Bara svenska" in label_of(html, "tema", "svenska")
    assert "lang=" not in label_of(html, "tema", "halsa")  # English, like the page
    assert 'lang="sv"' in label_of(html, "arrangor", "varbergs-kommun")
    swedish = client.get("/evenemang/?lang=sv").get_data(as_text=True)
    assert "lang=" not in label_of(swedish, "tema", "svenska")  # Swedish, like the page


def test_active_filter_chips_mark_swedish_names_on_english_pages(client):
    theme = make_theme(**ENGLISH_ONLY_THEME)
    organisation = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    make_event(themes=[theme], organisation=organisation)
    db.session.commit()
    html = client.get(
        "/evenemang/?lang=en&tema=svenska&arrangor=varbergs-kommun&kommun=varberg"
    ).get_data(as_text=True)
    chips = re.findall(r'<a class="chip"[^>]*>(.*?)</a>', html, re.S)
    assert any('Theme: <span lang="sv">Bara svenska</span>' in chip for chip in chips)
    assert any('Organiser: <span lang="sv">Varbergs kommun</span>' in chip for chip in chips)
    assert any("Municipality: Varberg<" in chip for chip in chips)  # a place name: no lang


@pytest.fixture
def site_name(app):
    default = app.config["SITE_NAME"]
    app.config["SITE_NAME"] = "Evenemang i Halland"
    yield "Evenemang i Halland"
    app.config["SITE_NAME"] = default


def calendar_name(client, path: str) -> tuple[str, str]:
    calendar = Calendar.from_ical(client.get(path).data)
    return str(calendar["x-wr-calname"]), str(calendar["name"])


def test_feeds_are_named_after_the_configured_site(client, site_name):
    theme = make_theme(name_sv="Hälsa", name_en="Health")
    make_event(themes=[theme], municipality="varberg")
    db.session.commit()
    assert calendar_name(client, "/kalender/evenemang.ics") == (site_name, site_name)
    assert calendar_name(client, "/kalender/evenemang.ics?kommun=varberg&format=seminar")[0] == (
        f"{site_name} – utvalda evenemang"
    )
    assert calendar_name(client, f"/kalender/tema/{theme.slug}.ics")[0] == f"Hälsa – {site_name}"
    assert calendar_name(client, "/kalender/kommun/varberg.ics")[0] == f"Varberg – {site_name}"


def test_the_default_site_name_is_translated_in_feeds(client):
    make_event()
    db.session.commit()
    assert calendar_name(client, "/kalender/evenemang.ics")[0] == "Hallands seminarier"
    assert calendar_name(client, "/kalender/evenemang.ics?lang=en")[0] == "Halland's seminars"


def test_the_personal_feed_is_named_after_the_site(client, app, site_name):
    from eventreg.services.registrations import feed_token

    registration = make_registration()
    db.session.commit()
    with app.test_request_context():
        token = feed_token(registration)
    name = calendar_name(client, f"/kalender/mina/{token}.ics")[0]
    assert name == f"Mina anmälningar – {site_name}"
