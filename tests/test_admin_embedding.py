"""Administrators list, per organisation, the web sites (origins) that may frame the
embeddable event list (issue 14): origins checked as scheme://host[:port], https only but
for localhost; only administrators; every change in the audit log."""

import pytest
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import AuditEntry, EmbedOrigin, Organisation
from eventreg.services.embedding import OriginError, normalise_origin
from tests.factories import log_in, make_organisation, make_user


@pytest.mark.parametrize(
    ("text", "origin"),
    [
        ("https://www.varberg.se", "https://www.varberg.se"),
        ("  https://www.varberg.se/  ", "https://www.varberg.se"),
        ("HTTPS://WWW.Varberg.SE", "https://www.varberg.se"),
        ("https://www.varberg.se:443", "https://www.varberg.se"),
        ("https://intra.halmstad.se:8443", "https://intra.halmstad.se:8443"),
        ("https://www.höganäs.se", "https://www.xn--hgans-jra6j.se"),
        ("https://www.varberg.se.", "https://www.varberg.se"),
        ("http://localhost:8000", "http://localhost:8000"),
        ("http://127.0.0.1:5500/", "http://127.0.0.1:5500"),
        ("http://localhost", "http://localhost"),
        ("https://localhost:3000", "https://localhost:3000"),
        ("https://192.0.2.10", "https://192.0.2.10"),
    ],
)
def test_valid_origins_are_normalised(text, origin):
    assert normalise_origin(text) == origin


@pytest.mark.parametrize(
    "text",
    [
        "",
        "www.varberg.se",  # no scheme
        "http://www.varberg.se",  # http outside localhost
        "http://192.168.1.5",
        "ftp://www.varberg.se",
        "javascript:alert(1)",
        "https://www.varberg.se/evenemang",  # a path
        "https://www.varberg.se?x=1",
        "https://www.varberg.se#top",
        "https://user:pass@www.varberg.se",
        "https://*.varberg.se",  # wildcards are not origins
        "https://www.varberg.se; script-src *",  # would inject a directive
        "https://www.varberg.se https://evil.example",
        "https://www.var'berg.se",
        "https://www.varberg.se:99999",
        "https://www.varberg.se:abc",
        "https://[::1]:8000",
        "https://intranet",  # one label
        "https://-bad-.se",
        "https://999.1.1.1",
        "'none'",
        "*",
        "https://" + "a" * 300 + ".se",
        "https://www.var\nberg.se",
        "https://www.var\x00berg.se",
    ],
)
def test_invalid_origins_are_refused(text):
    with pytest.raises(OriginError):
        normalise_origin(text)


@pytest.fixture
def admin_client(client):
    admin = make_user(is_admin=True, name="Ada Admin")
    db.session.commit()
    log_in(client, admin)
    client.admin = admin
    return client


def origins_of(organisation) -> list[str]:
    return list(
        db.session.scalars(
            select(EmbedOrigin.origin)
            .where(EmbedOrigin.organisation_id == organisation.id)
            .order_by(EmbedOrigin.origin)
        )
    )


def test_admin_adds_and_removes_origins_and_the_embed_follows(admin_client):
    organisation = make_organisation(name="Varbergs kommun", slug="varberg")
    db.session.commit()
    page = f"/admin/organisationer/{organisation.id}/inbaddning"
    response = admin_client.post(page, data={"origin": "HTTPS://www.Varberg.se/"})
    assert response.status_code == 302
    admin_client.post(page, data={"origin": "http://localhost:8000"})
    assert origins_of(organisation) == ["http://localhost:8000", "https://www.varberg.se"]
    embed = admin_client.get("/inbaddning/evenemang?arrangor=varberg")
    assert (
        "frame-ancestors 'self' http://localhost:8000 https://www.varberg.se"
        in (embed.headers["Content-Security-Policy"])
    )
    html = admin_client.get(page).get_data(as_text=True)
    assert "https://www.varberg.se" in html
    overview = admin_client.get("/admin/inbaddning").get_data(as_text=True)
    assert "Varbergs kommun" in overview
    assert "https://www.varberg.se" in overview

    allowed = db.session.scalar(select(EmbedOrigin).where(EmbedOrigin.origin.like("https%")))
    response = admin_client.post(f"/admin/inbaddning/{allowed.id}/ta-bort")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(page)
    db.session.expire_all()
    assert origins_of(organisation) == ["http://localhost:8000"]
    actions = db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.action.like("admin.embed_origin.%"))
    ).all()
    assert actions == ["admin.embed_origin.add"] * 2 + ["admin.embed_origin.remove"]
    entry = db.session.scalar(
        select(AuditEntry).where(AuditEntry.action == "admin.embed_origin.remove")
    )
    assert entry.label == "Varbergs kommun"
    assert entry.user_id == admin_client.admin.id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("http://www.varberg.se", "https://"),
        ("https://www.varberg.se/evenemang", "without a path"),
        ("", "Enter the address"),
    ],
)
def test_invalid_origin_is_400_with_the_reason_beside_the_field(admin_client, text, message):
    organisation = make_organisation()
    db.session.commit()
    response = admin_client.post(
        f"/admin/organisationer/{organisation.id}/inbaddning?lang=en", data={"origin": text}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="origin-error"' in html
    assert message in html
    assert '<a href="#origin">' in html  # the error summary links to the field
    assert origins_of(organisation) == []


def test_the_same_origin_twice_is_refused(admin_client):
    organisation = make_organisation()
    db.session.commit()
    page = f"/admin/organisationer/{organisation.id}/inbaddning?lang=en"
    admin_client.post(page, data={"origin": "https://www.varberg.se"})
    response = admin_client.post(page, data={"origin": "https://WWW.varberg.se/"})
    assert response.status_code == 400
    assert "already in the list" in response.get_data(as_text=True)
    assert origins_of(organisation) == ["https://www.varberg.se"]


def test_removing_an_organisation_removes_its_origins(admin_client):
    organisation = make_organisation()
    db.session.add(EmbedOrigin(organisation=organisation, origin="https://www.hylte.se"))
    db.session.commit()
    organisation_id = organisation.id
    assert admin_client.post(f"/admin/organisationer/{organisation_id}/ta-bort").status_code == 302
    db.session.expire_all()
    assert db.session.get(Organisation, organisation_id) is None
    assert db.session.scalars(select(EmbedOrigin)).all() == []


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/admin/inbaddning"),
        ("get", "/admin/organisationer/{org}/inbaddning"),
        ("post", "/admin/organisationer/{org}/inbaddning"),
        ("post", "/admin/inbaddning/{origin}/ta-bort"),
    ],
)
def test_only_administrators(client, method, path):
    organisation = make_organisation()
    allowed = EmbedOrigin(organisation=organisation, origin="https://www.hylte.se")
    db.session.add(allowed)
    organiser = make_user(organisations=[organisation])
    db.session.commit()
    url = path.format(org=organisation.id, origin=allowed.id)
    data = {"origin": "https://evil.example"} if method == "post" else None
    anonymous = getattr(client, method)(url, data=data)
    assert anonymous.status_code == 302
    assert "logga-in" in anonymous.headers["Location"]
    log_in(client, organiser)
    assert getattr(client, method)(url, data=data).status_code == 403
    db.session.expire_all()
    assert [o.origin for o in db.session.scalars(select(EmbedOrigin))] == ["https://www.hylte.se"]


def test_unknown_organisation_or_origin_is_404(admin_client):
    assert admin_client.get("/admin/organisationer/999999/inbaddning").status_code == 404
    assert admin_client.post("/admin/inbaddning/999999/ta-bort").status_code == 404


def test_admin_index_links_to_embedding(admin_client):
    assert 'href="/admin/inbaddning"' in admin_client.get("/admin/").get_data(as_text=True)
