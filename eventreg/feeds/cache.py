"""An in-process cache of serialised feeds, so polling calendars re-render nothing.

Each entry is stored under (feed, locale, base URL) together with the data version it was
built from; a lookup with another version is a miss and the rebuilt feed replaces the old
entry. Bounded by entry count and total bytes, least recently used out first.

A large feed takes seconds to build, and right after a change every polling calendar
misses at once; `get_or_build` lets one request build while the others for the same
feed wait for its result.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class CachedFeed:
    version: str
    body: bytes
    etag: str
    last_modified: datetime


class FeedCache:
    def __init__(self, max_entries: int = 512, max_bytes: int = 64 * 1024 * 1024):
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple, CachedFeed] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        # A fixed set of build locks (feeds hash onto them), so arbitrary filter URLs
        # cannot grow a dictionary of locks.
        self._build_locks = [threading.Lock() for _ in range(64)]

    def get(self, key: tuple, version: str) -> CachedFeed | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None or entry.version != version:
                return None
            self._entries.move_to_end(key)
            return entry

    def get_or_build(self, key: tuple, version: str, build: Callable[[], CachedFeed]) -> CachedFeed:
        entry = self.get(key, version)
        if entry is not None:
            return entry
        with self._build_locks[hash(key) % len(self._build_locks)]:
            entry = self.get(key, version)  # built by the request we waited for
            if entry is None:
                entry = build()
                self.put(key, entry)
            return entry

    def put(self, key: tuple, entry: CachedFeed) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= len(old.body)
            if len(entry.body) > self.max_bytes:
                return  # would evict everything else and still not fit
            self._entries[key] = entry
            self._bytes += len(entry.body)
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                _, evicted = self._entries.popitem(last=False)
                self._bytes -= len(evicted.body)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._bytes = 0

    def __len__(self) -> int:
        return len(self._entries)
