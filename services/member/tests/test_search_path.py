"""The search's own round trip: a read-only tenant transaction, and the page built in place."""

import asyncpg
import pytest

from loyalty.member.v1 import member_service_pb2 as pb
from services.common.db import create_pool
from services.member import search
from services.member.member_proto import member_to_proto, search_response
from services.member.tenant_read import TenantReadConnection, tenant_read


async def test_a_search_sees_only_its_program(pools, program, enrol):
    mine = await enrol(first_name="Zoe", last_name="Quintana")
    rows, _ = await search.search(pools["member"], program_id=program,
                                  query=search.SearchQuery(query=mine["loyalty_number"]))
    assert [r["loyalty_number"] for r in rows] == [mine["loyalty_number"]]

    async with tenant_read(pools["member"], program) as conn:
        programs_seen = {r["program_id"] for r in await conn.fetch("SELECT program_id FROM members")}
    assert programs_seen == {program}


async def test_the_transaction_is_read_only_and_leaves_nothing_behind(pools, program):
    with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
        async with tenant_read(pools["member"], program) as conn:
            await conn.execute("UPDATE members SET zip = zip")
    # the connection went back to the pool (LIFO: this is it) out of the transaction, with no program set
    async with pools["member"].acquire() as conn:
        assert not conn.is_in_transaction()
        assert await conn.fetchval("SELECT current_setting('app.program_id', true)") in (None, "")


async def test_a_page_built_in_place_equals_one_built_member_by_member(pools, program, enrol):
    await enrol(first_name="Lola", last_name="Arias", custom_attributes_json="{}")
    rows, _ = await search.search(pools["member"], program_id=program, query=search.SearchQuery(query="arias"))
    assert rows
    expected = pb.SearchMembersResponse(members=[member_to_proto(r) for r in rows], next_page_token="t")
    assert search_response(rows, "t") == expected


class SpyConnection(TenantReadConnection):
    resets: list[str] = []

    def get_reset_query(self) -> str:
        query = super().get_reset_query()
        SpyConnection.resets.append(query)
        return query


async def test_only_a_clean_read_skips_the_pool_reset_and_it_leaves_no_program_behind(database, program):
    pool = await create_pool(database.service_dsn("member"), schema="member", application="test-reads",
                             min_size=1, max_size=1, connection_class=SpyConnection)
    try:
        async with pool.acquire() as conn:  # any other use is reset on release, as asyncpg does
            await conn.execute("SET statement_timeout = '7s'")
        async with pool.acquire() as conn:
            assert await conn.fetchval("SHOW statement_timeout") == "0"
        assert SpyConnection.resets[-1] != ""

        async with tenant_read(pool, program) as conn:
            assert await conn.fetchval("SELECT current_setting('app.program_id')") == str(program)
        assert SpyConnection.resets[-1] == ""
        async with pool.acquire() as conn:  # the same (only) connection: no program, no transaction
            assert not conn.is_in_transaction()
            assert await conn.fetchval("SELECT current_setting('app.program_id', true)") in (None, "")
        assert SpyConnection.resets[-1] != ""  # that use was not a tenant read: full reset again
    finally:
        await pool.close()
