"""Error pages in the site's style, worded for people rather than HTTP."""

from flask import current_app, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeoutError
from werkzeug.exceptions import HTTPException, SecurityError

from .api import bp as api_bp
from .api.spec import error_response
from .auth.sessions import serve_as_visitor
from .database import is_unavailable, rollback_after_failure
from .extensions import db

MESSAGES = {
    400: (_l("The request could not be understood"),
          _l("Something in the address or the form was not valid. Go back and try again.")),
    403: (_l("You do not have access to this page"),
          _l("Your account does not have permission to see or change this.")),
    405: (_l("That action is not possible here"),
          _l("The page does not accept this kind of request.")),
    413: (_l("What you sent is too large"),
          _l("It is larger than this site accepts. Choose a smaller file or shorten the text, "
             "and try again.")),
    429: (_l("Too many attempts"), _l("Wait a few minutes and try again.")),
}  # fmt: skip
MESSAGES_API_404 = _l("There is nothing at this address.")
GENERIC = (_l("Something went wrong"), _l("The page could not be shown. Please try again."))
UNAVAILABLE = (
    _l("The site cannot answer right now"),
    _l("Our database did not answer in time, so the page could not be shown. Wait a minute "
       "and try again."),
)  # fmt: skip


def retry_after() -> dict[str, str]:
    """Headers of a 503 answer: when to try again, and no cache keeps the answer."""
    return {
        "Retry-After": str(current_app.config["RETRY_AFTER_SECONDS"]),
        "Cache-Control": "no-store",
    }


def _is_api_request() -> bool:
    """Whether the address is under the API's prefix: a program reads the answer, so errors
    the API's own handlers never see (an unknown path, a 405, a database outage) come in its
    JSON shape too."""
    prefix = api_bp.url_prefix
    return request.path == prefix or request.path.startswith(prefix + "/")


def _render_http_error(error: HTTPException):
    if _is_api_request() and not isinstance(error, SecurityError):
        if error.code == 404:
            return error_response(404, "not_found", str(MESSAGES_API_404))
        response = error_response(error.code or 500, "error", error.description or error.name)
        methods = getattr(error, "valid_methods", None)
        if methods:
            response.headers["Allow"] = ", ".join(methods)
        return response
    serve_as_visitor()  # error pages show nothing of the login, so look nothing up
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no link can be built for it, so no page either.
        title, message = MESSAGES[400]
        return f"{title}\n\n{message}\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
    if error.code == 404:
        return render_template("errors/404.html"), 404
    title, message = MESSAGES.get(error.code, GENERIC)
    # A 405 says which methods the address takes (Allow, required by RFC 9110).
    methods = getattr(error, "valid_methods", None)
    allow = {"Allow": ", ".join(methods)} if methods else {}
    return render_template("errors/error.html", title=title, message=message), error.code, allow


def _render_server_error(error):
    # Undo whatever the request flushed before it failed: nothing half-done is committed by
    # whoever uses the session next, and the page below may use the database again.
    rollback_after_failure(db.session)
    if _is_api_request():
        return error_response(500, "error", str(GENERIC[1]))
    serve_as_visitor()  # error pages show nothing of the login, so look nothing up
    return render_template("errors/500.html"), 500


def _render_database_unavailable(error: Exception):
    """Any route, when the database is down, unreachable, too slow or out of connections:
    a 503 page that asks nothing of the database, instead of a 500."""
    if not is_unavailable(error):
        raise error  # a fault in the code (a constraint, a bad query): the usual 500
    # The driver's message, not str(error), which would log the statement's parameters.
    original = getattr(error, "orig", None) or error
    current_app.logger.warning(
        "The database did not answer %s %s: %s: %s",
        request.method, request.path, type(original).__name__, str(original).strip(),
    )  # fmt: skip
    rollback_after_failure(db.session)
    if _is_api_request():
        response = error_response(503, "unavailable", str(UNAVAILABLE[1]))
        response.headers.update(retry_after())
        return response
    serve_as_visitor()  # error pages show nothing of the login, so look nothing up
    title, message = UNAVAILABLE
    page = render_template("errors/error.html", title=title, message=message)
    return page, 503, retry_after()


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(500, _render_server_error)
    app.register_error_handler(DBAPIError, _render_database_unavailable)
    app.register_error_handler(PoolTimeoutError, _render_database_unavailable)
