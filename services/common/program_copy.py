"""A service's own copy of a program's settings, for services that need no more than these.

The service's api.py makes a `ProgramCopy` from the ProvisionProgram request's spec (`of_spec`
there) and answers with the spec and whether the copy was created.
"""

import dataclasses
import uuid

import asyncpg

from services.common import validation
from services.common.db import tenant_tx


@dataclasses.dataclass(frozen=True)
class ProgramCopy:
    id: uuid.UUID | str
    code: str
    currency: str
    timezone: str
    archived: bool = False

    def __post_init__(self):
        if not isinstance(self.id, uuid.UUID):
            object.__setattr__(self, "id", validation.uuid_value(self.id, "spec.id"))
        validation.program_code(self.code, "spec.code")
        validation.currency(self.currency, "spec.currency")
        validation.timezone(self.timezone, "spec.timezone")


async def provision(pool: asyncpg.Pool, program: ProgramCopy) -> bool:
    """Create or refresh the copy; True when it was created."""
    async with tenant_tx(pool, program.id) as conn:
        return await conn.fetchval(
            "INSERT INTO programs(id, code, currency, timezone, archived) VALUES ($1, $2, $3, $4, $5)"
            " ON CONFLICT (id) DO UPDATE SET code = EXCLUDED.code, currency = EXCLUDED.currency,"
            " timezone = EXCLUDED.timezone, archived = EXCLUDED.archived, updated_at = now()"
            " RETURNING xmax = 0",
            program.id, program.code, program.currency, program.timezone, program.archived,
        )
