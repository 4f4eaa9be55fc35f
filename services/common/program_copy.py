"""A service's own copy of a program's settings, for services that need no more than these."""


import asyncpg

from loyalty.common.v1 import program_pb2
from services.common import validation
from services.common.db import tenant_tx



async def provision(pool: asyncpg.Pool, spec: program_pb2.ProgramSpec) -> program_pb2.ProvisionProgramResponse:
    program_id = validation.uuid_value(spec.id, "spec.id")
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
