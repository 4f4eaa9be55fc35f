"""Members from a legacy import's staging rows, set-based, in one transaction per import.

A legacy member whose email is already enrolled here is matched, not duplicated (programs run
both systems side by side before the move). One whose phone or name + birth date belongs to
another member is quarantined with the reason. Loyalty numbers come from the same sequence as
enrolment, with the Luhn digit computed in SQL.
"""

import asyncio
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found


# An import of this many members or more creates them in two parts side by side, each on its own
# connection (their insert into the members table's indexes is most of the step, on one core).
PARTS_FROM_MEMBERS = 100_000


async def import_members(pool: asyncpg.Pool, *, import_id: uuid.UUID) -> dict[str, int]:
    async with pool.acquire() as conn:
        program_id = await conn.fetchval("SELECT program_id FROM staging.imports WHERE id = $1", import_id)
    if program_id is None:
        raise not_found("import", str(import_id))
    async with tenant_tx(pool, program_id) as conn:
        # one-off statements over the whole import: compiling them (JIT) costs more than it saves
        await conn.execute("SET LOCAL jit = off")
        prefix = await conn.fetchval("SELECT loyalty_number_prefix FROM programs WHERE id = $1", program_id)
        if prefix is None:
            raise invalid("importId", "the import's program is unknown to the member service")
        already = await conn.fetchval(
            "SELECT count(*) FROM staging.member_map m JOIN staging.members s"
            " ON s.legacy_id = m.legacy_id AND s.import_id = $1 WHERE m.program_id = $2",
            import_id, program_id)
        matched = await conn.fetchval(MATCH_BY_EMAIL, import_id, program_id)
        staged = await conn.fetchval("SELECT count(*) FROM staging.members WHERE import_id = $1", import_id)
        # the parts' bounds: legacy ids in (lo, hi], the last part open-ended
        middle = await conn.fetchval("SELECT legacy_id FROM staging.members WHERE import_id = $1"
                                     " ORDER BY legacy_id OFFSET $2 LIMIT 1", import_id, staged // 2) \
            if staged >= PARTS_FROM_MEMBERS else None
    parts = [("", middle), (middle, None)] if middle else [("", None)]

    async def part(lo: str, hi: str | None) -> int:
        async with tenant_tx(pool, program_id) as conn:
            await conn.execute("SET LOCAL jit = off")
            return await conn.fetchval(CREATE, import_id, program_id, prefix, lo, hi)

    # each part refuses by the same rules over every member left (so a phone two parts share is refused
    # in the later one), creates and notes its own; a part that commits before the other fails is not
    # done again by a rerun, which finds its members in the map and its notes in quarantine
    quarantined = sum(await asyncio.gather(*(part(lo, hi) for lo, hi in parts)))
    async with tenant_tx(pool, program_id) as conn:
        created = await conn.fetchval(
            "SELECT count(*) FROM staging.member_map WHERE program_id = $1 AND import_id = $2 AND NOT existing",
            program_id, import_id)
    return {"created": created, "matched_existing": matched, "quarantined": quarantined, "already_imported": already}


MATCH_BY_EMAIL = """
WITH matched AS (
    INSERT INTO staging.member_map(program_id, legacy_id, member_id, loyalty_number, email, existing, import_id)
    SELECT $2, s.legacy_id, m.id, m.loyalty_number, m.email, true, $1
    FROM staging.members s
    JOIN members m ON m.email_normalized = lower(s.email)
    WHERE s.import_id = $1
    ON CONFLICT (program_id, legacy_id) DO NOTHING
    RETURNING 1
) SELECT count(*) FROM matched
"""

# The members of import $1 with legacy ids in ($4, $5] not yet in program $2's map: refused (noted in
# quarantine once, on line 0: the member service's, not the load's) or created with a loyalty number
# of prefix $3. Answers how many of them were refused.
CREATE = """
WITH todo AS (
    SELECT s.* FROM staging.members s
    WHERE s.import_id = $1
      AND NOT EXISTS (SELECT 1 FROM staging.member_map m WHERE m.program_id = $2 AND m.legacy_id = s.legacy_id)
), ranked AS (
    SELECT todo.*,
           row_number() OVER (PARTITION BY nullif(phone, '') ORDER BY legacy_id) AS phone_rank,
           row_number() OVER (PARTITION BY lower(first_name), lower(last_name), birth_date
                              ORDER BY legacy_id) AS name_rank
    FROM todo
), refused AS (
    SELECT legacy_id,
           CASE WHEN phone <> '' AND (phone_rank > 1 OR EXISTS (
                     SELECT 1 FROM members m WHERE m.phone = ranked.phone))
                THEN 'phone ' || phone || ' belongs to another member'
                ELSE 'name and birth date belong to another member' END AS reason
    FROM ranked
    WHERE legacy_id > $4 AND ($5::text IS NULL OR legacy_id <= $5)
      AND ((phone <> '' AND (phone_rank > 1 OR EXISTS (SELECT 1 FROM members m WHERE m.phone = ranked.phone)))
       OR (birth_date IS NOT NULL AND (name_rank > 1 OR EXISTS (
            SELECT 1 FROM members m WHERE lower(m.first_name) = lower(ranked.first_name)
              AND lower(m.last_name) = lower(ranked.last_name) AND m.birth_date = ranked.birth_date))))
), numbered AS (
    SELECT todo.*, gen_random_uuid() AS member_id,
           $3 || lpad(nextval('loyalty_number_seq')::text, 10, '0') AS body
    FROM todo WHERE legacy_id > $4 AND ($5::text IS NULL OR legacy_id <= $5)
      AND legacy_id NOT IN (SELECT legacy_id FROM refused)
), created AS (
    INSERT INTO members(program_id, id, loyalty_number, email, email_normalized, first_name, last_name,
                        phone, birth_date, status, channel, enrolled_at, opted_in_at, legacy_id)
    SELECT $2, member_id, body || luhn_check_digit(body), email, lower(email), first_name, last_name,
           phone, birth_date, status, 'import', enrolled_at, enrolled_at, legacy_id
    FROM numbered
    RETURNING id, loyalty_number, email, legacy_id
), mapped AS (
    INSERT INTO staging.member_map(program_id, legacy_id, member_id, loyalty_number, email, existing, import_id)
    SELECT $2, legacy_id, id, loyalty_number, email, false, $1 FROM created
), noted AS (
    INSERT INTO staging.quarantine(import_id, file, line, key, reason)
    SELECT $1, 'members.csv', 0, legacy_id, reason FROM refused r
    WHERE NOT EXISTS (SELECT 1 FROM staging.quarantine q
                      WHERE q.import_id = $1 AND q.file = 'members.csv' AND q.line = 0 AND q.key = r.legacy_id)
)
SELECT count(*) FROM refused
"""
