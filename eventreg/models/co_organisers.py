"""Co-organisers: the other organisations an event is arranged together with.

An event has one responsible organisation (Event.organisation_id), whose organisers edit it
and hold its attendees' personal data, and any number of co-organisers, named on the public
page, in feeds and in JSON-LD. Organisers of a co-organising organisation see the event and
its aggregate figures but do not edit it (see organiser/access.py)."""

from sqlalchemy import Column, ForeignKey, Index, Table

from ..extensions import db

event_co_organiser = Table(
    "event_co_organiser",
    db.metadata,
    Column("event_id", ForeignKey("event.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisation.id", ondelete="CASCADE"), primary_key=True),
    # The primary key serves "co-organisers of these events"; this serves "events this
    # organisation co-organises" (the organisation filter, dashboards and statistics).
    Index("ix_event_co_organiser_organisation_id", "organisation_id", "event_id"),
)
