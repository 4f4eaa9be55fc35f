"""Tiers and tier achieved dates from a legacy import's balances, set-based.

Each imported member gets the base tier in every slab, then the dump's tier code where the
program defines it (in whichever slab has that code), achieved on the legacy date and lapsing
after that tier's validity. A change is written to the tier history with the reason
'imported'. Rerunning changes nothing.
"""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import not_found


async def import_tiers(pool: asyncpg.Pool, *, import_id: uuid.UUID) -> dict:
    async with pool.acquire() as conn:
        program_id = await conn.fetchval("SELECT program_id FROM staging.imports WHERE id = $1", import_id)
    if program_id is None:
        raise not_found("import", str(import_id))
    async with tenant_tx(pool, program_id) as conn:
        # one-off statements over the whole import: compiling them (JIT) costs more than it saves
        await conn.execute("SET LOCAL jit = off")
        await conn.execute(
            """
            INSERT INTO members(program_id, member_id, loyalty_number)
            SELECT $2, mm.member_id, mm.loyalty_number
            FROM staging.members sm JOIN staging.member_map mm ON mm.program_id = $2 AND mm.legacy_id = sm.legacy_id
            WHERE sm.import_id = $1 ON CONFLICT DO NOTHING
            """, import_id, program_id)
        await conn.execute(
            """
            INSERT INTO member_tiers(program_id, slab_code, member_id, level, achieved_on)
            SELECT $2, s.code, mm.member_id, 0, current_date
            FROM staging.members sm JOIN staging.member_map mm ON mm.program_id = $2 AND mm.legacy_id = sm.legacy_id
            CROSS JOIN slabs s
            WHERE sm.import_id = $1 ON CONFLICT DO NOTHING
            """, import_id, program_id)
        # small analyzed tables, so the planner joins by hash with real row counts
        await conn.execute(
            """
            CREATE TEMP TABLE imp_tier_target ON COMMIT DROP AS
            SELECT mm.member_id, t.slab_code, t.level, t.validity_months,
                   coalesce((b.tier_achieved_at AT TIME ZONE p.timezone)::date, current_date) AS achieved_on
            FROM staging.balances b
            JOIN staging.member_map mm ON mm.program_id = $2 AND mm.legacy_id = b.legacy_id
            JOIN tiers t ON t.code = b.tier_code
            JOIN programs p ON p.id = $2
            WHERE b.import_id = $1 AND b.tier_code <> ''
            """, import_id, program_id)
        await conn.execute("ANALYZE imp_tier_target")
        await conn.execute(
            """
            CREATE TEMP TABLE imp_tier_change ON COMMIT DROP AS
            SELECT mt.member_id, mt.slab_code, mt.level AS from_level, x.level AS to_level, x.achieved_on,
                   x.validity_months
            FROM imp_tier_target x
            JOIN member_tiers mt ON mt.program_id = $1 AND mt.slab_code = x.slab_code AND mt.member_id = x.member_id
            WHERE (mt.level, mt.achieved_on) IS DISTINCT FROM (x.level, x.achieved_on)
            """, program_id)
        await conn.execute("ANALYZE imp_tier_change")
        tiered = await conn.fetchval(
            """
            WITH changed AS (
                UPDATE member_tiers mt SET level = c.to_level, achieved_on = c.achieved_on,
                    lapse_on = CASE WHEN c.to_level > 0 AND c.validity_months IS NOT NULL
                                    THEN (c.achieved_on + make_interval(months => c.validity_months))::date END,
                    updated_at = now()
                FROM imp_tier_change c
                WHERE mt.program_id = $1 AND mt.slab_code = c.slab_code AND mt.member_id = c.member_id
                RETURNING 1
            ) SELECT count(*) FROM changed
            """, program_id)
        await conn.execute(
            """
            INSERT INTO tier_history(program_id, member_id, slab_code, change, from_level, to_level, reason, effective_on)
            SELECT $1, member_id, slab_code, CASE WHEN to_level >= from_level THEN 'upgrade' ELSE 'downgrade' END,
                   from_level, to_level, 'imported from the legacy program', achieved_on
            FROM imp_tier_change
            """, program_id)
        unknown = [r["tier_code"] for r in await conn.fetch(
            "SELECT DISTINCT b.tier_code FROM staging.balances b"
            " WHERE b.import_id = $1 AND b.tier_code <> '' AND NOT EXISTS (SELECT 1 FROM tiers t WHERE t.code = b.tier_code)"
            " ORDER BY 1", import_id)]
    return {"members_tiered": tiered, "unknown_tier_codes": unknown}
