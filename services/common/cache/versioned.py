"""Versioned entries: "<version>|<payload>", replaced only by a higher version (compare-and-set), so a
writer that read older data can never overwrite what a later writer stored.

A compare-and-set needs the value it replaces. A writer that keeps what it last stored or saw (`Known`)
offers that as its first expectation: when nobody else wrote the entry meanwhile, the write is one round
trip instead of a get and a compare-and-set. A wrong expectation only fails the compare-and-set (the
cache compares the whole value), and the writer then reads the entry and goes on as before: what may
replace an entry is still decided from the value actually there, never from the guess alone, and a guess
never decides that there is nothing to write (the entry may be gone: a restarted cache, an eviction).
"""

import collections
import time

from services.common.cache.store import SharedCache

ATTEMPTS = 8
UNKNOWN = object()  # no expectation: read the entry first


def encode(version: int, payload: str) -> str:
    return f"{version}|{payload}"


def decode(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    version, sep, payload = value.partition("|")
    if not sep or not version.isdigit():
        return None
    return int(version), payload


class Known:
    """What a writer last stored in or read from each entry (None: absent), the newest `size` entries."""

    def __init__(self, size: int = 100_000):
        self._values: collections.OrderedDict[str, str | None] = collections.OrderedDict()
        self._size = size

    def get(self, key: str):
        return self._values.get(key, UNKNOWN)

    def set(self, key: str, value: str | None) -> None:
        self._values[key] = value
        self._values.move_to_end(key)
        if len(self._values) > self._size:
            self._values.popitem(last=False)

    def drop(self, key: str) -> None:
        self._values.pop(key, None)


async def put_if_newer(cache: SharedCache, name: str, key: str, *, version: int, payload: str,
                       known: Known | None = None, write_by: float | None = None) -> bool | None:
    """True: the entry now holds `version`; False: one as new or newer is there (equal versions hold
    equal data); None: the cache could not answer (callers treat the entry as unknown).

    `write_by` (time.monotonic()): no compare-and-set is sent after it; the entry is removed instead (and
    True answered: nothing older stays), so a writer delayed past it can only make a miss, never land old
    data: callers bound how long after its read a value can land."""
    new = encode(version, payload)
    current = known.get(key) if known is not None else UNKNOWN
    guessed = current is not UNKNOWN
    for _ in range(ATTEMPTS):
        if current is UNKNOWN:
            current, guessed = await cache.get(name, key), False
            if current is None and not cache.available:
                return None
        found = decode(current)
        if found is not None and found[0] >= version:
            if guessed:  # a guess only saves the get before a write, never decides there is nothing to write
                current = UNKNOWN  # (the entry may be gone: a restarted cache, an eviction)
                continue
            if known is not None:
                known.set(key, current)
            return False
        if write_by is not None and time.monotonic() > write_by:
            if known is not None:
                known.drop(key)
            return True if await cache.remove(name, key) else None
        swapped = await cache.compare_and_set(name, key, current, new)
        if swapped is None:
            if known is not None:
                known.drop(key)
            return None
        if swapped:
            if known is not None:
                known.set(key, new)
            return True
        current = UNKNOWN  # someone else wrote it (or the expectation was wrong): read what is there
    if known is not None:
        known.drop(key)
    return None  # lost every race: someone else keeps writing newer cards
