"""CORS for the open data: the API and the public calendar feeds may be read by scripts on
any website (`Access-Control-Allow-Origin: *`).

A small after_request rather than flask-cors: the policy is one fixed header set for GET,
with no credentials and no per-origin rules, and flask-cors' strength (origin lists,
credentials) is exactly what must not be switched on here by a later edit. No cookie or
login is honoured cross-site this way: browsers send no credentials with a `*` answer."""

from flask import request

# Blueprints whose every answer is public and the same for everyone. Not the personal
# feed (registration blueprint): its address is a secret and stays on this site.
OPEN_BLUEPRINTS = frozenset({"api", "feeds"})
READ_METHODS = ("GET", "HEAD", "OPTIONS")
EXPOSED_HEADERS = "ETag, Last-Modified, Content-Language, Retry-After, Link"


def allow_any_origin(response):
    if request.blueprint not in OPEN_BLUEPRINTS or request.method not in READ_METHODS:
        return response
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
    if request.method == "OPTIONS":  # a preflight (a script sending If-None-Match)
        response.headers["Access-Control-Allow-Methods"] = "GET, HEAD, OPTIONS"
        response.headers["Access-Control-Allow-Headers"] = (
            "If-None-Match, If-Modified-Since, Accept-Language"
        )
        response.headers["Access-Control-Max-Age"] = "86400"
    return response


def init_app(app) -> None:
    app.after_request(allow_any_origin)
