"""The open data API's contract: what it lists and never lists, its filters, paging and
sync, languages, caching, CORS and rate limit; and its OpenAPI document."""

from datetime import UTC, datetime, timedelta

import pytest
from openapi_spec_validator import validate

from eventreg.extensions import db, limiter
from eventreg.models import utcnow
from tests.factories import (
    make_event,
    make_organisation,
    make_registration,
    make_resource,
    make_theme,
)


def items(client, url: str) -> list[dict]:
    response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["items"]


def names(client, url: str) -> list[str]:
    return [item["name"] for item in items(client, url)]


def test_events_are_schema_org_events_with_eventregs_own_fields(client):
    theme = make_theme(slug="sprak", name_sv="Språk", name_en="Language")
    organisation = make_organisation(slug="lansstyrelsen", name="Länsstyrelsen")
    event = make_event(
        title="Språkcafé", themes=[theme], organisation=organisation, languages=["sv", "ar"],
        capacity=30, municipality="varberg", venue_name="Biblioteket", address="Torget 1",
        step_free_access=True, hearing_loop=False,
    )  # fmt: skip
    db.session.commit()
    (item,) = items(client, "/api/v1/events")
    assert item["@type"] == "Event"
    assert item["identifier"] == event.public_id
    assert item["name"] == "Språkcafé"
    assert datetime.fromisoformat(item["startDate"]) == event.start_dt
    assert datetime.fromisoformat(item["endDate"]) == event.end_dt
    assert item["url"].endswith(f"/evenemang/{event.public_id}/{event.slug}")
    assert item["eventStatus"] == "https://schema.org/EventScheduled"
    assert item["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    (place,) = item["location"]
    assert place["name"] == "Biblioteket"
    assert place["address"]["streetAddress"] == "Torget 1"
    assert place["address"]["addressLocality"] == "Varberg"
    assert item["organizer"] == {
        "@type": "Organization",
        "identifier": "lansstyrelsen",
        "name": "Länsstyrelsen",
        "url": "https://example.se/",
    }
    assert item["inLanguage"] == ["ar", "sv"]
    assert item["offers"]["availability"] == "https://schema.org/InStock"
    assert item["remainingAttendeeCapacity"] == 30
    assert item["themes"][0]["slug"] == "sprak"
    assert item["accessibility"]["stepFreeAccess"] is True
    assert item["accessibility"]["hearingLoop"] is False
    assert item["registration"]["state"] == "open"
    assert datetime.fromisoformat(item["registration"]["closes"]) == event.start_dt


def test_a_full_event_is_sold_out_and_a_cancelled_one_says_so(client):
    full = make_event(title="Fullt", capacity=1)
    make_registration(full)
    make_event(title="Inställt", status="cancelled", cancellation_reason="Sjukdom")
    db.session.commit()
    by_name = {item["name"]: item for item in items(client, "/api/v1/events")}
    assert by_name["Fullt"]["offers"]["availability"] == "https://schema.org/SoldOut"
    assert by_name["Fullt"]["remainingAttendeeCapacity"] == 0
    assert by_name["Inställt"]["eventStatus"] == "https://schema.org/EventCancelled"
    assert by_name["Inställt"]["cancellationReason"] == "Sjukdom"


def test_no_drafts_no_personal_data_and_no_contact_address(client):
    event = make_event(title="Publicerat", contact_email="person@example.se", capacity=10)
    make_event(title="Utkast", status="draft")
    make_registration(event, name="Hemlig Person", email="hemlig@example.se")
    draft = make_event(title="Utkast 2", status="draft")
    db.session.commit()
    response = client.get("/api/v1/events?when=all&per_page=100")
    body = response.get_data(as_text=True)
    assert [item["name"] for item in response.get_json()["items"]] == ["Publicerat"]
    for secret in ("Hemlig", "hemlig@example.se", "person@example.se", "Utkast"):
        assert secret not in body
    assert client.get(f"/api/v1/events/{draft.public_id}").status_code == 404


@pytest.mark.parametrize("municipality", ["online", "varberg"])
def test_the_meeting_link_is_shown_only_when_the_organiser_made_it_public(client, municipality):
    link = "https://meet.example/secret-room"
    event = make_event(municipality=municipality, online_url=link)
    db.session.commit()
    one = client.get(f"/api/v1/events/{event.public_id}")
    assert link not in one.get_data(as_text=True)
    assert link not in client.get("/api/v1/events").get_data(as_text=True)
    virtual = [p for p in one.get_json()["location"] if p["@type"] == "VirtualLocation"]
    assert virtual[0]["url"] == one.get_json()["url"]  # the page, where people register

    event.online_url_public = True
    db.session.commit()
    shown = client.get(f"/api/v1/events/{event.public_id}").get_json()
    assert [p["url"] for p in shown["location"] if p["@type"] == "VirtualLocation"] == [link]


def test_an_event_without_registration_shows_its_link_as_its_page_does(client):
    # Nobody registers, so nobody could be sent the link: it is public (Event's rule).
    link = "https://meet.example/open-lecture"
    event = make_event(municipality="online", online_url=link, registration_mode="none")
    db.session.commit()
    shown = client.get(f"/api/v1/events/{event.public_id}").get_json()
    assert [p["url"] for p in shown["location"] if p["@type"] == "VirtualLocation"] == [link]


def test_filters_are_the_event_lists(client):
    theme = make_theme(slug="arbete")
    organisation = make_organisation(slug="region")
    # At noon UTC: the date filters are Stockholm's dates, up to two hours ahead of UTC.
    soon = (utcnow() + timedelta(days=3)).replace(hour=12, minute=0, second=0, microsecond=0)
    make_event(title="Tema", themes=[theme])
    make_event(title="Kommun", municipality="laholm")
    make_event(title="Format", format="workshop")
    make_event(title="Språk", languages=["so"])
    make_event(title="Arrangör", organisation=organisation)
    make_event(title="Snart", start_dt=soon)
    make_event(title="Text om cyklar", summary="Cykelreparation")
    db.session.commit()
    assert names(client, "/api/v1/events?tema=arbete") == ["Tema"]
    assert names(client, "/api/v1/events?kommun=laholm") == ["Kommun"]
    assert names(client, "/api/v1/events?format=workshop") == ["Format"]
    assert names(client, "/api/v1/events?sprak=so") == ["Språk"]
    assert names(client, "/api/v1/events?arrangor=region") == ["Arrangör"]
    day = soon.astimezone(UTC).date().isoformat()
    assert names(client, f"/api/v1/events?fran={day}&till={day}") == ["Snart"]
    assert names(client, "/api/v1/events?q=cykelrep") == ["Text om cyklar"]
    assert len(items(client, "/api/v1/events?kommun=laholm&kommun=halmstad")) == 7


def test_past_and_all(client):
    make_event(title="Förr", start_dt=utcnow().replace(microsecond=0) - timedelta(days=30))
    make_event(title="Sedan")
    db.session.commit()
    assert names(client, "/api/v1/events") == ["Sedan"]
    assert names(client, "/api/v1/events?when=past") == ["Förr"]
    assert names(client, "/api/v1/events?when=all") == ["Förr", "Sedan"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("kommun=atlantis", "kommun"),
        ("tema=finns-inte", "tema"),
        ("fran=igår", "fran"),
        ("fran=2027-02-02&till=2027-01-01", "till"),
        ("per_page=1000", "per_page"),
        ("page=0", "page"),
        ("updated_since=2026-01-01T00:00:00", "updated_since"),  # no offset
        ("cursor=inte-en-cursor", "cursor"),
        ("when=someday", "when"),
        ("q=" + "x" * 201, "q"),
    ],
)
def test_invalid_parameters_answer_400_naming_the_parameter(client, query, parameter):
    response = client.get(f"/api/v1/events?{query}")
    assert response.status_code == 400
    body = response.get_json()
    assert body["error"] == "invalid_parameters"
    assert parameter in body["details"]


def test_page_paging(client):
    for n in range(5):
        make_event(title=f"E{n}", start_dt=utcnow().replace(microsecond=0) + timedelta(days=n + 1))
    db.session.commit()
    first = client.get("/api/v1/events?per_page=2").get_json()
    assert [i["name"] for i in first["items"]] == ["E0", "E1"]
    assert first["total"] == 5
    assert "page=2" in first["next"]
    second = client.get(first["next"].removeprefix("http://localhost:5000")).get_json()
    assert [i["name"] for i in second["items"]] == ["E2", "E3"]
    last = client.get("/api/v1/events?per_page=2&page=3").get_json()
    assert [i["name"] for i in last["items"]] == ["E4"]
    assert last["next"] is None


def test_updated_since_syncs_changes_in_order_with_a_cursor(client, app):
    old = make_event(title="Gammal")
    db.session.commit()
    since = utcnow()
    changed = [make_event(title=f"Ny {n}") for n in range(3)]
    old_time = since - timedelta(hours=1)
    old.updated_at = old_time  # before the sync point (listeners only run on ORM updates)
    db.session.execute(
        db.update(type(old)).where(type(old).id == old.id).values(updated_at=old_time)
    )
    db.session.commit()
    url = f"/api/v1/events?updated_since={since.isoformat()}&per_page=2"
    first = client.get(url.replace("+", "%2B")).get_json()
    assert [i["name"] for i in first["items"]] == ["Ny 0", "Ny 1"]
    assert first["page"] is None
    assert first["next_cursor"]
    rest = client.get(f"/api/v1/events?cursor={first['next_cursor']}&per_page=2").get_json()
    assert [i["name"] for i in rest["items"]] == ["Ny 2"]
    assert rest["next"] is None

    # An edit moves an event to the end of the order of change: a syncing client sees it.
    changed[0].title = "Ny 0, ändrad"
    db.session.commit()
    again = client.get(f"/api/v1/events?cursor={first['next_cursor']}&per_page=5").get_json()
    assert [i["name"] for i in again["items"]] == ["Ny 2", "Ny 0, ändrad"]


def test_language_by_lang_with_content_language(client):
    make_theme(slug="halsa", name_sv="Hälsa", name_en="Health")
    db.session.commit()
    swedish = client.get("/api/v1/themes")
    assert swedish.headers["Content-Language"] == "sv"
    assert swedish.get_json()["items"][0]["name"] == "Hälsa"
    english = client.get("/api/v1/themes?lang=en")
    assert english.headers["Content-Language"] == "en"
    assert english.get_json()["items"][0]["name"] == "Health"
    # The choice is this answer's only: a cached public answer sets no cookie.
    assert "Set-Cookie" not in english.headers
    assert client.get("/api/v1/municipalities?lang=en").get_json()["items"][6]["name"] == "Online"


def test_themes_with_resources_organisations_and_municipalities(client):
    theme = make_theme(slug="bo")
    make_resource(theme=theme, title="Inspelning", kind="recording")
    make_organisation(slug="hylte-kommun", name="Hylte kommun", contact_email="x@hylte.se")
    db.session.commit()
    (api_theme,) = items(client, "/api/v1/themes")
    assert api_theme["resources"][0]["title"] == "Inspelning"
    assert api_theme["resources"][0]["kind"]["code"] == "recording"
    assert api_theme["events"].endswith("/api/v1/events?tema=bo")
    organisation = items(client, "/api/v1/organisations")[0]
    assert organisation["slug"] == "hylte-kommun"
    assert "x@hylte.se" not in client.get("/api/v1/organisations").get_data(as_text=True)
    codes = [m["code"] for m in items(client, "/api/v1/municipalities")]
    assert codes[:6] == ["halmstad", "kungsbacka", "varberg", "falkenberg", "laholm", "hylte"]


def test_one_event_and_404_in_json(client):
    event = make_event(title="En")
    db.session.commit()
    assert client.get(f"/api/v1/events/{event.public_id}").get_json()["name"] == "En"
    missing = client.get("/api/v1/events/finnsinte")
    assert missing.status_code == 404
    assert missing.get_json()["error"] == "not_found"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/events", "/api/v1/themes", "/api/v1/organisations", "/api/v1/municipalities",
     "/api/v1/statistics"],
)  # fmt: skip
def test_etag_304_and_cache_control(client, path):
    make_event()
    db.session.commit()
    first = client.get(path)
    assert first.status_code == 200
    assert "public" in first.headers["Cache-Control"]
    assert "max-age=300" in first.headers["Cache-Control"]
    etag = first.headers["ETag"]
    again = client.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""


def test_a_change_gives_a_new_etag(client):
    event = make_event(title="Före")
    db.session.commit()
    etag = client.get("/api/v1/events").headers["ETag"]
    event.title = "Efter"
    db.session.commit()
    assert client.get("/api/v1/events", headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize(
    "path",
    ["/api/v1/events", "/api/v1/openapi.json", "/kalender/evenemang.ics",
     "/kalender/kommun/varberg.ics", "/kalender/evenemang.atom"],
)  # fmt: skip
def test_cors_is_open_for_get_on_the_api_and_the_feeds(client, path):
    response = client.get(path, headers={"Origin": "https://www.varberg.se"})
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response.headers
    assert "ETag" in response.headers["Access-Control-Expose-Headers"]


def test_a_preflight_allows_conditional_requests(client):
    response = client.options(
        "/api/v1/events",
        headers={"Origin": "https://www.varberg.se", "Access-Control-Request-Method": "GET",
                 "Access-Control-Request-Headers": "if-none-match"},
    )  # fmt: skip
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "If-None-Match" in response.headers["Access-Control-Allow-Headers"]
    assert "POST" not in response.headers["Access-Control-Allow-Methods"]


def test_the_sites_pages_get_no_cors(client):
    response = client.get("/evenemang/", headers={"Origin": "https://www.varberg.se"})
    assert "Access-Control-Allow-Origin" not in response.headers
    assert "Access-Control-Allow-Origin" not in client.get("/oppna-data").headers


@pytest.fixture
def small_rate_limit(app):
    limiter.reset()
    usual = app.config["API_RATE_LIMIT"]
    app.config["API_RATE_LIMIT"] = "3 per minute"
    yield
    app.config["API_RATE_LIMIT"] = usual
    limiter.reset()


def test_rate_limited_per_address_with_429_in_json(client, small_rate_limit):
    for _ in range(3):
        assert client.get("/api/v1/municipalities").status_code == 200
    refused = client.get("/api/v1/municipalities")
    assert refused.status_code == 429
    assert refused.get_json()["error"] == "too_many_requests"
    assert int(refused.headers["Retry-After"]) > 0
    assert refused.headers["Access-Control-Allow-Origin"] == "*"
    other = client.get("/api/v1/municipalities", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other.status_code == 200


def test_openapi_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)
    assert set(document["paths"]) == {
        "/api/v1/events", "/api/v1/events/{public_id}", "/api/v1/themes",
        "/api/v1/organisations", "/api/v1/municipalities", "/api/v1/statistics",
        "/api/v1/series", "/api/v1/series/{public_id}",
    }  # fmt: skip
    parameters = {p["name"] for p in document["paths"]["/api/v1/events"]["get"]["parameters"]}
    # The event list's own filters, read from its form.
    assert {"q", "tema", "kommun", "format", "sprak", "arrangor", "fran", "till"} <= parameters
    assert {"page", "per_page", "updated_since", "cursor", "lang", "when"} <= parameters


def test_the_api_page_is_linked_from_every_page_footer(client):
    page = client.get("/").get_data(as_text=True)
    assert 'href="/oppna-data"' in page
    about = client.get("/oppna-data?lang=en")
    assert about.status_code == 200
    assert "/api/v1/openapi.json" in about.get_data(as_text=True)
    assert "Öppna data" in client.get("/oppna-data?lang=sv").get_data(as_text=True)


def test_updated_since_at_the_edge_of_the_calendar_is_not_an_error(client):
    make_event(title="Alla")
    db.session.commit()
    edge = "0001-01-01T00:00:00%2B14:00"
    assert names(client, f"/api/v1/events?updated_since={edge}") == ["Alla"]
    assert names(client, "/api/v1/events?updated_since=9999-12-31T23:59:59-14:00") == []


@pytest.mark.parametrize("path", ["/api/v1/finns-inte", "/api/v1/events/x/y", "/api/v1"])
def test_an_unknown_api_path_is_a_404_in_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "application/json"
    assert response.get_json()["error"] == "not_found"


def test_a_wrong_method_on_the_api_is_a_405_in_json_with_allow(client):
    response = client.post("/api/v1/events")
    assert response.status_code == 405
    assert response.get_json()["error"] == "error"
    assert "GET" in response.headers["Allow"]


def test_an_unknown_path_beside_the_api_is_still_a_page(client):
    response = client.get("/api/v1x")
    assert response.status_code == 404
    assert response.mimetype == "text/html"
