"""Factories for every model: each builds a valid row, overridable by keyword, and flushes."""

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from eventreg.extensions import db
from eventreg.models import Event, EventSeries, Organisation, Resource, Speaker, Theme, utcnow
from eventreg.text import slugify

STOCKHOLM = ZoneInfo("Europe/Stockholm")
_sequence = itertools.count(1)


def local(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A Europe/Stockholm wall-clock time."""
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


def make_theme(**fields) -> Theme:
    n = next(_sequence)
    values = {
        "slug": f"tema-{n}",
        "name_sv": f"Tema {n}",
        "name_en": f"Theme {n}",
        "description_sv": f"Beskrivning av tema {n}",
        "description_en": f"Description of theme {n}",
        "position": n,
    }
    values.update(fields)
    theme = Theme(**values)
    db.session.add(theme)
    db.session.flush()
    return theme


def make_resource(theme: Theme | None = None, **fields) -> Resource:
    n = next(_sequence)
    values = {
        "kind": "reading",
        "title": f"Läsning {n}",
        "url": f"https://example.se/las/{n}",
        "description": "Fördjupning",
        "language": "sv",
    }
    values.update(fields)
    resource = Resource(theme=theme or make_theme(), **values)
    db.session.add(resource)
    db.session.flush()
    return resource


def make_organisation(**fields) -> Organisation:
    n = next(_sequence)
    values = {"slug": f"org-{n}", "name": f"Organisation {n}", "website": "https://example.se/"}
    values.update(fields)
    organisation = Organisation(**values)
    db.session.add(organisation)
    db.session.flush()
    return organisation


def make_event(
    themes: list[Theme] | None = None,
    languages: list[str] | None = None,
    speakers: list[str] | None = None,
    **fields,
) -> Event:
    """A published event a week from now unless told otherwise."""
    n = next(_sequence)
    start = fields.pop("start_dt", None) or utcnow().replace(microsecond=0) + timedelta(days=7)
    title = fields.pop("title", f"Seminarium {n}")
    values = {
        "title": title,
        "slug": slugify(title),
        "summary": f"Sammanfattning {n}",
        "description": "En **beskrivning**.",
        "format": "seminar",
        "municipality": "halmstad",
        "venue_name": "Stadsbiblioteket",
        "address": "Fredsgatan 1",
        "status": "published",
        "start_dt": start,
        "end_dt": start + timedelta(hours=2),
    }
    values.update(fields)
    if "organisation" not in values and "organisation_id" not in values:
        values["organisation"] = make_organisation()
    event = Event(**values)
    event.themes = themes or []
    event.language_codes = languages or ["sv"]
    event.speakers = [Speaker(name=name, position=i) for i, name in enumerate(speakers or [])]
    db.session.add(event)
    db.session.flush()
    return event


def make_series(organisation: Organisation | None = None, **fields) -> EventSeries:
    """A series of an organisation (a new one unless given), without events: it is public
    once one of its events is."""
    n = next(_sequence)
    values = {"title": f"Föreläsningsserie {n}", "description": "Fyra föreläsningar."}
    values.update(fields)
    values.setdefault("slug", slugify(values["title"]))
    series = EventSeries(organisation=organisation or make_organisation(), **values)
    db.session.add(series)
    db.session.flush()
    return series


def make_speaker(event: Event | None = None, **fields) -> Speaker:
    values = {"name": "Amina Yusuf", "affiliation": "Region Halland", "position": 0}
    values.update(fields)
    speaker = Speaker(**values)
    event = event or make_event()
    event.speakers.append(speaker)
    db.session.flush()
    return speaker


# --- organiser accounts (issue 5) ---
USER_PASSWORD = "correct horse battery staple"


def make_user(organisations=(), password: str = USER_PASSWORD, quick_hash: bool = False, **fields):
    """An active organiser, member of the given organisations (admin with is_admin=True).

    quick_hash=True stores a low-iteration PBKDF2 hash (still werkzeug's real check), for
    tests that log in hundreds of times."""
    from werkzeug.security import generate_password_hash

    from eventreg.models import Membership, User

    n = next(_sequence)
    values = {"email": f"user{n}@example.se", "name": f"Användare {n}", "is_admin": False}
    values.update(fields)
    user = User(**values)
    if quick_hash:
        user.password_hash = generate_password_hash(password, "pbkdf2:sha256:1000")
    else:
        user.set_password(password)
    user.memberships = [Membership(organisation=o) for o in organisations]
    db.session.add(user)
    db.session.flush()
    return user


def log_in(client, user, password: str = USER_PASSWORD) -> None:
    """Log the client in through the real login form."""
    response = client.post("/arrangor/logga-in", data={"email": user.email, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)


# --- registrations (issue 3) ---


def registration_details(**fields):
    """Valid AttendeeDetails for the registration service, overridable by keyword."""
    from eventreg.services.registrations import AttendeeDetails

    n = next(_sequence)
    values = {
        "name": f"Deltagare {n}",
        "email": f"deltagare{n}@example.se",
        "sector": "municipality",
        "municipality": "halmstad",
    }
    values.update(fields)
    return AttendeeDetails(**values)


def registration_form(**fields) -> dict:
    """Form data for a valid POST to the registration form, overridable by keyword."""
    n = next(_sequence)
    values = {
        "name": f"Deltagare {n}",
        "email": f"deltagare{n}@example.se",
        "organisation": "Halmstads kommun",
        "sector": "municipality",
        "municipality": "halmstad",
        "dietary_needs": "",
        "accessibility_needs": "",
        "interpretation_language": "",
        "message": "",
        "consent": "y",
    }
    values.update(fields)
    return values


def make_registration(event: Event | None = None, locale: str = "sv", **fields):
    """A registration made through the registration service (seat or waiting list, with its
    emails in the outbox), so seats_taken stays true."""
    from eventreg.services.registrations import register

    event = event or make_event(capacity=fields.pop("capacity", None))
    signup = register(event, registration_details(**fields), locale=locale)
    return signup.registration
