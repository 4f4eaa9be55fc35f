"""A read-only tenant transaction opened in one round trip.

`tenant_tx` sends BEGIN and then `set_config('app.program_id', ...)`: two round trips before a
search's one statement, on the hot path of every search. Both go here as one simple query; the
program id is a parsed UUID, so only hex digits and dashes reach the SQL text. Row-level security
sees the program exactly as under `tenant_tx` (a transaction-local setting).
"""

import contextlib
import uuid
from collections.abc import AsyncIterator

import asyncpg


@contextlib.asynccontextmanager
async def tenant_read(pool: asyncpg.Pool, program_id: uuid.UUID) -> AsyncIterator[asyncpg.Connection]:
    program = str(uuid.UUID(str(program_id)))  # canonical form: nothing but hex digits and dashes
    async with pool.acquire() as conn:
        await conn.execute(f"BEGIN READ ONLY; SELECT set_config('app.program_id', '{program}', true)")
        try:
            yield conn
        except BaseException:
            if not conn.is_closed():
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
