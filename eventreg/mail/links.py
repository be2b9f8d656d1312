"""Absolute links for emails and calendar files, with or without a request."""

from flask import current_app, has_request_context, request

# Used only when neither BASE_URL nor a request says where the site lives (a CLI command on
# a machine without EVENTREG_BASE_URL); such links are for local development.
DEVELOPMENT_BASE_URL = "http://localhost:5000"


def base_url() -> str:
    """Where the site lives: BASE_URL (EVENTREG_BASE_URL), else the request's host."""
    configured = current_app.config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    if has_request_context():
        return request.url_root.rstrip("/")
    return DEVELOPMENT_BASE_URL


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL for an endpoint, built from the URL map so it also works in the CLI."""
    adapter = current_app.url_map.bind("localhost")
    return base_url() + adapter.build(endpoint, values)
