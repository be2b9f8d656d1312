"""Error pages: in the site's style, translated, never a bare stack trace."""

from flask import abort

from eventreg import create_app


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

