"""The asyncpg pool and the one way to open a tenant transaction."""

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator

import asyncpg

log = logging.getLogger(__name__)


async def _init_connection(conn: asyncpg.Connection) -> None:
    for typ in ("json", "jsonb"):
        await conn.set_type_codec(typ, encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


class PooledConnection(asyncpg.Connection):
    """asyncpg's connection, whose reset on release (advisory unlock, CLOSE ALL, UNLISTEN, RESET ALL: a
    round trip and four statements) is skipped after a `tenant_tx` or `global_tx` that committed: their
    transaction sets only transaction-local state (`set_config(..., true)`, SET LOCAL, transaction
    locks), which its end already dropped. Any other use, and a transaction that failed, is given back
    with the full reset, as asyncpg does."""

    _clean = False

    def mark_clean(self) -> None:
        self._clean = True

    def get_reset_query(self) -> str:
        if self._clean:
            self._clean = False
            return ""
        return super().get_reset_query()


async def create_pool(
    dsn: str, *, schema: str, application: str, min_size: int = 2, max_size: int = 10, wait_seconds: float = 60.0,
    connection_class: type[PooledConnection] = PooledConnection,
) -> asyncpg.Pool:
    """Connect, waiting for the database (and this service's role) to exist, as at a cold start.
    `connection_class`: a service's own PooledConnection subclass (e.g. member's TenantReadConnection)."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return await asyncpg.create_pool(
                dsn,
                min_size=min_size,
                max_size=max_size,
                init=_init_connection,
                # a connection class may prepare each acquired connection (member's TenantReadConnection)
                setup=getattr(connection_class, "pool_setup", None),
                connection_class=connection_class,
                # No JIT: a statement whose estimate crosses jit_above_cost (an unanalysed small table
                # is estimated at hundreds of rows) compiled for 0.1-0.5 s to run for a few ms
                server_settings={"search_path": schema, "application_name": application, "jit": "off"},
            )
        except (OSError, asyncpg.CannotConnectNowError, asyncpg.InvalidAuthorizationSpecificationError,
                asyncpg.InvalidCatalogNameError) as exc:
            if time.monotonic() > deadline:
                raise
            log.info("database not ready yet (%s); retrying", exc)
            await asyncio.sleep(0.5)


@contextlib.asynccontextmanager
async def tenant_tx(
    pool: asyncpg.Pool, program_id: uuid.UUID, *, isolation: str = "read_committed"
) -> AsyncIterator[asyncpg.Connection]:
    """One transaction scoped by row-level security to a single program. Nothing in it may set session
    state (SET without LOCAL, session advisory locks, LISTEN, cursors WITH HOLD): once it commits, the
    connection goes back to the pool without asyncpg's reset (PooledConnection)."""
    async with pool.acquire() as conn:
        async with conn.transaction(isolation=isolation):
            await conn.execute("SELECT set_config('app.program_id', $1, true)", str(program_id))
            yield conn
        mark_clean(conn)


@contextlib.asynccontextmanager
async def global_tx(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A transaction with no program: it sees only tables that are not tenant-scoped. As in `tenant_tx`,
    nothing in it may set session state."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            yield conn
        mark_clean(conn)


def mark_clean(conn) -> None:
    """After a transaction that committed and set nothing on the session: the release skips the reset."""
    method = getattr(conn, "mark_clean", None)  # a PooledConnection (through the pool's proxy)
    if method is not None:
        method()
