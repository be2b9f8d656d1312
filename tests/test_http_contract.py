"""The HTTP contract of every kind of response the site gives.

Other files test what each page or feed says; this one checks that no kind of response falls
outside the rules for headers: the security headers on all of them (errors included); public
feeds cacheable by anyone but varying on the language cookie and answering conditional GETs;
the personal feed private; pages whose address holds a secret kept out of caches, Referer
headers and search engines; organiser pages with personal data never stored by a cache; and
absolute URLs that a forged X-Forwarded-Host cannot move to another site.
"""

import re
from dataclasses import dataclass

import pytest
from flask import request
from flask.sessions import SecureCookieSessionInterface
from icalendar import Calendar
from werkzeug.datastructures import ResponseCacheControl
from werkzeug.http import parse_cache_control_header, parse_set_header

from eventreg import create_app
from eventreg.extensions import db
from eventreg.feeds.views import CACHE_EXTENSION
from eventreg.models import Event, Organisation, Registration, Theme, User
from eventreg.security import CONTENT_SECURITY_POLICY
from eventreg.services.registrations import feed_token, manage_token
from tests.factories import (
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_theme,
    make_user,
)


@dataclass
class Site:
    event: Event
    theme: Theme
    organisation: Organisation
    registration: Registration
    organiser: User
    admin: User

    @property
    def manage(self) -> str:
        return f"/anmalan/{manage_token(self.registration)}"

    @property
    def personal_feed(self) -> str:
        return f"/kalender/mina/{feed_token(self.registration)}.ics"


@pytest.fixture
def site(app) -> Site:
    app.extensions[CACHE_EXTENSION].clear()
    theme = make_theme(slug="halsa", name_sv="Hälsa")
    organisation = make_organisation(slug="region", name="Region Halland")
    event = make_event(themes=[theme], organisation=organisation, municipality="halmstad")
    registration = make_registration(event, name="Åsa Öberg")
    site = Site(
        event=event,
        theme=theme,
        organisation=organisation,
        registration=registration,
        organiser=make_user([organisation], quick_hash=True),
        admin=make_user(is_admin=True, quick_hash=True),
    )
    db.session.commit()
    return site


# kind of response → its path on `site`
PUBLIC_PAGES = {
    "home": lambda s: "/",
    "event list": lambda s: "/evenemang/",
    "event archive": lambda s: "/evenemang/arkiv",
    "event page": lambda s: f"/evenemang/{s.event.public_id}/{s.event.slug}",
    "theme list": lambda s: "/teman/",
    "theme page": lambda s: f"/teman/{s.theme.slug}",
    "series list": lambda s: "/serier/",
    "registration form": lambda s: f"/evenemang/{s.event.public_id}/anmalan",
    "accessibility": lambda s: "/tillganglighet",
    "privacy": lambda s: "/personuppgifter",
}
FEEDS = {
    "all events feed": lambda s: "/kalender/evenemang.ics",
    "filtered feed": lambda s: "/kalender/evenemang.ics?kommun=halmstad&format=seminar",
    "theme feed": lambda s: f"/kalender/tema/{s.theme.slug}.ics",
    "municipality feed": lambda s: "/kalender/kommun/halmstad.ics",
    "organisation feed": lambda s: f"/kalender/arrangor/{s.organisation.slug}.ics",
    "event feed": lambda s: f"/kalender/evenemang/{s.event.public_id}.ics",
}
PERSONAL_FEED = {
    "personal feed": lambda s: s.personal_feed,
    "personal feed in English": lambda s: s.personal_feed + "?lang=en",
}
# Behind the manage link: the address is the key to the registration.
SECRET_PAGES = {
    "manage page": lambda s: s.manage,
    "cancel page": lambda s: s.manage + "/avboka",
    "calendar download": lambda s: s.manage + "/evenemang.ics",
}
# Attendees' names, emails, needs: for the organiser's eyes (and an administrator's) only.
ORGANISER_PAGES = {
    "registrations list": lambda s: f"/arrangor/evenemang/{s.event.id}/anmalningar",
    "registrations CSV": lambda s: f"/arrangor/evenemang/{s.event.id}/anmalningar.csv",
    "attendance sheet": lambda s: f"/arrangor/evenemang/{s.event.id}/narvarolista",
    "check-in": lambda s: f"/arrangor/evenemang/{s.event.id}/incheckning",
    "add a registration": lambda s: f"/arrangor/evenemang/{s.event.id}/anmalningar/ny",
    "message to registrants": lambda s: f"/arrangor/evenemang/{s.event.id}/meddelande",
}
ADMIN_PAGES = {"accounts list": lambda s: "/admin/anvandare"}
# kind → (method, path, status)
ERRORS = {
    "404 page": ("GET", lambda s: "/finns-inte", 404),
    "404 for an unknown feed": ("GET", lambda s: "/kalender/tema/finns-inte.ics", 404),
    "400 for a bad feed filter": ("GET", lambda s: "/kalender/evenemang.ics?kommun=goteborg", 400),
    "404 for a wrong manage link": ("GET", lambda s: s.manage + "x", 404),
    "404 for a wrong personal feed": ("GET", lambda s: "/kalender/mina/x.y.ics", 404),
    "405 page": ("POST", lambda s: "/", 405),
}


def every_kind():
    for group, login in (
        (PUBLIC_PAGES, None),
        (FEEDS, None),
        (PERSONAL_FEED, None),
        (SECRET_PAGES, None),
        (ORGANISER_PAGES, "organiser"),
        (ADMIN_PAGES, "admin"),
    ):
        for kind, path in group.items():
            yield pytest.param("GET", path, 200, login, id=kind)
    for kind, (method, path, status) in ERRORS.items():
        yield pytest.param(method, path, status, None, id=kind)


def cache_control(response):
    return parse_cache_control_header(
        response.headers.get("Cache-Control"), cls=ResponseCacheControl
    )


def vary(response) -> set[str]:
    return {value.lower() for value in parse_set_header(response.headers.get("Vary"))}


def assert_security_headers(response) -> None:
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in {"no-referrer", "strict-origin-when-cross-origin"}


# --- Every kind of response ------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "status", "login"), every_kind())
def test_every_kind_of_response_carries_the_security_headers(
    client, site, method, path, status, login
):
    if login:
        log_in(client, getattr(site, login))
    response = client.open(path(site), method=method)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert_security_headers(response)


def test_a_server_error_carries_the_security_headers_too(database_url):
    """An unexpected exception ends in the 500 page, which gets the headers like any other
    (the app as in production: not TESTING, so the exception is not passed to the test)."""
    app = create_app({
        "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": "http://localhost",
    })  # fmt: skip
    app.add_url_rule("/test-boom", "boom", lambda: 1 / 0)
    try:
        response = app.test_client().get("/test-boom")
        assert response.status_code == 500
        assert "ZeroDivisionError" not in response.get_data(as_text=True)
        assert_security_headers(response)
    finally:
        with app.app_context():
            db.engine.dispose()


# --- Public pages and feeds ------------------------------------------------------------


@pytest.mark.parametrize("path", PUBLIC_PAGES.values(), ids=PUBLIC_PAGES.keys())
def test_public_pages_vary_on_the_cookie_that_chooses_their_language(client, site, path):
    response = client.get(path(site))
    assert response.status_code == 200
    assert "cookie" in vary(response)
    assert not cache_control(response).public


@pytest.mark.parametrize("path", FEEDS.values(), ids=FEEDS.keys())
def test_public_feeds_are_cacheable_per_language_and_answer_conditional_gets(client, site, path):
    url = path(site)
    swedish = client.get(url)
    assert swedish.status_code == 200
    assert cache_control(swedish).public
    assert cache_control(swedish).max_age > 0
    assert not cache_control(swedish).private
    assert not cache_control(swedish).no_store
    # The lang cookie changes the feed, so a shared cache must key on it.
    assert "cookie" in vary(swedish)
    etag, last_modified = swedish.headers["ETag"], swedish.headers["Last-Modified"]
    assert "Set-Cookie" not in swedish.headers  # a public answer carries no one's cookie

    client.set_cookie("lang", "en")
    english = client.get(url)
    client.delete_cookie("lang")
    assert english.status_code == 200
    assert english.data != swedish.data
    assert english.headers["ETag"] != etag
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    client.set_cookie("lang", "en")
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200
    client.delete_cookie("lang")

    for validator in ({"If-None-Match": etag}, {"If-Modified-Since": last_modified}):
        not_modified = client.get(url, headers=validator)
        assert not_modified.status_code == 304, validator
        assert not_modified.data == b""
        # A 304 repeats what a cache needs to keep using its copy (RFC 9110, 15.4.5).
        assert not_modified.headers["ETag"] == etag
        assert "cookie" in vary(not_modified)
        assert cache_control(not_modified).public
        assert_security_headers(not_modified)


class SessionNotReadHere(SecureCookieSessionInterface):
    """Saves the session as Flask does, but as if no code had read it: Flask adds
    `Vary: Cookie` to every response whose request read the session, as the login hooks
    now do on every request."""

    def save_session(self, app, session, response):
        session.accessed = False
        super().save_session(app, session, response)


@pytest.mark.parametrize("path", FEEDS.values(), ids=FEEDS.keys())
def test_feeds_declare_vary_cookie_themselves(app, client, site, monkeypatch, path):
    """The feed's language comes from the lang cookie: the feed must say so itself, not rely
    on some other code having read the session."""
    monkeypatch.setattr(app, "session_interface", SessionNotReadHere())
    response = client.get(path(site))
    assert response.status_code == 200
    assert "cookie" in vary(response)
    assert "cookie" in vary(
        client.get(path(site), headers={"If-None-Match": response.headers["ETag"]})
    )


# --- Personal feed, manage pages --------------------------------------------------------


@pytest.mark.parametrize("path", PERSONAL_FEED.values(), ids=PERSONAL_FEED.keys())
def test_the_personal_feed_is_private(client, site, path):
    response = client.get(path(site))
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cache = cache_control(response)
    assert cache.private
    assert not cache.public
    assert "public" not in response.headers["Cache-Control"]
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


@pytest.mark.parametrize(
    "path",
    [*SECRET_PAGES.values(), ERRORS["404 for a wrong manage link"][1]],
    ids=[*SECRET_PAGES.keys(), "404 for a wrong manage link"],
)
def test_pages_behind_the_manage_link_are_not_stored_referred_or_indexed(client, site, path):
    response = client.get(path(site))
    assert response.status_code in {200, 404}
    assert cache_control(response).no_store
    assert not cache_control(response).public
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


def test_a_wrong_personal_feed_link_is_not_referred_or_indexed_either(client, site):
    response = client.get(ERRORS["404 for a wrong personal feed"][1](site))
    assert response.status_code == 404
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]


# --- Organiser pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "login"),
    [
        *[pytest.param(path, "organiser", id=kind) for kind, path in ORGANISER_PAGES.items()],
        *[pytest.param(path, "admin", id=kind) for kind, path in ADMIN_PAGES.items()],
    ],
)
def test_pages_with_personal_data_are_never_stored_by_a_cache(client, site, path, login):
    log_in(client, getattr(site, login))
    response = client.get(path(site))
    assert response.status_code == 200
    cache = cache_control(response)
    assert cache.no_store
    assert not cache.public
    if path is ORGANISER_PAGES["registrations CSV"]:
        assert "Åsa Öberg" in response.data.decode("utf-8-sig")


# --- Behind a proxy: X-Forwarded-Host is not trusted -------------------------------------

EVIL = "evil.example"


@pytest.fixture
def proxied_app(monkeypatch, database_url):
    """The app as deployed behind one reverse proxy (EVENTREG_PROXY_FIX=1), without
    BASE_URL, so absolute URLs come from the request."""
    monkeypatch.setenv("EVENTREG_PROXY_FIX", "1")
    monkeypatch.delenv("EVENTREG_BASE_URL", raising=False)
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
        "SERVER_NAME": None,
    })  # fmt: skip
    assert app.config["PROXY_FIX"] == 1
    assert not app.config.get("BASE_URL")

    @app.get("/test-host")
    def probe():
        return {"host": request.host, "url_root": request.url_root}

    yield app
    with app.app_context():
        db.engine.dispose()


# The proxy adds the scheme and client address; the client added a host of its choosing.
FORGED = {"X-Forwarded-Host": EVIL, "X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.7"}


def test_a_forged_forwarded_host_does_not_become_the_request_host(proxied_app):
    answer = proxied_app.test_client().get("/test-host", headers=FORGED).json
    assert answer == {"host": "localhost", "url_root": "https://localhost/"}


@pytest.mark.parametrize("path", FEEDS.values(), ids=FEEDS.keys())
def test_a_forged_forwarded_host_does_not_reach_the_urls_in_feeds(proxied_app, site, path):
    response = proxied_app.test_client().get(path(site), headers=FORGED)
    assert response.status_code == 200
    assert EVIL not in response.get_data(as_text=True)
    (vevent,) = Calendar.from_ical(response.data).walk("VEVENT")
    assert str(vevent["url"]).startswith("https://localhost/evenemang/")


@pytest.mark.parametrize(
    "path",
    [PUBLIC_PAGES["event page"], PUBLIC_PAGES["event list"], PUBLIC_PAGES["theme page"]],
    ids=["event page", "event list", "theme page"],
)
def test_a_forged_forwarded_host_does_not_reach_the_links_on_pages(proxied_app, site, path):
    """The subscribe links (https and webcal) are absolute, built from the request."""
    html = proxied_app.test_client().get(path(site), headers=FORGED).get_data(as_text=True)
    assert re.search(r'href="(https?|webcal)://', html)
    assert EVIL not in html
