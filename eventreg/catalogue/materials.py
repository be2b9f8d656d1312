"""Downloads of files organisers attached to a past event.

Served as attachments with their checked type (and nosniff, like every response), so a
browser saves them rather than running or rendering anything in the site's origin. The file
is found by the material's id and its random stored name, never by a name from the
request."""

from flask import abort, send_file

from ..services import catalogue, materials
from ..text import slugify
from .views import bp


@bp.get("/evenemang/<public_id>/material/<id:material_id>")
def download_material(public_id: str, material_id: int):
    event = catalogue.get_public_event(public_id) or abort(404)
    material = materials.public_material(event, material_id)
    if material is None or material.url:
        abort(404)
    path = materials.file_path(material)
    if path is None or not path.is_file():
        abort(404)
    file_type = materials.MATERIAL_FILE_TYPES[material.file_type]
    name = f"{slugify(material.title) or 'material'}.{file_type.extensions[0]}"
    # Whole files only (no Range, no ETag): they are small, and a partial answer is one more
    # way for a request to go wrong.
    response = send_file(
        path, mimetype=file_type.mimetype, as_attachment=True, download_name=name,
        max_age=0, conditional=False,
    )  # fmt: skip
    # X-Content-Type-Options: nosniff is on every response (security.py); a file opened
    # anyway runs nothing and loads nothing in the site's origin.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
