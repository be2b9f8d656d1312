"""Error pages: in the site's style, translated, never a bare stack trace."""

from flask import abort
from flask.testing import FlaskClient
from sqlalchemy import select

from eventreg import create_app
from eventreg.extensions import db
from eventreg.models import Organisation


def test_404_page_is_in_the_site_style(client):
    response = client.get("/finns-inte?lang=en")
    html = response.get_data(as_text=True)
    assert response.status_code == 404
    assert "Page not found" in html
    assert 'class="site-header"' in html


def test_405_page_is_worded_for_people(client):
    response = client.post("/?lang=en")
    assert response.status_code == 405
    assert "That action is not possible here" in response.get_data(as_text=True)


def test_500_page_is_shown_instead_of_a_trace(database_url):
    app = create_app(  # not TESTING, so errors are handled as in production
        {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url, "BASE_URL": "http://localhost"}
    )
    app.add_url_rule("/test-boom", "boom", lambda: 1 / 0)
    app.add_url_rule("/test-forbidden", "forbidden", lambda: abort(403))
    client = app.test_client()
    response = client.get("/test-boom")
    html = response.get_data(as_text=True)
    assert response.status_code == 500
    assert "Något gick fel" in html
    assert 'class="site-header"' in html
    assert "ZeroDivisionError" not in html
    assert client.get("/test-forbidden").status_code == 403



def test_a_server_error_undoes_what_the_request_flushed(app, database_url):
    """A view that fails after a flush leaves nothing half-done: the 500 handler rolls the
    session back, so the next request on the same session (a CLI command, a test holding
    the app context) neither commits the leftovers nor finds the session unusable."""
    failing = create_app({  # not TESTING, so the exception reaches the 500 handler
        "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url,
        "BASE_URL": "http://localhost", "WTF_CSRF_ENABLED": False,
    })  # fmt: skip

    def half_done():
        db.session.add(Organisation(slug="half-done", name="Half done"))
        db.session.flush()
        raise RuntimeError("after the flush")

    def save():
        db.session.add(Organisation(slug="saved", name="Saved"))
        db.session.commit()
        return "saved"

    failing.add_url_rule("/test-half-done", "half_done", half_done)
    failing.add_url_rule("/test-save", "save", save, methods=["POST"])
    try:
        with failing.app_context():  # every request below shares this context's session
            client = FlaskClient(failing)
            assert client.get("/test-half-done").status_code == 500
            assert client.post("/test-save").get_data(as_text=True) == "saved"
        stored = db.session.scalars(select(Organisation.slug)).all()
        assert stored == ["saved"]
    finally:
        with failing.app_context():
            db.engine.dispose()
