"""Who may do what in the organiser area, event by event and organisation by organisation.
Every view checks on the server, here; the blueprint's guard has made sure someone is
logged in (organiser/__init__.py).

Seeing an event is not editing it. Members of the responsible organisation (and admins)
manage an event: edit, publish, cancel, copy, message, check in, and see the people
registered. Members of a co-organising organisation only see it: its overview, its preview
and its aggregate figures (CO_ORGANISER_ENDPOINTS). Attendees' personal data stays with the
responsible organisation, which collected it (data minimisation). A view uses event_or_403
(manage) unless it is one of those few, which use event_to_see_or_403."""

from flask import abort
from flask_login import current_user

from ..extensions import db
from ..models import Event, Organisation, User
from ..models.types import MAX_ROW_ID
from ..services.catalogue import all_organisations


def can_manage_organisation(user: User, organisation_id: int | None) -> bool:
    """Admins manage every organisation; organisers the ones they are members of."""
    if organisation_id is None:
        return False
    return user.is_admin or organisation_id in user.organisation_ids


def can_manage_event(user: User, event: Event) -> bool:
    """Whether the user may change the event and see who registered: the responsible
    organisation's members and admins."""
    return can_manage_organisation(user, event.organisation_id)


def can_see_event(user: User, event: Event) -> bool:
    """Whether the user may see the event in the organiser area: those who manage it, and
    members of a co-organising organisation (read only, figures without personal data)."""
    if can_manage_event(user, event):
        return True
    return bool(user.organisation_ids & {o.id for o in event.co_organisers})


# The organiser pages a co-organiser may open (read only): the overview, the preview of the
# public page, and the feedback figures. Every other event page manages the event or shows
# the people registered. The event tabs offer a co-organiser these only.
CO_ORGANISER_ENDPOINTS = frozenset(
    {"organiser.show_event", "organiser.preview_event", "organiser.show_feedback"}
)


def managed_organisations(user: User) -> list[Organisation]:
    """The organisations this user may create and manage events for, by name."""
    if user.is_admin:
        return all_organisations()
    return user.organisations


def managed_organisation_ids(user: User) -> set[int] | None:
    """None for an admin (no restriction), else the ids of the user's organisations."""
    return None if user.is_admin else user.organisation_ids


def event_or_403(event_id: int) -> Event:
    """The event, if the current user may manage it: 404 if there is none, 403 if not theirs
    (a co-organiser's too). Every event page that changes something or shows personal data
    uses this one."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not can_manage_event(current_user, event):
        abort(403)
    return event


def event_to_see_or_403(event_id: int) -> Event:
    """The event, if the current user may see it (manages or co-organises it): 404 if there
    is none, 403 otherwise. Only for the read-only pages of CO_ORGANISER_ENDPOINTS."""
    event = db.session.get(Event, event_id)
    if event is None:
        abort(404)
    if not can_see_event(current_user, event):
        abort(403)
    return event


def organisation_or_403(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        abort(404)
    if not can_manage_organisation(current_user, organisation.id):
        abort(403)
    return organisation


def parse_row_id(raw: str | None) -> int | None:
    """A posted id as an int, or None when it cannot be a row's id."""
    text = (raw or "").strip()
    # ASCII digits only ("²" is a digit to str.isdigit but not to int), and few enough that
    # int() has no trouble with them.
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ROW_ID)):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ROW_ID else None
