"""A pooled connection goes back without asyncpg's reset only after a transaction that committed."""

import uuid

import pytest

from services.common.db import create_pool, global_tx, tenant_tx

RESET = "RESET ALL"  # the last of asyncpg's reset statements


@pytest.fixture
async def one_connection(database, pools):  # pools: the member schema is migrated
    pool = await create_pool(database.service_dsn("member"), schema="member", application="test-release",
                             min_size=1, max_size=1)
    yield pool
    await pool.close()


async def last_statement(admin_conn, pid: int) -> str:
    """What the connection's server process ran last (pg_stat_activity shows it as soon as it starts)."""
    return await admin_conn.fetchval("SELECT query FROM pg_stat_activity WHERE pid = $1", pid)


async def test_a_committed_transaction_goes_back_without_the_reset_and_leaves_nothing_set(one_connection,
                                                                                          admin_conn):
    program = uuid.uuid4()
    async with tenant_tx(one_connection, program) as conn:
        assert await conn.fetchval("SELECT current_setting('app.program_id')") == str(program)
        pid = conn.get_server_pid()
    assert await last_statement(admin_conn, pid) == "COMMIT;"
    async with global_tx(one_connection) as conn:
        assert conn.get_server_pid() == pid
        assert await conn.fetchval("SELECT current_setting('app.program_id', true)") in ("", None)
    assert await last_statement(admin_conn, pid) == "COMMIT;"


async def test_a_failed_transaction_and_any_other_use_get_the_full_reset(one_connection, admin_conn):
    with pytest.raises(ZeroDivisionError):
        async with tenant_tx(one_connection, uuid.uuid4()) as conn:
            pid = conn.get_server_pid()
            await conn.execute("SET application_name = 'dirty'")  # what a transaction here must never do
            raise ZeroDivisionError
    assert RESET in await last_statement(admin_conn, pid)

    async with one_connection.acquire() as conn:  # a plain use may leave session state behind
        await conn.execute("SET application_name = 'dirty'")
    assert RESET in await last_statement(admin_conn, pid)
    async with one_connection.acquire() as conn:
        assert await conn.fetchval("SHOW application_name") == "test-release"
