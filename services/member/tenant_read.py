"""A read-only tenant read in as few round trips as it can.

`tenant_tx` sends BEGIN and then `set_config('app.program_id', ...)`: two round trips before a
search's one statement, and a COMMIT after it, on the hot path of every search.

On a pool of `TenantReadConnection`s (the member service's: `create_pool` installs its
`pool_setup`), the program stays set on the connection between searches: `tenant_read` sets it
for the session (`set_config(..., false)`, with `default_transaction_read_only` on), once, and
the next tenant read of the same program on that connection sends its one statement and nothing
else (no BEGIN, no COMMIT, no reset on release). Every other acquire of that connection (another
program's tenant read, `tenant_tx`, any plain use) first drops both settings (`pool_setup`), so
no other use ever runs with a program it did not set itself, as before; a tenant read that fails
is given back with asyncpg's full reset (RESET ALL). Row-level security sees the program exactly
as under `tenant_tx`, and every statement of the read is read-only.

On any other connection (a pool without the setup), the read is one transaction opened in one
round trip: `BEGIN READ ONLY; SELECT set_config('app.program_id', ..., true)` as one simple
query, then the statement, then COMMIT; the setting ends with the transaction.

The program id is a parsed UUID, so only hex digits and dashes reach the SQL text.
"""

import contextlib
import contextvars
import uuid
from collections.abc import AsyncIterator

import asyncpg

from services.common.db import PooledConnection, mark_clean

# The program of the tenant read acquiring a connection right now (None: any other acquire).
_acquiring_for: contextvars.ContextVar[str | None] = contextvars.ContextVar("tenant_read_for", default=None)


@contextlib.asynccontextmanager
async def tenant_read(pool: asyncpg.Pool, program_id: uuid.UUID) -> AsyncIterator[asyncpg.Connection]:
    program = str(uuid.UUID(str(program_id)))  # canonical form: nothing but hex digits and dashes
    token = _acquiring_for.set(program)
    try:
        async with pool.acquire() as conn:
            # only this acquire is the tenant read's: a task started inside the block acquires as anyone
            _acquiring_for.reset(token)
            token = None
            if getattr(conn, "guarded", lambda: False)():
                async with _held(conn, program):
                    yield conn
            else:
                async with _transaction(conn, program):
                    yield conn
    finally:
        if token is not None:
            _acquiring_for.reset(token)


@contextlib.asynccontextmanager
async def _held(conn, program: str) -> AsyncIterator[None]:
    """The program held by the session (see the module doc): set once, kept after a clean read."""
    if not conn.holds(program):
        conn.drop_held()  # until the statement succeeds: a failure before it leaves the full reset to do
        await conn.execute(f"SELECT set_config('app.program_id', '{program}', false);"
                           " SET default_transaction_read_only = on")
        conn.hold(program)
    yield  # on an error, the release's full reset (RESET ALL) drops the settings
    mark_clean(conn)


@contextlib.asynccontextmanager
async def _transaction(conn, program: str) -> AsyncIterator[None]:
    await conn.execute(f"BEGIN READ ONLY; SELECT set_config('app.program_id', '{program}', true)")
    try:
        yield
    except BaseException:
        # A broken, or busy (cancelled mid-query), connection cannot take it: the pool's release
        # then rolls back or closes it, as for any connection given back inside a transaction.
        with contextlib.suppress(Exception):
            await conn.execute("ROLLBACK")
        raise
    await conn.execute("COMMIT")
    mark_clean(conn)


class TenantReadConnection(PooledConnection):
    """asyncpg's connection that can hold a tenant read's program between reads (see the module doc),
    and whose reset on release is skipped right after a clean `tenant_read`."""

    _guarded = False
    _held_program: str | None = None

    @staticmethod
    async def pool_setup(conn) -> None:
        """Pool setup, on every acquire: a program held from a tenant read is dropped unless this
        acquire is a tenant read of that same program."""
        await conn.prepare_acquired(_acquiring_for.get())

    async def prepare_acquired(self, program: str | None) -> None:
        self._guarded = True
        if self._held_program is not None and self._held_program != program:
            self._held_program = None  # whatever happens next: a failed RESET closes the connection
            await self.execute("RESET app.program_id; RESET default_transaction_read_only")

    def guarded(self) -> bool:
        return self._guarded

    def holds(self, program: str) -> bool:
        return self._held_program == program

    def hold(self, program: str) -> None:
        self._held_program = program

    def drop_held(self) -> None:
        self._held_program = None

    def get_reset_query(self) -> str:
        query = super().get_reset_query()  # empty right after a clean read or transaction
        if query:
            self._held_program = None  # the full reset's RESET ALL drops what a tenant read set
        return query
