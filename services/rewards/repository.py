"""SQL for the rewards service, in one place.

Locks are always taken in one order: claim reference (a claim being reserved) -> passcode -> claim
-> reward -> member usage -> voucher.

A claim row is first 'reserved' (claiming.py) and becomes 'held' once the ledger holds its points;
a reserved claim is not a claim yet: the reads below leave it out unless asked for it.
"""

import datetime as dt
import uuid

import asyncpg

REWARD_COLUMNS = (
    "code", "name", "description", "image_url", "type", "kind", "points_cost", "value", "plu", "partner_code",
    "valid_from", "valid_until", "stock", "per_member_limit", "tier_codes", "segment_codes", "club_codes",
    "location_codes", "issues_voucher", "active",
)


async def program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM programs WHERE id = $1", program_id)


# --- catalogue ---------------------------------------------------------------------------------

async def insert_reward(conn: asyncpg.Connection, *, program_id: uuid.UUID, reward_id: uuid.UUID,
                        fields: dict) -> asyncpg.Record:
    names = ", ".join(REWARD_COLUMNS)
    params = ", ".join(f"${i + 3}" for i in range(len(REWARD_COLUMNS)))
    return await conn.fetchrow(
        f"INSERT INTO rewards(program_id, id, {names}) VALUES ($1, $2, {params}) RETURNING *",
        program_id, reward_id, *(fields[c] for c in REWARD_COLUMNS),
    )


async def update_reward(conn: asyncpg.Connection, *, fields: dict) -> asyncpg.Record | None:
    settable = [c for c in REWARD_COLUMNS if c != "code"]
    assignments = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(settable))
    return await conn.fetchrow(
        f"UPDATE rewards SET {assignments}, updated_at = now() WHERE code = $1 RETURNING *",
        fields["code"], *(fields[c] for c in settable),
    )


async def reward_by_code(conn: asyncpg.Connection, code: str, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM rewards WHERE code = $1" + (" FOR UPDATE" if lock else ""), code)


async def lock_rewards(conn: asyncpg.Connection, reward_ids: list[uuid.UUID]) -> None:
    await conn.execute("SELECT 1 FROM rewards WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE", reward_ids)


async def list_rewards(conn: asyncpg.Connection, *, type: str, include_inactive: bool) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM rewards WHERE ($1 = '' OR type = $1) AND (active OR $2) ORDER BY points_cost, code",
        type, include_inactive,
    )


# --- per-member usage --------------------------------------------------------------------------

async def lock_usage(conn: asyncpg.Connection, *, program_id: uuid.UUID, reward_id: uuid.UUID,
                     loyalty_number: str) -> int:
    await conn.execute(
        "INSERT INTO member_usage(program_id, reward_id, loyalty_number) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
        program_id, reward_id, loyalty_number,
    )
    return await conn.fetchval(
        "SELECT claimed FROM member_usage WHERE reward_id = $1 AND loyalty_number = $2 FOR UPDATE",
        reward_id, loyalty_number,
    )


async def usage_by_reward(conn: asyncpg.Connection, loyalty_number: str) -> dict[uuid.UUID, int]:
    rows = await conn.fetch("SELECT reward_id, claimed FROM member_usage WHERE loyalty_number = $1", loyalty_number)
    return {r["reward_id"]: r["claimed"] for r in rows}


async def reserve(conn: asyncpg.Connection, *, reward_id: uuid.UUID, loyalty_number: str) -> None:
    """One unit of stock and one of the member's allowance (rows already locked)."""
    await conn.execute(
        "UPDATE rewards SET stock = stock - 1, claimed = claimed + 1 WHERE id = $1",
        reward_id)
    await conn.execute(
        "UPDATE member_usage SET claimed = claimed + 1 WHERE reward_id = $1 AND loyalty_number = $2",
        reward_id, loyalty_number)


async def restore(conn: asyncpg.Connection, *, reward_id: uuid.UUID, loyalty_number: str) -> None:
    """Give back what `reserve` took (rows already locked)."""
    await conn.execute(
        "UPDATE rewards SET stock = stock + 1, claimed = claimed - 1 WHERE id = $1",
        reward_id)
    await conn.execute(
        "UPDATE member_usage SET claimed = claimed - 1 WHERE reward_id = $1 AND loyalty_number = $2",
        reward_id, loyalty_number)


# --- claims ------------------------------------------------------------------------------------

CLAIM_SELECT = (
    "SELECT c.*, r.code AS reward_code, v.code AS voucher_code FROM claims c JOIN rewards r ON r.id = c.reward_id"
    " LEFT JOIN vouchers v ON v.claim_id = c.id"
)


async def insert_claim(conn: asyncpg.Connection, **values) -> None:
    names = ", ".join(values)
    params = ", ".join(f"${i + 1}" for i in range(len(values)))
    await conn.execute(f"INSERT INTO claims({names}) VALUES ({params})", *values.values())


def _made(include_reserved: bool) -> str:
    return "" if include_reserved else " AND c.status <> 'reserved'"


async def claim_by_reference(conn: asyncpg.Connection, reference: str, *, lock: bool = False,
                             include_reserved: bool = False) -> asyncpg.Record | None:
    if lock:
        await conn.execute("SELECT 1 FROM claims WHERE reference = $1 FOR UPDATE", reference)
    return await conn.fetchrow(CLAIM_SELECT + " WHERE c.reference = $1" + _made(include_reserved), reference)


async def claims_of_member(conn: asyncpg.Connection, loyalty_number: str, *, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(CLAIM_SELECT + " WHERE c.loyalty_number = $1" + _made(False)
                            + " ORDER BY c.claimed_at DESC, c.id DESC LIMIT $2", loyalty_number, limit)


async def reward_by_id(conn: asyncpg.Connection, reward_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM rewards WHERE id = $1", reward_id)


async def claim_by_id(conn: asyncpg.Connection, claim_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    if lock:
        await conn.execute("SELECT 1 FROM claims WHERE id = $1 FOR UPDATE", claim_id)
    return await conn.fetchrow(CLAIM_SELECT + " WHERE c.id = $1", claim_id)


async def lock_claims_of_order(conn: asyncpg.Connection, order_reference: str) -> list[asyncpg.Record]:
    await conn.execute("SELECT 1 FROM claims WHERE order_reference = $1 AND status <> 'reserved' ORDER BY id"
                       " FOR UPDATE", order_reference)
    return await conn.fetch(CLAIM_SELECT + " WHERE c.order_reference = $1" + _made(False) + " ORDER BY c.id",
                            order_reference)


async def claims_of_order(conn: asyncpg.Connection, order_reference: str) -> list[asyncpg.Record]:
    return await conn.fetch(CLAIM_SELECT + " WHERE c.order_reference = $1" + _made(False) + " ORDER BY c.id",
                            order_reference)


async def lock_claim_reference(conn: asyncpg.Connection, program_id: uuid.UUID, reference: str) -> None:
    """Serialise the reservations of one POS reference (until this transaction ends)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       f"rewards-claim:{program_id}:{reference}")


async def confirm_claim(conn: asyncpg.Connection, claim_id: uuid.UUID, *,
                        hold_expires_at: dt.datetime | None) -> None:
    await conn.execute("UPDATE claims SET status = 'held', hold_expires_at = $2 WHERE id = $1 AND status = 'reserved'",
                       claim_id, hold_expires_at)


async def delete_reservation(conn: asyncpg.Connection, claim_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM claims WHERE id = $1 AND status = 'reserved'", claim_id)


async def reservations_in_flight(conn: asyncpg.Connection, *, reward_id: uuid.UUID, loyalty_number: str,
                                 of_member: bool) -> bool:
    return await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM claims WHERE reward_id = $1 AND status = 'reserved'"
        " AND (NOT $3 OR loyalty_number = $2))", reward_id, loyalty_number, of_member)


async def stale_reservations(conn: asyncpg.Connection, *, before: dt.datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, reference, hold_reference FROM claims WHERE status = 'reserved' AND claimed_at < $1"
        " ORDER BY id LIMIT $2", before, limit)


async def set_claim_status(conn: asyncpg.Connection, claim_id: uuid.UUID, *, status: str, at: dt.datetime,
                           reason: str = "") -> None:
    column = {"settled": "settled_at", "voided": "voided_at", "expired": "voided_at"}[status]
    await conn.execute(
        f"UPDATE claims SET status = $2, {column} = $3, void_reason = $4 WHERE id = $1",
        claim_id, status, at, reason)


async def overdue_claims(conn: asyncpg.Connection, *, now: dt.datetime, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, reference FROM claims WHERE status = 'held' AND hold_expires_at <= $1"
        " ORDER BY id LIMIT $2", now, limit)


# --- vouchers ----------------------------------------------------------------------------------

async def insert_voucher(conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, claim_id: uuid.UUID) -> None:
    await conn.execute("INSERT INTO vouchers(program_id, code, claim_id) VALUES ($1, $2, $3)",
                       program_id, code, claim_id)


VOUCHER_SELECT = (
    "SELECT v.*, c.reference AS claim_reference, c.loyalty_number, c.status AS claim_status, c.id AS claim_id,"
    " r.code AS reward_code, r.name AS reward_name, r.kind, r.value, r.plu, r.partner_code"
    " FROM vouchers v JOIN claims c ON c.id = v.claim_id JOIN rewards r ON r.id = c.reward_id"
)


async def voucher_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(VOUCHER_SELECT + " WHERE v.code = $1", code)


async def lock_voucher(conn: asyncpg.Connection, code: str) -> None:
    await conn.execute("SELECT 1 FROM vouchers WHERE code = $1 FOR UPDATE", code)


async def consume_voucher(conn: asyncpg.Connection, *, code: str, at: dt.datetime, reference: str,
                          location: str) -> None:
    await conn.execute(
        "UPDATE vouchers SET status = 'consumed', consumed_at = $2, consumed_reference = $3, consumed_location = $4"
        " WHERE code = $1 AND status = 'issued'", code, at, reference, location)


async def void_voucher_of_claim(conn: asyncpg.Connection, claim_id: uuid.UUID) -> None:
    await conn.execute("UPDATE vouchers SET status = 'voided' WHERE claim_id = $1 AND status = 'issued'", claim_id)


# --- idempotency keys taken before the answer is known (points_redemption.py) --------------------

async def take_key(conn: asyncpg.Connection, *, program_id: uuid.UUID, operation: str, key: str,
                   fingerprint: bytes) -> bool:
    """The key, with no answer yet; False when another attempt has it (waits for its transaction)."""
    return bool(await conn.fetchval(
        "INSERT INTO idempotency_keys(program_id, operation, key, request_hash) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT DO NOTHING RETURNING true", program_id, operation, key, fingerprint))


async def key_row(conn: asyncpg.Connection, *, operation: str, key: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT request_hash, response FROM idempotency_keys WHERE operation = $1 AND key = $2",
                               operation, key)


async def keep_answer(conn: asyncpg.Connection, *, program_id: uuid.UUID, operation: str, key: str,
                      fingerprint: bytes, response: bytes) -> None:
    """The answer under the key; the first answer kept stays."""
    await conn.execute(
        "INSERT INTO idempotency_keys(program_id, operation, key, request_hash, response) VALUES ($1, $2, $3, $4, $5)"
        " ON CONFLICT (program_id, operation, key) DO UPDATE SET response = excluded.response"
        " WHERE idempotency_keys.response IS NULL", program_id, operation, key, fingerprint, response)


async def drop_unanswered_key(conn: asyncpg.Connection, *, operation: str, key: str) -> bool:
    return await conn.execute("DELETE FROM idempotency_keys WHERE operation = $1 AND key = $2 AND response IS NULL",
                              operation, key) == "DELETE 1"


# --- one-time passcodes ------------------------------------------------------------------------

async def lock_member_otps(conn: asyncpg.Connection, program_id: uuid.UUID, loyalty_number: str) -> None:
    """Serialise passcode requests of one member (the hourly limit is counted under it)."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
                       f"rewards-otp:{program_id}:{loyalty_number}")


async def otps_issued_since(conn: asyncpg.Connection, loyalty_number: str, since: dt.datetime) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM otps WHERE loyalty_number = $1 AND issued_at > $2", loyalty_number, since)


async def supersede_member_otps(conn: asyncpg.Connection, loyalty_number: str) -> None:
    await conn.execute(
        "UPDATE otps SET status = 'superseded' WHERE loyalty_number = $1 AND status = 'active'", loyalty_number)


async def retire_expired_with_hash(conn: asyncpg.Connection, code_hash: bytes, now: dt.datetime) -> None:
    await conn.execute(
        "UPDATE otps SET status = 'superseded' WHERE code_hash = $1 AND status = 'active' AND expires_at <= $2",
        code_hash, now)


async def insert_otp(conn: asyncpg.Connection, **values) -> None:
    names = ", ".join(values)
    params = ", ".join(f"${i + 1}" for i in range(len(values)))
    await conn.execute(f"INSERT INTO otps({names}) VALUES ({params})", *values.values())


async def latest_otp_of_member(conn: asyncpg.Connection, loyalty_number: str, *,
                               lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM otps WHERE loyalty_number = $1 AND status <> 'superseded' ORDER BY issued_at DESC LIMIT 1"
        + (" FOR UPDATE" if lock else ""), loyalty_number)


async def otp_by_id(conn: asyncpg.Connection, otp_id: uuid.UUID, *, lock: bool = False) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM otps WHERE id = $1" + (" FOR UPDATE" if lock else ""), otp_id)


async def otp_by_hash(conn: asyncpg.Connection, code_hash: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM otps WHERE code_hash = $1 AND status <> 'superseded'"
        " ORDER BY (status = 'active') DESC, issued_at DESC LIMIT 1", code_hash)


async def record_wrong_attempt(conn: asyncpg.Connection, otp_id: uuid.UUID, *, max_attempts: int) -> str | None:
    """One atomic increment; the code locks at the limit. Returns the status after, None if not active."""
    return await conn.fetchval(
        "UPDATE otps SET attempts = attempts + 1,"
        " status = CASE WHEN attempts + 1 >= $2 THEN 'locked' ELSE status END"
        " WHERE id = $1 AND status = 'active' RETURNING status", otp_id, max_attempts)


async def reopen_otp(conn: asyncpg.Connection, otp_id: uuid.UUID) -> None:
    """Make a code spent by a claim that did not happen usable again, unless a newer code replaced it."""
    await conn.execute(
        "UPDATE otps o SET status = 'active', used_at = NULL WHERE o.id = $1 AND o.status = 'used'"
        " AND NOT EXISTS (SELECT 1 FROM otps n WHERE n.loyalty_number = o.loyalty_number AND n.issued_at > o.issued_at)",
        otp_id)


async def mark_otp_used(conn: asyncpg.Connection, otp_id: uuid.UUID, at: dt.datetime) -> None:
    await conn.execute("UPDATE otps SET status = 'used', used_at = $2 WHERE id = $1", otp_id, at)


async def lock_identify_failures(conn: asyncpg.Connection, *, program_id: uuid.UUID, principal: str,
                                 window_start: dt.datetime) -> int:
    """The caller's wrong codes in this window, with its counter row locked for the transaction."""
    return await conn.fetchval(
        "INSERT INTO identify_failures(program_id, principal, window_start, failures) VALUES ($1, $2, $3, 0)"
        " ON CONFLICT (program_id, principal, window_start)"
        " DO UPDATE SET failures = identify_failures.failures RETURNING failures", program_id, principal, window_start)


async def add_identify_failure(conn: asyncpg.Connection, *, program_id: uuid.UUID, principal: str,
                               window_start: dt.datetime) -> None:
    await conn.execute(
        "INSERT INTO identify_failures(program_id, principal, window_start, failures) VALUES ($1, $2, $3, 1)"
        " ON CONFLICT (program_id, principal, window_start)"
        " DO UPDATE SET failures = identify_failures.failures + 1", program_id, principal, window_start)


# --- report ------------------------------------------------------------------------------------

async def report_rows(conn: asyncpg.Connection, *, start: dt.datetime, end: dt.datetime, period: str,
                      timezone: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        SELECT to_char(date_trunc($3, c.claimed_at AT TIME ZONE $4), 'YYYY-MM-DD') AS period, r.code AS reward_code,
               count(*) FILTER (WHERE c.status IN ('held', 'settled')) AS redemptions,
               count(*) FILTER (WHERE c.status = 'settled') AS settled,
               coalesce(sum(c.points) FILTER (WHERE c.status = 'settled'), 0)::bigint AS points_burned
        FROM claims c JOIN rewards r ON r.id = c.reward_id
        WHERE c.claimed_at >= $1 AND c.claimed_at < $2
        GROUP BY 1, 2 ORDER BY 1, 2
        """, start, end, period, timezone)


async def open_holds(conn: asyncpg.Connection) -> asyncpg.Record:
    return await conn.fetchrow(
        "SELECT count(*) AS claims, coalesce(sum(points), 0)::bigint AS points FROM claims WHERE status = 'held'")


async def program_ids(conn: asyncpg.Connection) -> list[uuid.UUID]:
    return [r["id"] for r in await conn.fetch("SELECT id FROM known_programs ORDER BY id")]
