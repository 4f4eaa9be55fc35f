"""The search's own round trip: a read-only tenant transaction, and the page built in place."""

import asyncpg
import pytest

from loyalty.member.v1 import member_service_pb2 as pb
from services.common.db import create_pool
from services.member import search
from services.member.profiles import Consents
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


async def test_a_page_of_some_fields_is_the_full_page_with_only_those_fields(pools, program, enrol):
    lola = await enrol(first_name="Lola", last_name="Arias", phone="+34600111222", birth_date="1990-02-03",
                       zip="28001", nationality="ES", consents=Consents(email=True, post=True))
    await enrol(first_name="Luis", last_name="Arias")
    async with pools["member"].acquire() as conn, conn.transaction():  # attributes without a program schema
        await conn.execute("SELECT set_config('app.program_id', $1, true)", str(program))
        await conn.execute("""UPDATE members SET custom_attributes = '{"b": 1, "a": 2}' WHERE id = $1""", lola["id"])
    full = search_response(*await search.search(pools["member"], program_id=program,
                                                  query=search.SearchQuery(query="arias")))
    assert len(full.members) == 2
    assert {m.custom_attributes_json for m in full.members} == {'{"a": 2, "b": 1}', "{}"}
    names = list(pb.Member.DESCRIPTOR.fields_by_name)
    for asked in ([name] for name in names):  # each field alone, then all of them
        query = search.SearchQuery(query="arias", fields=frozenset(asked))
        rows, token = await search.search(pools["member"], program_id=program, query=query)
        page = search_response(rows, token, fields=search.page_fields(query))
        kept = set(asked) | search.ALWAYS
        expected = pb.SearchMembersResponse(next_page_token=full.next_page_token)
        for member in full.members:
            expected.members.add().CopyFrom(member)
            for name in names:
                if name not in kept:
                    expected.members[-1].ClearField(name)
        assert page == expected, asked
    query = search.SearchQuery(query="arias", fields=frozenset(names))
    assert search_response(*await search.search(pools["member"], program_id=program, query=query),
                           fields=search.page_fields(query)) == full


async def test_a_page_of_some_fields_sorted_by_enrolment_pages_on(pools, program, enrol):
    for first in ("Ana", "Bea", "Carla"):
        await enrol(first_name=first, last_name="Quiroga")
    seen, token = [], ""
    while True:
        query = search.SearchQuery(query="quiroga", sort="enrolled_at", page_size=1, page_token=token,
                                   fields=frozenset({"first_name"}))
        rows, token = await search.search(pools["member"], program_id=program, query=query)
        seen += [m.first_name for m in search_response(rows, token, fields=search.page_fields(query)).members]
        if not token:
            break
    assert seen == ["Ana", "Bea", "Carla"]


async def test_a_field_that_is_not_a_members_is_refused(pools, program):
    from services.common.errors import DomainError

    with pytest.raises(DomainError, match="fields"):
        await search.search(pools["member"], program_id=program,
                            query=search.SearchQuery(query="x", fields=frozenset({"password"})))


class CountingConnection(TenantReadConnection):
    executed: list[str] = []

    async def execute(self, query, *args, **kwargs):
        CountingConnection.executed.append(query)
        return await super().execute(query, *args, **kwargs)


async def test_a_held_program_costs_one_statement_per_read_and_never_reaches_another_use(database, pools, program,
                                                                                         enrol):
    from services.common.db import tenant_tx
    from services.member import programs
    from tests.fixtures.postgres import program_spec

    spec = program_spec()
    other, _ = await programs.provision(pools["member"], programs.ProgramInput(
        code=spec.code, name=spec.name, currency="EUR", timezone="Europe/Madrid"))
    other = other["id"]
    await enrol(first_name="Held", last_name="Mine")
    async with tenant_tx(pools["member"], other) as conn:
        await conn.execute("INSERT INTO members(program_id, id, loyalty_number, email, email_normalized, first_name,"
                           " last_name) VALUES ($1, gen_random_uuid(), '77', 'o@example.com', 'o@example.com', 'O', 'O')",
                           other)
    pool = await create_pool(database.service_dsn("member"), schema="member", application="test-held",
                             min_size=1, max_size=1, connection_class=CountingConnection)

    async def programs_seen(program_id) -> set:
        async with tenant_read(pool, program_id) as conn:
            return {r["program_id"] for r in await conn.fetch("SELECT program_id FROM members")}

    try:
        executed = CountingConnection.executed
        assert await programs_seen(program) == {program}
        count = len(executed)
        assert await programs_seen(program) == {program}
        assert len(executed) == count  # held: the read's own statement only
        assert await programs_seen(other) == {other}  # another program: dropped, then set
        assert await programs_seen(program) == {program}
        with pytest.raises(asyncpg.ReadOnlySQLTransactionError):
            async with tenant_read(pool, program) as conn:
                await conn.execute("UPDATE members SET zip = zip")
        assert await programs_seen(program) == {program}
        async with pool.acquire() as conn:  # any other use: no program, not read-only, no transaction
            assert await conn.fetchval("SELECT current_setting('app.program_id', true)") in (None, "")
            assert await conn.fetchval("SHOW default_transaction_read_only") == "off"
            assert not conn.is_in_transaction()
            assert await conn.fetch("SELECT program_id FROM members") == []
        assert await programs_seen(other) == {other}
        async with tenant_tx(pool, program) as conn:  # a transaction of its own program
            assert {r["program_id"] for r in await conn.fetch("SELECT program_id FROM members")} == {program}
            assert await conn.fetchval("SHOW default_transaction_read_only") == "off"
        async with pool.acquire() as conn:
            assert await conn.fetchval("SELECT current_setting('app.program_id', true)") in (None, "")
    finally:
        await pool.close()
