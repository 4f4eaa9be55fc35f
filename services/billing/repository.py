"""All of the billing service's SQL. Every function runs inside a tenant transaction (RLS)."""

import datetime as dt
import hashlib
import uuid
from decimal import Decimal

import asyncpg

# --- programs ---------------------------------------------------------------------------------


async def upsert_program(conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, currency: str,
                         timezone: str, archived: bool, expiry_days: int, round_to_month_end: bool) -> bool:
    created = await conn.fetchval(
        "INSERT INTO programs(id, code, currency, timezone, archived, expiry_days, expiry_round_to_month_end)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7)"
        " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, currency = EXCLUDED.currency,"
        " timezone = EXCLUDED.timezone, archived = EXCLUDED.archived, expiry_days = EXCLUDED.expiry_days,"
        " expiry_round_to_month_end = EXCLUDED.expiry_round_to_month_end, updated_at = now()"
        " RETURNING xmax = 0",
        program_id, code, currency, timezone, archived, expiry_days, round_to_month_end,
    )
    await conn.execute(
        "INSERT INTO program_directory(id, code) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code",
        program_id, code,
    )
    return created


async def program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM programs WHERE id = $1", program_id)


async def set_point_value(conn: asyncpg.Connection, *, program_id: uuid.UUID, value: Decimal, currency: str) -> None:
    await conn.execute("UPDATE programs SET point_value = $2, point_value_currency = $3 WHERE id = $1",
                       program_id, value, currency)


async def directory(conn: asyncpg.Connection, code: str | None = None) -> list[asyncpg.Record]:
    if code:
        return await conn.fetch("SELECT id, code FROM program_directory WHERE code = $1", code)
    return await conn.fetch("SELECT id, code FROM program_directory ORDER BY code")


def _lock_key(program_id: uuid.UUID) -> int:
    return int.from_bytes(hashlib.sha256(f"billing-period:{program_id}".encode()).digest()[:8], "big", signed=True)


async def lock_periods_shared(conn: asyncpg.Connection, program_id: uuid.UUID) -> None:
    """Consumers share this lock; a period close takes it exclusively, so no line slips into a
    period while it is being closed."""
    await conn.execute("SELECT pg_advisory_xact_lock_shared($1)", _lock_key(program_id))


async def lock_periods_exclusive(conn: asyncpg.Connection, program_id: uuid.UUID) -> None:
    await conn.execute("SELECT pg_advisory_xact_lock($1)", _lock_key(program_id))


# --- partners ---------------------------------------------------------------------------------

PARTNER_COLUMNS = (
    "p.id, p.code, p.name, p.status, p.contacts, s.code AS segment_code,"
    " COALESCE((SELECT jsonb_agg(jsonb_build_object('code', l.code, 'name', l.name, 'address', l.address)"
    " ORDER BY l.code) FROM partner_locations l WHERE l.partner_id = p.id), '[]') AS locations"
)


async def insert_segment(conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str) -> bool:
    return bool(await conn.fetchval(
        "INSERT INTO partner_segments(program_id, id, code, name) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (program_id, code) DO NOTHING RETURNING true",
        program_id, uuid.uuid4(), code, name,
    ))


async def segment_by_code(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow("SELECT * FROM partner_segments WHERE code = $1", code)


async def segments(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT s.code, s.name, COALESCE(array_agg(p.code ORDER BY p.code) FILTER (WHERE p.code IS NOT NULL),"
        " '{}') AS partner_codes FROM partner_segments s LEFT JOIN partners p ON p.segment_id = s.id"
        " GROUP BY s.code, s.name ORDER BY s.code"
    )


async def insert_partner(conn: asyncpg.Connection, *, program_id: uuid.UUID, code: str, name: str,
                         segment_id: uuid.UUID | None, contacts: list[dict]) -> uuid.UUID | None:
    return await conn.fetchval(
        "INSERT INTO partners(program_id, id, code, name, segment_id, contacts) VALUES ($1, $2, $3, $4, $5, $6)"
        " ON CONFLICT (program_id, code) DO NOTHING RETURNING id",
        program_id, uuid.uuid4(), code, name, segment_id, contacts,
    )


async def update_partner(conn: asyncpg.Connection, partner_id: uuid.UUID, changes: dict) -> None:
    if not changes:
        return
    sets = ", ".join(f"{column} = ${i + 2}" for i, column in enumerate(changes))
    await conn.execute(f"UPDATE partners SET {sets}, updated_at = now() WHERE id = $1", partner_id, *changes.values())


async def replace_locations(conn: asyncpg.Connection, *, program_id: uuid.UUID, partner_id: uuid.UUID,
                            locations: list[dict]) -> None:
    await conn.execute("DELETE FROM partner_locations WHERE partner_id = $1", partner_id)
    await conn.executemany(
        "INSERT INTO partner_locations(program_id, code, partner_id, name, address) VALUES ($1, $2, $3, $4, $5)",
        [(program_id, loc["code"], partner_id, loc["name"], loc["address"]) for loc in locations],
    )


async def location_owners(conn: asyncpg.Connection, codes: list[str]) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT l.code, p.code AS partner_code, p.id AS partner_id FROM partner_locations l"
        " JOIN partners p ON p.id = l.partner_id WHERE l.code = ANY($1::text[])",
        codes,
    )


async def partner_by_code(conn: asyncpg.Connection, code: str, *, for_update: bool = False) -> asyncpg.Record | None:
    lock = " FOR UPDATE OF p" if for_update else ""
    return await conn.fetchrow(
        f"SELECT {PARTNER_COLUMNS}, p.segment_id FROM partners p LEFT JOIN partner_segments s ON s.id = p.segment_id"
        f" WHERE p.code = $1{lock}",
        code,
    )


async def partners(conn: asyncpg.Connection, *, status: str | None, segment_code: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {PARTNER_COLUMNS} FROM partners p LEFT JOIN partner_segments s ON s.id = p.segment_id"
        " WHERE ($1::text IS NULL OR p.status = $1) AND ($2::text IS NULL OR s.code = $2) ORDER BY p.code",
        status, segment_code,
    )


async def partner_directory(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT id, code, name, segment_id FROM partners")


async def all_locations(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch("SELECT l.code, p.code AS partner_code FROM partner_locations l"
                            " JOIN partners p ON p.id = l.partner_id")


# --- rate cards -------------------------------------------------------------------------------

RATE_CARD_COLUMNS = (
    "r.id, p.code AS partner_code, s.code AS segment_code, r.partner_id, r.segment_id, r.campaign_code,"
    " r.valid_from, r.valid_to, r.issue_rate, r.redeem_rate, r.currency"
)
RATE_CARD_FROM = (
    " FROM rate_cards r LEFT JOIN partners p ON p.id = r.partner_id"
    " LEFT JOIN partner_segments s ON s.id = r.segment_id"
)


async def overlapping_card(conn: asyncpg.Connection, *, partner_id: uuid.UUID | None, segment_id: uuid.UUID | None,
                           campaign_code: str, valid_from: dt.date, valid_to: dt.date | None) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT valid_from, valid_to FROM rate_cards WHERE partner_id IS NOT DISTINCT FROM $1"
        " AND segment_id IS NOT DISTINCT FROM $2 AND campaign_code = $3"
        " AND daterange(valid_from, valid_to, '[]') && daterange($4, $5, '[]') LIMIT 1",
        partner_id, segment_id, campaign_code, valid_from, valid_to,
    )


async def insert_rate_card(conn: asyncpg.Connection, *, program_id: uuid.UUID, partner_id: uuid.UUID | None,
                           segment_id: uuid.UUID | None, campaign_code: str, valid_from: dt.date,
                           valid_to: dt.date | None, issue_rate: Decimal, redeem_rate: Decimal,
                           currency: str) -> asyncpg.Record:
    card_id = await conn.fetchval(
        "INSERT INTO rate_cards(program_id, id, partner_id, segment_id, campaign_code, valid_from, valid_to,"
        " issue_rate, redeem_rate, currency) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        program_id, uuid.uuid4(), partner_id, segment_id, campaign_code, valid_from, valid_to, issue_rate,
        redeem_rate, currency,
    )
    return await conn.fetchrow(f"SELECT {RATE_CARD_COLUMNS}{RATE_CARD_FROM} WHERE r.id = $1", card_id)


async def rate_cards(conn: asyncpg.Connection, *, partner_code: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {RATE_CARD_COLUMNS}{RATE_CARD_FROM}"
        " WHERE $1::text IS NULL OR p.code = $1 OR r.segment_id = (SELECT segment_id FROM partners WHERE code = $1)"
        " ORDER BY COALESCE(p.code, s.code), r.campaign_code, r.valid_from",
        partner_code,
    )


# --- consuming ledger events ------------------------------------------------------------------


async def claim_events(conn: asyncpg.Connection, *, program_id: uuid.UUID, event_ids: list[str]) -> set[str]:
    rows = await conn.fetch(
        "INSERT INTO consumed_events(program_id, event_id) SELECT $1, unnest($2::text[])"
        " ON CONFLICT DO NOTHING RETURNING event_id",
        program_id, event_ids,
    )
    return {r["event_id"] for r in rows}


async def closed_periods(conn: asyncpg.Connection) -> set[dt.date]:
    return {r["period"] for r in await conn.fetch("SELECT period FROM closed_periods")}


async def line_for_transaction(conn: asyncpg.Connection, transaction_id: str) -> asyncpg.Record | None:
    return await conn.fetchrow(
        "SELECT * FROM billing_lines WHERE transaction_id = $1 AND kind IN ('ISSUE', 'REDEEM') ORDER BY id LIMIT 1",
        transaction_id,
    )


LINE_FIELDS = ("event_id", "partner_code", "period", "reference_period", "correction", "kind", "transaction_id",
               "voided_transaction_id", "member_id", "points", "purchase_amount", "rate", "value", "currency",
               "location_code", "campaign_code", "occurred_at")


async def insert_lines(conn: asyncpg.Connection, *, program_id: uuid.UUID, lines: list[dict]) -> None:
    if not lines:
        return
    columns = ", ".join(LINE_FIELDS)
    params = ", ".join(f"${i + 2}" for i in range(len(LINE_FIELDS)))
    await conn.executemany(
        f"INSERT INTO billing_lines(program_id, {columns}) VALUES ($1, {params})",
        [(program_id, *(line[f] for f in LINE_FIELDS)) for line in lines],
    )


# --- lots (breakage and liability) ------------------------------------------------------------


LOT_FIELDS = ("member_id", "transaction_id", "partner_code", "issue_rate", "currency", "earned_at", "expires_at",
              "points")


async def insert_lots(conn: asyncpg.Connection, *, program_id: uuid.UUID, lots: list[dict]) -> None:
    """Lots in one statement, their ids in the list's order (a draw's tie-break)."""
    if not lots:
        return
    await conn.execute(
        "INSERT INTO member_lots(program_id, member_id, transaction_id, partner_code, issue_rate, currency,"
        " earned_at, expires_at, points, remaining)"
        " SELECT $1, member_id, transaction_id, partner_code, issue_rate, currency, earned_at, expires_at, points, points"
        " FROM unnest($2::text[], $3::text[], $4::text[], $5::numeric[], $6::text[], $7::timestamptz[],"
        " $8::timestamptz[], $9::bigint[]) WITH ORDINALITY"
        " AS l(member_id, transaction_id, partner_code, issue_rate, currency, earned_at, expires_at, points, ord)"
        " ORDER BY ord",
        program_id, *([lot[f] for lot in lots] for f in LOT_FIELDS),
    )


async def open_lots(conn: asyncpg.Connection, *, member_id: str, prefer_transaction: str = "") -> list[asyncpg.Record]:
    """Soonest-expiring first (as the ledger burns them), the named transaction's own lot before all."""
    return await conn.fetch(
        "SELECT id, remaining, partner_code, issue_rate, currency FROM member_lots"
        " WHERE member_id = $1 AND remaining > 0"
        " ORDER BY transaction_id = $2 DESC, expires_at NULLS LAST, id FOR UPDATE",
        member_id, prefer_transaction,
    )


async def take_from_lots(conn: asyncpg.Connection, *, program_id: uuid.UUID, transaction_id: str,
                         takes: list[tuple[int, int]]) -> None:
    await conn.execute(
        "UPDATE member_lots l SET remaining = l.remaining - t.points"
        " FROM unnest($1::bigint[], $2::bigint[]) AS t(lot_id, points) WHERE l.id = t.lot_id",
        [t[0] for t in takes], [t[1] for t in takes],
    )
    await conn.executemany(
        "INSERT INTO lot_draws(program_id, transaction_id, lot_id, points) VALUES ($1, $2, $3, $4)",
        [(program_id, transaction_id, lot_id, points) for lot_id, points in takes],
    )


async def draws(conn: asyncpg.Connection, transaction_id: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT lot_id, sum(points)::bigint AS points FROM lot_draws WHERE transaction_id = $1"
        " GROUP BY lot_id ORDER BY lot_id",
        transaction_id,
    )


async def drawn_lots(conn: asyncpg.Connection, transaction_id: str) -> list[asyncpg.Record]:
    """The lots a transaction's debit took from, with what it took: for mirroring a transfer's credit."""
    return await conn.fetch(
        "SELECT l.partner_code, l.issue_rate, l.currency, l.earned_at, l.expires_at, sum(d.points)::bigint AS points"
        " FROM lot_draws d JOIN member_lots l ON l.id = d.lot_id WHERE d.transaction_id = $1"
        " GROUP BY l.id HAVING sum(d.points) > 0 ORDER BY l.expires_at NULLS LAST, l.id",
        transaction_id,
    )


async def restore_lot(conn: asyncpg.Connection, *, program_id: uuid.UUID, transaction_id: str, lot_id: int,
                      points: int) -> None:
    await conn.execute("UPDATE member_lots SET remaining = remaining + $2 WHERE id = $1", lot_id, points)
    await conn.execute(
        "INSERT INTO lot_draws(program_id, transaction_id, lot_id, points) VALUES ($1, $2, $3, $4)",
        program_id, transaction_id, lot_id, -points,
    )


async def insert_breakage(conn: asyncpg.Connection, *, program_id: uuid.UUID, rows: list[tuple]) -> None:
    await conn.executemany(
        "INSERT INTO breakage(program_id, event_id, lot_id, partner_code, period, points, value, currency, expired_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        [(program_id, *row) for row in rows],
    )


# --- statements, periods and invoices ---------------------------------------------------------

# One GROUP BY over a period's lines gives every partner's statement totals.
STATEMENT_TOTALS = """
SELECT partner_code, currency,
       COALESCE(sum(points) FILTER (WHERE kind IN ('ISSUE', 'VOID_ISSUE')), 0)::bigint AS issued_points,
       COALESCE(sum(value) FILTER (WHERE kind IN ('ISSUE', 'VOID_ISSUE')), 0) AS issued_value,
       COALESCE(-sum(points) FILTER (WHERE kind IN ('REDEEM', 'VOID_REDEEM')), 0)::bigint AS redeemed_points,
       COALESCE(-sum(value) FILTER (WHERE kind IN ('REDEEM', 'VOID_REDEEM')), 0) AS redeemed_value,
       COALESCE(sum(points) FILTER (WHERE correction), 0)::bigint AS correction_points,
       COALESCE(sum(value) FILTER (WHERE correction), 0) AS correction_value,
       sum(value) AS net_value,
       sum(purchase_amount) AS purchase_amount,
       count(*)::int AS line_count
FROM billing_lines
WHERE program_id = $1 AND period = $2 AND ($3::text IS NULL OR partner_code = $3)
GROUP BY partner_code, currency
"""

STATEMENT_COLUMNS = ("partner_code, currency, issued_points, issued_value, redeemed_points, redeemed_value,"
                     " correction_points, correction_value, net_value, purchase_amount, line_count")


async def is_closed(conn: asyncpg.Connection, period: dt.date) -> bool:
    return bool(await conn.fetchval("SELECT true FROM closed_periods WHERE period = $1", period))


async def mark_closed(conn: asyncpg.Connection, *, program_id: uuid.UUID, period: dt.date) -> None:
    await conn.execute("INSERT INTO closed_periods(program_id, period) VALUES ($1, $2)", program_id, period)


async def freeze_statements(conn: asyncpg.Connection, *, program_id: uuid.UUID, period: dt.date) -> list[asyncpg.Record]:
    """Compute the totals with a plain SELECT (PostgreSQL may run it in parallel, which it never does for
    INSERT ... SELECT), then store them in one statement; returns them, ordered by partner."""
    totals = await draft_statements(conn, program_id=program_id, period=period)
    columns = [c.strip() for c in STATEMENT_COLUMNS.split(",")]
    types = {"partner_code": "text", "currency": "text", "line_count": "int"}
    arrays = ", ".join(f"${i + 3}::{types.get(c, 'numeric')}[]" for i, c in enumerate(columns))
    await conn.execute(
        f"INSERT INTO statements(program_id, period, {STATEMENT_COLUMNS}) SELECT $1, $2, * FROM unnest({arrays})",
        program_id, period, *([r[c] for r in totals] for c in columns),
    )
    return totals


async def draft_statements(conn: asyncpg.Connection, *, program_id: uuid.UUID, period: dt.date,
                           partner_code: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(f"SELECT * FROM ({STATEMENT_TOTALS}) t ORDER BY partner_code, currency",
                            program_id, period, partner_code)


async def frozen_statements(conn: asyncpg.Connection, *, period: dt.date,
                            partner_code: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"SELECT {STATEMENT_COLUMNS} FROM statements WHERE period = $1 AND ($2::text IS NULL OR partner_code = $2)"
        " ORDER BY partner_code, currency",
        period, partner_code,
    )


async def statement_lines(conn: asyncpg.Connection, *, period: dt.date, partner_code: str) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT * FROM billing_lines WHERE period = $1 AND partner_code = $2 ORDER BY occurred_at, id",
        period, partner_code,
    )


async def partner_names(conn: asyncpg.Connection) -> dict[str, str]:
    return {r["code"]: r["name"] for r in await conn.fetch("SELECT code, name FROM partners")}


async def lock_invoice_counter(conn: asyncpg.Connection, program_id: uuid.UUID) -> int:
    await conn.execute(
        "INSERT INTO invoice_counters(program_id) VALUES ($1) ON CONFLICT DO NOTHING", program_id)
    return await conn.fetchval("SELECT last_number FROM invoice_counters WHERE program_id = $1 FOR UPDATE", program_id)


async def advance_invoice_counter(conn: asyncpg.Connection, program_id: uuid.UUID, last_number: int) -> None:
    await conn.execute("UPDATE invoice_counters SET last_number = $2 WHERE program_id = $1", program_id, last_number)


async def insert_invoices(conn: asyncpg.Connection, *, program_id: uuid.UUID, period: dt.date,
                          invoices: list[tuple[int, str, str, str, Decimal]]) -> None:
    """(sequence, number, partner code, currency, amount due) rows, in one statement."""
    await conn.execute(
        "INSERT INTO invoices(program_id, period, sequence, number, partner_code, currency, amount_due)"
        " SELECT $1, $2, * FROM unnest($3::bigint[], $4::text[], $5::text[], $6::text[], $7::numeric[])",
        program_id, period, *([row[i] for row in invoices] for i in range(5)),
    )


INVOICE_SELECT = (
    "SELECT i.*, s.issued_points, s.issued_value, s.redeemed_points, s.redeemed_value, s.correction_points,"
    " s.correction_value, s.net_value, s.purchase_amount, s.line_count"
    " FROM invoices i JOIN statements s ON s.program_id = i.program_id AND s.period = i.period"
    " AND s.partner_code = i.partner_code AND s.currency = i.currency"
)


async def invoices(conn: asyncpg.Connection, *, period: dt.date | None = None, partner_code: str | None = None,
                   number: str | None = None) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"{INVOICE_SELECT} WHERE ($1::date IS NULL OR i.period = $1) AND ($2::text IS NULL OR i.partner_code = $2)"
        " AND ($3::text IS NULL OR i.number = $3) ORDER BY i.sequence",
        period, partner_code, number,
    )


# --- reports ----------------------------------------------------------------------------------


async def breakage_report(conn: asyncpg.Connection, *, from_period: dt.date | None, to_period: dt.date | None,
                          partner_code: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT period, partner_code, currency, sum(points)::bigint AS points, sum(value) AS value FROM breakage"
        " WHERE ($1::date IS NULL OR period >= $1) AND ($2::date IS NULL OR period <= $2)"
        " AND ($3::text IS NULL OR partner_code = $3)"
        " GROUP BY period, partner_code, currency ORDER BY period, partner_code, currency",
        from_period, to_period, partner_code,
    )


async def liability_report(conn: asyncpg.Connection, *, timezone: str, from_period: dt.date | None,
                           to_period: dt.date | None, partner_code: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(
        "SELECT expiry_period, partner_code, sum(remaining)::bigint AS points FROM ("
        # expires_at is the first instant no longer valid; the expiry month is that of the last valid day
        "  SELECT date_trunc('month', (expires_at AT TIME ZONE $1) - interval '1 microsecond')::date AS expiry_period,"
        "  partner_code, remaining"
        "  FROM member_lots WHERE remaining > 0 AND ($4::text IS NULL OR partner_code = $4)) l"
        " WHERE ($2::date IS NULL OR expiry_period >= $2) AND ($3::date IS NULL OR expiry_period <= $3)"
        " GROUP BY expiry_period, partner_code ORDER BY expiry_period NULLS LAST, partner_code",
        timezone, from_period, to_period, partner_code,
    )
