"""The audit log: appended in batches, read with filters, purged only past the retention setting
(the table's trigger refuses every other UPDATE or DELETE)."""

import datetime as dt
import json

import asyncpg

from services.common.errors import invalid

COLUMNS = ("subject", "subject_kind", "roles", "program_code", "ip", "user_agent", "operation", "target_ids",
           "summary", "request_id", "outcome", "entry_key")


def _time(value: str, field: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise invalid(field, "is not an ISO 8601 date-time") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def storable(value):
    """PostgreSQL text and jsonb cannot hold NUL nor a lone surrogate: both are kept visible as escapes
    instead of refusing the entry (an attempt with a NUL argument is exactly what an audit must keep)."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "\\u0000")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            value = value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {storable(str(k)): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value


def _json(text: str, default, field: str):
    if not text:
        return default
    try:
        return storable(json.loads(text))
    except (ValueError, RecursionError):
        return {"unparsed": storable(text[:10_000])} if field == "summary_json" else [storable(text[:1_000])]


async def append(pool: asyncpg.Pool, entries: list[dict]) -> int:
    if not entries:
        return 0
    records = []
    for e in entries:
        if not e.get("operation"):
            raise invalid("operation", "is required")
        text = {k: storable(e.get(k) or "") for k in ("subject", "subject_kind", "roles", "program_code", "ip",
                                                      "user_agent", "operation", "request_id", "outcome")}
        records.append((text["subject"] or "anonymous", text["subject_kind"], text["roles"], text["program_code"],
                        text["ip"], text["user_agent"], text["operation"],
                        _json(e.get("target_ids"), [], "target_ids"), _json(e.get("summary_json"), {}, "summary_json"),
                        text["request_id"], text["outcome"] or "ok", storable(e.get("entry_key") or "")[:100] or None))
    try:
        async with pool.acquire() as conn:
            await conn.executemany(
                f"INSERT INTO audit_log ({', '.join(COLUMNS)}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
                " $12) ON CONFLICT (entry_key) WHERE entry_key IS NOT NULL DO NOTHING", records)
    except asyncpg.DataError as exc:  # what an entry holds, not the database's health: the caller must not retry it
        raise invalid("entries", f"an entry cannot be stored: {type(exc).__name__}") from None
    return len(records)


async def query(pool: asyncpg.Pool, *, program_code: str, subject: str, operation: str, outcome: str,
                from_: str, to: str, limit: int, before_id: str) -> list[asyncpg.Record]:
    limit = min(max(limit or 100, 1), 10_000)
    clauses, args = [], []

    def add(sql: str, value) -> None:
        args.append(value)
        clauses.append(sql.format(f"${len(args)}"))

    if program_code:
        add("program_code = {}", program_code)
    if subject:
        add("subject = {}", subject)
    if operation:
        add("operation = {}", operation)
    if outcome:
        add("outcome = {}", outcome)
    if (start := _time(from_, "from")) is not None:
        add("occurred_at >= {}", start)
    if (end := _time(to, "to")) is not None:
        add("occurred_at < {}", end)
    if before_id:
        if not before_id.isdigit():
            raise invalid("before", "is not an audit entry id")
        add("id < {}", int(before_id))
    where = " AND ".join(clauses) or "true"
    args.append(limit)
    async with pool.acquire() as conn:
        return await conn.fetch(f"SELECT * FROM audit_log WHERE {where} ORDER BY id DESC LIMIT ${len(args)}", *args)


async def purge(pool: asyncpg.Pool, *, retention_days: int) -> int:
    """Deletes entries older than the retention (at least 30 days); sets the retention when given."""
    async with pool.acquire() as conn, conn.transaction():
        if retention_days:
            if retention_days < 30:
                raise invalid("retentionDays", "must be at least 30")
            await conn.execute("UPDATE audit_settings SET retention_days = $1", retention_days)
        await conn.execute("SELECT set_config('app.audit_purge', 'on', true)")
        result = await conn.execute("DELETE FROM audit_log WHERE occurred_at < now() -"
                                    " make_interval(days => (SELECT retention_days FROM audit_settings))")
    return int(result.split()[-1])
