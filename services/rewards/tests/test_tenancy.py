"""Another program sees none of a program's rewards, claims, vouchers or passcodes, and cannot write into it."""

import uuid

import asyncpg
import pytest

from services.common import program_copy
from services.rewards import api as rewards_api
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.rewards import catalogue, redemption, vouchers
from services.rewards.tests.conftest import member
from services.rewards.tests.test_redemption import _claim, _create
from tests.fixtures.postgres import program_spec

TABLES = ("rewards", "member_usage", "otps", "claims", "vouchers", "idempotency_keys", "identify_failures")


async def test_a_program_cannot_see_or_touch_another_programs_rewards(pools, program, ledger):
    # given program A with a reward, a claim and a voucher
    reward = await _create(pools, program, type="offer", points_cost=0, issues_voucher=True)
    claimed = await _claim(pools, program, ledger, member(), reward.spec.code, reference="mine")
    other = program_spec()
    await program_copy.provision(pools["rewards"], rewards_api.program_copy_of(other))
    other_id = uuid.UUID(other.id)
    # then program B finds none of them
    for pending in (catalogue.get(pools["rewards"], program_id=other_id, code=reward.spec.code),
                    redemption.get(pools["rewards"], program_id=other_id, reference="mine"),
                    vouchers.validate(pools["rewards"], program_id=other_id, code=claimed.voucher_code)):
        with pytest.raises(DomainError) as err:
            await pending
        assert err.value.code == ErrorCode.NOT_FOUND
    async with tenant_tx(pools["rewards"], other_id) as conn:
        for table in TABLES:
            assert await conn.fetchval(f"SELECT count(*) FROM {table}") == 0, table
        assert await conn.execute("UPDATE rewards SET stock = 0 WHERE code = $1", reward.spec.code) == "UPDATE 0"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute(
                "INSERT INTO rewards(program_id, id, code, name, type, kind, points_cost) VALUES ($1, $2, 'x', 'x',"
                " 'reward', 'free_item', 1)", program.id, uuid.uuid4())
