"""What the administration pages do: add, change and remove themes, resources,
organisations and accounts. Functions flush; the view commits. Changes are audit-logged."""

import secrets
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, union_all

from ..extensions import db
from ..models import (
    Event,
    Membership,
    Organisation,
    Resource,
    Theme,
    User,
    event_co_organiser,
    event_theme,
)
from ..models.events import arranged_by
from ..models.types import max_length
from ..models.users import normalise_email
from ..services.audit import diff, log_change
from ..services.errors import RuleError
from ..text import is_https_url, slugify


class AdminRuleError(RuleError):
    """A change to themes, resources, organisations or accounts that the rules refuse."""


THEME_FIELDS = ("slug", "name_sv", "name_en", "description_sv", "description_en", "position")
RESOURCE_FIELDS = ("kind", "title", "url", "description", "language", "position")
ORGANISATION_FIELDS = ("slug", "name", "website", "contact_email")


def _save(obj, names: tuple[str, ...], values: dict[str, Any]) -> dict:
    before = {name: getattr(obj, name) for name in names}
    for name in names:
        setattr(obj, name, values[name])
    return diff(before, {name: getattr(obj, name) for name in names})


def free_theme_slug(name: str, theme: Theme | None = None) -> str:
    """An address name made from a theme's name ("Jämlik hälsa" → jamlik-halsa), with a
    number added if another theme has it already."""
    base = slugify(name, max_length(Theme.slug) - 4) or "tema"
    taken = set(db.session.scalars(
        select(Theme.slug).where(Theme.slug.startswith(base, autoescape=True))
    )) - ({theme.slug} if theme is not None else set())  # fmt: skip
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


def save_theme(theme: Theme | None, values: dict[str, Any], user: User) -> Theme:
    """Create (theme=None) or change a theme. The slug must be free; left empty, it is made
    from the Swedish name. A new theme without a position goes last in lists."""
    if not values.get("slug"):
        values = {**values, "slug": free_theme_slug(values["name_sv"], theme)}
    clash = db.session.scalar(select(Theme).where(Theme.slug == values["slug"]))
    if clash is not None and clash is not theme:
        raise AdminRuleError(_("Another theme already uses this address name."), "slug")
    position = values.get("position")
    if position is None:
        position = theme.position if theme is not None else _next_theme_position()
    values = {**values, "position": position}
    created = theme is None
    theme = theme or Theme()
    changes = _save(theme, THEME_FIELDS, values)
    db.session.add(theme)
    if changes:
        action = "admin.theme." + ("create" if created else "update")
        log_change(action, theme.name_sv, user, changes)
    return theme


def theme_event_counts() -> dict[int, int]:
    """How many events each theme has (themes without any are left out)."""
    rows = db.session.execute(
        select(event_theme.c.theme_id, func.count()).group_by(event_theme.c.theme_id)
    )
    return dict(rows.all())


def _next_theme_position() -> int:
    last = db.session.scalar(select(func.max(Theme.position)))
    return 0 if last is None else last + 1


def delete_theme(theme: Theme, user: User) -> None:
    """Remove a theme; events keep their other themes and resources go with it."""
    db.session.execute(delete(event_theme).where(event_theme.c.theme_id == theme.id))
    log_change("admin.theme.delete", theme.name_sv, user, {"slug": [theme.slug, None]})
    db.session.delete(theme)
    db.session.flush()


def save_resource(
    resource: Resource | None, theme: Theme, values: dict[str, Any], user: User
) -> Resource:
    """Create (resource=None) or change a resource; its link must be https://."""
    if not is_https_url(values.get("url")):
        raise AdminRuleError(_("Enter a web address starting with https://."), "url")
    created = resource is None
    resource = resource or Resource(theme=theme)
    changes = _save(resource, RESOURCE_FIELDS, {**values, "position": values.get("position") or 0})
    db.session.add(resource)
    if changes:
        action = "admin.resource." + ("create" if created else "update")
        log_change(action, resource.title, user, changes)
    return resource


def delete_resource(resource: Resource, user: User) -> None:
    log_change("admin.resource.delete", resource.title, user, {"url": [resource.url, None]})
    db.session.delete(resource)
    db.session.flush()


def save_organisation(
    organisation: Organisation | None, values: dict[str, Any], user: User
) -> Organisation:
    clash = db.session.scalar(select(Organisation).where(Organisation.slug == values["slug"]))
    if clash is not None and clash is not organisation:
        raise AdminRuleError(_("Another organisation already uses this address name."), "slug")
    values = {**values, "website": values.get("website") or None,
              "contact_email": values.get("contact_email") or None}  # fmt: skip
    created = organisation is None
    organisation = organisation or Organisation()
    changes = _save(organisation, ORGANISATION_FIELDS, values)
    db.session.add(organisation)
    if changes:
        action = "admin.organisation." + ("create" if created else "update")
        log_change(action, organisation.name, user, changes)
    return organisation


def event_counts() -> dict[int, int]:
    """How many events (of any status) each organisation arranges, as the responsible
    organisation or as a co-organiser; organisations without any are left out."""
    arranged = union_all(
        select(Event.organisation_id),
        select(event_co_organiser.c.organisation_id),
    ).subquery()
    column = arranged.c[0]
    rows = db.session.execute(select(column, func.count()).group_by(column))
    return dict(rows.all())


def delete_organisation(organisation: Organisation, user: User) -> None:
    """Remove an organisation that arranges no events (events are history and stay, with
    the co-organisers they name)."""
    has_events = db.session.scalar(
        select(func.count()).select_from(Event).where(arranged_by({organisation.id}))
    )
    if has_events:
        raise AdminRuleError(_("The organisation has events, so it cannot be removed."))
    db.session.execute(delete(Membership).where(Membership.organisation_id == organisation.id))
    changes = {"slug": [organisation.slug, None]}
    log_change("admin.organisation.delete", organisation.name, user, changes)
    db.session.delete(organisation)
    db.session.flush()


def save_user(
    account: User | None, values: dict[str, Any], organisation_ids: list[int], acting: User
) -> User:
    """Create or change an account and its memberships.

    An administrator cannot take away their own admin right or switch off their own account,
    so the last administrator cannot lock everyone out by mistake. Passwords are never logged.
    """
    email = normalise_email(values["email"])
    clash = db.session.scalar(select(User).where(User.email == email))
    if clash is not None and clash is not account:
        raise AdminRuleError(_("Another account already uses this email address."), "email")
    is_self = account is not None and account.id == acting.id
    if is_self and (not values["is_admin"] or not values["active"]):
        raise AdminRuleError(
            _("You cannot remove your own administrator right or switch off your own account."),
            "is_admin",
        )
    known = set(db.session.scalars(select(Organisation.id).where(Organisation.id.in_(
        organisation_ids))))  # fmt: skip
    if set(organisation_ids) - known:
        raise AdminRuleError(_("Choose organisations from the list."), "organisation_ids")
    created = account is None
    account = account or User(email=email, name=values["name"], password_hash="")
    before = _account_state(account)
    account.email, account.name = email, values["name"]
    account.is_admin, account.active = bool(values["is_admin"]), bool(values["active"])
    if before["active"] and not account.active:
        account.end_sessions()  # switched off: logged out everywhere, also if switched on again
    if created:
        # Nobody knows this password: the new user chooses their own through the invitation
        # (auth.accounts.invite), so an administrator never knows anyone's password.
        account.set_password(secrets.token_urlsafe(32))
    elif values.get("password"):
        account.set_password(values["password"])
    current = {m.organisation_id: m for m in account.memberships}
    account.memberships = [
        current.get(oid) or Membership(organisation_id=oid) for oid in sorted(known)
    ]
    db.session.add(account)
    db.session.flush()
    changes = diff(before, _account_state(account))
    if values.get("password") and not created:
        changes["password"] = ["…", "…"]
    if changes:
        action = "admin.user." + ("create" if created else "update")
        log_change(action, account.email, acting, changes)
    return account


def _account_state(account: User) -> dict[str, Any]:
    return {
        "email": account.email,
        "name": account.name,
        "is_admin": account.is_admin,
        "active": account.active,
        "organisation_ids": sorted(account.organisation_ids),
    }
