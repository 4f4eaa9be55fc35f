"""Ingest: a service's outbox rows become catalogue events, validated, stored once each."""

import dataclasses
import datetime as dt
import logging
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.notifications import catalogue, cdp, messages, repository, webhook_repository
from services.notifications.mapping import SourceEvent, map_event

log = logging.getLogger(__name__)

# The stable event id: the same outbox row gives the same id however often it arrives.
ID_NAMESPACE = uuid.UUID("6f1d0c2e-2b8a-4f55-9a57-0c1e5d7a4b10")


def event_id(*, program_id: uuid.UUID, source: str, outbox_id: int, name: str) -> uuid.UUID:
    return uuid.uuid5(ID_NAMESPACE, f"{program_id}/{source}/{outbox_id}/{name}")


@dataclasses.dataclass(frozen=True)
class Event:
    sequence: int
    id: uuid.UUID
    type: str
    version: int
    occurred_at: dt.datetime
    member_id: uuid.UUID | None
    loyalty_number: str
    data: dict
    program_id: uuid.UUID

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Event":
        return cls(**{f.name: row[f.name] for f in dataclasses.fields(cls)})


async def ingest(pool: asyncpg.Pool, *, program_id: uuid.UUID, events: list[SourceEvent]) -> int:
    """Stores the catalogue events of `events` (one service's rows, in its outbox order) and queues a
    delivery of each new one to every active webhook subscription whose filter names its type and the
    member's message of an event with a template kind (messages.py) and what the program's CDP
    connector owes People (cdp.py), in the same transaction;
    returns how many are new. A row whose data breaks its schema is kept
    aside in rejected_events, logged."""
    rows, rejected, made = [], [], []
    for source_event in events:
        for mapped in map_event(source_event):
            errors = catalogue.validation_errors(mapped.name, mapped.data)
            if errors:
                log.error("%s from %s outbox %s breaks its schema: %s", mapped.name, source_event.source,
                          source_event.outbox_id, errors)
                rejected.append((source_event, mapped, errors))
                continue
            stable_id = event_id(program_id=program_id, source=source_event.source,
                                 outbox_id=source_event.outbox_id, name=mapped.name)
            made.append((stable_id, mapped))
            rows.append(repository.NewEvent(
                id=stable_id,
                type=mapped.name, version=catalogue.CATALOGUE[mapped.name].version, member_id=mapped.member_id,
                loyalty_number=mapped.loyalty_number, occurred_at=mapped.occurred_at, data=mapped.data,
                source=source_event.source, outbox_id=source_event.outbox_id))
    async with tenant_tx(pool, program_id) as conn:
        await repository.know_program(conn, program_id)
        for source_event, mapped, errors in rejected:
            await repository.reject(conn, program_id=program_id, source=source_event, name=mapped.name,
                                    data=mapped.data, errors=errors)
        stored = await repository.insert_events(conn, program_id=program_id, rows=rows) if rows else []
        if stored:
            await webhook_repository.fan_out(conn, program_id=program_id, sequences=stored)
        # the member's messages (welcome, tier, transfer): once per event and kind, whatever arrives again
        await messages.queue(conn, program_id=program_id, rows=messages.event_rows(made))
        # what People is owed (cdp.py): the person, its attributes, the loyalty events, the tag
        await cdp.queue(conn, program_id=program_id, made=made,
                        touched=cdp.touched_members([e.payload for e in events]))
    return len(stored)


async def list_events(pool: asyncpg.Pool, *, program_id: uuid.UUID, after_sequence: int, limit: int,
                      type_: str = "", loyalty_number: str = "") -> list[Event]:
    async with tenant_tx(pool, program_id) as conn:
        rows = await repository.list_events(conn, after_sequence=after_sequence, limit=limit, type_=type_,
                                            loyalty_number=loyalty_number)
    return [Event.from_row(r) for r in rows]


def envelope(event: Event) -> dict:
    """The event as receivers get it (catalogue.ENVELOPE)."""
    return {
        "id": str(event.id), "type": event.type, "version": event.version, "program_id": str(event.program_id),
        "occurred_at": event.occurred_at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z"),
        "member": ({"id": str(event.member_id), "loyalty_number": event.loyalty_number}
                   if event.member_id else None),
        "data": event.data,
    }


async def prune(pool: asyncpg.Pool, *, program_id: uuid.UUID, before: dt.datetime) -> int:
    """Deletes the program's events recorded before `before`, and the CDP tasks finished before then;
    returns how many events."""
    async with tenant_tx(pool, program_id) as conn:
        await conn.execute("DELETE FROM cdp_tasks WHERE status <> 'pending' AND done_at < $1", before)
        return await repository.delete_events_before(conn, before=before)
