"""Billing's copy of a program: currency, time zone and the expiry policy (for liability by expiry month)."""

import dataclasses
import uuid
from decimal import Decimal, InvalidOperation

import asyncpg

from services.billing import repository
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid, not_found


@dataclasses.dataclass(frozen=True)
class ProgramInput:
    """The program as ProvisionProgram pushes it (api.py copies the spec's fields)."""

    id: uuid.UUID | str
    code: str
    currency: str
    timezone: str
    archived: bool = False
    expiry_days: int = 0
    round_to_month_end: bool = False

    def __post_init__(self):
        if not isinstance(self.id, uuid.UUID):
            try:
                object.__setattr__(self, "id", uuid.UUID(self.id))
            except ValueError:
                raise invalid("spec.id", "is not a UUID") from None
        validation.program_code(self.code, "spec.code")
        validation.currency(self.currency, "spec.currency")
        validation.timezone(self.timezone, "spec.timezone")
        if self.expiry_days < 0:
            raise invalid("spec.expiry.days", "must not be negative")


async def provision(pool: asyncpg.Pool, program: ProgramInput) -> bool:
    async with tenant_tx(pool, program.id) as conn:
        return await repository.upsert_program(
            conn, program_id=program.id, code=program.code, currency=program.currency, timezone=program.timezone,
            archived=program.archived, expiry_days=program.expiry_days, round_to_month_end=program.round_to_month_end,
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
