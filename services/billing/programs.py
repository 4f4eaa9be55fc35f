"""Billing's copy of a program: currency, time zone and the expiry policy (for liability by expiry month)."""

import uuid
from decimal import Decimal, InvalidOperation

import asyncpg

from loyalty.common.v1 import program_pb2
from services.billing import repository
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid, not_found


async def provision(pool: asyncpg.Pool, spec: program_pb2.ProgramSpec) -> bool:
    try:
        program_id = uuid.UUID(spec.id)
    except ValueError:
        raise invalid("spec.id", "is not a UUID") from None
    validation.program_code(spec.code, "spec.code")
    validation.currency(spec.currency, "spec.currency")
    validation.timezone(spec.timezone, "spec.timezone")
    if spec.expiry.days < 0:
        raise invalid("spec.expiry.days", "must not be negative")
    async with tenant_tx(pool, program_id) as conn:
        return await repository.upsert_program(
            conn, program_id=program_id, code=spec.code, currency=spec.currency, timezone=spec.timezone,
            archived=spec.archived, expiry_days=spec.expiry.days, round_to_month_end=spec.expiry.round_to_month_end,
        )


async def load(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record:
    program = await repository.program(conn, program_id)
    if program is None:
        raise not_found("program", str(program_id))
    return program


def rate(value: str, field: str) -> Decimal:
    """A money rate per point: a decimal of at most 6 places, zero or more."""
    try:
        parsed = Decimal(value)
    except (InvalidOperation, TypeError):
        raise invalid(field, f"{value!r} is not a decimal number") from None
    if not parsed.is_finite():
        raise invalid(field, f"{value!r} is not a decimal number")
    if parsed < 0:
        raise invalid(field, "must not be negative")
    if parsed.as_tuple().exponent < -6 or parsed >= Decimal("1e12"):
        raise invalid(field, "has too many digits (at most 6 decimal places)")
    return parsed


async def set_point_value(pool: asyncpg.Pool, program_id: uuid.UUID, *, point_value: str,
                          currency: str) -> tuple[Decimal, str]:
    value = rate(point_value, "pointValue")
    validation.currency(currency)
    async with tenant_tx(pool, program_id) as conn:
        await load(conn, program_id)
        await repository.set_point_value(conn, program_id=program_id, value=value, currency=currency)
    return value, currency
