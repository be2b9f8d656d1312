"""Materials after an event: the upload's type allow-list (by content, not only by name),
its size limit, where files are kept and how they are served, access control, the public
event page and the copy into the themes' resource libraries."""

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from flask_babel import force_locale
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from eventreg.extensions import db
from eventreg.models import EventMaterial, Resource, utcnow
from eventreg.services import materials
from eventreg.services.materials import MaterialData, MaterialError, Upload
from tests.factories import log_in, make_event, make_organisation, make_theme, make_user

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 40
JPG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 40
# The start of a Windows program: "MZ", then the DOS header.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 100


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


DOCX = _zip({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
PPTX = _zip({"[Content_Types].xml": b"<Types/>", "ppt/presentation.xml": b"<p:presentation/>"})
ODT = _zip({"mimetype": b"application/vnd.oasis.opendocument.text", "content.xml": b"<x/>"})
ODP = _zip({"mimetype": b"application/vnd.oasis.opendocument.presentation", "content.xml": b""})


@pytest.mark.parametrize(
    ("filename", "data", "expected"),
    [
        ("bilder.pdf", PDF, "pdf"),
        ("Bilder.PDF", PDF, "pdf"),
        ("bilder.pptx", PPTX, "pptx"),
        ("text.docx", DOCX, "docx"),
        ("bilder.odp", ODP, "odp"),
        ("text.odt", ODT, "odt"),
        ("anteckningar.txt", "Språkcafé – anteckningar\n".encode(), "txt"),
        ("bild.png", PNG, "png"),
        ("foto.jpg", JPG, "jpg"),
        ("foto.jpeg", JPG, "jpg"),
    ],
)
def test_allowed_types_are_recognised_by_their_content(filename, data, expected):
    assert materials.check_upload(Upload(filename, data), 10_000) == expected


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("bilder.pdf", EXE),  # a program renamed to .pdf
        ("anteckningar.txt", EXE),  # … or to .txt (binary, not text)
        ("program.exe", EXE),
        ("bilder.pdf", PNG),  # an image named as a PDF: content and name disagree
        ("bild.png", PDF),
        ("text.docx", _zip({"readme.txt": b"hi"})),  # a zip, but no Word document
        ("text.docx", PPTX),  # a presentation named as a document
        ("makro.docx", _zip({"[Content_Types].xml": b"", "word/document.xml": b"",
                             "word/vbaProject.bin": b"macro"})),  # fmt: skip
        ("sida.html", b"<html><script>alert(1)</script></html>"),  # text, not allowed by name
        ("bilder", PDF),  # no extension
        ("bilder.pdf", b""),
    ],
)
def test_other_files_are_refused(filename, data):
    with pytest.raises(MaterialError) as refused:
        materials.check_upload(Upload(filename, data), 10_000)
    assert refused.value.field == "file"


def test_a_file_over_the_limit_is_refused(app):
    with force_locale("en"), pytest.raises(MaterialError, match="too large: at most 1 kB"):
        materials.check_upload(Upload("bilder.pdf", PDF + b"x" * 1024), 1024)
    assert materials.check_upload(Upload("bilder.pdf", PDF), len(PDF)) == "pdf"


# --- through the organiser pages ----------------------------------------------------------


@pytest.fixture
def organisation():
    return make_organisation(name="Varbergs kommun")


@pytest.fixture
def organiser(client, organisation):
    user = make_user([organisation])
    db.session.commit()
    log_in(client, user)
    return user


def past_event(organisation, **fields):
    start = utcnow().replace(microsecond=0) - timedelta(days=3)
    return make_event(organisation=organisation, start_dt=start, **fields)


def _form(**fields) -> dict:
    values = {"kind": "slides", "title": "Bilder från föreläsningen", "language": "sv",
              "url": "", "has_captions": ""}  # fmt: skip
    values.update(fields)
    return values


def _upload(client, event, filename: str, data: bytes, **fields):
    # Encoded here, in memory: the test client spools a large body to a temporary file that
    # it never closes.
    boundary, body = encode_multipart(
        MultiDict({**_form(**fields), "file": FileStorage(io.BytesIO(data), filename)})
    )
    return client.post(
        f"/arrangor/evenemang/{event.id}/material?lang=en",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def stored_materials() -> list[EventMaterial]:
    db.session.expire_all()
    return list(db.session.scalars(select(EventMaterial).order_by(EventMaterial.id)))


def test_an_uploaded_file_is_kept_under_a_random_name_and_served_as_an_attachment(
    app, client, organiser, organisation
):
    event = past_event(organisation, title="Mottagande av nyanlända")
    db.session.commit()
    response = _upload(client, event, "Mina bilder.pdf", PDF)
    assert response.status_code == 302
    (material,) = stored_materials()
    assert material.file_type == "pdf"
    assert material.size_bytes == len(PDF)
    assert materials.STORED_NAME.match(material.stored_name)
    assert "Mina" not in material.stored_name
    folder = Path(app.config["MATERIALS_DIR"])
    assert (folder / material.stored_name).read_bytes() == PDF

    page = client.get(f"/evenemang/{event.public_id}/{event.slug}").get_data(as_text=True)
    assert "Bilder från föreläsningen" in page
    with client.get(f"/evenemang/{event.public_id}/material/{material.id}") as download:
        assert download.status_code == 200
        assert download.data == PDF
        assert download.mimetype == "application/pdf"
        assert download.headers["Content-Disposition"].startswith("attachment;")
        assert download.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download.headers["Content-Security-Policy"]


def test_a_renamed_program_is_refused_and_nothing_is_stored(app, client, organiser, organisation):
    event = past_event(organisation)
    db.session.commit()
    before = set(Path(app.config["MATERIALS_DIR"]).iterdir())
    response = _upload(client, event, "bilder.pdf", EXE)
    assert response.status_code == 400
    assert "This kind of file cannot be added" in response.get_data(as_text=True)
    assert stored_materials() == []
    assert set(Path(app.config["MATERIALS_DIR"]).iterdir()) == before


def test_the_size_limit_is_the_materials_own(app, client, organiser, organisation):
    event = past_event(organisation)
    db.session.commit()
    limit = app.config["MATERIAL_MAX_BYTES"]
    app.config["MATERIAL_MAX_BYTES"] = 1024 * 1024  # 1 MB: the message says "1 MB"
    try:
        # Larger than the site's usual request limit would allow? No: within this one.
        too_big = PDF + b" " * (1024 * 1024)
        response = _upload(client, event, "bilder.pdf", too_big)
        assert response.status_code == 400
        assert "at most 1 MB" in response.get_data(as_text=True)
        # Far beyond the limit, the request itself is refused before it is read.
        response = _upload(client, event, "bilder.pdf", PDF + b" " * (2 * 1024 * 1024))
        assert response.status_code == 413
    finally:
        app.config["MATERIAL_MAX_BYTES"] = limit
    assert stored_materials() == []


def test_a_file_larger_than_other_requests_may_be_is_taken_here(app, client, organiser,
                                                                 organisation):  # fmt: skip
    event = past_event(organisation)
    db.session.commit()
    big = PDF + b" " * (app.config["MAX_CONTENT_LENGTH"] + 1024)
    assert _upload(client, event, "bilder.pdf", big).status_code == 302
    (material,) = stored_materials()
    assert material.size_bytes == len(big)


def test_an_uploaded_name_never_becomes_a_path(app, client, organiser, organisation, tmp_path):
    event = past_event(organisation)
    db.session.commit()
    folder = Path(app.config["MATERIALS_DIR"])
    response = _upload(client, event, "../../../../tmp/evil.pdf", PDF)
    assert response.status_code == 302
    (material,) = stored_materials()
    assert (folder / material.stored_name).is_file()
    assert not Path("/tmp/evil.pdf").exists()
    # A stored name that is not one the service makes is never joined to a path.
    material.stored_name = "../../../etc/passwd"
    db.session.commit()
    assert materials.file_path(material) is None
    assert client.get(f"/evenemang/{event.public_id}/material/{material.id}").status_code == 404
    for path in ("/evenemang/x/material/..%2F..%2Fetc%2Fpasswd",
                 f"/evenemang/{event.public_id}/material/../../etc/passwd"):  # fmt: skip
        assert client.get(path).status_code == 404


def test_links_recordings_captions_and_the_rules(client, organiser, organisation):
    event = past_event(organisation)
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/material"
    recording = _form(kind="recording", title="Inspelning", url="https://play.example.se/v/1",
                      has_captions="y", language="en")  # fmt: skip
    assert client.post(url, data=recording).status_code == 302
    (material,) = stored_materials()
    assert material.url == "https://play.example.se/v/1"
    assert material.has_captions is True

    page = client.get(f"/evenemang/{event.public_id}/{event.slug}").get_data(as_text=True)
    assert 'href="https://play.example.se/v/1" lang="en" hreflang="en"' in page
    assert "With captions" in page or "Med undertext" in page

    # A recording is a link; a link is https; one of link and file is needed.
    assert _upload(client, event, "film.pdf", PDF, kind="recording").status_code == 400
    response = client.post(url, data=_form(url="http://example.se/bilder.pdf"))
    assert response.status_code == 400
    assert client.post(url, data=_form()).status_code == 400
    assert len(stored_materials()) == 1


def test_materials_wait_for_the_event_to_begin(client, organiser, organisation):
    event = make_event(organisation=organisation)  # next week
    db.session.commit()
    response = client.post(f"/arrangor/evenemang/{event.id}/material",
                           data=_form(url="https://example.se/bilder.pdf"))  # fmt: skip
    assert response.status_code == 400
    assert stored_materials() == []


def test_another_organisations_organiser_cannot_touch_materials(client, organisation):
    event = past_event(organisation)
    material = materials.add_material(
        event, MaterialData("slides", "Bilder", "sv", url="https://example.se/b.pdf")
    )
    stranger = make_user([make_organisation()])
    db.session.commit()
    log_in(client, stranger)
    base = f"/arrangor/evenemang/{event.id}/material"
    assert client.get(base).status_code == 403
    assert client.post(base, data=_form(url="https://example.se/x.pdf")).status_code == 403
    assert client.get(f"{base}/{material.id}").status_code == 403
    assert client.post(f"{base}/{material.id}/ta-bort").status_code == 403
    assert client.get(f"/arrangor/evenemang/{event.id}/omdomen").status_code == 403
    assert len(stored_materials()) == 1


def test_a_material_is_found_only_under_its_own_event(client, organiser, organisation):
    event = past_event(organisation)
    other = past_event(organisation)
    material = materials.add_material(
        event, MaterialData("slides", "Bilder", "sv", url="https://example.se/b.pdf")
    )
    db.session.commit()
    assert client.get(f"/arrangor/evenemang/{other.id}/material/{material.id}").status_code == 404
    assert client.get(f"/evenemang/{other.public_id}/material/{material.id}").status_code == 404


def test_a_drafts_files_are_not_public(client, organisation):
    event = past_event(organisation)
    material = materials.add_material(event, MaterialData("slides", "Bilder", "sv"),
                                      Upload("b.pdf", PDF))  # fmt: skip
    event.status = "draft"
    db.session.commit()
    assert client.get(f"/evenemang/{event.public_id}/material/{material.id}").status_code == 404


def test_the_theme_library_collects_materials(client, organiser, organisation):
    theme, other_theme = make_theme(), make_theme()
    event = past_event(organisation, themes=[theme, other_theme], title="Föreläsning om SFI")
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/material"
    response = client.post(url, data=_form(
        kind="recording", title="Föreläsningen", url="https://play.example.se/v/2",
        in_theme_library="y"))  # fmt: skip
    assert response.status_code == 302
    (material,) = stored_materials()
    resources = db.session.scalars(select(Resource).order_by(Resource.theme_id)).all()
    assert [(r.theme_id, r.kind, r.url) for r in resources] == [
        (theme.id, "recording", "https://play.example.se/v/2"),
        (other_theme.id, "recording", "https://play.example.se/v/2"),
    ]
    assert "Föreläsning om SFI" in resources[0].description
    page = client.get(f"/teman/{theme.slug}").get_data(as_text=True)
    assert "Föreläsningen" in page

    # Unticking takes it out of the libraries; the material stays on the event.
    response = client.post(f"{url}/{material.id}", data=_form(
        title="Föreläsningen", url="https://play.example.se/v/2"))  # fmt: skip
    assert response.status_code == 302
    assert db.session.scalars(select(Resource)).all() == []

    # An uploaded file goes in as a link to its download; removing it removes the copies.
    assert _upload(client, event, "bilder.pdf", PDF, in_theme_library="y").status_code == 302
    uploaded = stored_materials()[-1]
    db.session.expire_all()
    copies = db.session.scalars(select(Resource)).all()
    assert len(copies) == 2
    assert all(r.url.endswith(f"/evenemang/{event.public_id}/material/{uploaded.id}")
               for r in copies)  # fmt: skip
    assert client.post(f"{url}/{uploaded.id}/ta-bort").status_code == 302
    db.session.expire_all()
    assert db.session.scalars(select(Resource)).all() == []
    assert [m.id for m in stored_materials()] == [material.id]


def test_removing_a_file_deletes_it(app, client, organiser, organisation):
    event = past_event(organisation)
    db.session.commit()
    _upload(client, event, "bilder.pdf", PDF)
    (material,) = stored_materials()
    path = Path(app.config["MATERIALS_DIR"]) / material.stored_name
    assert path.is_file()
    assert client.post(f"/arrangor/evenemang/{event.id}/material/{material.id}/ta-bort"
                       ).status_code == 302  # fmt: skip
    assert not path.exists()
    assert stored_materials() == []
