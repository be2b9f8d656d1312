"""Error pages in the site's style."""

from flask import render_template
from werkzeug.exceptions import HTTPException


def _render_http_error(error: HTTPException):
    template = "errors/404.html" if error.code == 404 else "errors/error.html"
    return render_template(template, error=error), error.code


def _render_server_error(error):
    return render_template("errors/500.html"), 500


def init_app(app) -> None:
    app.register_error_handler(HTTPException, _render_http_error)
    app.register_error_handler(500, _render_server_error)
