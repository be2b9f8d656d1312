"""The in-process feed cache: bounded, versioned, and one build per feed at a time; and the
data version that tells a cached feed is out of date."""

import threading
import time
from datetime import UTC, datetime

import pytest
from icalendar import Calendar

from eventreg.admin import operations
from eventreg.extensions import db
from eventreg.feeds.cache import CachedFeed, FeedCache
from eventreg.feeds.views import CACHE_EXTENSION
from tests.factories import make_event, make_organisation, make_theme, make_user


def entry(version: str, size: int = 10) -> CachedFeed:
    return CachedFeed(version=version, body=b"x" * size, etag=version,
                      last_modified=datetime(2027, 1, 1, tzinfo=UTC))  # fmt: skip


def test_another_version_is_a_miss_and_replaces_the_entry():
    cache = FeedCache()
    cache.put(("all",), entry("v1"))
    assert cache.get(("all",), "v1").version == "v1"
    assert cache.get(("all",), "v2") is None
    cache.put(("all",), entry("v2"))
    assert cache.get(("all",), "v1") is None
    assert len(cache) == 1


def test_least_recently_used_goes_first_when_full():
    cache = FeedCache(max_entries=2)
    cache.put(("a",), entry("1"))
    cache.put(("b",), entry("1"))
    cache.get(("a",), "1")  # a is now more recent than b
    cache.put(("c",), entry("1"))
    assert cache.get(("b",), "1") is None
    assert cache.get(("a",), "1")
    assert cache.get(("c",), "1")


def test_total_size_is_bounded():
    cache = FeedCache(max_bytes=100)
    for key in "abcd":
        cache.put((key,), entry("1", size=40))
    assert len(cache) == 2
    cache.put(("huge",), entry("1", size=101))  # larger than the whole cache: not kept
    assert cache.get(("huge",), "1") is None
    assert len(cache) == 2


def test_concurrent_misses_build_once():
    cache = FeedCache()
    builds = []

    def build():
        builds.append(1)
        time.sleep(0.05)
        return entry("v1")

    results = []
    threads = [
        threading.Thread(target=lambda: results.append(cache.get_or_build(("all",), "v1", build)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(builds) == 1
    assert len(results) == 8
    assert {r.version for r in results} == {"v1"}


# --- Themes and organisations live in rows of their own ---------------------------------
# A feed shows its events' theme names (CATEGORIES) and organiser (DESCRIPTION). Changing
# those changes no event row, yet the feed must change, with a new ETag, in every feed kind.

FEED_URLS = {
    "all": lambda event, theme, org: "/kalender/evenemang.ics",
    "filtered": lambda event, theme, org: "/kalender/evenemang.ics?kommun=halmstad&format=seminar",
    "theme": lambda event, theme, org: f"/kalender/tema/{theme.slug}.ics",
    "municipality": lambda event, theme, org: "/kalender/kommun/halmstad.ics",
    "organisation": lambda event, theme, org: f"/kalender/arrangor/{org.slug}.ics",
    "event": lambda event, theme, org: f"/kalender/evenemang/{event.public_id}.ics",
}


def _rename_theme(theme, org):
    theme.name_sv = "Arbete och försörjning"


def _rename_organisation(theme, org):
    org.name = "Länsstyrelsen i Hallands län"


def _change_organisation_contact(theme, org):
    org.contact_email = "info@example.se"


# change → (what the feed shows before, and after it)
CHANGES = {
    "theme renamed": (_rename_theme, "Hälsa", "Arbete och försörjning"),
    "organisation renamed": (
        _rename_organisation,
        "Region Halland",
        "Länsstyrelsen i Hallands län",
    ),
    "organisation contact changed": (
        _change_organisation_contact,
        "kontakt@example.se",
        "info@example.se",
    ),
}


@pytest.fixture
def feed_world(app):
    app.extensions[CACHE_EXTENSION].clear()
    theme = make_theme(slug="halsa", name_sv="Hälsa")
    org = make_organisation(
        slug="region", name="Region Halland", contact_email="kontakt@example.se"
    )
    event = make_event(themes=[theme], organisation=org, municipality="halmstad", format="seminar")
    db.session.commit()
    return event, theme, org


def shown(response) -> str:
    """What the feed's one event shows from its themes and organiser (unfolded)."""
    (vevent,) = Calendar.from_ical(response.data).walk("VEVENT")
    return " | ".join([*vevent.categories, str(vevent["description"])])


@pytest.mark.parametrize("change", CHANGES)
@pytest.mark.parametrize("feed", FEED_URLS)
def test_a_changed_theme_or_organisation_changes_every_feed_and_its_etag(
    client, feed_world, feed, change
):
    event, theme, org = feed_world
    url = FEED_URLS[feed](event, theme, org)
    mutate, old, new = CHANGES[change]
    first = client.get(url)
    assert first.status_code == 200
    assert old in shown(first)
    etag = first.headers["ETag"]
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    mutate(theme, org)
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200  # not 304: the client's copy is out of date
    assert again.headers["ETag"] != etag
    assert new in shown(again)
    assert old not in shown(again)
    assert client.get(url, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304


@pytest.mark.parametrize("feed", ["all", "organisation", "event"])
def test_reordering_themes_reorders_the_categories_in_the_feed(client, feed_world, feed):
    event, theme, org = feed_world
    other = make_theme(name_sv="Arbete", position=theme.position + 1)
    event.themes = [theme, other]
    db.session.commit()
    url = FEED_URLS[feed](event, theme, org)
    first = client.get(url)
    (vevent,) = Calendar.from_ical(first.data).walk("VEVENT")
    assert vevent.categories == ["Hälsa", "Arbete"]
    other.position = theme.position - 1
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    (vevent,) = Calendar.from_ical(again.data).walk("VEVENT")
    assert vevent.categories == ["Arbete", "Hälsa"]


@pytest.mark.parametrize("feed", ["all", "organisation", "event"])
def test_a_deleted_theme_leaves_the_feed(client, feed_world, feed):
    """Deleting a theme removes its links to events without touching the events."""
    event, theme, org = feed_world
    url = FEED_URLS[feed](event, theme, org)
    first = client.get(url)
    assert "Hälsa" in shown(first)
    operations.delete_theme(theme, make_user(is_admin=True))
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert "Hälsa" not in shown(again)


def test_the_theme_feed_follows_the_theme_description(client, feed_world):
    event, theme, org = feed_world
    url = FEED_URLS["theme"](event, theme, org)
    first = client.get(url)
    theme.description_sv = "Ny beskrivning av temat"
    db.session.commit()
    again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200
    assert str(Calendar.from_ical(again.data)["description"]) == "Ny beskrivning av temat"
