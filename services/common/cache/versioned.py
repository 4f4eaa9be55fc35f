"""Versioned entries: "<version>|<payload>", replaced only by a higher version (compare-and-set), so a
writer that read older data can never overwrite what a later writer stored."""

from services.common.cache.store import SharedCache

ATTEMPTS = 8


def encode(version: int, payload: str) -> str:
    return f"{version}|{payload}"


def decode(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    version, sep, payload = value.partition("|")
    if not sep or not version.isdigit():
        return None
    return int(version), payload


async def put_if_newer(cache: SharedCache, name: str, key: str, *, version: int, payload: str) -> bool | None:
    """True: the entry now holds `version`; False: one as new or newer is there (equal versions hold
    equal data); None: the cache could not answer (callers treat the entry as unknown)."""
    new = encode(version, payload)
    for _ in range(ATTEMPTS):
        current = await cache.get(name, key)
        known = decode(current)
        if known is not None and known[0] >= version:
            return False
        swapped = await cache.compare_and_set(name, key, current, new)
        if swapped is None:
            return None
        if swapped:
            return True
    return None  # lost every race: someone else keeps writing newer cards
