"""Error pages in the site's style, worded for people rather than HTTP."""

from flask import render_template
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException, SecurityError

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
GENERIC = (_l("Something went wrong"), _l("The page could not be shown. Please try again."))


def _render_http_error(error: HTTPException):
    if isinstance(error, SecurityError):
        # A Host outside TRUSTED_HOSTS: no link can be built for it, so no page either.
        title, message = MESSAGES[400]
        return f"{title}\n\n{message}\n", 400, {"Content-Type": "text/plain; charset=utf-8"}
    if error.code == 404:
        return render_template("errors/404.html"), 404
    title, message = MESSAGES.get(error.code, GENERIC)
    return render_template("errors/error.html", title=title, message=message), error.code


def _render_server_error(error):
    return render_template("errors/500.html"), 500


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(500, _render_server_error)
