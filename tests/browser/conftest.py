"""The browser suite's infrastructure: Playwright driving Debian's Chromium against the app
served on a loopback port, axe-core scans and screenshots.

Every test in this folder is marked `browser` (`pytest -m "not browser"` leaves them out).
Without /usr/bin/chromium (or the browser EVENTREG_CHROMIUM names) they are skipped, unless
EVENTREG_REQUIRE_BROWSER=1 (CI), which turns a missing browser into an error in every
browser test.

A browser test builds its rows with the factories, commits, and then navigates:

    def test_something(page, live_server, assert_no_axe_violations, screenshot):
        event = make_event(title="Språkcafé")
        db.session.commit()  # the server thread only sees committed rows
        page.goto(f"/evenemang/{event.public_id}")  # relative to live_server
        assert_no_axe_violations(page)
        screenshot(page, "event")

The autouse fixture in tests/conftest.py empties the tables after every test, so one server
for the whole session is enough.
"""

import os
import re
import shutil
import threading
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from werkzeug.serving import WSGIRequestHandler, make_server

# Debian's Chromium; EVENTREG_CHROMIUM points elsewhere (another distribution's path).
CHROMIUM = Path(os.environ.get("EVENTREG_CHROMIUM") or "/usr/bin/chromium")
BROWSER_TESTS = Path(__file__).resolve().parent
CHROMIUM_ARGS = [
    "--no-sandbox",  # containers and CI run as root, where the sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
MISSING_CHROMIUM = f"{CHROMIUM} not found (apt-get install chromium)"


def _chromium_required() -> bool:
    return os.environ.get("EVENTREG_REQUIRE_BROWSER") == "1"


def _chromium_available() -> bool:
    return CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config, items):
    """Mark this folder's tests `browser`, skip them when there is no Chromium to drive, and
    run them after the rest of the suite.

    The hook sees the whole session's items, so it picks out the ones in this folder. They go
    last because Playwright's sync API, once started, leaves its asyncio loop marked as
    running in the main thread until the session ends: an `asyncio.run()` in a later test
    (an SMTP test, say) would fail with "cannot be called from a running event loop"."""
    skip = not _chromium_available() and not _chromium_required()
    browser_items, other_items = [], []
    for item in items:
        if BROWSER_TESTS not in Path(item.path).resolve().parents:
            other_items.append(item)
            continue
        browser_items.append(item)
        item.add_marker(pytest.mark.browser)
        if skip:
            item.add_marker(
                pytest.mark.skip(
                    reason=f"browser suite skipped: {MISSING_CHROMIUM}; "
                    "set EVENTREG_REQUIRE_BROWSER=1 to make this an error"
                )
            )
    items[:] = other_items + browser_items


@pytest.fixture(scope="session", autouse=True)
def _require_chromium():
    """With EVENTREG_REQUIRE_BROWSER=1 a missing browser fails every browser test, loudly,
    before Playwright tries to launch it."""
    if not _chromium_available():
        pytest.fail(
            f"EVENTREG_REQUIRE_BROWSER=1 but {MISSING_CHROMIUM}: the browser suite cannot run",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    """pytest-playwright's launch options, pointed at Debian's Chromium (Playwright's own
    browser download is not used)."""
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    """Every page is opened as a visitor in Sweden would: Swedish browser locale and
    Stockholm time."""
    return {**browser_context_args, "locale": "sv-SE", "timezone_id": "Europe/Stockholm"}


class _QuietRequestHandler(WSGIRequestHandler):
    """Leaves out the access log line per request; errors are still logged."""

    def log_request(self, code="-", size="-"):
        pass


@pytest.fixture(scope="session")
def live_server(app):
    """The session's app served on a free loopback port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def base_url(live_server):
    """pytest-playwright passes this to every context, so `page.goto("/teman/")` works."""
    return live_server


_axe = Axe()


def format_axe_violations(violations: list[dict], url: str = "") -> str:
    """One paragraph per violated rule: id, impact, help, link, and the failing elements."""
    lines = [f"{len(violations)} axe-core violation(s) on {url}:"]
    for violation in violations:
        lines.append(
            f"- {violation['id']} ({violation.get('impact') or 'no impact given'}): "
            f"{violation['help']}"
        )
        lines.append(f"  {violation.get('helpUrl', '')}")
        for node in violation["nodes"]:
            target = " ".join(str(part) for part in node["target"])
            lines.append(f"    at {target}")
            summary = (node.get("failureSummary") or "").replace("\n", " ").strip()
            if summary:
                lines.append(f"       {summary}")
    return "\n".join(lines)


def axe_violations(page, context=None) -> list[dict]:
    """axe-core's violations on the page as it is now (all rules axe enables by default:
    WCAG 2.x A and AA plus best practices)."""
    return _axe.run(page, context=context).response["violations"]


# axe-core 4.7 retired its duplicate-id rules with WCAG 2.2, but a repeated id still breaks
# label, aria-describedby and skip-link targets, so the check below keeps looking for them.
_DUPLICATE_IDS_JS = """() => {
  const seen = {};
  for (const el of document.querySelectorAll("[id]")) seen[el.id] = (seen[el.id] || 0) + 1;
  return Object.entries(seen).filter(([, n]) => n > 1).map(([id, n]) => `#${id} (${n} times)`);
}"""


def duplicate_ids(page) -> list[str]:
    return page.evaluate(_DUPLICATE_IDS_JS)


@pytest.fixture
def assert_no_axe_violations():
    """A function: `assert_no_axe_violations(page)` fails with a readable list when axe-core
    finds anything, or when an id is used twice. `context` narrows the axe scan (an axe
    context, e.g. "#main")."""

    def check(page, context=None) -> None:
        problems = []
        violations = axe_violations(page, context=context)
        if violations:
            problems.append(format_axe_violations(violations, page.url))
        repeated = duplicate_ids(page)
        if repeated:
            problems.append(f"ids used more than once on {page.url}: {', '.join(repeated)}")
        if problems:
            pytest.fail("\n".join(problems), pytrace=False)

    return check


@pytest.fixture
def browser_errors(page) -> list[str]:
    """What went wrong inside `page` so far: console errors (a Content-Security-Policy
    violation shows up here) and uncaught script errors. Assert it is empty at the end."""
    errors: list[str] = []
    page.on(
        "console",
        lambda message: message.type == "error" and errors.append(f"console: {message.text}"),
    )
    page.on("pageerror", lambda error: errors.append(f"page error: {error}"))
    return errors


@pytest.fixture(scope="module")
def screenshot_dir(pytestconfig, request) -> Path:
    """test-artifacts/screenshots/<test module>/ (git-ignored), emptied when the module
    starts so no stale picture survives a run."""
    module = request.node.path.stem.removeprefix("test_")
    folder = pytestconfig.rootpath / "test-artifacts" / "screenshots" / module
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)  # another run may be writing here too
    return folder


@pytest.fixture
def screenshot(screenshot_dir):
    """A function: `screenshot(page, "home-phone")` saves a full-page PNG in
    test-artifacts/screenshots/<test module>/ and returns its path."""

    def take(page, name: str, full_page: bool = True) -> Path:
        path = screenshot_dir / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
