"""The public catalogue: home, themes, the filtered event list, event pages."""

import json
import re
from datetime import timedelta

import pytest

from eventreg.extensions import db
from eventreg.models import utcnow
from tests.factories import local, make_event, make_organisation, make_resource, make_theme


def titles_in(response) -> list[str]:
    """Event titles in the order the list shows them."""
    html = response.get_data(as_text=True)
    return re.findall(
        r'class="event-card-title">\s*<a href="[^"]+">(?:<span[^>]*>[^<]*</span> )?([^<]+)</a>',
        html,
    )


@pytest.fixture
def catalogue():
    """A small catalogue covering every filter dimension."""
    health = make_theme(slug="jamlik-halsa", name_sv="Jämlik hälsa", name_en="Equal health")
    work = make_theme(slug="arbete", name_sv="Arbete", name_en="Work")
    region = make_organisation(slug="region-halland", name="Region Halland")
    varberg = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    soon = utcnow().replace(microsecond=0) + timedelta(days=3)
    events = {
        "health_varberg": make_event(
            title="Vård på lika villkor", themes=[health], municipality="varberg",
            format="lecture", languages=["sv", "ar"], organisation=varberg,
            start_dt=soon + timedelta(days=1),
        ),
        "work_halmstad": make_event(
            title="Kompetensförsörjning", themes=[work], municipality="halmstad",
            format="seminar", languages=["sv"], organisation=region,
            start_dt=soon + timedelta(days=2), description="Om validering av yrkeskunskap",
        ),
        "both_online": make_event(
            title="Webbinarium om hälsa och arbete", themes=[health, work],
            municipality="online", format="webinar", languages=["en"], organisation=region,
            start_dt=soon + timedelta(days=30),
        ),
        "past_health": make_event(
            title="Förra årets hälsodag", themes=[health], municipality="varberg",
            format="seminar", organisation=varberg, start_dt=utcnow() - timedelta(days=20),
        ),
        "draft": make_event(
            title="Hemligt utkast", themes=[health], status="draft", organisation=region,
            start_dt=soon,
        ),
    }  # fmt: skip
    db.session.commit()
    return events


def test_home_shows_upcoming_events_and_themes(client, catalogue):
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert titles_in(response) == [
        "Vård på lika villkor",
        "Kompetensförsörjning",
        "Webbinarium om hälsa och arbete",
    ]
    assert "Jämlik hälsa" in html
    assert "Arbete" in html
    assert "Hemligt utkast" not in html
    assert "Förra årets hälsodag" not in html


def test_event_list_shows_upcoming_published_events_in_date_order(client, catalogue):
    assert titles_in(client.get("/evenemang/")) == [
        "Vård på lika villkor",
        "Kompetensförsörjning",
        "Webbinarium om hälsa och arbete",
    ]


def test_archive_shows_past_events_newest_first(client, catalogue):
    older = make_event(title="Ännu äldre", start_dt=utcnow() - timedelta(days=60))
    db.session.commit()
    assert older.status == "published"
    assert titles_in(client.get("/evenemang/arkiv")) == ["Förra årets hälsodag", "Ännu äldre"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("tema=jamlik-halsa", ["Vård på lika villkor", "Webbinarium om hälsa och arbete"]),
        ("kommun=varberg", ["Vård på lika villkor"]),
        ("kommun=varberg&kommun=online",
         ["Vård på lika villkor", "Webbinarium om hälsa och arbete"]),
        ("format=seminar", ["Kompetensförsörjning"]),
        ("sprak=ar", ["Vård på lika villkor"]),
        ("sprak=en", ["Webbinarium om hälsa och arbete"]),
        ("arrangor=region-halland", ["Kompetensförsörjning", "Webbinarium om hälsa och arbete"]),
        ("q=VÅRD", ["Vård på lika villkor"]),
        ("q=validering", ["Kompetensförsörjning"]),
        ("q=hälsa arbete", ["Webbinarium om hälsa och arbete"]),
        ("q=%25", []),
        ("tema=jamlik-halsa&kommun=online", ["Webbinarium om hälsa och arbete"]),
        ("tema=arbete&format=seminar&sprak=sv", ["Kompetensförsörjning"]),
        ("tema=jamlik-halsa&format=seminar", []),
    ],
)  # fmt: skip
def test_each_filter_and_combinations(client, catalogue, query, expected):
    response = client.get(f"/evenemang/?{query}")
    assert response.status_code == 200
    assert titles_in(response) == expected


def test_date_range_filter_uses_stockholm_calendar_days(client):
    # 00:30 Stockholm time on 1 July is still 30 June in UTC. Next year's July is always ahead.
    year = utcnow().year + 1
    make_event(title="Midnattsseminarium", start_dt=local(year, 7, 1, 0, 30))
    make_event(title="Dagen innan", start_dt=local(year, 6, 30, 10, 0))
    db.session.commit()
    assert titles_in(client.get(f"/evenemang/?fran={year}-07-01&till={year}-07-01")) == [
        "Midnattsseminarium"
    ]
    assert titles_in(client.get(f"/evenemang/?till={year}-06-30")) == ["Dagen innan"]
    assert titles_in(client.get(f"/evenemang/?fran={year}-06-30")) == [
        "Dagen innan",
        "Midnattsseminarium",
    ]


@pytest.mark.parametrize(
    "query",
    ["kommun=stockholm", "tema=finns-inte", "format=party", "sprak=xx", "fran=inte-ett-datum",
     "fran=2027-05-02&till=2027-05-01", "q=" + "x" * 201],
)  # fmt: skip
def test_bad_filter_values_give_400_with_an_error_summary(client, catalogue, query):
    response = client.get(f"/evenemang/?{query}&lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'class="error-summary"' in html
    assert re.search(r'<a href="#(kommun-0|tema-0|format-0|sprak-0|fran|till|q)">', html)
    assert "Vård på lika villkor" not in html


def test_filters_are_kept_in_the_form_and_pagination_links(client):
    organisation = make_organisation()
    start = utcnow() + timedelta(days=2)
    for n in range(25):
        make_event(title=f"Seminarium nummer {n:02d}", municipality="laholm",
                   organisation=organisation, start_dt=start + timedelta(hours=n))  # fmt: skip
    make_event(title="Annan kommun", municipality="hylte", organisation=organisation)
    db.session.commit()

    first = client.get("/evenemang/?kommun=laholm")
    html = first.get_data(as_text=True)
    assert len(titles_in(first)) == 20
    assert re.search(r'value="laholm"\s+checked|checked[^>]*value="laholm"', html)
    assert "/evenemang/?kommun=laholm&amp;sida=2" in html
    second = client.get("/evenemang/?kommun=laholm&sida=2")
    assert titles_in(second) == [f"Seminarium nummer {n:02d}" for n in range(20, 25)]
    assert client.get("/evenemang/?kommun=laholm&sida=99").status_code == 200
    assert client.get("/evenemang/?sida=inte-ett-tal").status_code == 200


def test_event_page_shows_everything_about_the_event(client):
    theme = make_theme(name_sv="Jämlik hälsa")
    event = make_event(
        title="Hälsa på lika villkor", themes=[theme], languages=["sv", "so"],
        speakers=["Amina Yusuf"], venue_name="Varbergs teater", address="Engelbrektsgatan 5",
        municipality="varberg", capacity=40, seats_taken=15, step_free_access=True,
        hearing_loop=True, sign_language_interpretation=False, audience="Vårdpersonal",
        interpretation_available=True,
        interpretation_note="Tolkning till somaliska", contact_email="info@varberg.se",
        registration_closes_dt=utcnow() + timedelta(days=5),
    )  # fmt: skip
    db.session.commit()
    response = client.get(f"/evenemang/{event.public_id}/{event.slug}?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for text in ["Hälsa på lika villkor", "Varbergs teater", "Engelbrektsgatan 5", "Varberg",
                 "Amina Yusuf", "Vårdpersonal", "Somali", "Tolkning till somaliska",
                 "25 seats left of 40", "Step-free access", "Hearing loop",
                 "No sign language interpretation", "Registration closes", "Lecture"
                 if event.format == "lecture" else "Seminar", event.organisation.name]:
        assert text in html, text


def test_full_event_says_waiting_list_open(client):
    event = make_event(capacity=10, seats_taken=10)
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}?lang=en").get_data(as_text=True)
    assert "Full – waiting list open" in html


def test_registration_window_is_shown(client):
    event = make_event(registration_opens_dt=utcnow() + timedelta(days=1))
    closed = make_event(registration_closes_dt=utcnow() - timedelta(hours=1))
    db.session.commit()
    assert "Registration opens" in client.get(
        f"/evenemang/{event.public_id}/{event.slug}?lang=en"
    ).get_data(as_text=True)
    assert "Registration is closed." in client.get(
        f"/evenemang/{closed.public_id}/{closed.slug}?lang=en"
    ).get_data(as_text=True)


def test_event_page_has_schema_org_json_ld(client):
    event = make_event(title="Mångfald i rekrytering", start_dt=local(2027, 3, 30, 10),
                       speakers=["Erik Johansson"], capacity=30)  # fmt: skip
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}").get_data(as_text=True)
    raw = re.search(r'<script type="application/ld\+json">(.*?)</script>', html, re.S).group(1)
    data = json.loads(raw)
    assert data["@type"] == "Event"
    assert data["name"] == "Mångfald i rekrytering"
    assert data["startDate"] == "2027-03-30T08:00:00+00:00"
    assert data["eventStatus"] == "https://schema.org/EventScheduled"
    assert data["location"]["address"]["addressLocality"] == "Halmstad"
    assert data["performer"] == [{"@type": "Person", "name": "Erik Johansson"}]
    assert data["url"].endswith(f"/evenemang/{event.public_id}/{event.slug}")


def test_json_ld_cannot_break_out_of_its_script_element(client):
    event = make_event(title="</script><script>alert(1)</script>")
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}").get_data(as_text=True)
    assert "<script>alert(1)" not in html


def test_cancelled_event_is_listed_and_marked(client):
    event = make_event(title="Inställd föreläsning", status="cancelled",
                       cancellation_reason="Föreläsaren är sjuk.")  # fmt: skip
    db.session.commit()
    assert titles_in(client.get("/evenemang/")) == ["Inställd föreläsning"]
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}?lang=en").get_data(as_text=True)
    assert "This event is cancelled" in html
    assert "Föreläsaren är sjuk." in html
    assert "EventCancelled" in html


def test_event_url_without_or_with_wrong_slug_redirects_to_canonical(client):
    event = make_event(title="Språkcafé som metod")
    db.session.commit()
    canonical = f"/evenemang/{event.public_id}/sprakcafe-som-metod"
    for url in (f"/evenemang/{event.public_id}", f"/evenemang/{event.public_id}/gammal-titel"):
        response = client.get(url)
        assert response.status_code == 301
        assert response.location == canonical


def test_drafts_and_unknown_ids_are_404(client):
    draft = make_event(status="draft", title="Utkast")
    db.session.commit()
    assert client.get(f"/evenemang/{draft.public_id}/{draft.slug}").status_code == 404
    assert client.get(f"/evenemang/{draft.public_id}").status_code == 404
    assert client.get("/evenemang/ffffffffffff/nagot").status_code == 404
    assert client.get("/teman/finns-inte").status_code == 404
    response = client.get("/finns/inte/alls")
    assert response.status_code == 404
    assert 'class="site-header"' in response.get_data(as_text=True)  # in the site's style


def test_markdown_is_rendered_and_scripts_never_are(client):
    event = make_event(
        description="## Program\n\n**Viktigt** och [länk](https://example.se)\n\n"
        "<script>alert('x')</script>\n\n<img src=x onerror=alert(1)>\n\n"
        "[klicka](javascript:alert(1)) <a href=\"https://example.se\" onclick=\"alert(1)\">a</a>"
    )
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}").get_data(as_text=True)
    assert "<h2>Program</h2>" in html
    assert "<strong>Viktigt</strong>" in html
    assert 'href="https://example.se"' in html
    # Typed HTML shows as text and an unsafe link stays text: nothing in a tag is active.
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert "<img src=x" not in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html)  # no event handler in any tag
    assert 'href="javascript:' not in html


def test_theme_page_lists_upcoming_past_and_resources(client):
    theme = make_theme(slug="kultur", name_sv="Kultur och fritid", name_en="Culture and leisure")
    other = make_theme()
    make_event(title="Kommande kulturkväll", themes=[theme])
    make_event(title="Tidigare kulturkväll", themes=[theme], start_dt=utcnow() - timedelta(days=9))
    make_event(title="Annat tema", themes=[other])
    make_resource(theme=theme, title="Inspelad föreläsning om kultur", kind="recording")
    db.session.commit()
    response = client.get("/teman/kultur")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert titles_in(response) == ["Kommande kulturkväll", "Tidigare kulturkväll"]
    assert "Inspelad föreläsning om kultur" in html
    assert "Annat tema" not in html
    assert "Culture and leisure" in client.get("/teman/kultur?lang=en").get_data(as_text=True)


def test_themes_index_lists_every_theme_with_upcoming_counts(client):
    theme = make_theme(name_en="Democracy")
    make_theme(name_en="Education")
    make_event(themes=[theme])
    make_event(themes=[theme])
    db.session.commit()
    html = client.get("/teman/?lang=en").get_data(as_text=True)
    assert "Democracy" in html
    assert "Education" in html
    assert "2 upcoming events" in html
    assert "0 upcoming events" in html


def test_statement_pages_exist(client):
    accessibility = client.get("/tillganglighet?lang=en").get_data(as_text=True)
    assert "Accessibility statement" in accessibility
    assert "WCAG" in accessibility
    assert "Digg" in accessibility
    privacy = client.get("/personuppgifter?lang=en").get_data(as_text=True)
    assert "personal data" in privacy
    assert "90 days" in privacy


def test_every_public_page_links_the_statements_and_language_switch(client, catalogue):
    event = catalogue["health_varberg"]
    for url in ["/", "/teman/", "/teman/jamlik-halsa", "/serier/", "/evenemang/",
                "/evenemang/arkiv", f"/evenemang/{event.public_id}/{event.slug}",
                "/tillganglighet", "/personuppgifter"]:  # fmt: skip
        html = client.get(url).get_data(as_text=True)
        assert 'href="/tillganglighet"' in html, url
        assert 'href="/personuppgifter"' in html, url
        assert 'lang=en' in html, url


def test_past_event_says_it_has_taken_place_instead_of_seats(client):
    event = make_event(capacity=30, seats_taken=12, start_dt=utcnow() - timedelta(days=3))
    db.session.commit()
    html = client.get(f"/evenemang/{event.public_id}/{event.slug}?lang=en").get_data(as_text=True)
    assert "This event has taken place." in html
    assert "seats left" not in html
    assert "Register" not in html
