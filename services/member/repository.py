"""SQL for the member service, in one place."""

import uuid

import asyncpg

PROGRAM_COLUMNS = "id, code, name, currency, timezone, expiry_days, expiry_round_to_month_end, loyalty_number_prefix, archived_at"
MERGED_INTO_NUMBER = (
    "CASE WHEN merged_into IS NULL THEN '' ELSE (SELECT t.loyalty_number FROM members t"
    " WHERE t.program_id = members.program_id AND t.id = members.merged_into) END AS merged_into_number"
)
MEMBER_COLUMNS = (
    "id, program_id, loyalty_number, email, email_normalized, first_name, last_name, phone, birth_date, status,"
    " channel, enrolled_at, zip, nationality, marketing_email, marketing_sms, marketing_post, custom_attributes,"
    " opted_in_at, status_changed_at, merged_into, erased_at, updated_at, " + MERGED_INTO_NUMBER
)
# The columns each field of the Member message is made from (member_proto.py), in the message's order:
# a search asked for some fields reads only theirs.
MEMBER_FIELD_COLUMNS = {
    "id": "id", "loyalty_number": "loyalty_number", "email": "email", "first_name": "first_name",
    "last_name": "last_name", "phone": "phone", "birth_date": "birth_date", "status": "status",
    "enrolled_at": "enrolled_at", "channel": "channel", "zip": "zip", "nationality": "nationality",
    "consents": "marketing_email, marketing_sms, marketing_post", "custom_attributes_json": "custom_attributes",
    "opted_in_at": "opted_in_at", "status_changed_at": "status_changed_at", "merged_into": MERGED_INTO_NUMBER,
}


def member_columns(fields) -> str:
    """The select list for these Member fields (all of MEMBER_COLUMNS when none are named)."""
    if not fields:
        return MEMBER_COLUMNS
    return ", ".join(column for field, column in MEMBER_FIELD_COLUMNS.items() if field in fields)


async def program_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {PROGRAM_COLUMNS} FROM programs WHERE code = $1", code)


async def program_by_id(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {PROGRAM_COLUMNS} FROM programs WHERE id = $1", program_id)


async def insert_program(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str, currency: str, timezone: str,
    expiry_days: int, expiry_round_to_month_end: bool,
) -> asyncpg.Record | None:
    """None when the code is taken (the caller compares with what is there)."""
    return await conn.fetchrow(
        "INSERT INTO programs(id, code, name, currency, timezone, expiry_days, expiry_round_to_month_end)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (code) DO NOTHING"
        f" RETURNING {PROGRAM_COLUMNS}",
        program_id, code, name, currency, timezone, expiry_days, expiry_round_to_month_end,
    )


async def update_program(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, name: str, timezone: str, expiry_days: int,
    expiry_round_to_month_end: bool, archived: bool,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "UPDATE programs SET name = $2, timezone = $3, expiry_days = $4, expiry_round_to_month_end = $5,"
        " archived_at = CASE WHEN $6 THEN coalesce(archived_at, now()) END WHERE id = $1"
        f" RETURNING {PROGRAM_COLUMNS}",
        program_id, name, timezone, expiry_days, expiry_round_to_month_end, archived,
    )


async def set_program_archived(conn: asyncpg.Connection, program_id: uuid.UUID, archived: bool) -> None:
    await conn.execute(
        "UPDATE programs SET archived_at = CASE WHEN $2 THEN coalesce(archived_at, now()) END WHERE id = $1",
        program_id, archived,
    )


async def next_loyalty_sequence(conn: asyncpg.Connection) -> int:
    return await conn.fetchval("SELECT nextval('loyalty_number_seq')")


async def member_by_email(conn: asyncpg.Connection, email_normalized: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {MEMBER_COLUMNS} FROM members WHERE email_normalized = $1", email_normalized)


async def insert_member(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, loyalty_number: str, email: str,
    email_normalized: str, first_name: str, last_name: str, phone: str, birth_date, channel: str,
    zip_code: str = "", nationality: str = "", consents: tuple[bool, bool, bool] = (False, False, False),
    custom_attributes: dict | None = None, opted_in_at=None,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO members(program_id, id, loyalty_number, email, email_normalized, first_name, last_name,"
        " phone, birth_date, channel, zip, nationality, marketing_email, marketing_sms, marketing_post,"
        " custom_attributes, opted_in_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, coalesce($17, now()))"
        f" RETURNING {MEMBER_COLUMNS}",
        program_id, member_id, loyalty_number, email, email_normalized, first_name, last_name, phone,
        birth_date, channel, zip_code, nationality, *consents, custom_attributes or {}, opted_in_at,
    )


async def member_by_loyalty_number(conn: asyncpg.Connection, loyalty_number: str) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {MEMBER_COLUMNS} FROM members WHERE loyalty_number = $1", loyalty_number)


async def member_by_id(conn: asyncpg.Connection, member_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(f"SELECT {MEMBER_COLUMNS} FROM members WHERE id = $1", member_id)


async def insert_api_key(
    conn: asyncpg.Connection, *, key_id: str, program_id: uuid.UUID, name: str, secret_hash: bytes,
    scopes: list[str], created_by: str, store: str = "",
) -> None:
    await conn.execute(
        "INSERT INTO api_keys(key_id, program_id, name, secret_hash, scopes, created_by, store)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)",
        key_id, program_id, name, secret_hash, scopes, created_by, store,
    )


async def api_key(conn: asyncpg.Connection, key_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT k.key_id, k.program_id, k.secret_hash, k.scopes, k.revoked_at, k.expires_at, k.last_used_at, k.store,"
        " now() AS now, p.code AS program_code, p.archived_at FROM api_keys k JOIN programs p ON p.id = k.program_id WHERE k.key_id = $1",
        key_id,
    )


# --- profiles, duplicates, blocklist -------------------------------------------------------------

async def member_for_update(conn: asyncpg.Connection, loyalty_number: str) -> asyncpg.Record | None:
    row = await conn.fetchrow("SELECT id FROM members WHERE loyalty_number = $1 FOR UPDATE", loyalty_number)
    return None if row is None else await member_by_id(conn, row["id"])


async def find_duplicate(
    conn: asyncpg.Connection, *, email_normalized: str, phone: str, first_name: str, last_name: str, birth_date,
    exclude_id: uuid.UUID | None = None,
) -> tuple[str, asyncpg.Record] | None:
    """The first rule an existing member matches: ('email' | 'phone' | 'name_birth', member)."""
    row = await conn.fetchrow(
        """
        SELECT CASE WHEN email_normalized = $1 THEN 'email' WHEN $2 <> '' AND phone = $2 THEN 'phone'
                    ELSE 'name_birth' END AS rule, id, loyalty_number
        FROM members
        WHERE (email_normalized = $1
               OR ($2 <> '' AND phone = $2)
               OR ($5::date IS NOT NULL AND lower(first_name) = lower($3) AND lower(last_name) = lower($4)
                   AND birth_date = $5))
          AND id IS DISTINCT FROM $6
        ORDER BY 1 LIMIT 1
        """,
        email_normalized, phone, first_name, last_name, birth_date, exclude_id,
    )
    return None if row is None else (row["rule"], row)


async def blocked_kinds(conn: asyncpg.Connection, hashes: dict[str, bytes]) -> list[str]:
    if not hashes:
        return []
    rows = await conn.fetch(
        "SELECT kind FROM blocklist WHERE (kind, value_hash) IN (SELECT * FROM unnest($1::text[], $2::bytea[]))",
        list(hashes), list(hashes.values()),
    )
    return [r["kind"] for r in rows]


async def add_to_blocklist(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID,
                           hashes: dict[str, bytes]) -> None:
    await conn.execute(
        "INSERT INTO blocklist(program_id, kind, value_hash, member_id)"
        " SELECT $1, k, h, $2 FROM unnest($3::text[], $4::bytea[]) AS t(k, h) ON CONFLICT DO NOTHING",
        program_id, member_id, list(hashes), list(hashes.values()),
    )


async def remove_from_blocklist(conn: asyncpg.Connection, member_id: uuid.UUID) -> None:
    await conn.execute("DELETE FROM blocklist WHERE member_id = $1", member_id)


async def update_member_profile(conn: asyncpg.Connection, member_id: uuid.UUID, values: dict) -> asyncpg.Record:
    columns = list(values)
    assignments = ", ".join(f"{c} = ${i + 2}" for i, c in enumerate(columns))
    await conn.execute(
        f"UPDATE members SET {assignments}, updated_at = now() WHERE id = $1", member_id, *values.values()
    )
    return await member_by_id(conn, member_id)


async def set_status(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, from_status: str,
                     to_status: str, reason: str, changed_by: str, merged_into: uuid.UUID | None = None) -> None:
    await conn.execute(
        "UPDATE members SET status = $2, status_changed_at = now(), updated_at = now(),"
        " merged_into = coalesce($3, merged_into) WHERE id = $1",
        member_id, to_status, merged_into,
    )
    await conn.execute(
        "INSERT INTO member_status_history(program_id, member_id, from_status, to_status, reason, changed_by)"
        " VALUES ($1, $2, $3, $4, $5, $6)",
        program_id, member_id, from_status, to_status, reason, changed_by,
    )


async def status_history(conn: asyncpg.Connection, member_id: uuid.UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT from_status, to_status, reason, changed_by, changed_at FROM member_status_history"
        " WHERE member_id = $1 ORDER BY id", member_id,
    )


async def likely_duplicates(conn: asyncpg.Connection, *, limit: int, after: tuple[int, uuid.UUID, uuid.UUID] | None = None,
                            min_score: int = 0, query: str = "") -> list[asyncpg.Record]:
    """Pairs of live members that look like one person: each rule is an indexed self-join. Pages by
    (score descending, a, b): `after` is the last pair of the previous page."""
    score, a, b = after or (None, None, None)
    pattern = "%" + query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%" if query else ""
    return await conn.fetch(
        """
        WITH live AS (
            SELECT id, lower(first_name) AS fn, lower(last_name) AS ln, birth_date, zip,
                   split_part(email_normalized, '@', 1) AS local_part, phone
            FROM members WHERE status NOT IN ('merged', 'erased')
        ), pairs AS (
            SELECT a.id AS a, b.id AS b, 'same_name_birth_date' AS reason, 60 AS score
              FROM live a JOIN live b ON a.fn = b.fn AND a.ln = b.ln AND a.birth_date = b.birth_date AND a.id < b.id
            UNION ALL
            SELECT a.id, b.id, 'same_name_zip', 40
              FROM live a JOIN live b ON a.fn = b.fn AND a.ln = b.ln AND a.zip = b.zip AND a.zip <> '' AND a.id < b.id
            UNION ALL
            SELECT a.id, b.id, 'same_last_name_birth_date', 30
              FROM live a JOIN live b ON a.ln = b.ln AND a.birth_date = b.birth_date AND a.fn <> b.fn AND a.id < b.id
            UNION ALL
            SELECT a.id, b.id, 'same_email_local_part', 30
              FROM live a JOIN live b ON a.local_part = b.local_part AND length(a.local_part) >= 4 AND a.id < b.id
            UNION ALL
            SELECT a.id, b.id, 'same_phone_last_8_digits', 30
              FROM live a JOIN live b ON a.phone <> '' AND right(a.phone, 8) = right(b.phone, 8) AND a.id < b.id
        ), scored AS (
            SELECT a, b, array_agg(reason ORDER BY score DESC) AS reasons, sum(score)::int AS score
            FROM pairs GROUP BY a, b
        )
        SELECT a, b, reasons, score FROM scored
        WHERE score >= $2
          AND ($3::int IS NULL OR score < $3 OR (score = $3 AND (a, b) > ($4::uuid, $5::uuid)))
          AND ($6 = '' OR EXISTS (
                SELECT 1 FROM members m WHERE m.id IN (scored.a, scored.b)
                  AND lower(m.loyalty_number || ' ' || m.first_name || ' ' || m.last_name || ' ' || m.email_normalized
                            || ' ' || m.phone) LIKE $6))
        ORDER BY score DESC, a, b LIMIT $1
        """,
        limit, min_score, score, a, b, pattern,
    )


async def members_by_ids(conn: asyncpg.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, asyncpg.Record]:
    rows = await conn.fetch(f"SELECT {MEMBER_COLUMNS} FROM members WHERE id = ANY($1::uuid[])", ids)
    return {r["id"]: r for r in rows}


# --- settings (welcome template, custom attribute schema) -----------------------------------------

async def member_settings(conn: asyncpg.Connection) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT welcome_enabled, welcome_subject, welcome_body, custom_attributes_schema FROM member_settings"
    )


async def save_member_settings(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, welcome_enabled: bool, welcome_subject: str,
    welcome_body: str, custom_attributes_schema: dict | None, updated_by: str,
) -> asyncpg.Record:
    return await conn.fetchrow(
        "INSERT INTO member_settings(program_id, welcome_enabled, welcome_subject, welcome_body,"
        " custom_attributes_schema, updated_by) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (program_id) DO UPDATE SET welcome_enabled = $2, welcome_subject = $3, welcome_body = $4,"
        " custom_attributes_schema = $5, updated_by = $6, updated_at = now()"
        " RETURNING welcome_enabled, welcome_subject, welcome_body, custom_attributes_schema",
        program_id, welcome_enabled, welcome_subject, welcome_body, custom_attributes_schema, updated_by,
    )


# --- mail outbox ------------------------------------------------------------------------------------

async def queue_mail(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, kind: str) -> None:
    await conn.execute(
        "INSERT INTO mail_outbox(program_id, member_id, kind) VALUES ($1, $2, $3)", program_id, member_id, kind
    )


async def due_mail(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT id, program_id, member_id, kind FROM mail_outbox WHERE sent_at IS NULL AND next_attempt_at <= now()"
        " ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
        limit,
    )


async def mail_sent(conn: asyncpg.Connection, mail_id: int) -> None:
    await conn.execute("UPDATE mail_outbox SET sent_at = now(), last_error = NULL WHERE id = $1", mail_id)


async def mail_failed(conn: asyncpg.Connection, mail_id: int, error: str) -> None:
    await conn.execute(
        "UPDATE mail_outbox SET attempts = attempts + 1, last_error = $2,"
        " next_attempt_at = now() + least(interval '1 second' * power(2, attempts), interval '10 minutes')"
        " WHERE id = $1",
        mail_id, error[:500],
    )


# --- search ---------------------------------------------------------------------------------------

SEARCH_KEYS = {
    "loyalty_number": 'loyalty_number COLLATE "C"',
    "email": 'email_normalized COLLATE "C"',
    "phone": 'phone COLLATE "C"',
    "name": 'name_key COLLATE "C"',
    "first_name": 'first_name_key COLLATE "C"',
    "enrolled_at": "enrolled_at",
}


def search_sql(*, field: str, sort: str, descending: bool, after: bool, status: bool,
               columns: str = MEMBER_COLUMNS) -> str:
    """One indexed statement. Parameters: $1 program, $2 / $3 the prefix range [start, end), $4 the
    limit, then the keyset cursor (sort key, id) when `after`, then the status filter when `status`.
    `columns` must hold id (and enrolled_at when it is the sort): the page token is made of them."""
    match = SEARCH_KEYS[field]
    key = SEARCH_KEYS[sort]
    direction = "DESC" if descending else "ASC"
    where = ["program_id = $1", f"{match} >= $2", f"{match} < $3"]
    if field == "phone" or sort == "phone":
        where.append("phone <> ''")
    n = 5
    if after:
        cast = "::timestamptz" if sort == "enrolled_at" else "::text"
        where.append(f"({key}, id) {'<' if descending else '>'} (${n}{cast}, ${n + 1}::uuid)")
        n += 2
    if status:
        where.append(f"status = ${n}")
    return (
        f"SELECT {columns}, ({key})::text AS sort_key FROM members WHERE {' AND '.join(where)}"
        f" ORDER BY {key} {direction}, id {direction} LIMIT $4"
    )


async def search(conn: asyncpg.Connection, sql: str, *args) -> list[asyncpg.Record]:
    return await conn.fetch(sql, *args)


# --- erasure ----------------------------------------------------------------------------------------

async def erase_member(conn: asyncpg.Connection, *, member_id: uuid.UUID, pseudonym: str) -> None:
    await conn.execute(
        "UPDATE members SET email = $2, email_normalized = $2, first_name = 'erased', last_name = 'erased',"
        " phone = '', birth_date = NULL, zip = '', nationality = '', marketing_email = false,"
        " marketing_sms = false, marketing_post = false, custom_attributes = '{}', channel = '',"
        " erased_at = now(), updated_at = now() WHERE id = $1",
        member_id, pseudonym,
    )
    # The history keeps who and when; free-text reasons could hold personal data.
    await conn.execute("UPDATE member_status_history SET reason = 'erased' WHERE member_id = $1", member_id)
    await conn.execute(
        "UPDATE merges SET reason = 'erased' WHERE from_member_id = $1 OR to_member_id = $1", member_id
    )
    await conn.execute("DELETE FROM mail_outbox WHERE member_id = $1", member_id)
