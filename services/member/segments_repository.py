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


APPLY_ACTIVITY = """
WITH input AS (
    SELECT DISTINCT ON (event_id) event_id, member_id, loyalty_number, balance, lifetime, spend, occurred_at
    FROM unnest($2::text[], $3::uuid[], $4::text[], $5::bigint[], $6::bigint[], $7::numeric[], $8::timestamptz[])
        WITH ORDINALITY AS e(event_id, member_id, loyalty_number, balance, lifetime, spend, occurred_at, ord)
    ORDER BY event_id, ord
), claimed AS (
    INSERT INTO consumed_ledger_events(program_id, event_id) SELECT $1, event_id FROM input
    ON CONFLICT DO NOTHING RETURNING event_id
), resolved AS (
    SELECT coalesce((SELECT m.id FROM members m WHERE m.id = i.member_id),
                    (SELECT m.id FROM members m WHERE m.loyalty_number = i.loyalty_number)) AS member_id,
           i.balance, i.lifetime, i.spend, i.occurred_at
    FROM input i JOIN claimed USING (event_id)
), per_member AS (
    SELECT member_id, sum(balance) AS balance, sum(lifetime) AS lifetime, sum(spend) AS spend, count(*) AS events,
           min(occurred_at) AS first_at, max(occurred_at) AS last_at
    FROM resolved WHERE member_id IS NOT NULL GROUP BY member_id
), applied AS (
    INSERT INTO member_activity AS a (program_id, member_id, balance, lifetime_points, total_spend, transactions,
                                      first_activity_at, last_activity_at)
    SELECT $1, member_id, balance, lifetime, spend, events, first_at, last_at FROM per_member ORDER BY member_id
    ON CONFLICT (program_id, member_id) DO UPDATE SET balance = a.balance + excluded.balance,
        lifetime_points = a.lifetime_points + excluded.lifetime_points,
        total_spend = a.total_spend + excluded.total_spend, transactions = a.transactions + excluded.transactions,
        first_activity_at = least(a.first_activity_at, excluded.first_activity_at),
        last_activity_at = greatest(a.last_activity_at, excluded.last_activity_at), updated_at = now()
    RETURNING member_id
)
SELECT (SELECT count(*) FROM claimed) AS accepted, array(SELECT member_id FROM applied ORDER BY member_id) AS touched
"""


async def apply_activity(conn: asyncpg.Connection, *, program_id: uuid.UUID, deltas: list[tuple]) -> asyncpg.Record:
    """Each event not consumed before into its member's totals, in one statement (members' rows in id
    order). deltas: (event_id, member_id, loyalty_number, balance, lifetime, spend, occurred_at); the
    member by id, else by loyalty number; an event of a member this service does not know is consumed
    and kept nowhere. Returns accepted (events new to this service) and touched (member ids, in order)."""
    columns = list(zip(*deltas, strict=True)) if deltas else [[]] * 7
    return await conn.fetchrow(APPLY_ACTIVITY, program_id, *(list(c) for c in columns))


async def remove_member_everywhere(conn: asyncpg.Connection, member_id: uuid.UUID) -> None:
    removed = await conn.fetch("DELETE FROM segment_members WHERE member_id = $1 RETURNING segment_code", member_id)
    for row in removed:
        await conn.execute("UPDATE segments SET member_count = member_count - 1 WHERE code = $1", row["segment_code"])
