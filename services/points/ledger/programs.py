"""This service's copy of a program's settings, provisioned idempotently."""


import asyncpg

from loyalty.common.v1 import program_pb2
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid
from services.points.ledger import repository


async def provision(pool: asyncpg.Pool, spec: program_pb2.ProgramSpec) -> bool:
    program_id = validation.uuid_value(spec.id, "spec.id")
    validation.program_code(spec.code, "spec.code")
    validation.currency(spec.currency, "spec.currency")
    validation.timezone(spec.timezone, "spec.timezone")
    if spec.expiry.days < 0:
        raise invalid("spec.expiry.days", "must not be negative")
    if spec.retro_claim_days < 0 or spec.hold_timeout_seconds < 0:
        raise invalid("spec", "retro_claim_days and hold_timeout_seconds must not be negative")
    async with tenant_tx(pool, program_id) as conn:
        created = await repository.upsert_program(
            conn, program_id=program_id, code=spec.code, currency=spec.currency, timezone=spec.timezone,
            expiry_days=spec.expiry.days, expiry_round_to_month_end=spec.expiry.round_to_month_end,
            archived=spec.archived, retro_claim_days=spec.retro_claim_days or 30,
            hold_timeout_seconds=spec.hold_timeout_seconds or 900,
        )
        await repository.open_program_accounts(conn, program_id)
    return created
