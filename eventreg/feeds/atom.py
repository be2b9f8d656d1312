"""Atom feeds: events in, an Atom document (bytes) out, built with feedgen.

A pure builder beside `ical`: the HTTP side (which events, caching, 304) is the feeds' views,
shared with the iCalendar feeds. An entry is one event; its `updated` is the event's
`updated_at`, which every change bumps, so a feed reader shows new and changed events as
new or updated entries, newest change first.

Meeting links are left out on purpose: a public feed that carries them lets anyone join
without registering (see ../shared/DOMAIN.md), whatever the event's settings say.
"""

import re
from collections.abc import Iterable
from datetime import UTC, datetime

from feedgen.feed import FeedGenerator
from flask_babel import force_locale
from flask_babel import gettext as _

from ..models import Event
from ..templating import event_organisers, event_when
from ..vocab import FORMATS, MUNICIPALITIES
from .ical import UID_DOMAIN, event_summary, event_url, plain_text, session_location, shown_text

# XML 1.0 refuses these characters (lxml raises on them); rows saved before control
# characters were refused on the way in may still hold some.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# A feed with no events has no change to date from: a fixed instant keeps its bytes (and so
# its validators) the same in every worker.
EMPTY_FEED_UPDATED = datetime(2026, 1, 1, tzinfo=UTC)


def _clean(text: str) -> str:
    return _NOT_XML.sub(" ", text or "")


def entry_id(event: Event) -> str:
    """A tag URI (RFC 4151) from the public id: stable for the event's life, whatever the
    site's address."""
    return f"tag:{UID_DOMAIN},2026:event:{event.public_id}"


def event_place(event: Event) -> str:
    """Venue, address and municipality; "Online" for an online event, never its link."""
    if event.is_online:
        return str(MUNICIPALITIES["online"])
    municipality = str(MUNICIPALITIES.get(event.municipality, ""))
    parts = [event.venue_name, event.address]
    if event.municipality != "elsewhere" and municipality not in event.address:
        parts.append(municipality)
    return ", ".join(part.strip() for part in parts if part and part.strip())


def entry_text(event: Event, url: str) -> str:
    """Plain text: when, where, format, summary and description, organiser, the link.

    Nothing that changes with the clock or with sign-ups (seats left, registration open):
    the cached feed is rebuilt only when an event's row changes, and would go stale."""
    blocks = []
    if event.is_cancelled:
        blocks.append(_("This event has been cancelled."))
        if event.cancellation_reason.strip():
            blocks.append(event.cancellation_reason.strip())
    blocks += [
        event_when(event.start_dt, event.end_dt),
        event_place(event),
        str(FORMATS.get(event.format, event.format)),
    ]
    if event.is_course:
        # A course is one entry: its sessions listed, each with its own place if it has one.
        lines = [_("%(count)d sessions:", count=len(event.sessions))]
        for session in event.sessions:
            when = event_when(session.start_dt, session.end_dt)
            place = session_location(event, session) if session.has_own_place else ""
            lines.append(f"{session.position}. {when}" + (f", {place}" if place else ""))
        blocks.append("\n".join(lines))
    text = shown_text(event)
    if text.summary:
        blocks.append(text.summary.text.strip())
    body = plain_text(text.description.text or "")
    if body:
        blocks.append(body)
    if event.series is not None:
        blocks.append(_("Part of the series: %(title)s", title=event.series.title))
    blocks.append(_("Organiser: %(name)s", name=event_organisers(event)))
    blocks.append(_("More information and registration: %(url)s", url=url))
    return "\n\n".join(block for block in blocks if block)


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


class _TextLanguages:
    """A feedgen entry extension that puts xml:lang on an entry's title and summary where
    their text is in another language than the feed's (feedgen has no setting for it)."""

    def __init__(self):
        self.title_lang: str | None = None
        self.summary_lang: str | None = None

    def extend_atom(self, entry):
        for name, language in (("title", self.title_lang), ("summary", self.summary_lang)):
            element = entry.find(name)
            if language and element is not None:
                element.set(XML_LANG, language)
        return entry

    def extend_rss(self, item):
        return item


def _mark_languages(entry, event: Event, locale: str) -> None:
    text = shown_text(event)
    main = text.description if text.description else text.summary
    title_lang = text.title.lang if text.title.lang != locale else None
    summary_lang = main.lang if main.lang != locale else None
    if title_lang or summary_lang:
        entry.register_extension("text_languages", _TextLanguages, atom=True, rss=False)
        entry.text_languages.title_lang = title_lang
        entry.text_languages.summary_lang = summary_lang


def build_feed(
    events: Iterable[Event],
    *,
    base_url: str,
    self_url: str,
    page_url: str,
    title: str,
    subtitle: str = "",
    author: str,
    locale: str,
) -> bytes:
    """The Atom document of `events`. `self_url` is the feed's own address (also its id),
    `page_url` the web page with the same events. Its bytes depend only on the data: the
    feed's `updated` is the newest event change, not the time of building."""
    with force_locale(locale):
        return _build_feed(
            list(events), base_url=base_url, self_url=self_url, page_url=page_url,
            title=title, subtitle=subtitle, author=author, locale=locale,
        )  # fmt: skip


def _build_feed(
    events: list[Event],
    *,
    base_url: str,
    self_url: str,
    page_url: str,
    title: str,
    subtitle: str,
    author: str,
    locale: str,
) -> bytes:
    feed = FeedGenerator()
    feed.id(self_url)
    feed.title(_clean(title))
    if subtitle.strip():
        feed.subtitle(_clean(subtitle))
    feed.link(href=self_url, rel="self", type="application/atom+xml")
    feed.link(href=page_url, rel="alternate", type="text/html")
    feed.author({"name": _clean(author)})
    feed.language(locale)
    # No version in the generator: a library upgrade must not change the bytes.
    feed.generator("eventreg")
    feed.updated(max((event.updated_at for event in events), default=EMPTY_FEED_UPDATED))
    # Newest change first, as readers expect; the id breaks ties so the order is stable.
    for event in sorted(events, key=lambda e: (e.updated_at, e.id), reverse=True):
        url = event_url(event, base_url)
        entry = feed.add_entry(order="append")
        entry.id(entry_id(event))
        entry.title(_clean(event_summary(event)))
        entry.link(href=url, rel="alternate", type="text/html")
        entry.published(event.created_at.astimezone(UTC))
        entry.updated(event.updated_at.astimezone(UTC))
        entry.author({"name": _clean(event.organisation.name)})
        entry.summary(_clean(entry_text(event, url)), type="text")
        _mark_languages(entry, event, locale)
        for theme in event.themes:
            entry.category(term=theme.slug, label=_clean(theme.name))
    return feed.atom_str(pretty=False)
