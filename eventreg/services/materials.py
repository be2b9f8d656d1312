"""Materials after an event: slides, documents and recording links, an upload's checks,
where its file is kept, and the copy of a material in its themes' resource libraries.

An uploaded file is accepted only when its content is one of MATERIAL_FILE_TYPES (read
from its first bytes and, for the zip-based office formats, from what the zip holds) and
its name ends in that type's extension: a renamed program is refused either way. It is
kept under MATERIALS_DIR with a random name; the name it was uploaded with is never used
as a path.

Functions add and flush; the caller commits. A file is written before the commit (and
removed again by `discard_file` if the commit fails) and deleted only after it.
"""

import io
import os
import re
import secrets
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import delete, func, select

from ..extensions import db
from ..mail.links import absolute_url
from ..models import Event, EventMaterial, Resource, User, utcnow
from ..models.types import LOCAL_TZ
from ..text import is_https_url
from .audit import record_event_change
from .errors import RuleError


@dataclass(frozen=True)
class FileType:
    extensions: tuple[str, ...]
    mimetype: str


# The allow-list. The first extension is the one a stored file gets.
MATERIAL_FILE_TYPES = {
    "pdf": FileType(("pdf",), "application/pdf"),
    "pptx": FileType(
        ("pptx",), "application/vnd.openxmlformats-officedocument.presentationml.presentation"
    ),
    "docx": FileType(
        ("docx",), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    ),
    "odp": FileType(("odp",), "application/vnd.oasis.opendocument.presentation"),
    "odt": FileType(("odt",), "application/vnd.oasis.opendocument.text"),
    "txt": FileType(("txt",), "text/plain; charset=utf-8"),
    "png": FileType(("png",), "image/png"),
    "jpg": FileType(("jpg", "jpeg"), "image/jpeg"),
}
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|pptx|docx|odp|odt|txt|png|jpg)$")

# What the zip of each office format must hold.
_OOXML_PARTS = {"pptx": "ppt/presentation.xml", "docx": "word/document.xml"}
_ODF_MIMETYPES = {
    "odp": b"application/vnd.oasis.opendocument.presentation",
    "odt": b"application/vnd.oasis.opendocument.text",
}
# Control characters other than tab, line feed, form feed and carriage return: not text.
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")


class MaterialError(RuleError):
    """An upload or a material that breaks a rule; `field` names the form field."""


@dataclass
class MaterialData:
    """What an organiser says about a material (the file, if any, comes separately)."""

    kind: str
    title: str
    language: str
    url: str = ""
    has_captions: bool | None = None
    in_theme_library: bool = False


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def _zip_type(data: bytes) -> str | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        # Office files with macros are programs too.
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            return None
        for file_type, part in _OOXML_PARTS.items():
            if "[Content_Types].xml" in names and part in names:
                return file_type
        if names and names[0] == "mimetype" and archive.getinfo("mimetype").file_size < 100:
            declared = archive.read("mimetype").strip()
            for file_type, mimetype in _ODF_MIMETYPES.items():
                if declared == mimetype:
                    return file_type
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, NotImplementedError):
        return None
    return None


def _is_text(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return not _BINARY_BYTES.search(data)


def detect_file_type(data: bytes) -> str | None:
    """The allow-listed type the content is (a key of MATERIAL_FILE_TYPES), or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"PK\x03\x04"):
        return _zip_type(data)
    if data and _is_text(data):
        return "txt"
    return None


def size_label(size: int) -> str:
    """A file size for people: whole megabytes, or kilobytes below one megabyte."""
    if size >= 1024 * 1024:
        return f"{size // (1024 * 1024)} MB"
    return f"{max(size // 1024, 1)} kB"


def check_upload(upload: Upload, max_bytes: int) -> str:
    """The file's type if it may be stored; MaterialError (field "file") if not: empty,
    too large, not an allowed type, or a name whose extension is not the content's type."""
    if not upload.data:
        raise MaterialError(_("The file is empty."), "file")
    if len(upload.data) > max_bytes:
        raise MaterialError(_("The file is too large: at most %(size)s.",
                              size=size_label(max_bytes)), "file")  # fmt: skip
    allowed = ", ".join(file_type.upper() for file_type in MATERIAL_FILE_TYPES)
    extension = Path(upload.filename or "").suffix.lower().lstrip(".")
    file_type = detect_file_type(upload.data)
    if file_type is None or extension not in MATERIAL_FILE_TYPES[file_type].extensions:
        raise MaterialError(
            _("This kind of file cannot be added. Allowed: %(types)s.", types=allowed), "file"
        )
    return file_type


def materials_dir() -> Path:
    return Path(current_app.config["MATERIALS_DIR"])


def file_path(material: EventMaterial) -> Path | None:
    """Where a material's file is, or None if it has none (or a stored name that is not one
    this module makes, which is then never joined to a path)."""
    if not material.stored_name or not STORED_NAME.match(material.stored_name):
        return None
    return materials_dir() / material.stored_name


def _store(data: bytes, file_type: str) -> str:
    """Write the file under a new random name (via a temporary file, so a reader never
    sees half of it) and return the name."""
    folder = materials_dir()
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{MATERIAL_FILE_TYPES[file_type].extensions[0]}"
    handle, temporary = tempfile.mkstemp(dir=folder, suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        os.replace(temporary, folder / name)
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        raise
    return name


def discard_file(stored_name: str | None) -> None:
    """Remove a stored file: after its material was deleted, or a commit that failed."""
    if stored_name and STORED_NAME.match(stored_name):
        (materials_dir() / stored_name).unlink(missing_ok=True)


def can_have_materials(event: Event, now: datetime | None = None) -> bool:
    """Materials belong to a published event that has begun."""
    return event.is_published and event.start_dt <= (now or utcnow())


def _check(event: Event, data: MaterialData, has_file: bool, now: datetime | None) -> None:
    if not can_have_materials(event, now):
        raise MaterialError(_("Materials can be added once a published event has begun."))
    if data.kind == "recording" and has_file:
        raise MaterialError(_("Add a recording as a link to where it is published."), "url")
    if data.url and has_file:
        raise MaterialError(_("Give a link or a file, not both."), "url")
    if not data.url and not has_file:
        raise MaterialError(_("Give a link or choose a file."), "url")
    if data.url and not is_https_url(data.url):
        raise MaterialError(_("Enter a web address starting with https://."), "url")


def add_material(
    event: Event,
    data: MaterialData,
    upload: Upload | None = None,
    user: User | None = None,
    now: datetime | None = None,
) -> EventMaterial:
    """Attach a link or an uploaded file to an event (and, if asked, to its themes)."""
    _check(event, data, upload is not None, now)
    material = EventMaterial(
        event=event,
        kind=data.kind,
        title=data.title,
        language=data.language,
        url=data.url or None,
        has_captions=data.has_captions if data.kind == "recording" else None,
        in_theme_library=data.in_theme_library,
    )
    if upload is not None:
        file_type = check_upload(upload, current_app.config["MATERIAL_MAX_BYTES"])
        material.file_type = file_type
        material.size_bytes = len(upload.data)
        material.stored_name = _store(upload.data, file_type)
    db.session.add(material)
    db.session.flush()
    sync_theme_library(material)
    record_event_change(event, "event.material.add", user, {"material": [None, material.title]})
    return material


def update_material(material: EventMaterial, data: MaterialData, user: User | None = None) -> None:
    """Change what is said about a material (its kind and file stay; a link may change)."""
    before = {"title": material.title, "url": material.url, "language": material.language,
              "in_theme_library": material.in_theme_library}  # fmt: skip
    if not material.is_file:
        _check(material.event, MaterialData(**{**data.__dict__, "kind": material.kind}),
               False, None)  # fmt: skip
        material.url = data.url
    material.title = data.title
    material.language = data.language
    material.has_captions = data.has_captions if material.kind == "recording" else None
    material.in_theme_library = data.in_theme_library
    db.session.flush()
    sync_theme_library(material)
    after = {key: getattr(material, key) for key in before}
    changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
    if changes:
        record_event_change(material.event, "event.material.update", user, changes)


def delete_material(material: EventMaterial, user: User | None = None) -> str | None:
    """Remove a material and its copies in theme libraries. Returns the stored file's name,
    for the caller to `discard_file` once the deletion is committed."""
    stored_name = material.stored_name
    record_event_change(material.event, "event.material.delete", user,
                        {"material": [material.title, None]})  # fmt: skip
    db.session.execute(delete(Resource).where(Resource.material_id == material.id))
    db.session.delete(material)
    db.session.flush()
    return stored_name


def public_url(material: EventMaterial) -> str:
    """The material's address for everyone: its link, or the site's download address."""
    if material.url:
        return material.url
    event = material.event
    return absolute_url(
        "catalogue.download_material", public_id=event.public_id, material_id=material.id
    )


def sync_theme_library(material: EventMaterial) -> None:
    """Make the material's copies in its event's themes' resource libraries match it: one
    resource per theme while `in_theme_library`, none otherwise. A recording becomes a
    "recorded lecture", anything else "further reading", after the theme's other resources."""
    db.session.execute(delete(Resource).where(Resource.material_id == material.id))
    if not material.in_theme_library:
        db.session.flush()
        return
    event = material.event
    day = event.start_dt.astimezone(LOCAL_TZ).date().isoformat()
    for theme in event.themes:
        last = db.session.scalar(
            select(func.max(Resource.position)).where(Resource.theme_id == theme.id)
        )
        db.session.add(
            Resource(
                theme=theme,
                kind="recording" if material.kind == "recording" else "reading",
                title=material.title,
                url=public_url(material),
                description=f"{event.title} ({day})",
                language=material.language,
                position=(last or 0) + 1,
                material_id=material.id,
            )
        )
    db.session.flush()


def materials_of(event: Event) -> list[EventMaterial]:
    """The event's materials: recordings first, then slides, then documents."""
    order = {"recording": 0, "slides": 1, "document": 2}
    found = db.session.scalars(
        select(EventMaterial).where(EventMaterial.event_id == event.id).order_by(EventMaterial.id)
    )
    return sorted(found, key=lambda m: order.get(m.kind, 9))


def material_of_event(event: Event, material_id: int) -> EventMaterial | None:
    """A material of this event; another event's id (guessed) is not found."""
    return db.session.scalar(
        select(EventMaterial).where(
            EventMaterial.id == material_id, EventMaterial.event_id == event.id
        )
    )


def public_material(event: Event, material_id: int) -> EventMaterial | None:
    """A material anyone may download: the event's own, shown on its public page."""
    if not can_have_materials(event):
        return None
    return material_of_event(event, material_id)
