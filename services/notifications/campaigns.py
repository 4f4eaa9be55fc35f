"""CAMPAIGN_STARTED and CAMPAIGN_ENDED: a campaign opens and closes by the clock, not by a
transaction, so the `campaign-events` job (every few minutes) looks at each program's campaigns and
ingests an event for each window edge that has passed, as if from an outbox of its own (source
`campaigns`). The row's id is derived from the campaign, the edge and its time, so a rerun, a
run after a killed one or two runs at once store each event once (events.ingest keeps one per
source row); a window that is moved gets events for its new times."""

import datetime as dt
import hashlib
import uuid

import asyncpg

from services.notifications import events
from services.notifications.mapping import SourceEvent, parse_time


def row_id(*, code: str, event_type: str, at: str) -> int:
    """A stable positive bigint for (campaign, edge, time)."""
    return int.from_bytes(hashlib.sha256(f"{code}\n{event_type}\n{at}".encode()).digest()[:8], "big") >> 1


def due_events(campaigns, *, now: dt.datetime, lookback: dt.timedelta) -> list[SourceEvent]:
    """The window edges that passed within the lookback (older ones are history, not news)."""
    made = []
    for c in campaigns:
        if c.archived:
            continue
        edges = [("CAMPAIGN_STARTED", c.starts_at)] + ([("CAMPAIGN_ENDED", c.ends_at)] if c.ends_at else [])
        for event_type, at in edges:
            when = parse_time(at, "at")
            if not now - lookback <= when <= now:
                continue
            payload = {"campaign_code": c.code, "name": c.name, "starts_at": _rfc3339(c.starts_at),
                       "ends_at": _rfc3339(c.ends_at) if c.ends_at else None}
            made.append(SourceEvent(source="campaigns", outbox_id=row_id(code=c.code, event_type=event_type, at=at),
                                    event_type=event_type, payload=payload, recorded_at=when))
    return sorted(made, key=lambda e: (e.recorded_at, e.event_type != "CAMPAIGN_ENDED"))


def _rfc3339(value: str) -> str:
    return parse_time(value, "at").astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


async def emit(pool: asyncpg.Pool, *, program_id: uuid.UUID, campaigns, now: dt.datetime,
               lookback: dt.timedelta) -> int:
    """Ingests the program's due campaign events; returns how many are new."""
    due = due_events(campaigns, now=now, lookback=lookback)
    return await events.ingest(pool, program_id=program_id, events=due) if due else 0
