"""The open data API read by another web site's own script (issue 14), in Chromium: a page
served from another loopback port (another origin) fetches /api/v1/events with CORS and
reads the JSON. A fetch that sends cookies (`credentials: 'include'`) is refused by the
browser itself: the API allows any origin (`*`) and never credentials, so no site can read
the API as a logged-in visitor."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from eventreg.extensions import db
from tests.factories import make_event

OTHER_SITE_PAGE = b"""<!doctype html>
<html lang="sv"><head><meta charset="utf-8"><title>Kommunens webbplats</title></head>
<body><main><h1>Seminarier</h1><ul id="list"></ul></main></body></html>
"""

# Runs in the other site's page: what a web editor's own script would do.
FETCH_JS = """async ([url, credentials]) => {
  try {
    const response = await fetch(url, {credentials, mode: "cors"});
    const body = await response.json();
    return {ok: true, status: response.status, body};
  } catch (error) {
    return {ok: false, error: String(error)};
  }
}"""


@pytest.fixture(scope="module")
def other_site():
    """A one-page web site on another loopback port: another origin than eventreg's."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802  (http.server's name)
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(OTHER_SITE_PAGE)))
            self.end_headers()
            self.wfile.write(OTHER_SITE_PAGE)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


def test_another_site_reads_the_events_with_cors(page, live_server, other_site):
    make_event(title="Språkcafé för handläggare", municipality="varberg")
    make_event(title="Utkast som ingen ser", status="draft")
    db.session.commit()
    page.goto(other_site + "/")
    assert page.evaluate("location.origin") == other_site != live_server
    result = page.evaluate(FETCH_JS, [f"{live_server}/api/v1/events?kommun=varberg", "omit"])
    assert result["ok"], result
    assert result["status"] == 200
    names = [event["name"] for event in result["body"]["items"]]
    assert names == ["Språkcafé för handläggare"]
    # The whole list too, with the draft left out.
    result = page.evaluate(FETCH_JS, [f"{live_server}/api/v1/events", "same-origin"])
    assert [event["name"] for event in result["body"]["items"]] == ["Språkcafé för handläggare"]


def test_a_fetch_with_credentials_is_refused_by_the_browser(page, live_server, other_site):
    make_event(title="Språkcafé för handläggare")
    db.session.commit()
    # A cookie of eventreg's that a credentialed request would carry.
    page.goto(f"{live_server}/?lang=sv")
    page.goto(other_site + "/")
    result = page.evaluate(FETCH_JS, [f"{live_server}/api/v1/events", "include"])
    assert result == {"ok": False, "error": "TypeError: Failed to fetch"}
    # The same request without credentials is read: it was the credentials the browser
    # refused, because the answer has no Access-Control-Allow-Credentials.
    assert page.evaluate(FETCH_JS, [f"{live_server}/api/v1/events", "omit"])["ok"]
    headers = page.request.get(f"{live_server}/api/v1/events").headers
    assert "access-control-allow-credentials" not in headers
    assert headers["access-control-allow-origin"] == "*"
