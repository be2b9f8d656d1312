"""Locale selection: Swedish by default, English on request, remembered in a cookie."""

from flask import current_app, g, has_request_context, request
from flask_babel import get_locale

from .extensions import babel

LOCALE_COOKIE = "lang"
LOCALE_PARAM = "lang"


def select_locale() -> str:
    if not has_request_context():  # CLI commands and background sending: the default
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    return locale_from(
        request.args.get(LOCALE_PARAM), request.cookies.get(LOCALE_COOKIE), current_app.config
    )


def locale_from(chosen: str | None, remembered: str | None, config) -> str:
    """The language of a request from ?lang= and the lang cookie. Also used without a
    request context by the page cache's WSGI layer (pagecache.CachedResponses), which must
    pick the same language as the pages do."""
    for candidate in (chosen, remembered):
        if candidate in config["LANGUAGES"]:
            return candidate
    return config["BABEL_DEFAULT_LOCALE"]


def _remember_locale(response):
    """A ?lang= choice in the URL becomes the persistent choice for later pages."""
    chosen = request.args.get(LOCALE_PARAM)
    if not g.get("remember_locale", True):  # an answer that caches must set no cookie (API)
        return response
    if chosen in current_app.config["LANGUAGES"] and request.cookies.get(LOCALE_COOKIE) != chosen:
        response.set_cookie(
            LOCALE_COOKIE, chosen, max_age=365 * 24 * 3600, samesite="Lax", httponly=True
        )
    return response


def current_language() -> str:
    locale = get_locale()
    return locale.language if locale else "sv"


def init_app(app) -> None:
    babel.init_app(
        app,
        locale_selector=select_locale,
        default_translation_directories=str(
            app.root_path + "/translations"
        ),
    )
    app.after_request(_remember_locale)

    @app.before_request
    def _expose_language():
        g.lang = current_language()
