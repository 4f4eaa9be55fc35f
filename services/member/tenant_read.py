"""A read-only tenant transaction opened in one round trip.

`tenant_tx` sends BEGIN and then `set_config('app.program_id', ...)`: two round trips before a
search's one statement, on the hot path of every search. Both go here as one simple query; the
program id is a parsed UUID, so only hex digits and dashes reach the SQL text. Row-level security
sees the program exactly as under `tenant_tx` (a transaction-local setting).

Such a use leaves nothing in the session: the setting ended with the transaction, and nothing else
is set, listened to, locked or left open. On a `TenantReadConnection` (the member service's pool)
the pool then skips its reset query on release, one round trip (and four statements) fewer per
search; any other use of a connection keeps asyncpg's full reset.
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
            # A broken, or busy (cancelled mid-query), connection cannot take it: the pool's release
            # then rolls back or closes it, as for any connection given back inside a transaction.
            with contextlib.suppress(Exception):
                await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        mark_clean_read = getattr(conn, "mark_clean_read", None)  # a TenantReadConnection (via the pool's proxy)
        if mark_clean_read is not None:
            mark_clean_read()


class TenantReadConnection(asyncpg.Connection):
    """asyncpg's connection, whose reset on release is skipped right after a clean `tenant_read`."""

    _clean_read = False

    def mark_clean_read(self) -> None:
        self._clean_read = True

    def get_reset_query(self) -> str:
        if self._clean_read:
            self._clean_read = False
            return ""
        return super().get_reset_query()
