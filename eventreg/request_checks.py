"""Checks on what every request brings, before a view reads it: row ids in the path, and
NUL characters in form fields and the query string."""

from flask import abort, request
from werkzeug.routing import IntegerConverter

from .models.types import MAX_ROW_ID


class RowIdConverter(IntegerConverter):
    """`<id:event_id>`: a positive 32-bit key. Any other number names no row (404) rather
    than reaching the database, which refuses a number beyond its integer column."""

    # At most ten digits, so an endless number is not even turned into an int.
    regex = r"\d{1,10}"

    def __init__(self, map):  # noqa: A002 - werkzeug's name for it
        super().__init__(map, min=1, max=MAX_ROW_ID)


def refuse_nul_characters() -> None:
    """400 for a NUL anywhere in the query string or a posted form, names included. No one
    types one; PostgreSQL refuses it in any text, which would be a server error later."""
    for values in (request.args, request.form):
        for key, value in values.items(multi=True):
            if "\x00" in key or "\x00" in value:
                abort(400)


def init_app(app) -> None:
    app.url_map.converters["id"] = RowIdConverter
    app.before_request(refuse_nul_characters)
