"""The in-process feed cache: bounded, versioned, and one build per feed at a time."""

import threading
import time
from datetime import UTC, datetime

from eventreg.feeds.cache import CachedFeed, FeedCache


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
    assert cache.get(("a",), "1") and cache.get(("c",), "1")


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
    assert len(results) == 8 and {r.version for r in results} == {"v1"}
