"""The earn's idempotency claim, made in the same statement as its first read (ledger/earning.py):
the same answers as run_once's own claim, under concurrency and after a refusal."""

import asyncio
import json

import pytest
from google.protobuf import json_format

from services.common.errors import DomainError
from services.points.tests.helpers import Ledger, check_invariants


async def test_100_concurrent_earns_with_one_reference_post_once_with_identical_answers(pools, admin_conn):
    ledger = await Ledger.new(pools["points"])
    number = await ledger.member()
    results = await asyncio.gather(*(ledger.earn(number, "40", "same") for _ in range(100)))
    assert len({json.dumps(json_format.MessageToDict(r), sort_keys=True) for r in results}) == 1
    assert await ledger.available(number) == 40
    assert await admin_conn.fetchval("SELECT count(*) FROM points.transactions WHERE program_id = $1 AND kind = 'EARN'",
                                     ledger.program_id) == 1
    await check_invariants(admin_conn, ledger.program_id)


async def test_a_refused_earn_keeps_no_claim_and_another_request_under_the_key_conflicts(pools, admin_conn):
    ledger = await Ledger.new(pools["points"])
    number = await ledger.member()
    with pytest.raises(DomainError) as refused:
        await ledger.earn("no-such-member", "10", "r1")
    assert refused.value.code.value == "NOT_FOUND"
    kept = "SELECT count(*) FROM points.idempotency_keys WHERE program_id = $1 AND key = 'r1'"
    assert await admin_conn.fetchval(kept, ledger.program_id) == 0
    first = await ledger.earn(number, "10", "r1")  # the key was not taken by the refusal
    assert await ledger.earn(number, "10", "r1") == first
    with pytest.raises(DomainError) as conflict:
        await ledger.earn(number, "11", "r1")
    assert conflict.value.code.value == "IDEMPOTENCY_CONFLICT"
    assert await ledger.available(number) == 10
