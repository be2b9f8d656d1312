"""The permission matrix: every login, organiser and admin route × {anonymous, organiser of
another organisation, organiser of the owning organisation, organiser of an organisation
that co-organises the events, admin}, with ids guessed in URLs and forms; and CSRF on every
state-changing route."""

import base64
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select

from eventreg.extensions import db
from eventreg.models import AuditEntry, Event, Organisation, TargetGroup, Theme, User, utcnow
from eventreg.services.materials import MaterialData, add_material
from tests.factories import (
    USER_PASSWORD,
    make_event,
    make_organisation,
    make_registration,
    make_resource,
    make_theme,
    make_user,
    registration_form,
)

BLUEPRINTS = ("auth", "organiser", "admin")
IMPORT_CSV = (
    b"title;start;end;municipality\nImporterat;2031-05-01 10:00;2031-05-01 12:00;varberg\n"
)
ROLES = ("anonymous", "other", "owner", "co", "admin")


@dataclass
class World:
    owning: Organisation
    other_organisation: Organisation
    owner: User
    other: User
    admin: User
    event: Event  # published, of the owning organisation
    draft: Event  # draft, of the owning organisation
    theme: Theme
    resource_id: int
    empty_organisation: Organisation
    quiet_event: Event  # published, of the owning organisation, nobody registered
    confirmed_id: int  # registrations for `event`
    waiting_id: int
    target_group: TargetGroup | None = None  # on `event`
    past_event: Event | None = None  # published, of the owning organisation, over
    material_id: int = 0  # a link attached to `past_event`
    # Co-organises every event above; `co` is its organiser (sees, never manages).
    co_organisation: Organisation | None = None
    co: User | None = None


@pytest.fixture
def world() -> World:
    owning = make_organisation(name="Varbergs kommun")
    other_organisation = make_organisation(name="Hylte kommun")
    empty = make_organisation(name="Tom organisation")
    theme = make_theme()
    resource = make_resource(theme=theme)
    start = utcnow().replace(microsecond=0, second=0) + timedelta(days=20)
    world = World(
        owning=owning,
        other_organisation=other_organisation,
        owner=make_user(organisations=[owning], quick_hash=True),
        other=make_user(organisations=[other_organisation], quick_hash=True),
        admin=make_user(is_admin=True, quick_hash=True),
        event=make_event(organisation=owning, start_dt=start, capacity=30),
        draft=make_event(organisation=owning, status="draft", start_dt=start),
        theme=theme,
        resource_id=resource.id,
        empty_organisation=empty,
        quiet_event=make_event(organisation=owning, start_dt=start),
        confirmed_id=0,
        waiting_id=0,
    )
    world.event.capacity = 1
    world.target_group = TargetGroup(slug="skola", name_sv="Personal i skolan",
                                     name_en="School staff")  # fmt: skip
    world.event.target_groups = [world.target_group]
    db.session.flush()
    world.confirmed_id = make_registration(world.event).id
    world.waiting_id = make_registration(world.event).id
    # A seat freed without promotion, so the organiser can move someone up by hand.
    world.event.capacity = 2
    world.past_event = make_event(organisation=owning, start_dt=start - timedelta(days=40))
    world.material_id = add_material(world.past_event, MaterialData(
        "slides", "Bilder", "sv", url="https://example.se/bilder.pdf")).id  # fmt: skip
    world.co_organisation = make_organisation(name="Halmstads kommun")
    world.co = make_user(organisations=[world.co_organisation], quick_hash=True)
    for event in (world.event, world.draft, world.quiet_event, world.past_event):
        event.co_organisers = [world.co_organisation]
    db.session.commit()
    return world


def event_form(w: World, organisation: Organisation, **overrides) -> dict:
    values = {
        "organisation_id": str(organisation.id),
        "title": "Nytt seminarium",
        "format": "seminar",
        "language_codes": ["sv"],
        "start_dt": "2031-02-10T09:00",
        "end_dt": "2031-02-10T11:00",
        "municipality": "varberg",
        "theme_ids": [str(w.theme.id)],
    }
    values.update(overrides)
    return values


def question_id(w: World) -> int:
    """The first of two questions on `event` (made on first use, without an audit entry)."""
    from eventreg.models import RegistrationQuestion

    found = db.session.scalar(
        select(RegistrationQuestion.id).where(RegistrationQuestion.event_id == w.event.id)
        .order_by(RegistrationQuestion.position)
    )  # fmt: skip
    if found is None:
        first, second = (
            RegistrationQuestion(event_id=w.event.id, position=position, kind="text",
                                 label=label, choices="")
            for position, label in enumerate(("Något du vill att vi tar upp?", "Övrigt"))
        )  # fmt: skip
        db.session.add_all([first, second])
        db.session.commit()
        found = first.id
    return found


def series_id(w: World) -> int:
    """A series of the owning organisation with `event` in it (made on first use, rows
    written directly, so the audit log counted by the matrix stays as it was)."""
    from eventreg.models import EventSeries

    found = db.session.scalar(
        select(EventSeries.id).where(EventSeries.organisation_id == w.owning.id)
    )
    if found is None:
        series = EventSeries(organisation_id=w.owning.id, title="Föreläsningsserie",
                             slug="forelasningsserie")  # fmt: skip
        db.session.add(series)
        db.session.flush()
        db.session.execute(
            Event.__table__.update().where(Event.id == w.event.id).values(series_id=series.id)
        )
        db.session.commit()
        found = series.id
    return found


def embed_origin_url(w: World) -> str:
    """An allowed site of the owning organisation, to remove (issue 14)."""
    from eventreg.models import EmbedOrigin

    allowed = db.session.scalar(select(EmbedOrigin)) or EmbedOrigin(
        organisation=w.owning, origin="https://www.varberg.se"
    )
    db.session.add(allowed)
    db.session.commit()
    return f"/admin/inbaddning/{allowed.id}/ta-bort"


def course_session_id(w: World, position: int = 2) -> int:
    """A session of `quiet_event`, made a course of two on first use (rows written directly,
    so the audit log counted by the matrix stays as it was)."""
    from eventreg.models import EventSession

    event = w.quiet_event
    if not event.sessions:
        later = timedelta(days=7)
        event.sessions = [
            EventSession(position=1, start_dt=event.start_dt, end_dt=event.end_dt),
            EventSession(position=2, start_dt=event.start_dt + later,
                         end_dt=event.end_dt + later),
        ]  # fmt: skip
        event.end_dt += later
        db.session.commit()
    return event.sessions[position - 1].id


def session_form(w: World, days: int, **overrides) -> dict:
    """A session `days` after `quiet_event` starts, as the sessions form posts it."""
    from eventreg.models.types import utc_to_local

    start = utc_to_local(w.quiet_event.start_dt + timedelta(days=days))
    values = {"start_dt": start.strftime("%Y-%m-%dT%H:%M"),
              "end_dt": (start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M"),
              "municipality": "", "venue_name": "", "address": "", "note": ""}  # fmt: skip
    values.update(overrides)
    return values


def content_language_id(w: World, code: str = "so") -> int:
    """Two languages of event text, made on first use: Somali, in which `event` has a
    translation, and Tigrinya, which nobody has written in (rows written directly, so the
    audit log counted by the matrix stays as it was)."""
    from eventreg.models import ContentLanguage, EventTranslation

    found = {language.code: language for language in db.session.scalars(select(ContentLanguage))}
    if not found:
        found = {
            "so": ContentLanguage(code="so", native_name="Soomaali", name_sv="Somaliska",
                                  name_en="Somali", position=0),
            "ti": ContentLanguage(code="ti", native_name="ትግርኛ", name_sv="Tigrinja",
                                  name_en="Tigrinya", position=1),
        }  # fmt: skip
        db.session.add_all(found.values())
        db.session.flush()
        db.session.add(EventTranslation(event_id=w.event.id, code="so", title="Seminaar"))
        db.session.commit()
    return found[code].id


def translation_url(w: World, suffix: str = "") -> str:
    content_language_id(w)
    return f"/arrangor/evenemang/{w.event.id}/oversattningar/so{suffix}"


def reset_url(w: World) -> str:
    from flask import current_app

    from eventreg.auth.accounts import password_reset_token

    with current_app.test_request_context():
        return f"/arrangor/nytt-losenord/{password_reset_token(w.owner)}"


# kind: "event" – belongs to the owning organisation (others 403);
#       "account" – any logged-in user; "admin" – administrators only;
#       "public" – no login needed.
# co_organisers_see: an "event" page a co-organiser may open, read only (organiser/access.py
# CO_ORGANISER_ENDPOINTS); every other event route is 403 for them.
@dataclass
class Route:
    kind: str
    url: object  # World -> str
    data: object = None  # World -> dict, for POST
    changes: bool = True  # whether an allowed POST changes the database (a preview does not)
    co_organisers_see: bool = False


ROUTES: dict[tuple[str, str], Route] = {
    ("/arrangor/logga-in", "GET"): Route("public", lambda w: "/arrangor/logga-in"),
    ("/arrangor/logga-in", "POST"): Route(
        "public", lambda w: "/arrangor/logga-in",
        lambda w: {"email": w.owner.email, "password": USER_PASSWORD}),
    ("/arrangor/glomt-losenord", "GET"): Route("public", lambda w: "/arrangor/glomt-losenord"),
    ("/arrangor/glomt-losenord", "POST"): Route(
        "public", lambda w: "/arrangor/glomt-losenord", lambda w: {"email": w.owner.email}),
    ("/arrangor/nytt-losenord/<token>", "GET"): Route("public", reset_url),
    ("/arrangor/nytt-losenord/<token>", "POST"): Route(
        "public", reset_url,
        lambda w: {"password": "ett-långt-lösenord", "password_again": "ett-långt-lösenord"}),
    ("/arrangor/logga-ut", "POST"): Route("public", lambda w: "/arrangor/logga-ut", lambda w: {}),
    ("/arrangor/", "GET"): Route("account", lambda w: "/arrangor/"),
    ("/arrangor/import", "GET"): Route("account", lambda w: "/arrangor/import"),
    # A guessed organisation id in the form: the owning organisation's.
    ("/arrangor/import", "POST"): Route(
        "event", lambda w: "/arrangor/import",
        lambda w: {"organisation_id": str(w.owning.id), "file": (io.BytesIO(IMPORT_CSV), "e.csv")},
        changes=False),
    ("/arrangor/import/bekrafta", "POST"): Route(
        "event", lambda w: "/arrangor/import/bekrafta",
        lambda w: {"organisation_id": str(w.owning.id), "filename": "e.csv",
                   "content": base64.b64encode(IMPORT_CSV).decode()}),
    ("/arrangor/statistik", "GET"): Route("account", lambda w: "/arrangor/statistik"),
    ("/arrangor/statistik.csv", "GET"): Route("account", lambda w: "/arrangor/statistik.csv"),
    ("/arrangor/evenemang/nytt", "GET"): Route("account", lambda w: "/arrangor/evenemang/nytt"),
    # A guessed organisation id in the form: the owning organisation's.
    ("/arrangor/evenemang/nytt", "POST"): Route(
        "event", lambda w: "/arrangor/evenemang/nytt", lambda w: event_form(w, w.owning)),
    ("/arrangor/evenemang/<id:event_id>", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}", co_organisers_see=True),
    ("/arrangor/evenemang/<id:event_id>/redigera", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/redigera"),
    # Past the change notice (the event has registrations): saved at once.
    ("/arrangor/evenemang/<id:event_id>/redigera", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/redigera",
        lambda w: event_form(w, w.owning, title="Ändrad titel", notice_step="save")),
    ("/arrangor/evenemang/<id:event_id>/forhandsvisning", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.draft.id}/forhandsvisning",
        co_organisers_see=True),
    ("/arrangor/evenemang/<id:event_id>/kopiera", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/kopiera"),
    ("/arrangor/evenemang/<id:event_id>/kopiera", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/kopiera",
        lambda w: {"start_dt": "2031-03-01T10:00"}),
    ("/arrangor/evenemang/<id:event_id>/publicera", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.draft.id}/publicera"),
    ("/arrangor/evenemang/<id:event_id>/publicera", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.draft.id}/publicera", lambda w: {}),
    # Drafts published together: a guessed draft of another organisation is refused.
    ("/arrangor/evenemang/publicera-flera", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/publicera-flera?valda={w.draft.id}"),
    ("/arrangor/evenemang/publicera-flera", "POST"): Route(
        "event", lambda w: "/arrangor/evenemang/publicera-flera",
        lambda w: {"valda": str(w.draft.id)}),
    ("/arrangor/evenemang/<id:event_id>/avpublicera", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.quiet_event.id}/avpublicera", lambda w: {}),
    ("/arrangor/evenemang/<id:event_id>/anmalningar", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/anmalningar"),
    ("/arrangor/evenemang/<id:event_id>/anmalningar.csv", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/anmalningar.csv"),
    ("/arrangor/evenemang/<id:event_id>/anmalningar/ny", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/anmalningar/ny"),
    ("/arrangor/evenemang/<id:event_id>/anmalningar/ny", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/anmalningar/ny",
        lambda w: registration_form()),
    ("/arrangor/evenemang/<id:event_id>/anmalningar/<id:registration_id>/avboka", "GET"):
        Route("event", lambda w: (
            f"/arrangor/evenemang/{w.event.id}/anmalningar/{w.confirmed_id}/avboka")),
    ("/arrangor/evenemang/<id:event_id>/anmalningar/<id:registration_id>/aterstall", "GET"):
        Route("event", lambda w: (
            f"/arrangor/evenemang/{w.event.id}/anmalningar/{w.confirmed_id}/aterstall")),
    # Nobody is cancelled in this world: an allowed restore is refused by the rules (tested
    # in test_organiser_actions.py); here only who may ask counts.
    ("/arrangor/evenemang/<id:event_id>/anmalningar/<id:registration_id>/aterstall", "POST"):
        Route("event", lambda w: (
            f"/arrangor/evenemang/{w.event.id}/anmalningar/{w.confirmed_id}/aterstall"),
            lambda w: {}, changes=False),
    ("/arrangor/evenemang/<id:event_id>/anmalningar/<id:registration_id>/avboka", "POST"):
        Route("event", lambda w: (
            f"/arrangor/evenemang/{w.event.id}/anmalningar/{w.confirmed_id}/avboka"),
            lambda w: {}),
    ("/arrangor/evenemang/<id:event_id>/anmalningar/<id:registration_id>/flytta-upp", "POST"):
        Route("event", lambda w: (
            f"/arrangor/evenemang/{w.event.id}/anmalningar/{w.waiting_id}/flytta-upp"),
            lambda w: {}),
    ("/arrangor/evenemang/<id:event_id>/meddelande", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/meddelande"),
    ("/arrangor/evenemang/<id:event_id>/meddelande", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/meddelande",
        lambda w: {"subject": "Hej", "body": "Välkomna", "message_step": "send"}),
    ("/arrangor/evenemang/<id:event_id>/narvarolista", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/narvarolista"),
    ("/arrangor/evenemang/<id:event_id>/incheckning", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/incheckning?q=a"),
    ("/arrangor/evenemang/<id:event_id>/incheckning/<id:registration_id>", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/incheckning/{w.confirmed_id}",
        lambda w: {"anyway": "1"}),  # weeks before the event: check in anyway
    ("/arrangor/evenemang/<id:event_id>/stall-in", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/stall-in"),
    ("/arrangor/evenemang/<id:event_id>/stall-in", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/stall-in",
        lambda w: {"reason": "Sjukdom"}),
    ("/arrangor/evenemang/<id:event_id>/ta-bort", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.draft.id}/ta-bort"),
    ("/arrangor/evenemang/<id:event_id>/ta-bort", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.draft.id}/ta-bort", lambda w: {}),
    ("/arrangor/evenemang/<id:event_id>/material", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.past_event.id}/material"),
    ("/arrangor/evenemang/<id:event_id>/material", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.past_event.id}/material",
        lambda w: {"kind": "recording", "title": "Inspelning", "language": "sv",
                   "url": "https://play.example.se/v/1"}),
    ("/arrangor/evenemang/<id:event_id>/material/<id:material_id>", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.past_event.id}/material/{w.material_id}"),
    ("/arrangor/evenemang/<id:event_id>/material/<id:material_id>", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.past_event.id}/material/{w.material_id}",
        lambda w: {"title": "Nya bilder", "language": "sv",
                   "url": "https://example.se/bilder.pdf"}),
    ("/arrangor/evenemang/<id:event_id>/material/<id:material_id>/ta-bort", "GET"): Route(
        "event", lambda w: (
            f"/arrangor/evenemang/{w.past_event.id}/material/{w.material_id}/ta-bort")),
    ("/arrangor/evenemang/<id:event_id>/material/<id:material_id>/ta-bort", "POST"): Route(
        "event", lambda w: (
            f"/arrangor/evenemang/{w.past_event.id}/material/{w.material_id}/ta-bort"),
        lambda w: {}),
    ("/arrangor/evenemang/<id:event_id>/fragor", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/fragor"),
    ("/arrangor/evenemang/<id:event_id>/fragor", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/fragor",
        lambda w: {"label": "Vill du ha intyg?", "kind": "yes_no"}),
    ("/arrangor/evenemang/<id:event_id>/fragor/<id:question_id>", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/fragor/{question_id(w)}"),
    ("/arrangor/evenemang/<id:event_id>/fragor/<id:question_id>", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/fragor/{question_id(w)}",
        lambda w: {"label": "Något annat?", "kind": "text"}),
    ("/arrangor/evenemang/<id:event_id>/fragor/<id:question_id>/ta-bort", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/fragor/{question_id(w)}/ta-bort"),
    ("/arrangor/evenemang/<id:event_id>/fragor/<id:question_id>/ta-bort", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/fragor/{question_id(w)}/ta-bort",
        lambda w: {}),
    ("/arrangor/evenemang/<id:event_id>/fragor/<id:question_id>/flytta", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/fragor/{question_id(w)}/flytta",
        lambda w: {"riktning": "ner"}),
    ("/arrangor/evenemang/<id:event_id>/tillfallen", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.quiet_event.id}/tillfallen"),
    ("/arrangor/evenemang/<id:event_id>/tillfallen", "POST"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.quiet_event.id}/tillfallen",
        lambda w: session_form(w, days=14)),
    ("/arrangor/evenemang/<id:event_id>/tillfallen/<id:session_id>", "GET"): Route(
        "event", lambda w: (
            f"/arrangor/evenemang/{w.quiet_event.id}/tillfallen/{course_session_id(w)}")),
    ("/arrangor/evenemang/<id:event_id>/tillfallen/<id:session_id>", "POST"): Route(
        "event", lambda w: (
            f"/arrangor/evenemang/{w.quiet_event.id}/tillfallen/{course_session_id(w)}"),
        lambda w: session_form(w, days=21, venue_name="Salen")),
    ("/arrangor/evenemang/<id:event_id>/tillfallen/<id:session_id>/ta-bort", "GET"): Route(
        "event", lambda w: (
            f"/arrangor/evenemang/{w.quiet_event.id}/tillfallen/{course_session_id(w)}/ta-bort")),
    ("/arrangor/evenemang/<id:event_id>/tillfallen/<id:session_id>/ta-bort", "POST"): Route(
        "event", lambda w: (
            f"/arrangor/evenemang/{w.quiet_event.id}/tillfallen/{course_session_id(w)}/ta-bort"),
        lambda w: {}),
    ("/arrangor/evenemang/<id:event_id>/omdomen", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.past_event.id}/omdomen",
        co_organisers_see=True),
    ("/arrangor/statistik/omdomen.csv", "GET"): Route(
        "account", lambda w: "/arrangor/statistik/omdomen.csv"),
    ("/arrangor/serier", "GET"): Route("account", lambda w: "/arrangor/serier"),
    ("/arrangor/serier/ny", "GET"): Route("account", lambda w: "/arrangor/serier/ny"),
    # A guessed organisation id in the form: the owning organisation's.
    ("/arrangor/serier/ny", "POST"): Route(
        "event", lambda w: "/arrangor/serier/ny",
        lambda w: {"organisation_id": str(w.owning.id), "title": "Ny serie"}),
    ("/arrangor/serier/<id:series_id>", "GET"): Route(
        "event", lambda w: f"/arrangor/serier/{series_id(w)}"),
    ("/arrangor/serier/<id:series_id>", "POST"): Route(
        "event", lambda w: f"/arrangor/serier/{series_id(w)}",
        lambda w: {"title": "Ändrad serie", "description": ""}),
    ("/arrangor/serier/<id:series_id>/ta-bort", "GET"): Route(
        "event", lambda w: f"/arrangor/serier/{series_id(w)}/ta-bort"),
    ("/arrangor/serier/<id:series_id>/ta-bort", "POST"): Route(
        "event", lambda w: f"/arrangor/serier/{series_id(w)}/ta-bort", lambda w: {}),
    ("/admin/", "GET"): Route("admin", lambda w: "/admin/"),
    ("/admin/malgrupper", "GET"): Route("admin", lambda w: "/admin/malgrupper"),
    ("/admin/malgrupper/ny", "GET"): Route("admin", lambda w: "/admin/malgrupper/ny"),
    ("/admin/malgrupper/ny", "POST"): Route(
        "admin", lambda w: "/admin/malgrupper/ny",
        lambda w: {"name_sv": "Arbetsgivare", "name_en": "Employers", "slug": ""}),
    ("/admin/malgrupper/<id:target_group_id>", "GET"): Route(
        "admin", lambda w: f"/admin/malgrupper/{w.target_group.id}"),
    ("/admin/malgrupper/<id:target_group_id>", "POST"): Route(
        "admin", lambda w: f"/admin/malgrupper/{w.target_group.id}",
        lambda w: {"name_sv": "Skolpersonal", "name_en": "School staff", "slug": "skola"}),
    ("/admin/malgrupper/<id:target_group_id>/ta-bort", "GET"): Route(
        "admin", lambda w: f"/admin/malgrupper/{w.target_group.id}/ta-bort"),
    ("/admin/malgrupper/<id:target_group_id>/ta-bort", "POST"): Route(
        "admin", lambda w: f"/admin/malgrupper/{w.target_group.id}/ta-bort", lambda w: {}),
    ("/admin/logg", "GET"): Route("admin", lambda w: "/admin/logg"),
    ("/arrangor/evenemang/<id:event_id>/oversattningar", "GET"): Route(
        "event", lambda w: f"/arrangor/evenemang/{w.event.id}/oversattningar"),
    ("/arrangor/evenemang/<id:event_id>/oversattningar/<code>", "GET"): Route(
        "event", translation_url),
    ("/arrangor/evenemang/<id:event_id>/oversattningar/<code>", "POST"): Route(
        "event", translation_url, lambda w: {"title": "Seminaar cusub", "summary": "",
                                             "description": ""}),
    ("/arrangor/evenemang/<id:event_id>/oversattningar/<code>/ta-bort", "GET"): Route(
        "event", lambda w: translation_url(w, "/ta-bort")),
    ("/arrangor/evenemang/<id:event_id>/oversattningar/<code>/ta-bort", "POST"): Route(
        "event", lambda w: translation_url(w, "/ta-bort"), lambda w: {}),
    ("/admin/sprak", "GET"): Route("admin", lambda w: "/admin/sprak"),
    ("/admin/sprak/nytt", "GET"): Route("admin", lambda w: "/admin/sprak/nytt"),
    ("/admin/sprak/nytt", "POST"): Route(
        "admin", lambda w: "/admin/sprak/nytt",
        lambda w: {"code": "uk", "native_name": "Українська", "name_sv": "Ukrainska",
                   "name_en": "Ukrainian", "direction": "ltr"}),
    ("/admin/sprak/<id:language_id>", "GET"): Route(
        "admin", lambda w: f"/admin/sprak/{content_language_id(w)}"),
    ("/admin/sprak/<id:language_id>", "POST"): Route(
        "admin", lambda w: f"/admin/sprak/{content_language_id(w)}",
        lambda w: {"native_name": "Af-Soomaali", "name_sv": "Somaliska", "name_en": "Somali",
                   "direction": "ltr"}),
    ("/admin/sprak/<id:language_id>/aktiv", "POST"): Route(
        "admin", lambda w: f"/admin/sprak/{content_language_id(w)}/aktiv",
        lambda w: {"active": "0"}),
    ("/admin/sprak/<id:language_id>/flytta", "POST"): Route(
        "admin", lambda w: f"/admin/sprak/{content_language_id(w)}/flytta",
        lambda w: {"step": "down"}),
    ("/admin/sprak/<id:language_id>/ta-bort", "GET"): Route(
        "admin", lambda w: f"/admin/sprak/{content_language_id(w, 'ti')}/ta-bort"),
    ("/admin/sprak/<id:language_id>/ta-bort", "POST"): Route(
        "admin", lambda w: f"/admin/sprak/{content_language_id(w, 'ti')}/ta-bort",
        lambda w: {}),
    ("/arrangor/visa-pa-webbplats", "GET"): Route(
        "account", lambda w: "/arrangor/visa-pa-webbplats"),
    ("/admin/inbaddning", "GET"): Route("admin", lambda w: "/admin/inbaddning"),
    ("/admin/organisationer/<id:organisation_id>/inbaddning", "GET"): Route(
        "admin", lambda w: f"/admin/organisationer/{w.owning.id}/inbaddning"),
    ("/admin/organisationer/<id:organisation_id>/inbaddning", "POST"): Route(
        "admin", lambda w: f"/admin/organisationer/{w.owning.id}/inbaddning",
        lambda w: {"origin": "https://www.hylte.se"}),
    ("/admin/inbaddning/<id:origin_id>/ta-bort", "POST"): Route(
        "admin", embed_origin_url, lambda w: {}),
    ("/admin/teman", "GET"): Route("admin", lambda w: "/admin/teman"),
    ("/admin/teman/nytt", "GET"): Route("admin", lambda w: "/admin/teman/nytt"),
    ("/admin/teman/nytt", "POST"): Route(
        "admin", lambda w: "/admin/teman/nytt",
        lambda w: {"slug": "nytt-tema", "name_sv": "Nytt", "name_en": "New"}),
    ("/admin/teman/<id:theme_id>", "GET"): Route("admin", lambda w: f"/admin/teman/{w.theme.id}"),
    ("/admin/teman/<id:theme_id>", "POST"): Route(
        "admin", lambda w: f"/admin/teman/{w.theme.id}",
        lambda w: {"slug": w.theme.slug, "name_sv": "Ändrat", "name_en": "Changed"}),
    ("/admin/teman/<id:theme_id>/ta-bort", "GET"): Route(
        "admin", lambda w: f"/admin/teman/{w.theme.id}/ta-bort"),
    ("/admin/resurser/<id:resource_id>/ta-bort", "GET"): Route(
        "admin", lambda w: f"/admin/resurser/{w.resource_id}/ta-bort"),
    ("/admin/organisationer/<id:organisation_id>/ta-bort", "GET"): Route(
        "admin", lambda w: f"/admin/organisationer/{w.empty_organisation.id}/ta-bort"),
    ("/admin/teman/<id:theme_id>/ta-bort", "POST"): Route(
        "admin", lambda w: f"/admin/teman/{w.theme.id}/ta-bort", lambda w: {}),
    ("/admin/teman/<id:theme_id>/resurser/ny", "GET"): Route(
        "admin", lambda w: f"/admin/teman/{w.theme.id}/resurser/ny"),
    ("/admin/teman/<id:theme_id>/resurser/ny", "POST"): Route(
        "admin", lambda w: f"/admin/teman/{w.theme.id}/resurser/ny",
        lambda w: {"kind": "reading", "title": "Läs", "url": "https://example.se/",
                   "language": "sv"}),
    ("/admin/resurser/<id:resource_id>", "GET"): Route(
        "admin", lambda w: f"/admin/resurser/{w.resource_id}"),
    ("/admin/resurser/<id:resource_id>", "POST"): Route(
        "admin", lambda w: f"/admin/resurser/{w.resource_id}",
        lambda w: {"kind": "course", "title": "Kurs", "url": "https://example.se/k",
                   "language": "sv"}),
    ("/admin/resurser/<id:resource_id>/ta-bort", "POST"): Route(
        "admin", lambda w: f"/admin/resurser/{w.resource_id}/ta-bort", lambda w: {}),
    ("/admin/organisationer", "GET"): Route("admin", lambda w: "/admin/organisationer"),
    ("/admin/organisationer/ny", "GET"): Route("admin", lambda w: "/admin/organisationer/ny"),
    ("/admin/organisationer/ny", "POST"): Route(
        "admin", lambda w: "/admin/organisationer/ny",
        lambda w: {"slug": "ny-org", "name": "Ny organisation"}),
    ("/admin/organisationer/<id:organisation_id>", "GET"): Route(
        "admin", lambda w: f"/admin/organisationer/{w.owning.id}"),
    ("/admin/organisationer/<id:organisation_id>", "POST"): Route(
        "admin", lambda w: f"/admin/organisationer/{w.owning.id}",
        lambda w: {"slug": w.owning.slug, "name": "Varbergs kommun (ändrad)"}),
    ("/admin/organisationer/<id:organisation_id>/ta-bort", "POST"): Route(
        "admin", lambda w: f"/admin/organisationer/{w.empty_organisation.id}/ta-bort",
        lambda w: {}),
    ("/admin/anvandare", "GET"): Route("admin", lambda w: "/admin/anvandare"),
    ("/admin/anvandare/ny", "GET"): Route("admin", lambda w: "/admin/anvandare/ny"),
    ("/admin/anvandare/ny", "POST"): Route(
        "admin", lambda w: "/admin/anvandare/ny",
        lambda w: {"email": "ny@example.se", "name": "Ny", "active": "y",
                   "password": "ett-långt-lösenord", "password_again": "ett-långt-lösenord",
                   "organisation_ids": [str(w.owning.id)]}),
    ("/admin/anvandare/<id:user_id>", "GET"): Route(
        "admin", lambda w: f"/admin/anvandare/{w.owner.id}"),
    # Makes the owner an admin: exactly what an organiser must not be able to do.
    ("/admin/anvandare/<id:user_id>", "POST"): Route(
        "admin", lambda w: f"/admin/anvandare/{w.owner.id}",
        lambda w: {"email": w.owner.email, "name": w.owner.name, "active": "y",
                   "is_admin": "y", "organisation_ids": [str(w.owning.id)]}),
}  # fmt: skip


def app_routes(app) -> set[tuple[str, str]]:
    return {
        (rule.rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint.split(".")[0] in BLUEPRINTS
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


def test_every_organiser_and_admin_route_is_in_the_matrix(app):
    assert app_routes(app) == set(ROUTES)


def organiser_requests(app) -> list[tuple[str, str]]:
    """(method, url) of every route of the organiser blueprint, each id in it a 1."""
    requests = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] != "organiser":
            continue
        with app.test_request_context():
            from flask import url_for

            url = url_for(rule.endpoint, **dict.fromkeys(rule.arguments, 1))
        requests += [(method, url) for method in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    return requests


def test_every_organiser_route_sends_an_anonymous_visitor_to_the_login(app):
    """The blueprint's one guard covers every route, also one added later: no view needs to
    remember a decorator, and none answers a visitor with a 404, a 403 or a 500."""
    requests = organiser_requests(app)
    assert len(requests) >= 40
    client = app.test_client()
    for method, url in requests:
        response = client.open(url, method=method)
        assert response.status_code == 302, (method, url, response.status_code)
        location = urlsplit(response.headers["Location"])
        assert location.path == "/arrangor/logga-in", (method, url)
        assert parse_qs(location.query)["next"] == [url], (method, url)


def expected(route: Route, role: str) -> str:
    if route.kind == "public":
        return "allow"
    if role == "anonymous":
        return "login"
    if route.kind == "account":
        return "allow"
    if route.kind == "admin":
        return "allow" if role == "admin" else "forbidden"
    if role == "co":
        return "allow" if route.co_organisers_see else "forbidden"
    return "forbidden" if role == "other" else "allow"


def outcome(response) -> str:
    location = response.headers.get("Location", "")
    if response.status_code == 302 and "/arrangor/logga-in" in location:
        return "login"
    if response.status_code == 403:
        return "forbidden"
    if response.status_code in (200, 302):
        return "allow"
    return f"status {response.status_code}"


def client_as(app, world: World, role: str):
    client = app.test_client()
    if role != "anonymous":
        user = getattr(world, role)
        response = client.post(
            "/arrangor/logga-in", data={"email": user.email, "password": USER_PASSWORD}
        )
        assert response.status_code == 302
    return client


def changes_made() -> tuple[int, int, int]:
    return (
        db.session.scalar(select(func.count()).select_from(AuditEntry)),
        db.session.scalar(select(func.count()).select_from(Event)),
        db.session.scalar(select(func.count()).select_from(User)),
    )


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("rule", "method"), sorted(ROUTES))
def test_permission_matrix(app, world, rule, method, role):
    route = ROUTES[(rule, method)]
    client = client_as(app, world, role)
    before = changes_made()
    url = route.url(world)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=route.data(world))
    if route.kind == "public":
        # Public pages may send people on to the login page themselves (after a reset).
        assert response.status_code in (200, 302)
    else:
        assert outcome(response) == expected(route, role), response.get_data(as_text=True)[:2000]
    db.session.expire_all()
    if expected(route, role) != "allow":
        assert changes_made() == before  # a refused request changes nothing
        assert db.session.get(User, world.owner.id).is_admin is False
    elif method == "POST" and route.kind in ("event", "admin") and route.changes:
        assert changes_made() != before  # the allowed change was made and logged


@pytest.mark.parametrize(
    "url",
    [
        "/arrangor/evenemang/{missing}",
        "/arrangor/evenemang/{missing}/redigera",
        "/arrangor/evenemang/{missing}/forhandsvisning",
        "/arrangor/serier/{missing}",
        "/arrangor/serier/{missing}/ta-bort",
        "/admin/teman/{missing}",
        "/admin/malgrupper/{missing}",
        "/admin/malgrupper/{missing}/ta-bort",
        "/admin/sprak/{missing}",
        "/admin/sprak/{missing}/ta-bort",
        "/admin/resurser/{missing}",
        "/admin/organisationer/{missing}",
        "/admin/anvandare/{missing}",
    ],
)
def test_a_guessed_id_that_does_not_exist_is_404(app, world, url):
    client = client_as(app, world, "admin")
    assert client.get(url.format(missing=999999)).status_code == 404


def test_an_organiser_cannot_move_their_event_to_another_organisation(app, world):
    client = client_as(app, world, "owner")
    response = client.post(
        f"/arrangor/evenemang/{world.event.id}/redigera",
        data=event_form(world, world.other_organisation),
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert db.session.get(Event, world.event.id).organisation_id == world.owning.id


def test_an_organiser_without_organisations_cannot_create_events(app, world):
    loner = make_user(quick_hash=True)
    db.session.commit()
    client = app.test_client()
    client.post("/arrangor/logga-in", data={"email": loner.email, "password": USER_PASSWORD})
    assert client.get("/arrangor/evenemang/nytt").status_code == 403


def test_organisation_choices_are_only_the_users_own(app, world):
    client = client_as(app, world, "owner")
    html = client.get("/arrangor/evenemang/nytt").get_data(as_text=True)
    # The responsible organisation's choices (other organisations are offered only as
    # co-organisers, in the checkbox list).
    select_ = re.search(r'<select[^>]*name="organisation_id".*?</select>', html, re.S).group(0)
    assert "Varbergs kommun" in select_
    assert "Hylte kommun" not in select_


def csrf_token(client) -> str:
    page = client.get("/arrangor/logga-in").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


@pytest.mark.parametrize("rule", sorted(rule for rule, method in ROUTES if method == "POST"))
def test_every_post_route_needs_a_csrf_token(csrf_app, world, rule):
    client = csrf_app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/arrangor/logga-in",
        data={"email": world.admin.email, "password": USER_PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    route = ROUTES[(rule, "POST")]
    before = changes_made()
    response = client.post(route.url(world), data=route.data(world))
    assert response.status_code == 400
    db.session.expire_all()
    assert changes_made() == before
    # The same request with the token goes through (so the 400 was the missing token).
    if rule not in ("/arrangor/logga-in",):
        data = {**route.data(world), "csrf_token": token}
        assert client.post(route.url(world), data=data).status_code in (200, 302)
