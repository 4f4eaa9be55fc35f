"""This service's copy of a program's settings, provisioned idempotently."""

import uuid

import asyncpg

from loyalty.common.v1 import program_pb2
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid
from services.points import repository


async def provision(pool: asyncpg.Pool, spec: program_pb2.ProgramSpec) -> bool:
    try:
        program_id = uuid.UUID(spec.id)
    except ValueError:
        raise invalid("spec.id", "is not a UUID") from None
    validation.program_code(spec.code, "spec.code")
    validation.currency(spec.currency, "spec.currency")
    validation.timezone(spec.timezone, "spec.timezone")
    async with tenant_tx(pool, program_id) as conn:
        created = await repository.upsert_program(
            conn, program_id=program_id, code=spec.code, currency=spec.currency, timezone=spec.timezone,
            expiry_days=spec.expiry.days, expiry_round_to_month_end=spec.expiry.round_to_month_end,
            archived=spec.archived,
        )
        await repository.open_program_accounts(conn, program_id)
    return created
