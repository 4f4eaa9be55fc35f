"""Statements per partner per period: a draft while the period is open, frozen when it closes."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from services.billing import periods, repository
from services.billing.programs import load as load_program
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode


@dataclasses.dataclass
class Statement:
    partner_code: str
    partner_name: str
    period: dt.date
    closed: bool
    totals: asyncpg.Record | None  # None: no lines in the period
    currency: str
    lines: list[asyncpg.Record]
    invoice_number: str = ""


async def get(pool: asyncpg.Pool, program_id: uuid.UUID, *, partner_code: str, period: str,
              include_lines: bool) -> Statement:
    month = periods.parse(period)
    async with tenant_tx(pool, program_id) as conn:
        program = await load_program(conn, program_id)
        names = await repository.partner_names(conn)
        closed = await repository.is_closed(conn, month)
        rows = await (repository.frozen_statements(conn, period=month, partner_code=partner_code) if closed else
                      repository.draft_statements(conn, program_id=program_id, period=month, partner_code=partner_code))
        if not rows and partner_code not in names:
            raise DomainError(ErrorCode.NOT_FOUND, f"partner {partner_code!r} not found", field="partnerCode")
        lines = await repository.statement_lines(conn, period=month, partner_code=partner_code) if include_lines else []
        invoice = await repository.invoices(conn, period=month, partner_code=partner_code) if closed else []
    totals = rows[0] if rows else None
    return Statement(partner_code=partner_code, partner_name=names.get(partner_code, ""), period=month,
                     closed=closed, totals=totals, currency=totals["currency"] if totals else program["currency"],
                     lines=lines, invoice_number=invoice[0]["number"] if invoice else "")


async def list_for_period(pool: asyncpg.Pool, program_id: uuid.UUID, *, period: str) -> tuple[bool, list[Statement]]:
    month = periods.parse(period)
    async with tenant_tx(pool, program_id) as conn:
        await load_program(conn, program_id)
        names = await repository.partner_names(conn)
        closed = await repository.is_closed(conn, month)
        rows = await (repository.frozen_statements(conn, period=month) if closed else
                      repository.draft_statements(conn, program_id=program_id, period=month))
        numbers = {(i["partner_code"], i["currency"]): i["number"]
                   for i in await repository.invoices(conn, period=month)}
    return closed, [
        Statement(partner_code=r["partner_code"], partner_name=names.get(r["partner_code"], ""), period=month,
                  closed=closed, totals=r, currency=r["currency"], lines=[],
                  invoice_number=numbers.get((r["partner_code"], r["currency"]), ""))
        for r in rows
    ]
