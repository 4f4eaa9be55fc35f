"""SQL for segments and activity aggregates."""

import uuid

import asyncpg

FACT_COLUMNS = (
    "m.id, m.loyalty_number, m.status, m.channel, m.zip, m.nationality, m.birth_date, m.enrolled_at,"
    " m.marketing_email, m.marketing_sms, m.marketing_post, m.custom_attributes,"
    " a.balance, a.lifetime_points, a.total_spend, a.transactions, a.last_activity_at"
)


async def rule_segments(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT code, rule FROM segments WHERE kind = 'rule' ORDER BY code")


async def segment(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM segments WHERE code = $1", code)


async def segments(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT * FROM segments ORDER BY code")


async def upsert_segment(conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str, kind: str,
                         rule: dict | None, updated_by: str) -> None:
    await conn.execute(
        "INSERT INTO segments(program_id, code, name, kind, rule, updated_by) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (program_id, code) DO UPDATE SET name = $3, kind = $4, rule = $5, updated_by = $6,"
        " updated_at = now()",
        program_id, code, name, kind, rule, updated_by,
    )


async def member_facts_row(conn: asyncpg.Connection, member_id: uuid.UUID) -> asyncpg.Record:
    return await conn.fetchrow(
        f"SELECT {FACT_COLUMNS} FROM members m LEFT JOIN member_activity a"
        " ON a.program_id = m.program_id AND a.member_id = m.id WHERE m.id = $1",
        member_id,
    )


async def stream_member_facts(conn: asyncpg.Connection, batch: int):
    """Every member with its aggregates, in id order, one page at a time (keyset)."""
    last = None
    while True:
        rows = await conn.fetch(
            f"SELECT {FACT_COLUMNS} FROM members m LEFT JOIN member_activity a"
            " ON a.program_id = m.program_id AND a.member_id = m.id"
            " WHERE ($1::uuid IS NULL OR m.id > $1) ORDER BY m.id LIMIT $2",
            last, batch,
        )
        for row in rows:
            yield row
        if len(rows) < batch:
            return
        last = rows[-1]["id"]


async def set_member_rule_segments(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID,
                                   codes: list[str]) -> None:
    removed = await conn.fetch(
        "DELETE FROM segment_members sm USING segments s WHERE s.program_id = sm.program_id"
        " AND s.code = sm.segment_code AND s.kind = 'rule' AND sm.member_id = $1 AND sm.segment_code <> ALL($2)"
        " RETURNING sm.segment_code",
        member_id, codes,
    )
    added = await conn.fetch(
        "INSERT INTO segment_members(program_id, segment_code, member_id) SELECT $1, c, $2 FROM unnest($3::text[]) c"
        " ON CONFLICT DO NOTHING RETURNING segment_code",
        program_id, member_id, codes,
    )
    changes = [(r["segment_code"], -1) for r in removed] + [(r["segment_code"], 1) for r in added]
    for code, delta in changes:
        await conn.execute("UPDATE segments SET member_count = member_count + $2 WHERE code = $1", code, delta)


async def replace_members(conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str,
                          member_ids: list[uuid.UUID]) -> int:
    await conn.execute(
        "DELETE FROM segment_members WHERE segment_code = $1 AND member_id NOT IN (SELECT unnest($2::uuid[]))",
        code, member_ids,
    )
    await conn.execute(
        "INSERT INTO segment_members(program_id, segment_code, member_id) SELECT $1, $2, m FROM unnest($3::uuid[]) m"
        " ON CONFLICT DO NOTHING",
        program_id, code, member_ids,
    )
    await conn.execute(
        "UPDATE segments SET member_count = $2, refreshed_at = now() WHERE code = $1", code, len(member_ids)
    )
    return len(member_ids)


async def member_ids_by_numbers(conn: asyncpg.Connection, numbers: list[str]) -> dict[str, uuid.UUID]:
    rows = await conn.fetch(
        "SELECT loyalty_number, id FROM members WHERE loyalty_number = ANY($1::text[])"
        " AND status NOT IN ('merged', 'erased')", numbers,
    )
    return {r["loyalty_number"]: r["id"] for r in rows}


async def member_segment_codes(conn: asyncpg.Connection, member_id: uuid.UUID) -> list[str]:
    rows = await conn.fetch(
        "SELECT segment_code FROM segment_members WHERE member_id = $1 ORDER BY segment_code", member_id
    )
    return [r["segment_code"] for r in rows]


async def claim_event(conn: asyncpg.Connection, *, program_id: uuid.UUID, event_id: str) -> bool:
    return bool(await conn.fetchval(
        "INSERT INTO consumed_ledger_events(program_id, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        " RETURNING true", program_id, event_id,
    ))


async def apply_activity(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, balance: int,
                         lifetime: int, spend, occurred_at) -> None:
    await conn.execute(
        "INSERT INTO member_activity AS a (program_id, member_id, balance, lifetime_points, total_spend,"
        " transactions, first_activity_at, last_activity_at) VALUES ($1, $2, $3, $4, $5, 1, $6, $6)"
        " ON CONFLICT (program_id, member_id) DO UPDATE SET balance = a.balance + $3,"
        " lifetime_points = a.lifetime_points + $4, total_spend = a.total_spend + $5,"
        " transactions = a.transactions + 1,"
        " first_activity_at = least(a.first_activity_at, $6), last_activity_at = greatest(a.last_activity_at, $6),"
        " updated_at = now()",
        program_id, member_id, balance, lifetime, spend, occurred_at,
    )


async def remove_member_everywhere(conn: asyncpg.Connection, member_id: uuid.UUID) -> None:
    removed = await conn.fetch("DELETE FROM segment_members WHERE member_id = $1 RETURNING segment_code", member_id)
    for row in removed:
        await conn.execute("UPDATE segments SET member_count = member_count - 1 WHERE code = $1", row["segment_code"])
