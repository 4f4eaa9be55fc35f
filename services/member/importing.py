"""Members from a legacy import's staging rows, set-based, in one transaction per import.

A legacy member whose email is already enrolled here is matched, not duplicated (programs run
both systems side by side before the move). One whose phone or name + birth date belongs to
another member is quarantined with the reason. Loyalty numbers come from the same sequence as
enrolment, with the Luhn digit computed in SQL.
"""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found


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
        matched = await conn.fetchval(
            """
            WITH matched AS (
                INSERT INTO staging.member_map(program_id, legacy_id, member_id, loyalty_number, email, existing, import_id)
                SELECT $2, s.legacy_id, m.id, m.loyalty_number, m.email, true, $1
                FROM staging.members s
                JOIN members m ON m.email_normalized = lower(s.email)
                WHERE s.import_id = $1
                ON CONFLICT (program_id, legacy_id) DO NOTHING
                RETURNING 1
            ) SELECT count(*) FROM matched
            """, import_id, program_id)
        quarantined = await conn.fetchval(
            """
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
                WHERE (phone <> '' AND (phone_rank > 1 OR EXISTS (SELECT 1 FROM members m WHERE m.phone = ranked.phone)))
                   OR (birth_date IS NOT NULL AND (name_rank > 1 OR EXISTS (
                        SELECT 1 FROM members m WHERE lower(m.first_name) = lower(ranked.first_name)
                          AND lower(m.last_name) = lower(ranked.last_name) AND m.birth_date = ranked.birth_date)))
            ), numbered AS (
                SELECT todo.*, gen_random_uuid() AS member_id,
                       $3 || lpad(nextval('loyalty_number_seq')::text, 10, '0') AS body
                FROM todo WHERE legacy_id NOT IN (SELECT legacy_id FROM refused)
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
                SELECT $1, 'members.csv', 0, legacy_id, reason FROM refused
            )
            SELECT count(*) FROM refused
            """, import_id, program_id, prefix)
        created = await conn.fetchval(
            "SELECT count(*) FROM staging.member_map WHERE program_id = $1 AND import_id = $2 AND NOT existing",
            program_id, import_id)
    return {"created": created, "matched_existing": matched, "quarantined": quarantined, "already_imported": already}
