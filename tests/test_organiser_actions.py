"""What organisers hit in real use (issue 11, items 1–6 and 17): optional fields posted empty
on every organiser and admin form (a test generated from the forms), confirmation before
cancelling a registration and a way to restore it, confirmation before publishing, the
change notice shown before it is sent, a preview and a test of "message everyone",
check-in on the day only, and the event tabs showing the current one."""

import importlib
import inspect
import io
import pkgutil
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

import pytest
from flask_login import login_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from sqlalchemy import select
from werkzeug.datastructures import FileStorage, MultiDict
from wtforms import (
    BooleanField,
    DateField,
    DateTimeLocalField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    URLField,
)
from wtforms.csrf.core import CSRFTokenField
from wtforms.validators import URL, Email, EqualTo, Length, NumberRange, Regexp

import eventreg.admin
import eventreg.auth
import eventreg.organiser
from eventreg.extensions import db
from eventreg.mail.notifications import render
from eventreg.models import (
    AuditEntry,
    Event,
    EventSeries,
    OutboxEmail,
    Registration,
    TargetGroup,
    User,
    utcnow,
)
from eventreg.services import attendees, audit
from eventreg.services import events as event_service
from eventreg.services.attendees import AttendeeRuleError, CheckInClosed
from eventreg.services.events import EventData
from tests.factories import (
    USER_PASSWORD,
    log_in,
    make_event,
    make_organisation,
    make_registration,
    make_resource,
    make_theme,
    make_user,
    registration_details,
)
from tests.test_race_locking import (
    assert_waits_for,
    finish,
    holding,
    session,  # noqa: F401 - the fixture
)

# --- helpers -------------------------------------------------------------------------------


def outbox(kind: str | None = None) -> list[OutboxEmail]:
    stmt = select(OutboxEmail).order_by(OutboxEmail.id)
    if kind:
        stmt = stmt.where(OutboxEmail.kind == kind)
    return [render(email) for email in db.session.scalars(stmt)]  # as the sender would


class _Forms(HTMLParser):
    """The forms of a page, each as (action, [(name, value)]) the way a browser sends it:
    checked boxes and radios only, selected options, textareas' text, no disabled controls
    and no buttons (the caller adds the one it presses)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, list[tuple[str, str]]]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append((a.get("action", ""), []))
            return
        if not self.forms or "disabled" in a:
            return
        fields = self.forms[-1][1]
        if tag == "input" and a.get("name"):
            kind = a.get("type", "text")
            if kind in ("submit", "button", "reset", "image"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select, self._options = a.get("name"), []
            self._multiple = "multiple" in a
        elif tag == "option" and self._select is not None:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), ""

    def handle_data(self, data):
        if self._textarea is not None:
            self._text += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select is not None:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and self._options and not self._multiple:
                chosen = [self._options[0][0]]
            self.forms[-1][1].extend((self._select, value) for value in chosen)
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # The newline right after <textarea> is markup, not text (CRLF is one newline).
            text = self._text.removeprefix("\r\n").removeprefix("\n")
            self.forms[-1][1].append((self._textarea, text))
            self._textarea = None


def page_form(html: str, action_part: str) -> MultiDict:
    """What the browser would send from the page's form whose action contains `action_part`."""
    parser = _Forms()
    parser.feed(html)
    for action, fields in parser.forms:
        if action_part in action:
            return MultiDict(fields)
    raise AssertionError(f"no form posting to {action_part!r} on the page")


def minute(dt: datetime) -> datetime:
    return dt.replace(second=0, microsecond=0)


# --- 1. Optional fields posted empty, on every organiser and admin form ---------------------
#
# The forms are found, not listed: every FlaskForm subclass defined in a module of the
# auth, organiser and admin packages (and the forms a `*_form_class()` function there makes). For
# each, a valid post is made from its fields (required ones filled, optional ones too), then
# every optional field is emptied, one at a time and all at once. A new form or field is
# covered without touching this test; one that cannot be filled generically makes the test
# say so.

FORM_PACKAGES = (eventreg.auth, eventreg.organiser, eventreg.admin)


def _form_modules():
    for package in FORM_PACKAGES:
        yield package
        for info in pkgutil.iter_modules(package.__path__):
            yield importlib.import_module(f"{package.__name__}.{info.name}")


def discover_forms() -> dict[str, type]:
    found: dict[str, type] = {}
    for module in _form_modules():
        for name, value in vars(module).items():
            if (inspect.isclass(value) and issubclass(value, FlaskForm)
                    and value.__module__ == module.__name__):  # fmt: skip
                found[name] = value
            elif inspect.isfunction(value) and name.endswith("_form_class"):
                made = value()
                found[made.__name__] = made
    return found


FORMS = discover_forms()
STRONG_PASSWORD = "Tältduk-Ångbåt-Myrstack-93"
# Field classes whose text has a syntax of its own.
VALUE_BY_FIELD_CLASS = {
    "SpeakersField": "Amina Yusuf, Region Halland",
    "SeriesDatesField": "2030-03-19",
}


def _constructor_arguments(form_class, world) -> list:
    """What the form's constructor needs, by parameter name (organisations, users)."""
    known = {
        "organisations": lambda: [world.organisation],
        "users": lambda: [world.admin, world.organiser],
    }
    arguments = []
    for name, parameter in inspect.signature(form_class.__init__).parameters.items():
        if name == "self" or parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.default is not parameter.empty:
            continue
        if name not in known:
            pytest.fail(f"{form_class.__name__}({name}): tell this test what to pass")
        arguments.append(known[name]())
    return arguments


def _choice_values(field) -> list[str]:
    return ["" if value is None else str(value) for value, *_rest in field.iter_choices()]


def _confirms(field) -> str | None:
    """The field this one repeats (EqualTo), if it is a confirmation field."""
    return next((v.fieldname for v in field.validators if isinstance(v, EqualTo)), None)


def is_optional(field) -> bool:
    """May a person leave it empty? Not if required, nor a single choice without an empty
    option (a browser always sends one of its options), nor a confirmation field (it is
    empty exactly when the field it repeats is)."""
    if isinstance(field, CSRFTokenField) or field.flags.required or _confirms(field):
        return False
    if isinstance(field, SelectField | RadioField) and not isinstance(field, SelectMultipleField):
        return "" in _choice_values(field)
    return True


def valid_value(field):
    """A value this field accepts, from its kind and validators."""
    validators = field.validators
    kind = type(field).__name__
    if kind in VALUE_BY_FIELD_CLASS:
        return VALUE_BY_FIELD_CLASS[kind]
    if isinstance(field, FileField):
        return FileStorage(io.BytesIO(CSV), "events.csv")
    if isinstance(field, BooleanField):
        return "y"
    if isinstance(field, SelectMultipleField):
        return [_choice_values(field)[0]]
    if isinstance(field, SelectField | RadioField):
        return next(v for v in _choice_values(field) if v != "")
    if isinstance(field, DateTimeLocalField):
        return "2030-03-12T09:00"
    if isinstance(field, DateField):
        return "2030-03-12"
    if isinstance(field, IntegerField):
        limits = next((v for v in validators if isinstance(v, NumberRange)), None)
        return str(max(limits.min if limits and limits.min is not None else 1, 1))
    if isinstance(field, PasswordField):
        return STRONG_PASSWORD
    if isinstance(field, EmailField) or any(isinstance(v, Email) for v in validators):
        return "person@example.se"
    if isinstance(field, URLField) or any(isinstance(v, URL) for v in validators):
        return "https://example.se/mote"
    if any(isinstance(v, Regexp) for v in validators):
        return "exempel-1"
    if isinstance(field, HiddenField):
        return "x"
    shortest = max((v.min for v in validators if isinstance(v, Length) and v.min > 0), default=0)
    return "Text" + "x" * max(shortest - 4, 0)


CSV = b"title;start;end;municipality\nImporterat;2031-05-01 10:00;2031-05-01 12:00;varberg\n"


def _bound_form(form_class, world, formdata=None):
    return form_class(*_constructor_arguments(form_class, world), formdata=formdata)


def optional_fields(form_class, world) -> list[str]:
    return [f.name for f in _bound_form(form_class, world) if is_optional(f)]


def filled(form_class, world, overrides: dict | None = None) -> dict:
    """A valid post of the form: every field filled (confirmations repeat their field)."""
    form = _bound_form(form_class, world)
    values = {f.name: valid_value(f) for f in form
              if not isinstance(f, CSRFTokenField) and not _confirms(f)}  # fmt: skip
    values.update(overrides or {})
    for f in form:
        if _confirms(f):
            values[f.name] = values.get(_confirms(f), "")
    return values


def emptied(form_class, world, values: dict, names: list[str]) -> dict:
    """`values` with these fields empty, as a browser sends them: an unchecked box and an
    empty multiple choice are not sent at all, other fields are sent as ""."""
    form = _bound_form(form_class, world)
    values = dict(values)
    for name in names:
        confirmations = [f.name for f in form if _confirms(f) == name]
        for each in (name, *confirmations):
            if isinstance(form[each], BooleanField | SelectMultipleField):
                values.pop(each, None)
            else:
                values[each] = ""
    return values


def _multidict(values: dict) -> MultiDict:
    items = []
    for name, value in values.items():
        items.extend((name, v) for v in (value if isinstance(value, list) else [value]))
    return MultiDict(items)


@dataclass
class World:
    organisation: object
    organiser: object
    admin: object
    theme: object
    resource: object
    event: object  # published, no seat limit, two people registered (like the demo webinar)


@pytest.fixture
def world(app) -> World:
    organisation = make_organisation(slug="varbergs-kommun", name="Varbergs kommun")
    # Another organisation, to be offered as a co-organiser of the event form.
    make_organisation(slug="vastra-gotalandsregionen", name="Västra Götalandsregionen")
    theme = make_theme()
    db.session.add(TargetGroup(slug="nyanlanda", name_sv="Nyanlända", name_en="Newcomers"))
    # A series of the organisation, to be offered by the event form's "Series".
    db.session.add(EventSeries(organisation=organisation, title="Vårens föreläsningar",
                               slug="varens-forelasningar"))  # fmt: skip
    start = minute(utcnow()) + timedelta(days=10)
    event = make_event(organisation=organisation, capacity=None, start_dt=start,
                       municipality="online", online_url="https://example.se/webbinarium",
                       venue_name="", address="", title="Webbinarium om vård")  # fmt: skip
    with app.test_request_context():
        make_registration(event)
        make_registration(event)
    world = World(
        organisation=organisation,
        organiser=make_user(organisations=[organisation], quick_hash=True),
        admin=make_user(is_admin=True, name="Ada Admin", quick_hash=True),
        theme=theme,
        resource=make_resource(theme=theme),
        event=event,
    )
    # Something in the log by the admin, who is then a choice of the log's "made by" filter.
    audit.record_event_change(event, "event.update", world.admin, {"title": ["Förr", "Nu"]})
    db.session.commit()
    return world


def test_the_forms_are_found():
    """The discovery finds the organiser and admin forms (so the tests below cover them)."""
    assert {"EventForm", "ThemeForm", "ResourceForm", "OrganisationForm", "UserForm",
            "AddRegistrationForm", "LoginForm", "MessageForm"} <= set(FORMS)  # fmt: skip


@pytest.mark.parametrize("form_name", sorted(FORMS))
def test_every_optional_field_of_every_form_may_be_empty(app, world, form_name):
    """Each form validates with each optional field empty, one at a time and all at once
    (the required ones filled): empty never means an error on an optional field."""
    form_class = FORMS[form_name]
    with app.test_request_context(method="POST"):
        login_user(world.admin)
        base = filled(form_class, world)
        form = _bound_form(form_class, world, _multidict(base))
        assert form.validate(), f"{form_name}: the filled-in post is refused: {form.errors}"
        optional = optional_fields(form_class, world)
        for names in [[name] for name in optional] + ([optional] if optional else []):
            form = _bound_form(form_class, world, _multidict(emptied(form_class, world, base,
                                                                     names)))  # fmt: skip
            assert form.validate(), f"{form_name} with {names} empty: {form.errors}"


def test_an_empty_number_of_seats_means_no_limit_to_the_form(app, world):
    with app.test_request_context(method="POST"):
        login_user(world.admin)
        values = emptied(FORMS["EventForm"], world, filled(FORMS["EventForm"], world),
                         ["capacity"])  # fmt: skip
        form = _bound_form(FORMS["EventForm"], world, _multidict(values))
        assert form.validate(), form.errors
        assert form.capacity.data is None
        for typed in ("  ", "\t"):
            form = _bound_form(FORMS["EventForm"], world, _multidict({**values, "capacity": typed}))
            assert form.validate(), form.errors
            assert form.capacity.data is None
        form = _bound_form(FORMS["EventForm"], world, _multidict({**values, "capacity": "x"}))
        assert not form.validate()
        assert [str(e) for e in form.errors["capacity"]] == ["Ange ett heltal, till exempel 40."]


# Where each form is sent, and what the page answers when it worked: the redirect after a
# save, or the page itself for a search or a preview. Values the generic filling cannot
# know (a consistent time, the account that logs in) are given here.
@dataclass
class Page:
    method: str
    url: object  # World -> str
    overrides: object = lambda w: {}  # World -> dict
    ok: int = 302
    anonymous: bool = False
    unique: tuple = ()  # fields the database keeps unique: a new value for every post


def _event_times() -> dict:
    return {
        "start_dt": "2030-03-12T09:00", "end_dt": "2030-03-12T11:00",
        "registration_opens_dt": "2030-03-01T09:00", "registration_closes_dt": "2030-03-11T12:00",
        "municipality": "varberg", "format": "seminar", "capacity": "100",
    }  # fmt: skip


def _course_session_url(w) -> str:
    """The edit page of the second session of `w.event`, made a course of two on first use
    (every post saves the same session again, so none overlaps another)."""
    from eventreg.models import EventSession

    event = w.event
    if not event.sessions:
        week = timedelta(weeks=1)
        event.sessions = [
            EventSession(position=1, start_dt=event.start_dt, end_dt=event.end_dt),
            EventSession(position=2, start_dt=event.start_dt + week, end_dt=event.end_dt + week),
        ]
        event.end_dt += week
        db.session.commit()
    return f"/arrangor/evenemang/{event.id}/tillfallen/{event.sessions[1].id}"


def _session_times(w) -> dict:
    from eventreg.models.types import utc_to_local

    start = utc_to_local(w.event.start_dt + timedelta(weeks=1, days=1))
    return {"start_dt": start.strftime("%Y-%m-%dT%H:%M"),
            "end_dt": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")}  # fmt: skip


def _translation_url(w) -> str:
    """The English text of `w.event` (the languages of event text made on first use)."""
    from eventreg.services.translations import add_missing_seed_languages

    if add_missing_seed_languages():
        db.session.commit()
    return f"/arrangor/evenemang/{w.event.id}/oversattningar/en"


PAGES = {
    "SessionForm": Page("POST", _course_session_url, _session_times),
    "TranslationForm": Page("POST", _translation_url),
    "QuestionForm": Page(
        "POST", lambda w: f"/arrangor/evenemang/{w.event.id}/fragor",
        lambda w: {"kind": "text", "label": "Vilken verksamhet arbetar du i?"},
    ),
    "EventForm": Page(
        "POST",
        lambda w: "/arrangor/evenemang/nytt",
        lambda w: {**_event_times(), "organisation_id": str(w.organisation.id)},
    ),
    "EventForm (edit)": Page(
        "POST",
        lambda w: f"/arrangor/evenemang/{w.event.id}/redigera",
        lambda w: {
            **_event_times(),
            "organisation_id": str(w.organisation.id),
            "notice_step": "save",
        },
    ),
    "DuplicateEventForm": Page("POST", lambda w: f"/arrangor/evenemang/{w.event.id}/kopiera"),
    "SeriesForm": Page(
        "POST", lambda w: "/arrangor/serier/ny",
        lambda w: {"organisation_id": str(w.organisation.id)},
    ),
    "AddRegistrationForm": Page(
        "POST", lambda w: f"/arrangor/evenemang/{w.event.id}/anmalningar/ny", unique=("email",)
    ),
    "ThemeForm": Page("POST", lambda w: "/admin/teman/nytt", unique=("slug", "name_sv")),
    "TargetGroupForm": Page(
        "POST", lambda w: "/admin/malgrupper/ny", unique=("slug", "name_sv")
    ),
    "ResourceForm": Page("POST", lambda w: f"/admin/teman/{w.theme.id}/resurser/ny"),
    "OrganisationForm": Page("POST", lambda w: "/admin/organisationer/ny", unique=("slug", "name")),
    "UserForm": Page("POST", lambda w: f"/admin/anvandare/{w.organiser.id}"),
    "LoginForm": Page(
        "POST",
        lambda w: "/arrangor/logga-in",
        lambda w: {"email": w.organiser.email, "password": USER_PASSWORD},
        anonymous=True,
    ),
    "CheckInSearchForm": Page(
        "GET", lambda w: f"/arrangor/evenemang/{w.event.id}/incheckning", ok=200
    ),
    "RegistrationListForm": Page(
        "GET", lambda w: f"/arrangor/evenemang/{w.event.id}/anmalningar", ok=200
    ),
    "StatisticsFilterForm": Page("GET", lambda w: "/arrangor/statistik", ok=200),
    "ShowOnWebsiteForm": Page("GET", lambda w: "/arrangor/visa-pa-webbplats", ok=200),
    "AuditFilterForm": Page("GET", lambda w: "/admin/logg", ok=200),
    "ImportUploadForm": Page(
        "POST",
        lambda w: "/arrangor/import",
        lambda w: {"organisation_id": str(w.organisation.id)},
        ok=200,
    ),
}
# Forms whose optional fields nobody types: the page fills them in.
NOT_TYPED = {
    "ImportConfirmForm": "the import preview fills in its hidden fields",
    # A link or a file: either may be empty, not both (tests/test_materials.py posts them).
    "MaterialForm": "link or file",
    "MaterialEditForm": "link or file",
}


def _form_of(page_name: str) -> type:
    return FORMS[page_name.split(" (")[0]]


def test_every_form_with_optional_fields_is_posted_through_its_page(app, world):
    with app.test_request_context():
        login_user(world.admin)
        with_optional = {name for name, form_class in FORMS.items()
                         if optional_fields(form_class, world)}  # fmt: skip
    covered = {name.split(" (")[0] for name in PAGES} | set(NOT_TYPED)
    assert with_optional <= covered, f"add these forms to PAGES: {with_optional - covered}"


@pytest.mark.parametrize("page_name", sorted(PAGES))
def test_every_page_saves_with_each_optional_field_empty(app, world, page_name):
    """Through HTTP: the page saves (or shows its result) with each optional field empty,
    one at a time and all at once, and no error is shown."""
    page = PAGES[page_name]
    form_class = _form_of(page_name)
    with app.test_request_context():
        login_user(world.admin)
        base = filled(form_class, world, page.overrides(world))
        optional = optional_fields(form_class, world)
    for number, names in enumerate([[name] for name in optional] + [optional]):
        client = app.test_client()
        if not page.anonymous:
            log_in(client, world.admin)
        with app.test_request_context():
            login_user(world.admin)
            values = emptied(form_class, world, base, names)
        for name in page.unique:
            if values.get(name):
                local, at, domain = values[name].partition("@")
                values[name] = f"{local}-{number}{at}{domain}"
        values["lang"] = "en"
        for name, value in values.items():
            if isinstance(value, FileStorage):  # a file is read once: a new one per post
                values[name] = (io.BytesIO(CSV), "events.csv")
        if page.method == "GET":
            response = client.get(page.url(world), query_string=_multidict(values))
        else:
            response = client.post(page.url(world), data=values)
        html = response.get_data(as_text=True)
        assert response.status_code == page.ok, f"{page_name}, {names} empty: {html[:3000]}"
        assert "error-summary" not in html, f"{page_name}, {names} empty"
        db.session.rollback()


def test_an_event_without_a_seat_limit_can_be_created(client, world):
    log_in(client, world.organiser)
    html = client.get("/arrangor/evenemang/nytt?lang=en").get_data(as_text=True)
    data = page_form(html, "/arrangor/evenemang/nytt")
    for name, value in {"title": "Öppet hus", "start_dt": "2030-04-02T09:00",
                        "end_dt": "2030-04-02T11:00", "capacity": ""}.items():  # fmt: skip
        data[name] = value
    response = client.post("/arrangor/evenemang/nytt?lang=en", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    event = db.session.scalar(select(Event).where(Event.title == "Öppet hus"))
    assert event.capacity is None


def test_the_demo_like_unlimited_event_can_be_rescheduled(client, world):
    """The blocking bug: an event without a seat limit could not be saved at all, not even
    to move it. Through the page, as a browser posts it: the notice, then the save."""
    event = world.event
    log_in(client, world.organiser)
    html = client.get(f"/arrangor/evenemang/{event.id}/redigera?lang=en").get_data(as_text=True)
    data = page_form(html, "/redigera")
    assert data["capacity"] == ""
    new_start = event.start_dt + timedelta(days=7)
    local_start = event_service.utc_to_local(new_start)
    data["start_dt"] = local_start.strftime("%Y-%m-%dT%H:%M")
    data["end_dt"] = (local_start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(f"/arrangor/evenemang/{event.id}/redigera?lang=en", data=data)
    notice = response.get_data(as_text=True)
    assert response.status_code == 200, notice
    assert "These 2 people registered will get this email when you save." in notice
    assert "Starts:" in notice
    saved = client.post(
        f"/arrangor/evenemang/{event.id}/redigera?lang=en",
        data={**page_form(notice, "/redigera"), "notice_step": "save"},
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    db.session.expire_all()
    event = db.session.get(Event, event.id)
    assert event.start_dt == new_start
    assert event.capacity is None
    assert len(outbox("event_changed")) == 2


# --- fixtures for items 2–6 and 17 ----------------------------------------------------------


@pytest.fixture
def varberg():
    return make_organisation(slug="varberg", name="Varbergs kommun")


@pytest.fixture
def organiser(varberg):
    return make_user(organisations=[varberg], name="Olga Organiser", email="olga@example.se",
                     quick_hash=True)  # fmt: skip


@pytest.fixture
def event(app, varberg):
    """Published, two seats, two weeks ahead, times on the minute (as the form keeps them)."""
    start = minute(utcnow()) + timedelta(days=14)
    return make_event(organisation=varberg, capacity=2, start_dt=start, title="Språkcafé")


@pytest.fixture
def in_request(app):
    """Services run inside a request (their messages are translated for its visitor)."""
    with app.test_request_context("/?lang=en"):
        yield


@pytest.fixture
def logged_in(client, organiser):
    db.session.commit()
    log_in(client, organiser)
    return client


def register(event, count: int = 1, **fields) -> list[Registration]:
    return [make_registration(event, **fields) for _ in range(count)]


def actions_logged(registration) -> list[str]:
    db.session.flush()
    return list(db.session.scalars(
        select(AuditEntry.action).where(AuditEntry.registration_id == registration.id)
        .order_by(AuditEntry.id)))  # fmt: skip


# --- 2. Cancelling a registration asks first; a cancelled one can be restored ---------------


def test_cancel_asks_first_and_says_who_gets_the_seat(logged_in, event):
    asa, bo, cecilia = register(event, name="Åsa Öberg"), register(event, name="Bo Ek"), \
        register(event, name="Cecilia Väntan")  # fmt: skip
    asa, bo, cecilia = asa[0], bo[0], cecilia[0]
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/anmalningar/{asa.id}/avboka"
    listing = logged_in.get(f"/arrangor/evenemang/{event.id}/anmalningar?lang=en").text
    # The list links to the question; nothing on it cancels with one click.
    assert f'href="{url}"' in listing
    assert f'action="{url}"' not in listing
    page = logged_in.get(url + "?lang=en")
    assert page.status_code == 200
    assert "Cancel the registration of Åsa Öberg" in page.text
    assert "The seat goes to the first on the waiting list, Cecilia Väntan" in page.text
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).status == "confirmed"  # asking changed nothing
    assert outbox("cancellation") == []
    response = logged_in.post(url, data=page_form(page.text, url))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).status == "cancelled"
    assert db.session.get(Registration, cecilia.id).status == "confirmed"


def test_the_cancel_question_of_a_waiting_person_frees_no_seat(logged_in, event):
    *_, waiting = register(event, 3)
    db.session.commit()
    page = logged_in.get(f"/arrangor/evenemang/{event.id}/anmalningar/{waiting.id}/avboka"
                         "?lang=en").text  # fmt: skip
    assert "The seat" not in page
    assert "is told by email that the registration is cancelled" in page


def test_restore_with_a_free_seat_gives_the_seat_and_emails(in_request, event, organiser):
    a, b = register(event, 2)
    attendees.cancel_registration(a, organiser)
    assert attendees.restore_outlook(a).gets_seat
    attendees.restore_registration(a, organiser)
    assert a.status == "confirmed"
    assert a.cancelled_at is None
    assert a.confirmed_at is not None
    assert event.seats_taken == 2
    email = outbox()[-1]
    assert (email.kind, email.registration_id) == ("confirmation", a.id)
    assert a.check_in_code in email.body_text
    assert email.ics is not None
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.registration_id == a.id, AuditEntry.action == "registration.restore"
        )
    )
    assert entry.user_id == organiser.id
    assert entry.changes == {"status": ["cancelled", "confirmed"]}


def test_restore_without_a_free_seat_goes_back_to_the_original_place(in_request, event, organiser):
    a, b, c, d = register(event, 4)  # a, b seats; c, d waiting
    attendees.cancel_registration(a, organiser)  # c gets a's seat
    assert c.status == "confirmed"
    outlook = attendees.restore_outlook(a)
    assert not outlook.gets_seat
    assert outlook.waiting_position == 1  # registered before d
    attendees.restore_registration(a, organiser)
    assert a.status == "waiting"
    assert event.seats_taken == 2
    from eventreg.services.registrations import waiting_list

    assert waiting_list(event) == [a, d]
    email = outbox()[-1]
    assert (email.kind, email.registration_id) == ("waiting", a.id)
    assert "Du är nummer 1 på listan." in email.body_text  # in the person's language


def test_restore_decides_under_the_lock_not_from_the_question(in_request, event, organiser):
    """The question said "a seat is free"; someone took it before the answer came: the
    waiting list, never an oversold event."""
    a, _b = register(event, 2)
    attendees.cancel_registration(a, organiser)
    assert attendees.restore_outlook(a).gets_seat
    register(event, 1)  # takes the free seat
    attendees.restore_registration(a, organiser)
    assert a.status == "waiting"
    assert event.seats_taken == event.capacity == 2


def _restore(registration_id: int, user_id: int):
    """restore_registration() in a thread's own session: the status after, or "refused"."""

    def work():
        registration = db.session.get(Registration, registration_id)
        try:
            attendees.restore_registration(registration, db.session.get(User, user_id))
        except AttendeeRuleError:
            return "refused"
        return registration.status

    return work


def test_restoring_the_same_registration_twice_at_once_takes_one_seat(
    session,  # noqa: F811 - the fixture of test_race_locking.py
    varberg,
    organiser,
):
    """A double click, or two organisers: the second waits for the first one's lock and
    then finds the registration restored already (without the lock it would take a seat
    for the same person again, or undo the first)."""
    event = make_event(organisation=varberg, capacity=3)
    a, _b = make_registration(event), make_registration(event)
    db.session.commit()
    attendees.cancel_registration(a, organiser)
    db.session.commit()
    confirmations = len(outbox("confirmation"))

    first = holding(session(_restore(a.id, organiser.id), hold=True))
    second = session(_restore(a.id, organiser.id))
    assert_waits_for(second, first)
    finish(first, second)

    assert (first.result, second.result) == ("confirmed", "refused")
    assert db.session.get(Registration, a.id).status == "confirmed"
    assert db.session.get(Event, event.id).seats_taken == 2
    assert len(outbox("confirmation")) == confirmations + 1


@pytest.mark.parametrize(
    "situation", ["active", "ended", "anonymised", "registered again", "event cancelled"]
)
def test_restore_is_refused_when_it_cannot_be_done(in_request, event, organiser, situation):
    a, b = register(event, 2)
    if situation != "active":
        attendees.cancel_registration(a, organiser)
    if situation == "ended":
        event.start_dt = utcnow() - timedelta(hours=3)
        event.end_dt = utcnow() - timedelta(hours=1)
    elif situation == "anonymised":
        a.email = a.email_normalised = None
        a.anonymised_at = utcnow()
    elif situation == "registered again":
        attendees.add_registration(event, registration_details(email=a.email), organiser,
                                   locale="sv")  # fmt: skip
    elif situation == "event cancelled":
        event_service.cancel_event(event, "Sjukdom", organiser)
    db.session.flush()
    before = a.status
    assert attendees.restore_outlook(a).problem
    with pytest.raises(AttendeeRuleError):
        attendees.restore_registration(a, organiser)
    assert a.status == before


def test_restore_through_the_pages(logged_in, event):
    a, b, c = register(event, 3, name="Åsa Öberg")
    db.session.commit()
    logged_in.post(f"/arrangor/evenemang/{event.id}/anmalningar/{a.id}/avboka")
    url = f"/arrangor/evenemang/{event.id}/anmalningar/{a.id}/aterstall"
    listing = logged_in.get(f"/arrangor/evenemang/{event.id}/anmalningar?lang=en").text
    assert f'href="{url}"' in listing
    assert "Restore Åsa Öberg" in listing
    page = logged_in.get(url + "?lang=en")
    assert page.status_code == 200
    assert "All seats are taken: Åsa Öberg goes back on the waiting list as number 1" in page.text
    db.session.expire_all()
    assert db.session.get(Registration, a.id).status == "cancelled"  # asking changed nothing
    response = logged_in.post(url + "?lang=en", data=page_form(page.text, url))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Registration, a.id).status == "waiting"
    flashed = logged_in.get(f"/arrangor/evenemang/{event.id}/anmalningar?lang=en").text
    assert "Åsa Öberg is on the waiting list again, and is told by email." in flashed
    # Asking again: it is not cancelled any more, so the question page sends you back.
    again = logged_in.get(url + "?lang=en")
    assert again.status_code == 302
    assert (
        "Only a cancelled registration can be restored."
        in logged_in.get(f"/arrangor/evenemang/{event.id}/anmalningar?lang=en").text
    )


def test_the_restore_page_escapes_the_name(logged_in, event):
    payload = "<img src=x onerror=alert(1)>"
    (a,) = register(event, 1, name=payload)
    db.session.commit()
    logged_in.post(f"/arrangor/evenemang/{event.id}/anmalningar/{a.id}/avboka")
    for url in (f"/arrangor/evenemang/{event.id}/anmalningar/{a.id}/aterstall",
                f"/arrangor/evenemang/{event.id}/anmalningar"):  # fmt: skip
        html = logged_in.get(url).text
        assert payload not in html
        assert "&lt;img src=x onerror=alert(1)&gt;" in html


# --- 3. Publishing asks once, showing what will be public -----------------------------------


def test_publish_asks_once_with_what_will_be_public(logged_in, varberg):
    draft = make_event(organisation=varberg, status="draft", title="Öppet möte", capacity=40,
                       registration_closes_dt=datetime(2030, 3, 11, 11, 0, tzinfo=UTC),
                       start_dt=datetime(2030, 3, 12, 8, 0, tzinfo=UTC))  # fmt: skip
    db.session.commit()
    overview = logged_in.get(f"/arrangor/evenemang/{draft.id}?lang=en").text
    url = f"/arrangor/evenemang/{draft.id}/publicera"
    assert f'href="{url}"' in overview
    assert f'action="{url}"' not in overview  # no one-click publishing
    page = logged_in.get(url + "?lang=en")
    assert page.status_code == 200
    html = page.text
    assert f'href="/arrangor/evenemang/{draft.id}/forhandsvisning"' in html
    assert "As soon as the event is published" in html
    assert "11 March 2030 12:00" in html  # closes, Swedish time
    assert "40 seats" in html
    db.session.expire_all()
    assert db.session.get(Event, draft.id).status == "draft"
    response = logged_in.post(url, data=page_form(html, url))
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, draft.id).status == "published"


def test_publish_page_of_an_unlimited_event_with_a_window(logged_in, varberg):
    draft = make_event(organisation=varberg, status="draft", capacity=None,
                       registration_opens_dt=datetime(2030, 2, 1, 8, 0, tzinfo=UTC),
                       start_dt=datetime(2030, 3, 12, 8, 0, tzinfo=UTC))  # fmt: skip
    db.session.commit()
    html = logged_in.get(f"/arrangor/evenemang/{draft.id}/publicera").text  # Swedish
    assert "Ingen gräns" in html
    assert "1 februari 2030 09:00" in html
    assert "När evenemanget börjar" in html


@pytest.mark.parametrize("kind", ["published", "ended"])
def test_the_publish_question_is_not_asked_when_it_cannot_be_done(logged_in, varberg, kind):
    if kind == "published":
        event = make_event(organisation=varberg)
        message = "Only a draft can be published."
    else:
        event = make_event(organisation=varberg, status="draft",
                           start_dt=utcnow() - timedelta(days=2))  # fmt: skip
        message = "An event that has already ended cannot be published."
    db.session.commit()
    response = logged_in.get(f"/arrangor/evenemang/{event.id}/publicera?lang=en")
    assert response.status_code == 302
    assert message in logged_in.get(f"/arrangor/evenemang/{event.id}?lang=en").text


# --- 4. The change notice is shown before it is sent ----------------------------------------


def test_change_notice_says_who_and_whether_it_must_be_sent(in_request, event, organiser):
    register(event, 3)  # two seats, one waiting
    data = EventData.from_event(event)
    data.description = "Ny text"
    notice = event_service.change_notice(event, data)
    assert notice.recipients == 3
    assert (notice.must_notify, notice.may_notify, notice.is_needed) == (False, True, True)
    data.venue_name = "Nya salen"
    assert event_service.change_notice(event, data).must_notify
    quiet = EventData.from_event(event)
    quiet.audience = "Alla"
    quiet.capacity = 5
    assert not event_service.change_notice(event, quiet).is_needed
    assert outbox("event_changed") == []  # asking sends nothing


def test_an_empty_link_saved_over_a_missing_one_is_no_change(in_request, varberg, organiser):
    event = make_event(organisation=varberg, online_url=None, contact_email=None,
                       start_dt=minute(utcnow()) + timedelta(days=3))  # fmt: skip
    register(event, 1)
    data = EventData.from_event(event)
    data.online_url, data.contact_email = "", ""  # as the form sends empty inputs
    assert event_service.change_notice(event, data).changes == {}
    assert not event_service.update_event(event, data, organiser).notify_attendees


def test_skipping_the_notice_works_for_corrections_only(in_request, event, organiser):
    register(event, 2)
    data = EventData.from_event(event)
    data.description = "Rättat stavfel"
    result = event_service.update_event(event, data, organiser, skip_notice=True)
    assert not result.notify_attendees
    assert outbox("event_changed") == []
    data.venue_name = "Nya salen"  # a place: always told, whatever the checkbox said
    result = event_service.update_event(event, data, organiser, skip_notice=True)
    assert result.notify_attendees
    assert len(outbox("event_changed")) == 2


def test_the_notice_says_what_changed_from_what_to_what(in_request, event, organiser):
    (asa,) = register(event, 1, locale="sv")
    (bob,) = register(event, 1, locale="en")
    data = EventData.from_event(event)
    old_venue = event.venue_name
    data.venue_name = "Nya salen"
    data.description = "Helt ny beskrivning"
    data.start_dt = event.start_dt + timedelta(days=1)
    data.end_dt = event.end_dt + timedelta(days=1)
    event_service.update_event(event, data, organiser)
    mails = {m.registration_id: m for m in outbox("event_changed")}
    swedish, english = mails[asa.id].body_text, mails[bob.id].body_text
    assert f"Venue: {old_venue} → Nya salen" in english
    assert f"Lokal: {old_venue} → Nya salen" in swedish
    assert "Description: changed (see the event page)" in english
    assert "Helt ny beskrivning" not in english  # long texts are on the page
    old_start = event_service.utc_to_local(data.start_dt - timedelta(days=1))
    assert f"Starts: {old_start:%A} {old_start.day} {old_start:%B %Y %H:%M} →" in english
    assert "Nya salen" in mails[bob.id].body_html
    assert mails[asa.id].ics is not None


def test_edit_of_a_published_event_shows_the_notice_before_saving(logged_in, event):
    register(event, 3)
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/redigera"
    data = page_form(logged_in.get(url + "?lang=en").text, url)
    data["venue_name"] = "Nya salen"
    response = logged_in.post(url + "?lang=en", data=data)
    html = response.text
    assert response.status_code == 200
    assert "These 3 people registered will get this email when you save." in html
    assert "Nya salen" in html
    assert "Changed: Språkcafé" in html
    # Time, place or link: the checkbox to skip is there but disabled.
    assert re.search(r'<input type="checkbox" id="skip_notice"[^>]* disabled>', html)
    db.session.expire_all()
    assert db.session.get(Event, event.id).venue_name != "Nya salen"  # not saved yet
    assert outbox("event_changed") == []
    # "Back to editing" keeps what was typed.
    back = logged_in.post(
        url + "?lang=en", data={**page_form(html, url).to_dict(flat=False), "notice_step": "edit"}
    )
    assert back.status_code == 200
    assert 'value="Nya salen"' in back.text
    saved = logged_in.post(url, data={**page_form(html, url).to_dict(flat=False),
                                      "notice_step": "save", "skip_notice": "y"})  # fmt: skip
    assert saved.status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).venue_name == "Nya salen"
    assert len(outbox("event_changed")) == 3  # the skip was ignored for a place


def test_a_typo_fix_can_be_saved_without_a_notice(logged_in, event):
    register(event, 2)
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/redigera"
    data = page_form(logged_in.get(url).text, url)
    data["description"] = "Rättat stavfel"
    html = logged_in.post(url + "?lang=en", data=data).text
    assert "<strong>Description:</strong> changed (see the event page)" in html
    assert re.search(r'<input type="checkbox" id="skip_notice"[^>]*>', html)
    assert not re.search(r'<input type="checkbox" id="skip_notice"[^>]* disabled>', html)
    form = page_form(html, url)
    form["skip_notice"] = "y"
    form["notice_step"] = "save"
    assert logged_in.post(url + "?lang=en", data=form).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).description == "Rättat stavfel"
    assert outbox("event_changed") == []
    assert "Nobody was emailed" in logged_in.get(f"/arrangor/evenemang/{event.id}?lang=en").text


def test_no_notice_page_for_a_draft_or_an_event_nobody_registered_for(logged_in, varberg):
    for event in (make_event(organisation=varberg, status="draft"), make_event(
            organisation=varberg, start_dt=minute(utcnow()) + timedelta(days=5))):  # fmt: skip
        db.session.commit()
        url = f"/arrangor/evenemang/{event.id}/redigera"
        data = page_form(logged_in.get(url).text, url)
        data["venue_name"] = "Nya salen"
        assert logged_in.post(url, data=data).status_code == 302


def test_the_notice_page_escapes_what_was_typed(logged_in, event):
    register(event, 1)
    db.session.commit()
    payload = "<img src=x onerror=alert(1)>"
    url = f"/arrangor/evenemang/{event.id}/redigera"
    data = page_form(logged_in.get(url).text, url)
    data["venue_name"] = payload
    html = logged_in.post(url, data=data).text
    assert payload not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


# --- 5. "Message everyone": a preview, and a test to oneself --------------------------------


def test_message_is_previewed_before_it_is_sent(logged_in, event):
    register(event, 3)
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/meddelande"
    form = page_form(logged_in.get(url + "?lang=en").text, url)
    form["subject"] = "Ny lokal"
    form["body"] = "Vi ses i sal 3.\n\n<img src=x onerror=alert(1)>"
    response = logged_in.post(url + "?lang=en", data={**form.to_dict(flat=False),
                                                      "message_step": "preview"})  # fmt: skip
    html = response.text
    assert response.status_code == 200
    assert "3 people will get this email." in html
    assert "Ny lokal (Språkcafé)" in html
    assert "Vi ses i sal 3." in html
    assert "<img src=x onerror=alert(1)>" not in html
    assert outbox() == [] or all(m.kind != "organiser_message" for m in outbox())
    sent = logged_in.post(url, data={**page_form(html, url).to_dict(flat=False),
                                     "message_step": "send"})  # fmt: skip
    assert sent.status_code == 302
    messages = outbox("organiser_message")
    assert len(messages) == 3
    assert "Vi ses i sal 3." in messages[0].body_text


def test_send_a_test_to_me(logged_in, event, organiser):
    register(event, 2)
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/meddelande"
    data = {"subject": "Välkomna", "body": "Ta med kaffe.", "message_step": "test"}
    response = logged_in.post(url + "?lang=en", data=data)
    assert response.status_code == 200
    assert "A test is on its way to olga@example.se." in response.text
    assert "2 people will get this email." in response.text  # still on the preview
    (test,) = outbox("organiser_message_test")
    assert "olga@example.se" in test.recipient
    assert test.subject == "Test: Välkomna (Språkcafé)"
    assert "Ta med kaffe." in test.body_text
    assert "Ta med kaffe." in test.body_html
    assert "/anmalan/" not in test.body_text + test.body_html  # nobody's personal link
    assert "each person gets their own link" in test.body_text
    assert outbox("organiser_message") == []  # the people registered got nothing


def test_change_the_message_goes_back_to_the_form_with_the_text(logged_in, event):
    db.session.commit()
    url = f"/arrangor/evenemang/{event.id}/meddelande"
    html = logged_in.post(url, data={"subject": "Hej", "body": "Rad ett\nrad två",
                                     "message_step": "edit"}).text  # fmt: skip
    assert 'value="Hej"' in html
    assert "Rad ett\nrad två</textarea>" in html
    assert outbox() == []


# --- 6. Check-in on the day only, unless the organiser says "anyway" ------------------------


def test_check_in_is_open_from_before_the_start_to_the_end(in_request, app, event, organiser):
    (registration,) = register(event, 1)
    opens_before = app.config["CHECK_IN_OPENS_BEFORE"]
    assert opens_before == timedelta(hours=2)
    with pytest.raises(CheckInClosed, match="Check-in opens at"):
        attendees.check_in(registration, organiser, now=event.start_dt - timedelta(days=73))
    with pytest.raises(CheckInClosed):
        attendees.check_in(registration, organiser,
                           now=event.start_dt - opens_before - timedelta(minutes=1))  # fmt: skip
    with pytest.raises(CheckInClosed, match="so check-in is closed"):
        attendees.check_in(registration, organiser, now=event.end_dt)
    assert registration.attended_at is None
    assert attendees.check_in(registration, organiser, now=event.start_dt - opens_before)
    assert registration.attended_at == event.start_dt - opens_before


def test_check_in_anyway_outside_the_window(in_request, event, organiser):
    (registration,) = register(event, 1)
    early = event.start_dt - timedelta(days=14)
    assert attendees.check_in(registration, organiser, now=early, anyway=True)
    assert registration.attended_at == early
    assert actions_logged(registration)[-1] == "registration.check_in"


def test_the_check_in_window_is_configurable(in_request, app, event, organiser):
    (registration,) = register(event, 1)
    original = app.config["CHECK_IN_OPENS_BEFORE"]
    app.config["CHECK_IN_OPENS_BEFORE"] = timedelta(hours=6)
    try:
        assert attendees.check_in(registration, organiser, now=event.start_dt - timedelta(hours=5))
    finally:
        app.config["CHECK_IN_OPENS_BEFORE"] = original


def test_check_in_page_outside_the_window_says_so_and_offers_anyway(logged_in, event):
    (asa,) = register(event, 1, name="Åsa Öberg")
    db.session.commit()
    page = logged_in.get(f"/arrangor/evenemang/{event.id}/incheckning?lang=en").text
    assert "Check-in opens at" in page
    assert "Check in anyway" in page
    assert 'name="anyway" value="1"' in page
    url = f"/arrangor/evenemang/{event.id}/incheckning/{asa.id}"
    logged_in.post(url)  # a stale page without "anyway": refused, with the reason
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).attended_at is None
    refused = logged_in.get(f"/arrangor/evenemang/{event.id}/incheckning?lang=en").text
    assert "Check-in opens at" in refused
    logged_in.post(url, data={"anyway": "1"})
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).attended_at is not None


def test_check_in_page_on_the_day_checks_in_at_once(logged_in, varberg):
    event = make_event(organisation=varberg, start_dt=minute(utcnow()) + timedelta(hours=1))
    (asa,) = register(event, 1, name="Åsa Öberg")
    db.session.commit()
    page = logged_in.get(f"/arrangor/evenemang/{event.id}/incheckning?lang=en").text
    assert "Check in anyway" not in page
    assert 'name="anyway"' not in page
    logged_in.post(f"/arrangor/evenemang/{event.id}/incheckning/{asa.id}")
    db.session.expire_all()
    assert db.session.get(Registration, asa.id).attended_at is not None


# --- 17. The event's tabs show the current one ---------------------------------------------

TABS = {
    "": "Overview",
    "/anmalningar": "Registrations",
    "/incheckning": "Check-in",
    "/narvarolista": "Attendance sheet",
}


@pytest.mark.parametrize("path", list(TABS))
def test_the_current_tab_is_marked(logged_in, event, path):
    db.session.commit()
    html = logged_in.get(f"/arrangor/evenemang/{event.id}{path}?lang=en").text
    tabs = re.search(r'<ul class="event-tabs">(.*?)</ul>', html, re.S)
    assert tabs, "the tabs have their own look (class event-tabs)"
    current = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', tabs.group(1))
    assert current == [TABS[path]]


def test_the_current_tab_has_a_style_of_its_own(app):
    css = app.root_path + "/../static/css/organiser.css"
    with open(css, encoding="utf-8") as file:
        text = file.read()
    assert '.event-tabs a[aria-current="page"]' in text
