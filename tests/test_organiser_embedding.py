""" "Visa på er webbplats" (issue 14): an organiser chooses events in a GET form and gets the
iframe code, the Atom, calendar and API addresses and a preview of the embed."""

from html import unescape

import pytest

from eventreg.extensions import db
from eventreg.models import EmbedOrigin
from tests.factories import log_in, make_organisation, make_theme, make_user

PAGE = "/arrangor/visa-pa-webbplats"


@pytest.fixture
def organiser_client(client):
    organisation = make_organisation(slug="varberg", name="Varbergs kommun")
    db.session.add(EmbedOrigin(organisation=organisation, origin="https://www.varberg.se"))
    make_organisation(slug="hylte", name="Hylte kommun")
    make_theme(slug="sprak", name_sv="Språk")
    user = make_user(organisations=[organisation])
    db.session.commit()
    log_in(client, user)
    return client


def test_first_visit_suggests_the_organisers_own_events(organiser_client):
    response = organiser_client.get(PAGE)
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    assert '<option selected value="varberg">' in html
    assert (
        '<iframe src="http://localhost/inbaddning/evenemang?arrangor=varberg" '
        'title="Kommande evenemang – Hallands seminarier"' in html
    )
    assert '<script src="http://localhost/static/js/embed.js" defer></script>' in html
    assert 'value="http://localhost/kalender/arrangor/varberg.atom"' in html
    assert 'value="http://localhost/kalender/arrangor/varberg.ics"' in html
    assert 'class="embed-preview" src="/inbaddning/evenemang?arrangor=varberg"' in html
    assert "<li><code>https://www.varberg.se</code></li>" in html
    # The preview may be framed by eventreg's own page.
    preview = organiser_client.get("/inbaddning/evenemang?arrangor=varberg")
    assert (
        "frame-ancestors 'self' https://www.varberg.se"
        in (preview.headers["Content-Security-Policy"])
    )


def test_choices_build_the_embed_and_feed_addresses(organiser_client):
    response = organiser_client.get(
        PAGE,
        query_string={
            "arrangor": "",
            "tema": "sprak",
            "kommun": "hylte",
            "antal": "8",
            "sprak": "en",
            "rubrik": "0",
        },
    )
    assert response.status_code == 200
    html = unescape(response.get_data(as_text=True))
    embed = "/inbaddning/evenemang?tema=sprak&kommun=hylte&antal=8&lang=en&rubrik=0"
    assert f'<iframe src="http://localhost{embed}"' in html
    assert f'class="embed-preview" src="{embed}"' in html
    assert (
        'value="http://localhost/kalender/evenemang.atom?tema=sprak&kommun=hylte&lang=en"' in html
    )
    assert 'value="http://localhost/kalender/evenemang.ics?tema=sprak&kommun=hylte&lang=en"' in html
    if "api-url" in html:  # the open API is another part of issue 14
        assert 'value="http://localhost/api/v1/events?tema=sprak&kommun=hylte&lang=en"' in html
    # The whole list may be framed by every organisation's sites.
    assert "<li><code>https://www.varberg.se</code></li>" in html
    # And the addresses work.
    assert organiser_client.get(embed).status_code == 200
    assert (
        organiser_client.get("/kalender/evenemang.atom?tema=sprak&kommun=hylte").status_code == 200
    )


def test_one_theme_uses_the_themes_own_feed(organiser_client):
    html = organiser_client.get(PAGE, query_string={"tema": "sprak"}).get_data(as_text=True)
    assert 'value="http://localhost/kalender/tema/sprak.atom"' in html


def test_says_when_no_website_may_show_the_list_yet(organiser_client):
    html = organiser_client.get(PAGE, query_string={"arrangor": "hylte"}).get_data(as_text=True)
    assert "Ingen webbplats får visa listan i en ram ännu." in html
    assert 'value="http://localhost/kalender/arrangor/hylte.atom"' in html


@pytest.mark.parametrize(
    "query", ["antal=0", "antal=999", "antal=tre", "tema=finns-inte", "arrangor=x", "sprak=de"]
)
def test_bad_choices_are_400_with_the_form_again(organiser_client, query):
    response = organiser_client.get(f"{PAGE}?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error-summary"' in html
    assert "embed-preview" not in html


def test_only_for_logged_in_organisers(client):
    response = client.get(PAGE)
    assert response.status_code == 302
    assert "logga-in" in response.headers["Location"]


def test_organiser_menu_links_to_it(organiser_client):
    html = organiser_client.get("/arrangor/").get_data(as_text=True)
    assert f'href="{PAGE}"' in html
