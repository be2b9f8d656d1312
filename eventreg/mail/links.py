"""Absolute links for emails and calendar files, with or without a request."""

from flask import current_app

# Used only when BASE_URL is not set, which the app allows only outside production (see
# config.check_production_settings): the development server's address.
DEVELOPMENT_BASE_URL = "http://localhost:5000"


def base_url() -> str:
    """Where the site lives: BASE_URL (EVENTREG_BASE_URL). Never the request's Host header,
    which whoever sends the request chooses: a forged one would put the sender's domain in
    a password-reset link."""
    return (current_app.config.get("BASE_URL") or DEVELOPMENT_BASE_URL).rstrip("/")


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL for an endpoint, built from the URL map so it also works in the CLI."""
    adapter = current_app.url_map.bind("localhost")
    return base_url() + adapter.build(endpoint, values)
