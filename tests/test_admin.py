"""Administration: themes, resources, organisations, accounts and the audit log."""

import re

import pytest
from sqlalchemy import select

from eventreg.extensions import db
from eventreg.models import AuditEntry, Membership, Organisation, OutboxEmail, Resource, Theme, User
from tests.factories import (
    USER_PASSWORD,
    log_in,
    make_event,
    make_organisation,
    make_resource,
    make_theme,
    make_user,
)


def assert_summary_links_to(html: str, field: str) -> None:
    """The error summary links to the field (a group: its first option), which exists."""
    match = re.search(rf'<a href="#({field}(?:-0)?)">', html)
    assert match, f"no error-summary link to {field}"
    assert f'id="{match.group(1)}"' in html


@pytest.fixture
def admin_client(client):
    admin = make_user(is_admin=True, name="Ada Admin")
    db.session.commit()
    log_in(client, admin)
    client.admin = admin
    return client


def audit_actions() -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))


def test_theme_create_edit_delete(admin_client):
    response = admin_client.post(
        "/admin/teman/nytt",
        data={"slug": "jamlik-halsa", "name_sv": "Jämlik hälsa", "name_en": "Equal health",
              "description_sv": "Om hälsa", "position": "3"},
    )  # fmt: skip
    assert response.status_code == 302
    theme = db.session.scalar(select(Theme))
    assert (theme.slug, theme.name_sv, theme.position) == ("jamlik-halsa", "Jämlik hälsa", 3)
    admin_client.post(
        f"/admin/teman/{theme.id}",
        data={
            "slug": "jamlik-halsa",
            "name_sv": "Jämlik hälsa och vård",
            "name_en": "Equal health",
        },
    )
    db.session.expire_all()
    assert db.session.get(Theme, theme.id).name_sv == "Jämlik hälsa och vård"
    event = make_event(themes=[theme])
    db.session.commit()
    admin_client.post(f"/admin/teman/{theme.id}/ta-bort")
    db.session.expire_all()
    assert db.session.scalar(select(Theme)) is None
    assert db.session.get(type(event), event.id).themes == []  # the event stays
    assert audit_actions() == ["admin.theme.create", "admin.theme.update", "admin.theme.delete"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"slug": "Inte OK!", "name_sv": "A", "name_en": "B"}, "slug"),
        ({"slug": "finns", "name_sv": "A", "name_en": "B"}, "slug"),
        ({"slug": "ok", "name_sv": "", "name_en": "B"}, "name_sv"),
        ({"slug": "ok", "name_sv": "A", "name_en": "B", "position": "tre"}, "position"),
    ],
)
def test_theme_form_errors(admin_client, data, field):
    make_theme(slug="finns")
    db.session.commit()
    response = admin_client.post("/admin/teman/nytt?lang=en", data=data)
    assert response.status_code == 400
    assert_summary_links_to(response.get_data(as_text=True), field)
    assert db.session.scalar(select(Theme).where(Theme.slug == "ok")) is None


def test_resource_create_edit_delete(admin_client):
    theme = make_theme()
    db.session.commit()
    admin_client.post(
        f"/admin/teman/{theme.id}/resurser/ny",
        data={"kind": "recording", "title": "Inspelning", "url": "https://example.se/v",
              "language": "sv"},
    )  # fmt: skip
    resource = db.session.scalar(select(Resource))
    assert (resource.theme_id, resource.kind, resource.title) == (
        theme.id,
        "recording",
        "Inspelning",
    )
    response = admin_client.post(
        f"/admin/resurser/{resource.id}?lang=en",
        data={"kind": "recording", "title": "X", "url": "ftp://nej", "language": "sv"},
    )
    assert response.status_code == 400
    assert 'href="#url"' in response.get_data(as_text=True)
    admin_client.post(f"/admin/resurser/{resource.id}/ta-bort")
    assert db.session.scalar(select(Resource)) is None


def test_organisation_create_and_delete_rules(admin_client):
    admin_client.post(
        "/admin/organisationer/ny",
        data={"slug": "hylte", "name": "Hylte kommun", "website": "https://hylte.se/"},
    )
    organisation = db.session.scalar(select(Organisation))
    assert organisation.name == "Hylte kommun"
    assert organisation.contact_email is None
    make_event(organisation=organisation)
    db.session.commit()
    response = admin_client.post(f"/admin/organisationer/{organisation.id}/ta-bort?lang=en")
    assert response.status_code == 302
    assert db.session.get(Organisation, organisation.id) is not None
    page = admin_client.get("/admin/organisationer?lang=en").get_data(as_text=True)
    assert "has events" in page


def test_organisation_slug_must_be_unique(admin_client):
    make_organisation(slug="varberg")
    db.session.commit()
    response = admin_client.post("/admin/organisationer/ny", data={"slug": "varberg", "name": "X"})
    assert response.status_code == 400
    assert db.session.scalar(select(Organisation).where(Organisation.name == "X")) is None


def test_create_account_with_memberships_sends_an_invitation(admin_client, app):
    """The administrator chooses no password: the new user gets an invitation to choose
    their own (tests/test_organiser_followup.py follows the link to the end)."""
    varberg = make_organisation(name="Varbergs kommun")
    db.session.commit()
    response = admin_client.post(
        "/admin/anvandare/ny",
        data={"email": "Eva@Varberg.se", "name": "Eva", "active": "y",
              "organisation_ids": [str(varberg.id)]},
    )  # fmt: skip
    assert response.status_code == 302
    eva = db.session.scalar(select(User).where(User.email == "eva@varberg.se"))
    assert eva.organisation_ids == {varberg.id}
    assert not eva.is_admin
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "admin.user.create"))
    assert "password" not in entry.changes
    [invitation] = db.session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "invitation"))
    assert invitation.recipient.endswith("<eva@varberg.se>")


def test_change_memberships_and_switch_off_an_account(admin_client):
    a, b = make_organisation(), make_organisation()
    user = make_user(organisations=[a])
    db.session.commit()
    response = admin_client.post(
        f"/admin/anvandare/{user.id}",
        data={"email": user.email, "name": user.name, "organisation_ids": [str(b.id)]},
    )
    assert response.status_code == 302
    db.session.expire_all()
    user = db.session.get(User, user.id)
    assert user.organisation_ids == {b.id}
    assert not user.active
    assert user.check_password(USER_PASSWORD)  # empty password field keeps the password
    assert db.session.scalar(select(Membership).where(Membership.organisation_id == a.id)) is None


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"email": "taken@example.se", "name": "N"}, "email"),
        ({"email": "new@example.se", "name": "N", "organisation_ids": ["999999"]},
         "organisation_ids"),
    ],
)  # fmt: skip
def test_account_form_errors(admin_client, data, field):
    make_user(email="taken@example.se")
    db.session.commit()
    response = admin_client.post("/admin/anvandare/ny?lang=en", data=data)
    assert response.status_code == 400
    assert_summary_links_to(response.get_data(as_text=True), field)
    assert db.session.scalar(select(User).where(User.email == "new@example.se")) is None


def test_an_admin_cannot_lock_themselves_out(admin_client):
    admin = admin_client.admin
    response = admin_client.post(
        f"/admin/anvandare/{admin.id}?lang=en",
        data={"email": admin.email, "name": admin.name, "active": "y"},  # is_admin unticked
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(User, admin.id).is_admin


def test_audit_log_page_lists_changes_and_filters(admin_client):
    event = make_event(title="Loggat seminarium", status="draft")
    db.session.commit()
    admin_client.post(f"/arrangor/evenemang/{event.id}/publicera")
    make_resource()
    db.session.commit()
    admin_client.post("/admin/organisationer/ny", data={"slug": "ny", "name": "Ny org"})
    page = admin_client.get("/admin/logg?lang=en").get_data(as_text=True)
    assert "Loggat seminarium" in page
    assert "Ny org" in page
    assert "Ada Admin" in page
    page = admin_client.get(f"/admin/logg?action=event.&event_id={event.id}&lang=en")
    html = page.get_data(as_text=True)
    assert "Loggat seminarium" in html
    assert "Ny org" not in html
    assert admin_client.get("/admin/logg?event_id=abc").status_code == 400


def test_removal_asks_for_confirmation_first(admin_client):
    theme = make_theme(name_sv="Kultur och fritid")
    db.session.commit()
    page = admin_client.get("/admin/teman?lang=en").get_data(as_text=True)
    assert f'href="/admin/teman/{theme.id}/ta-bort"' in page  # a link, not a button
    confirm = admin_client.get(f"/admin/teman/{theme.id}/ta-bort?lang=en")
    assert confirm.status_code == 200
    assert "Remove Kultur och fritid?" in confirm.get_data(as_text=True)
    assert db.session.get(Theme, theme.id) is not None
    admin_client.post(f"/admin/teman/{theme.id}/ta-bort")
    db.session.expunge_all()
    assert db.session.get(Theme, theme.id) is None
