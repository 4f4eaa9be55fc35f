"""Paying a bill with points: the burn rules price the burn inside the burn's own transaction. A
balance or rules change that commits first is what the quote sees; one that comes later waits for
the burn. Nothing can fall between the quote and the posting (they used to be two calls)."""

import asyncio

import pytest

from loyalty.points.v1 import rules_service_pb2 as rules_pb
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.points.ledger import commands, posting, spending
from services.points.rules import api as rules_api
from services.points.rules import burn_quotes
from services.points.rules.tests.helpers import RulesProgram
from services.points.tests.helpers import check_invariants

TEN_PER_EURO = [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}}]


def paying(points_per_euro: int) -> list[dict]:
    """Earn 10 a euro; pay with points at `points_per_euro`, at most half the bill, 500 at least."""
    return TEN_PER_EURO + [{"code": "pay", "type": "burn", "action": {
        "points_per_unit": points_per_euro, "min_points": 500, "max_percent": 50}}]


async def bill(program: RulesProgram, number: str, amount: str, reference: str, *, points: int = 0,
               currency: str = "") -> burn_quotes.BilledBurn:
    request = rules_pb.BurnWithBillRequest(
        quote=rules_pb.QuoteBurnRequest(loyalty_number=number, amount=amount, points=points),
        reference=reference, reason="paid with points", currency=currency)
    return await burn_quotes.burn_with_bill(program.pool, program_id=program.program_id, facts_source=program.facts,
                                            command=rules_api.bill_burn(request),
                                            replay=rules_api.billed_burn_replay(request))


async def waiting_on_locks(admin_conn, n: int, *tasks: asyncio.Task) -> None:
    """Until n backends wait on a lock (pg_locks: not granted); none of the tasks may finish meanwhile."""
    for _ in range(1000):
        if await admin_conn.fetchval("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted") >= n:
            return
        for task in tasks:
            assert not task.done(), task.result()
        await asyncio.sleep(0.01)
    raise AssertionError(f"fewer than {n} transactions wait on a lock")


async def test_the_bill_burn_prices_the_balance_a_concurrent_spend_left(pools, admin_conn):
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", paying(100))
    await program.earn(number, "500", "e1")  # 5,000 points
    # given another transaction that spends 4,000 of them and has not committed yet
    async with tenant_tx(program.pool, program.program_id) as conn:
        member = await posting.load_active_member(conn, number)
        await spending.post_burn(conn, member=member, command=commands.Burn(
            loyalty_number=number, points=4000, reference="elsewhere"))
        # when the till pays a 100.00 bill with as many points as the rules allow (on 5,000: 5,000)
        pay = asyncio.create_task(bill(program, number, "100.00", "pay-1"))
        # then the burn waits for the member's rows
        await waiting_on_locks(admin_conn, 1, pay)
    # and is priced on the balance the spend left: 1,000 points, worth 10.00 (a quote made before the
    # spend would have said 5,000 and the burn would have failed, or posted a stale value)
    billed = await pay
    assert (billed.quote.points, billed.quote.available, str(billed.quote.value), billed.posted.points,
            billed.posted.new_balance) == (1000, 1000, "10.00", -1000, 0)
    assert await program.ledger.available(number) == 0
    await check_invariants(admin_conn, program.program_id)


async def test_a_rules_publish_cannot_fall_between_the_quote_and_the_burn(pools, admin_conn):
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", paying(100))  # v1: 100 points a euro
    await program.save("base", paying(50))  # the draft v2: 50 points a euro
    await program.earn(number, "500", "e1")
    # given a transaction that holds the member's rows (an earn under way, say)
    async with tenant_tx(program.pool, program.program_id) as conn:
        member = await posting.load_active_member(conn, number)
        await posting.touch(conn, [member["id"]])
        # when the till pays a 20.00 bill, and v2 is published while the burn waits for the member
        pay = asyncio.create_task(bill(program, number, "20.00", "pay-1"))
        await waiting_on_locks(admin_conn, 1, pay)
        publish = asyncio.create_task(program.publish("base"))
        # then the publish waits for the burn (which holds the rules it will price with) ...
        await waiting_on_locks(admin_conn, 2, pay, publish)
    billed = await pay
    published = await publish
    # ... and the burn is priced and posted on v1 alone: half of 20.00 at 100 a euro
    assert (billed.quote.rule_version, billed.quote.points, str(billed.quote.value)) == ("base@v1", 1000, "10.00")
    assert published.published["version"] == 2
    # the next bill is priced on v2
    after = await bill(program, number, "20.00", "pay-2")
    assert (after.quote.rule_version, after.quote.points, str(after.quote.value)) == ("base@v2", 500, "10.00")
    assert await program.ledger.available(number) == 5000 - 1000 - 500


async def test_refusals_post_nothing_and_a_replay_answers_the_first_burn(pools, admin_conn):
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", paying(100))
    await program.earn(number, "300", "e1")  # 3,000 points
    with pytest.raises(DomainError) as too_many:
        await bill(program, number, "20.00", "pay-1", points=1500)
    assert too_many.value.code == ErrorCode.BURN_NOT_ALLOWED and "at most 1000 points" in too_many.value.message
    with pytest.raises(DomainError) as currency:
        await bill(program, number, "20.00", "pay-1", currency="JPY" if program.ledger.spec.currency != "JPY" else "EUR")
    assert (currency.value.code, currency.value.field) == (ErrorCode.INVALID_INPUT, "currency")
    assert await program.ledger.available(number) == 3000
    first = await bill(program, number, "20.00", "pay-1")
    again = await bill(program, number, "20.00", "pay-1")
    assert again == first and first.posted.new_balance == 2000
    with pytest.raises(DomainError) as other:
        await bill(program, number, "30.00", "pay-1")
    assert other.value.code == ErrorCode.IDEMPOTENCY_CONFLICT
    assert await program.ledger.available(number) == 2000
    await check_invariants(admin_conn, program.program_id)
