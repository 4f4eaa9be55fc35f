"""The CDP connector (Infobip People, seed 004): per program configuration, what an ingested event
owes People (queued in the ingest's transaction: cdp_tasks), and whole-program jobs (a backfill, a
bulk tag or untag: cdp_jobs). cdp_sync.py sends them; people.py is the HTTP side.

An enrolment (LOY_OPT_IN) creates the person (external id = loyalty number, email, phone, the
profile's attributes, the loyalty tag); any event that touches a member pushes the member's profile
again, debounced per member; the eight loyalty events the program chose go as People events; an
opt-out removes the tag.
"""

import dataclasses
import datetime as dt
import json
import math
import re
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.notifications import people, profile, targets
from services.notifications.mapping import Mapped

EIGHT = ("LOY_OPT_IN", "LOY_OPT_OUT", "LOY_POINT_ACCRUAL", "LOY_POINT_REDEMPTION", "TIER_UPGRADE",
         "TIER_DOWNGRADE", "TIER_ANNIVERSARY", "CLOSE_TO_TIER_UPGRADE")
MAX_LIST = 100_000  # loyalty numbers in one tag job


@dataclasses.dataclass(frozen=True)
class Connector:
    program_id: uuid.UUID
    base_url: str
    api_key: str = dataclasses.field(repr=False)
    account: str
    attributes: dict
    tag: str
    event_types: tuple[str, ...]
    active: bool
    debounce_seconds: float
    creates_per_second: float
    updates_per_second: float
    tag_batch_size: int
    active_within_days: int
    updated_by: str
    updated_at: dt.datetime

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Connector":
        values = {f.name: row[f.name] for f in dataclasses.fields(cls)}
        attributes = values["attributes"]
        values["attributes"] = json.loads(attributes) if isinstance(attributes, str) else dict(attributes)
        values["event_types"] = tuple(values["event_types"])
        return cls(**values)

    @property
    def rates(self) -> people.Rates:
        return people.Rates(creates_per_second=self.creates_per_second, updates_per_second=self.updates_per_second)


@dataclasses.dataclass(frozen=True)
class SaveCommand:
    base_url: str
    api_key: str  # '': keep the one saved
    attributes: dict | None  # None: keep (the seed's names at first)
    tag: str
    event_types: tuple[str, ...] | None  # None: keep (all eight at first)
    active: bool = True
    debounce_seconds: float = 2.0
    creates_per_second: float = people.DOCUMENTED[people.CREATE]
    updates_per_second: float = people.DOCUMENTED[people.UPDATE]
    tag_batch_size: int = people.MAX_TAG_BATCH
    active_within_days: int = 365
    by: str = ""


def _check_attributes(attributes: dict) -> dict:
    unknown = sorted(set(attributes) - set(profile.SEED_ATTRIBUTES))
    if unknown:
        raise invalid("attributes", f"{unknown[0]!r} is not a profile field (one of {', '.join(profile.SEED_ATTRIBUTES)})")
    names = [n.strip() for n in attributes.values() if n.strip()]
    if len(names) != len(set(names)):
        raise invalid("attributes", "two fields are mapped to the same People attribute")
    if any(len(n) > 100 for n in names):
        raise invalid("attributes", "a People attribute name is at most 100 characters")
    return {field: name.strip() for field, name in attributes.items()}


def _check_number(value: float, field: str, low: float, high: float) -> float:
    if not (math.isfinite(value) and low <= value <= high):
        raise invalid(field, f"must be between {low:g} and {high:g}")
    return value


async def save(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: SaveCommand,
               allow_private: bool) -> Connector:
    base_url = await targets.check_for_saving(command.base_url, allow_private=allow_private, field="baseUrl")
    if command.event_types is not None:
        wrong = [e for e in command.event_types if e not in EIGHT]
        if wrong:
            raise invalid("eventTypes", f"{wrong[0]!r} is not one of {', '.join(EIGHT)}")
    if command.tag and not re.fullmatch(r"[\w .\-]{1,100}", command.tag):
        raise invalid("tag", "must be 1 to 100 letters, digits, spaces, '.', '-' or '_'")
    _check_number(command.debounce_seconds, "debounceSeconds", 0, 3600)
    _check_number(command.creates_per_second, "createsPerSecond", 0.1, 1000)
    _check_number(command.updates_per_second, "updatesPerSecond", 0.1, 1000)
    _check_number(command.tag_batch_size, "tagBatchSize", 1, people.MAX_TAG_BATCH)
    _check_number(command.active_within_days, "activeWithinDays", 1, 3660)
    attributes = _check_attributes(command.attributes) if command.attributes is not None else None
    async with tenant_tx(pool, program_id) as conn:
        saved = await conn.fetchrow("SELECT api_key, attributes, event_types FROM cdp_connectors")
        api_key = command.api_key.strip() or (saved["api_key"] if saved else "")
        if not api_key:
            raise invalid("apiKey", "is required the first time")
        if attributes is None:
            attributes = json.loads(saved["attributes"]) if saved else dict(profile.SEED_ATTRIBUTES)
        event_types = list(command.event_types if command.event_types is not None else
                           (saved["event_types"] if saved else EIGHT))
        row = await conn.fetchrow(
            "INSERT INTO cdp_connectors(program_id, base_url, api_key, account, attributes, tag, event_types, active,"
            " debounce_seconds, creates_per_second, updates_per_second, tag_batch_size, active_within_days,"
            " updated_by) VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14)"
            " ON CONFLICT (program_id) DO UPDATE SET base_url = excluded.base_url, api_key = excluded.api_key,"
            " account = excluded.account, attributes = excluded.attributes, tag = excluded.tag,"
            " event_types = excluded.event_types, active = excluded.active,"
            " debounce_seconds = excluded.debounce_seconds, creates_per_second = excluded.creates_per_second,"
            " updates_per_second = excluded.updates_per_second, tag_batch_size = excluded.tag_batch_size,"
            " active_within_days = excluded.active_within_days, updated_by = excluded.updated_by,"
            " updated_at = now() RETURNING *",
            program_id, base_url, api_key, people.account_of(base_url, api_key), json.dumps(attributes),
            command.tag.strip(), event_types, command.active, command.debounce_seconds, command.creates_per_second,
            command.updates_per_second, command.tag_batch_size, command.active_within_days, command.by)
        await conn.execute("INSERT INTO cdp_programs(program_id, active) VALUES ($1, $2)"
                           " ON CONFLICT (program_id) DO UPDATE SET active = excluded.active", program_id, command.active)
    return Connector.from_row(row)


async def connector_of(conn: asyncpg.Connection) -> Connector | None:
    row = await conn.fetchrow("SELECT * FROM cdp_connectors")
    return Connector.from_row(row) if row else None


async def get(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> Connector | None:
    async with tenant_tx(pool, program_id) as conn:
        return await connector_of(conn)


@dataclasses.dataclass(frozen=True)
class Backlog:
    pending: int
    failed: int
    last_error: str


async def backlog(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> Backlog:
    async with tenant_tx(pool, program_id) as conn:
        row = await conn.fetchrow(
            "SELECT count(*) FILTER (WHERE status = 'pending') AS pending,"
            " count(*) FILTER (WHERE status = 'failed') AS failed,"
            " (SELECT last_error FROM cdp_tasks WHERE last_error <> '' ORDER BY id DESC LIMIT 1) AS last_error"
            " FROM cdp_tasks WHERE status <> 'done'")
    return Backlog(pending=row["pending"], failed=row["failed"], last_error=row["last_error"] or "")


# ---- what an ingested batch owes People (in the ingest's transaction) ----------------------------

def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(w.title() for w in rest)


def event_properties(event_id: uuid.UUID, mapped: Mapped) -> dict:
    """A catalogue event as a People event's properties: its data in camelCase (lists joined with
    commas), with the event's stable id for de-duplication and when it occurred."""
    props = {_camel(k): (",".join(map(str, v)) if isinstance(v, list) else v) for k, v in mapped.data.items()}
    props["eventId"] = str(event_id)
    props["occurredAt"] = mapped.occurred_at.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")
    return props


def task_rows(connector: Connector, made: list[tuple[uuid.UUID, Mapped]], touched: list[str]) -> tuple[list[dict], list[str]]:
    """(the ordered tasks of the batch's events, the members whose attributes are to be pushed)."""
    rows, created = [], set()
    for event_id, mapped in made:
        number = mapped.loyalty_number
        if not number:
            continue
        at = mapped.occurred_at.isoformat()
        if mapped.name == "LOY_OPT_IN":
            rows.append({"loyalty_number": number, "kind": "create", "event_id": str(event_id), "occurred_at": at})
            created.add(number)
        if mapped.name in connector.event_types:
            rows.append({"loyalty_number": number, "kind": "event", "event_id": str(event_id), "occurred_at": at,
                         "event_type": mapped.name, "properties": event_properties(event_id, mapped)})
        if mapped.name == "LOY_OPT_OUT" and connector.tag:
            rows.append({"loyalty_number": number, "kind": "untag", "event_id": str(event_id), "occurred_at": at})
    members = [n for n in dict.fromkeys([*touched, *(m.loyalty_number for _, m in made)]) if n and n not in created]
    return rows, members


async def queue(conn: asyncpg.Connection, *, program_id: uuid.UUID, made: list[tuple[uuid.UUID, Mapped]],
                touched: list[str]) -> int:
    """Queues what the batch owes People when the program has an active connector; returns how many
    tasks are new (an event arriving again queues nothing: one task per event and kind)."""
    connector = await connector_of(conn)
    if connector is None or not connector.active:
        return 0
    rows, members = task_rows(connector, made, touched)
    new = 0
    if rows:
        new += len(await conn.fetch(
            "INSERT INTO cdp_tasks(program_id, loyalty_number, kind, event_id, event_type, properties, occurred_at)"
            " SELECT $1, x.loyalty_number, x.kind, x.event_id, coalesce(x.event_type, ''), coalesce(x.properties, '{}'),"
            " x.occurred_at FROM jsonb_to_recordset($2::jsonb) AS x(loyalty_number text, kind text, event_id uuid,"
            " event_type text, properties jsonb, occurred_at timestamptz, n int) ORDER BY x.n"
            " ON CONFLICT (program_id, event_id, kind) WHERE event_id IS NOT NULL DO NOTHING RETURNING id",
            program_id, [{**r, "n": n} for n, r in enumerate(rows)]))
    if members:
        new += len(await conn.fetch(
            "INSERT INTO cdp_tasks(program_id, loyalty_number, kind, due_at)"
            " SELECT $1, n, 'attributes', now() + make_interval(secs => $3) FROM unnest($2::text[]) AS n"
            " ON CONFLICT (program_id, loyalty_number) WHERE kind = 'attributes' AND status = 'pending'"
            " DO UPDATE SET changes = cdp_tasks.changes + 1 RETURNING id",
            program_id, members, connector.debounce_seconds))
    return new


def touched_members(payloads: list[dict]) -> list[str]:
    """Every loyalty number a batch of source rows names: each such member's profile may have changed."""
    found = []
    for p in payloads:
        for key in ("loyalty_number", "to_loyalty_number", "from_loyalty_number"):
            if isinstance(p, dict) and isinstance(p.get(key), str) and p[key]:
                found.append(p[key])
    return found


# ---- whole-program jobs ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Job:
    id: uuid.UUID
    kind: str
    status: str
    done: int
    failed: int
    total: int | None
    last_error: str
    created_at: dt.datetime
    updated_at: dt.datetime
    finished_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> "Job":
        return cls(**{f.name: row[f.name] for f in dataclasses.fields(cls)})


async def start_job(pool: asyncpg.Pool, *, program_id: uuid.UUID, kind: str, loyalty_numbers: list[str] | None,
                    by: str) -> Job:
    """A backfill (every member) or a tag/untag of the listed members (None: every member)."""
    if kind not in ("backfill", "tag", "untag"):
        raise invalid("kind", "must be backfill, tag or untag")
    if loyalty_numbers is not None:
        loyalty_numbers = list(dict.fromkeys(n.strip() for n in loyalty_numbers if n.strip()))
        if not 0 < len(loyalty_numbers) <= MAX_LIST:
            raise invalid("loyaltyNumbers", f"must name 1 to {MAX_LIST} members (or ask for all members)")
    async with tenant_tx(pool, program_id) as conn:
        connector = await connector_of(conn)
        if connector is None:
            raise not_found("CDP connector of program", str(program_id))
        if kind != "backfill" and not connector.tag:
            raise invalid("tag", "the connector has no loyalty tag to set")
        row = await conn.fetchrow(
            "INSERT INTO cdp_jobs(id, program_id, kind, loyalty_numbers, total, created_by)"
            " VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
            uuid.uuid4(), program_id, kind, loyalty_numbers, len(loyalty_numbers) if loyalty_numbers else None, by)
    return Job.from_row(row)


async def list_jobs(pool: asyncpg.Pool, *, program_id: uuid.UUID, limit: int = 20) -> list[Job]:
    async with tenant_tx(pool, program_id) as conn:
        rows = await conn.fetch("SELECT * FROM cdp_jobs ORDER BY created_at DESC, id LIMIT $1", limit)
    return [Job.from_row(r) for r in rows]
