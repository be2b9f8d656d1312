"""The embeddable event list framed by another web site (issue 14), in Chromium: a small
municipal page served from other loopback ports frames /inbaddning/evenemang. The origin an
administrator listed sees the list (sized to its content by the one-line embed.js); an
origin nobody listed gets no list (Chromium refuses the frame and says so in the console).
The list itself passes axe-core, at a phone's and an iframe's width."""

import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from playwright.sync_api import expect

from eventreg.extensions import db
from eventreg.models import EmbedOrigin
from tests.factories import USER_PASSWORD, make_event, make_organisation, make_theme, make_user

HOST_PAGE = """<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><title>Varbergs kommun</title></head>
<body>
<main>
<h1>Seminarier om integration</h1>
<iframe id="evenemang" title="Kommande seminarier" style="width: 100%; height: 120px; border: 0"
  src="{embed_url}"></iframe>
<script src="{script_url}" defer></script>
</main>
</body>
</html>
"""


class _HostSite:
    """Another web site: one page that frames `embed_url`, on its own loopback port."""

    def __init__(self):
        site = self
        self.embed_url = ""
        self.script_url = ""

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802  (http.server's name)
                body = HOST_PAGE.format(
                    embed_url=site.embed_url, script_url=site.script_url
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.origin = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def host_sites():
    """Two other sites, on two more loopback ports: two origins besides eventreg's."""
    sites = (_HostSite(), _HostSite())
    yield sites
    for site in sites:
        site.close()


@pytest.fixture
def varberg_events():
    theme = make_theme(slug="sprak", name_sv="Språk och inkludering")
    organisation = make_organisation(slug="varberg", name="Varbergs kommun")
    for title in ("Språkcafé för handläggare", "Samhällsorientering i praktiken",
                  "Föreläsning om mottagande"):  # fmt: skip
        make_event(title=title, themes=[theme], organisation=organisation,
                   municipality="varberg", venue_name="Komedianten", capacity=40)  # fmt: skip
    return organisation


def frame_the_embed(page, site, live_server, query="arrangor=varberg"):
    site.embed_url = f"{live_server}/inbaddning/evenemang?{query}"
    site.script_url = f"{live_server}/static/js/embed.js"
    page.goto(site.origin + "/")


def test_an_allowed_site_shows_the_list_sized_to_fit(
    page, live_server, host_sites, varberg_events, browser_errors, screenshot
):
    allowed, _ = host_sites
    db.session.add(EmbedOrigin(organisation=varberg_events, origin=allowed.origin))
    db.session.commit()
    frame_the_embed(page, allowed, live_server)
    embed = page.frame_locator("#evenemang")
    expect(embed.get_by_role("heading", level=1)).to_have_text(
        "Kommande evenemang: Varbergs kommun"
    )
    expect(embed.get_by_role("link", name="Språkcafé för handläggare")).to_have_attribute(
        "target", "_top"
    )
    expect(embed.get_by_text("40 platser kvar").first).to_be_visible()
    # embed.js made the iframe as tall as the list (it started at 120 px).
    content_height = embed.locator("body").evaluate("b => b.getBoundingClientRect().height")
    page.wait_for_function(
        "h => Math.abs(document.getElementById('evenemang').getBoundingClientRect().height - h)"
        " <= 2",
        arg=content_height,
    )
    assert content_height > 200
    screenshot(page, "allowed-site")
    # A link opens eventreg's own page in the top window, not inside the frame.
    embed.get_by_role("link", name="Språkcafé för handläggare").click()
    page.wait_for_url(f"{live_server}/evenemang/**")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Språkcafé för handläggare")
    assert browser_errors == []


def test_a_site_nobody_listed_gets_no_list(
    page, live_server, host_sites, varberg_events, browser_errors, screenshot
):
    allowed, other = host_sites
    db.session.add(EmbedOrigin(organisation=varberg_events, origin=allowed.origin))
    db.session.commit()
    frame_the_embed(page, other, live_server)
    iframe = page.locator("#evenemang")
    expect(iframe).to_be_attached()
    page.wait_for_function(
        "() => performance.getEntriesByType('resource').some(e => e.name.includes('/inbaddning/'))"
    )
    page.wait_for_timeout(500)
    frame = page.frame(url=lambda url: "/inbaddning/" in url)
    if frame is not None:  # Chromium may keep the address but shows no document of ours
        assert frame.evaluate("() => document.querySelector('.embed')") is None
    assert page.frame_locator("#evenemang").locator(".embed").count() == 0
    assert any("frame-ancestors" in error for error in browser_errors), browser_errors
    screenshot(page, "other-site-blocked")


def test_a_list_of_one_organisation_is_only_for_its_own_sites(
    page, live_server, host_sites, varberg_events, browser_errors
):
    allowed, other = host_sites
    hylte = make_organisation(slug="hylte", name="Hylte kommun")
    db.session.add(EmbedOrigin(organisation=varberg_events, origin=allowed.origin))
    db.session.add(EmbedOrigin(organisation=hylte, origin=other.origin))
    db.session.commit()
    # Hylte's site may show the whole list, and Hylte's own, but not Varberg's alone.
    frame_the_embed(page, other, live_server, query="")
    expect(page.frame_locator("#evenemang").locator("h1")).to_be_visible()
    frame_the_embed(page, other, live_server, query="arrangor=varberg")
    page.wait_for_timeout(1000)
    assert page.frame_locator("#evenemang").locator(".embed").count() == 0
    assert any("frame-ancestors" in error for error in browser_errors), browser_errors


@pytest.mark.parametrize("width", [320, 390, 800])
def test_the_embed_passes_axe(page, live_server, varberg_events, assert_no_axe_violations,
                              screenshot, width):  # fmt: skip
    make_event(title="Inställt seminarium", organisation=varberg_events, status="cancelled")
    db.session.commit()
    page.set_viewport_size({"width": width, "height": 700})
    page.goto(f"{live_server}/inbaddning/evenemang?arrangor=varberg&antal=10")
    assert_no_axe_violations(page)
    width_used = page.evaluate("document.documentElement.scrollWidth")
    assert width_used <= width
    screenshot(page, f"embed-{width}")
    page.goto(f"{live_server}/inbaddning/evenemang?lang=en&rubrik=0")
    assert_no_axe_violations(page)
    page.goto(f"{live_server}/inbaddning/evenemang?antal=noll")
    assert_no_axe_violations(page)
    screenshot(page, f"embed-error-{width}")


def log_in(page, user) -> None:
    page.goto("/arrangor/logga-in?lang=sv")
    page.get_by_label("E-postadress").fill(user.email)
    page.get_by_label("Lösenord").fill(USER_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mina evenemang")


def test_organiser_builds_the_code_and_sees_a_preview(
    page, varberg_events, assert_no_axe_violations, screenshot, browser_errors
):
    organiser = make_user(organisations=[varberg_events])
    db.session.add(EmbedOrigin(organisation=varberg_events, origin="https://www.varberg.se"))
    db.session.commit()
    log_in(page, organiser)
    page.get_by_role("link", name="Visa på er webbplats").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Visa på er webbplats")
    page.get_by_label("Antal evenemang").fill("2")
    page.get_by_label("Listans språk").select_option("en")
    page.get_by_role("button", name="Visa koden och en förhandsvisning").click()
    code = page.get_by_label("Klistra in det här där listan ska synas")
    expect(code).to_have_value(re.compile(r"evenemang\?arrangor=varberg&antal=2&lang=en"))
    preview = page.frame_locator(".embed-preview")
    expect(preview.get_by_role("heading", level=1)).to_have_text("Upcoming events: Varbergs kommun")
    expect(preview.get_by_role("listitem")).to_have_count(2)
    # embed.js on the page fits the preview to the list (it starts at 400 px).
    page.wait_for_function(
        "() => document.querySelector('.embed-preview').getBoundingClientRect().height < 380"
    )
    assert_no_axe_violations(page)
    screenshot(page, "organiser-show-on-website")
    assert browser_errors == []


def test_admin_embedding_pages_pass_axe(page, varberg_events, assert_no_axe_violations, screenshot):
    admin = make_user(is_admin=True)
    db.session.commit()
    log_in(page, admin)
    page.goto("/admin/")
    page.get_by_role("link", name="Inbäddning på andra webbplatser").click()
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Ändra webbplatserna för Varbergs kommun").click()
    page.get_by_label("Webbplatsens adress").fill("http://www.varberg.se")
    page.get_by_role("button", name="Lägg till").click()
    expect(page.locator("#origin-error")).to_contain_text("https://")
    assert_no_axe_violations(page)
    page.get_by_label("Webbplatsens adress").fill("https://www.varberg.se")
    page.get_by_role("button", name="Lägg till").click()
    expect(page.get_by_text("https://www.varberg.se får nu visa evenemangslistan.")).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "admin-embed-origins")
    page.get_by_role("button", name="Ta bort https://www.varberg.se").click()
    expect(page.get_by_text("Ingen webbplats får visa organisationens evenemang")).to_be_visible()
