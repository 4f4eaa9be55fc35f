"""Row-level security: a transaction sees only the rows of the program it set."""

import uuid

import asyncpg
import pytest

from services.common.db import tenant_tx
from services.member import enrolment, programs
from tests.fixtures.postgres import program_spec


async def _program(pool) -> uuid.UUID:
    spec = program_spec()
    row, _ = await programs.provision(pool, programs.ProgramInput(
        code=spec.code, name=spec.name, currency="EUR", timezone="Europe/Madrid"))
    return row["id"]


async def test_a_program_cannot_see_or_touch_another_programs_members(pools):
    pool = pools["member"]
    program_a, program_b = await _program(pool), await _program(pool)
    member = await enrolment.enroll(pool, program_id=program_a, data=enrolment.EnrolmentInput(
        email=f"{uuid.uuid4().hex}@example.com", first_name="A", last_name="B"))

    async with tenant_tx(pool, program_b) as conn:
        assert await conn.fetchval("SELECT count(*) FROM members WHERE id = $1", member["id"]) == 0
        assert await conn.execute("UPDATE members SET first_name = 'X' WHERE id = $1", member["id"]) == "UPDATE 0"
        assert await conn.execute("DELETE FROM members WHERE id = $1", member["id"]) == "DELETE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):  # WITH CHECK: cannot write into another program
            await conn.execute(
                "INSERT INTO members(program_id, id, loyalty_number, email, email_normalized, first_name, last_name)"
                " VALUES ($1, $2, '1', 'x@y.z', 'x@y.z', 'a', 'b')", program_a, uuid.uuid4())
    async with tenant_tx(pool, program_a) as conn:
        assert await conn.fetchval("SELECT first_name FROM members WHERE id = $1", member["id"]) == "A"


async def test_without_a_program_nothing_is_visible(pools):
    pool = pools["member"]
    program = await _program(pool)
    await enrolment.enroll(pool, program_id=program, data=enrolment.EnrolmentInput(
        email=f"{uuid.uuid4().hex}@example.com", first_name="A", last_name="B"))
    async with pool.acquire() as conn:
        assert await conn.fetchval("SELECT count(*) FROM members") == 0


async def test_services_cannot_read_each_others_tables(pools):
    async with pools["points"].acquire() as conn:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.fetch("SELECT * FROM member.members")


async def test_service_roles_are_not_superusers(pools):
    for pool in pools.values():
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user")
            assert (row["rolsuper"], row["rolbypassrls"]) == (False, False)
