"""A service's own copy of a program's settings, for services that need no more than these."""

import uuid

import asyncpg

from loyalty.common.v1 import program_pb2
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid



async def provision(pool: asyncpg.Pool, spec: program_pb2.ProgramSpec) -> program_pb2.ProvisionProgramResponse:
    try:
        program_id = uuid.UUID(spec.id)
    except ValueError:
        raise invalid("spec.id", "is not a UUID") from None
    validation.program_code(spec.code, "spec.code")
    validation.currency(spec.currency, "spec.currency")
    validation.timezone(spec.timezone, "spec.timezone")
    async with tenant_tx(pool, program_id) as conn:
        created = await conn.fetchval(
            "INSERT INTO programs(id, code, currency, timezone, archived) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, currency = EXCLUDED.currency,"
            " timezone = EXCLUDED.timezone, archived = EXCLUDED.archived, updated_at = now()"
            " RETURNING xmax = 0",
            program_id, spec.code, spec.currency, spec.timezone, spec.archived,
        )
    return program_pb2.ProvisionProgramResponse(spec=spec, created=created)
