"""Closing a period: freeze its statements and issue one invoice per partner statement.

Numbers are per program with no gaps: the program's counter row is locked FOR UPDATE in the same
transaction that inserts the invoices, and the close holds the program's period lock exclusively,
so concurrent closes queue and a rerun finds the period closed and issues nothing.
"""

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal

import asyncpg

from services.billing import periods, repository
from services.billing.programs import load as load_program
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found

CENT = Decimal("0.01")


def invoice_number(program_code: str, sequence: int) -> str:
    return f"{program_code.upper()}-{sequence:06d}"


async def close_period(pool: asyncpg.Pool, program_id: uuid.UUID, *, period: str,
                       now: dt.datetime | None = None) -> tuple[dt.date, bool, list[asyncpg.Record]]:
    """(period, closed by this call, the invoices this call issued)."""
    month = periods.parse(period)
    now = now or dt.datetime.now(dt.timezone.utc)
    async with tenant_tx(pool, program_id) as conn:
        await repository.lock_periods_exclusive(conn, program_id)
        program = await load_program(conn, program_id)
        if periods.end_of(month, program["timezone"]) > now:
            raise DomainError(ErrorCode.PERIOD_NOT_ENDED,
                              f"period: {period} has not ended yet in {program['timezone']}", field="period")
        if await repository.is_closed(conn, month):
            return month, False, []
        await repository.mark_closed(conn, program_id=program_id, period=month)
        statements = await repository.freeze_statements(conn, program_id=program_id, period=month)
        if statements:
            first = await repository.lock_invoice_counter(conn, program_id) + 1
            await repository.insert_invoices(conn, program_id=program_id, period=month, invoices=[
                (sequence, invoice_number(program["code"], sequence), s["partner_code"], s["currency"],
                 s["net_value"].quantize(CENT, rounding=ROUND_HALF_UP))
                for sequence, s in enumerate(statements, start=first)
            ])
            await repository.advance_invoice_counter(conn, program_id, first + len(statements) - 1)
        issued = await repository.invoices(conn, period=month)
    return month, True, issued


async def list_invoices(pool: asyncpg.Pool, program_id: uuid.UUID, *, period: str = "",
                        partner_code: str = "") -> list[asyncpg.Record]:
    month = periods.parse_optional(period, "period")
    async with tenant_tx(pool, program_id) as conn:
        return await repository.invoices(conn, period=month, partner_code=partner_code or None)


async def get_invoice(pool: asyncpg.Pool, program_id: uuid.UUID, number: str,
                      *, with_lines: bool = False) -> tuple[asyncpg.Record, dict[str, str], list[asyncpg.Record], str]:
    """(invoice, partner names, its statement's lines, program code)."""
    async with tenant_tx(pool, program_id) as conn:
        program = await load_program(conn, program_id)
        found = await repository.invoices(conn, number=number)
        if not found:
            raise not_found("invoice", number)
        invoice = found[0]
        lines = (await repository.statement_lines(conn, period=invoice["period"], partner_code=invoice["partner_code"])
                 if with_lines else [])
        return invoice, await repository.partner_names(conn), lines, program["code"]
