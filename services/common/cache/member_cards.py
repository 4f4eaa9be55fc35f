"""The till's member card: the points summary `enquire` and `identify` show, one entry per member.

Written by the points service (services/points/ledger/cards.py) after each posting commits and when
a read finds it missing; read by every gateway replica before it asks the points service. An entry
carries the version of the ledger it was read at (versioned.py: a stale writer never overwrites a
newer card) and the moment it stops being true on its own (the next lot's expiry, when available
points change without a posting). A card whose lots are past their date but not yet expired by the
job is never cached. Balances that decide a redeem are read from PostgreSQL inside the posting
transaction; this card only serves reads.
"""

import datetime as dt
import json
import uuid

from services.common.cache import versioned
from services.common.cache.store import SharedCache

CACHE = "member_cards"


def key(program_id: uuid.UUID | str, loyalty_number: str) -> str:
    return f"{program_id}:{loyalty_number}"


def encode(summary: dict, *, valid_until: str | None) -> str:
    return json.dumps({"s": summary, "until": valid_until}, separators=(",", ":"))


async def store(cache: SharedCache, *, program_id, loyalty_number: str, version: int, summary: dict,
                valid_until: str | None, known: versioned.Known | None = None,
                write_by: float | None = None) -> bool | None:
    """True: stored (or removed, past `write_by`); False: a newer card is there; None: the cache could not
    answer. `known`: the writer's memory of the cards it wrote (one round trip when nobody else wrote)."""
    return await versioned.put_if_newer(cache, CACHE, key(program_id, loyalty_number), version=version,
                                        payload=encode(summary, valid_until=valid_until), known=known,
                                        write_by=write_by)


async def load(cache: SharedCache, *, program_id, loyalty_number: str, now: dt.datetime | None = None) -> dict | None:
    """The card's summary fields, or None (ask the points service) when absent, unreadable or expired."""
    found = versioned.decode(await cache.get(CACHE, key(program_id, loyalty_number)))
    if found is None:
        return None
    try:
        card = json.loads(found[1])
        until = card.get("until")
        if until and dt.datetime.fromisoformat(until) <= (now or dt.datetime.now(dt.timezone.utc)):
            return None
        return card["s"]
    except (ValueError, KeyError, TypeError, AttributeError):
        return None


async def load_versioned(cache: SharedCache, *, program_id, loyalty_number: str) -> tuple[int, dict] | None:
    """(version, summary) as stored, expired or not (for tests and checks)."""
    found = versioned.decode(await cache.get(CACHE, key(program_id, loyalty_number)))
    if found is None:
        return None
    return found[0], json.loads(found[1])["s"]


async def forget(cache: SharedCache, *, program_id, loyalty_number: str,
                 known: versioned.Known | None = None) -> bool:
    if known is not None:
        known.drop(key(program_id, loyalty_number))
    return await cache.remove(CACHE, key(program_id, loyalty_number))
