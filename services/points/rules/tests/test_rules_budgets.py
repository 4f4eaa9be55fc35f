"""Caps and budgets on PostgreSQL: a campaign's total budget is never overspent, even by
concurrent earns of many members; a lowered budget holds; a void gives back what its earn used."""

import asyncio

from services.common.db import tenant_tx
from services.points.rules import campaigns
from services.points.rules.tests.helpers import RulesProgram
from services.points.tests.helpers import check_invariants

TEN_PER_EURO = [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}}]
AT = "2026-06-01T10:00:00+00:00"


def bonus_of(response, rule: str) -> int:
    return sum(line.points for line in response.breakdown if line.rule == rule)


async def _campaign(program: RulesProgram, *, budget_total: int, bonus: int, **kw) -> None:
    await program.publish("base", TEN_PER_EURO)
    await program.campaign("launch", "2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00",
                           budget_total=budget_total, **kw)
    await program.publish("launch-rules", [{"code": "launch-bonus", "action": {"fixed_bonus": bonus}}],
                          scope="campaign", ref="launch")


async def _shards(program: RulesProgram) -> list[tuple[int, int]]:
    async with tenant_tx(program.pool, program.program_id) as conn:
        rows = await conn.fetch("SELECT points, reserved FROM rule_usage WHERE kind = 'campaign_total'")
    return [(r["points"], r["reserved"]) for r in rows]


async def test_concurrent_earns_of_many_members_never_overspend_a_campaign_budget(pools, admin_conn):
    # given a budget of 1,000 points and a bonus of 70 per earn
    program = await RulesProgram.new(pools["points"])
    await _campaign(program, budget_total=1000, bonus=70)
    numbers = [await program.member() for _ in range(24)]

    # when 48 earns of 24 members (spread over the 16 shards) run at once, twice each
    results = await asyncio.gather(*(program.earn(n, "1", f"{n}-{k}", occurred_at=AT)
                                     for k in range(2) for n in numbers))

    # then the bonuses never pass the budget, and nearly all of it is used (70 is the step)
    given = sum(bonus_of(r, "launch-bonus") for r in results)
    assert 1000 - 70 * 4 <= given <= 1000
    report = await campaigns.report(program.pool, program_id=program.program_id, code="launch")
    assert report.points_issued == given and report.budget_left == 1000 - given
    assert all(points <= reserved for points, reserved in await _shards(program))
    # and, with nothing running concurrently, the rest of the budget is still given out
    late = await program.earn(numbers[0], "1", "late", occurred_at=AT)
    assert bonus_of(late, "launch-bonus") == min(70, 1000 - given)
    await check_invariants(admin_conn, program.program_id)


async def test_far_from_its_end_a_budget_is_spent_from_a_lease_without_a_counter_per_earn(pools):
    # given a large budget and a bonus of 10 per earn
    program = await RulesProgram.new(pools["points"])
    await _campaign(program, budget_total=64_000, bonus=10)
    number = await program.member()
    for k in range(5):
        await program.earn(number, "1", f"e{k}", occurred_at=AT)
    # then the first earns counted in the member's shard (one reservation of 1/64 of the budget);
    # one of them also leased 1/64 of the rest for this process, which the others spent once that
    # earn had committed
    assert await _shards(program) == [(30, 1000)]
    async with tenant_tx(program.pool, program.program_id) as conn:
        budget = await conn.fetchrow("SELECT allocated, leased FROM rule_budgets WHERE kind = 'campaign_total'")
    assert (budget["allocated"], budget["leased"]) == (1000 + 984, 984)
    report = await campaigns.report(program.pool, program_id=program.program_id, code="launch")
    assert (report.points_issued, report.budget_left) == (50, 64_000 - 30 - 984)
    # and a void of a leased grant gives it back to the budget
    await program.ledger.void("e4", "v1")
    report = await campaigns.report(program.pool, program_id=program.program_id, code="launch")
    assert report.budget_left == 64_000 - 30 - 974


async def test_a_lease_is_dropped_when_the_rules_change_and_never_spent_twice(pools, admin_conn):
    program = await RulesProgram.new(pools["points"])
    await _campaign(program, budget_total=64_000, bonus=5)  # leases of 1/64 of what is left: ~1,000
    numbers = [await program.member() for _ in range(6)]
    results = await asyncio.gather(*(program.earn(n, "1", f"{n}-{k}", occurred_at=AT)
                                     for k in range(12) for n in numbers))
    given = sum(bonus_of(r, "launch-bonus") for r in results)
    assert given == 5 * 72
    # when the budget is lowered to 2,500 (the revision moves on), the process's lease is dropped,
    # not reused: what it held stays counted as handed out
    await program.campaign("launch", "2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00", budget_total=2500)
    more = [bonus_of(await program.earn(numbers[k % 6], "1", f"late-{k}", occurred_at=AT), "launch-bonus")
            for k in range(400)]
    # then what is given after it comes from the new budget, and never passes it
    report = await campaigns.report(program.pool, program_id=program.program_id, code="launch")
    assert 0 < sum(more) and given + sum(more) <= 2500 and report.budget_left == 0
    await check_invariants(admin_conn, program.program_id)


async def test_a_lowered_budget_takes_back_the_reservations_made_under_the_old_one(pools):
    program = await RulesProgram.new(pools["points"])
    await _campaign(program, budget_total=64_000, bonus=100)
    a, b = await program.member(), await program.member()
    await program.earn(a, "1", "a1", occurred_at=AT)  # reserves 1,000 in a's shard, uses 100
    # when the budget drops to 250, then only 150 more can be given, whichever shard asks
    await program.campaign("launch", "2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00", budget_total=250)
    given = [bonus_of(await program.earn(n, "1", ref, occurred_at=AT), "launch-bonus")
             for n, ref in ((a, "a2"), (b, "b1"), (b, "b2"))]
    assert given == [100, 50, 0]


async def test_a_void_gives_back_the_daily_cap_and_the_budget_its_earn_used(pools, admin_conn):
    # given a daily cap of 150 and a campaign budget of 100 per member
    program = await RulesProgram.new(pools["points"])
    await program.publish("base", [{"code": "capped", "action": {"points_per_unit": "10", "cap_per_day": 150}}])
    await program.campaign("launch", "2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00",
                           budget_total=1000, budget_per_member=100)
    await program.publish("launch-rules", [{"code": "launch-bonus", "action": {"fixed_bonus": 100}}],
                          scope="campaign", ref="launch")
    number = await program.member()
    first = await program.earn(number, "10", "e1", occurred_at=AT)
    assert (first.points_earned, bonus_of(first, "launch-bonus")) == (200, 100)
    capped = await program.earn(number, "10", "e2", occurred_at=AT)
    assert (bonus_of(capped, "capped"), bonus_of(capped, "launch-bonus")) == (50, 0)

    # when the first earn is voided
    await program.ledger.void("e1", "v1")

    # then its 100 points of the day's cap and its 100 of the member's budget are free again
    again = await program.earn(number, "10", "e3", occurred_at=AT)
    assert (bonus_of(again, "capped"), bonus_of(again, "launch-bonus")) == (100, 100)
    report = await campaigns.report(program.pool, program_id=program.program_id, code="launch")
    assert report.budget_left == 900
    await check_invariants(admin_conn, program.program_id)


async def test_partial_voids_give_back_their_share_and_all_of_it_in_the_end(pools):
    program = await RulesProgram.new(pools["points"])
    await program.publish("base", [{"code": "capped", "action": {"points_per_unit": "10", "cap_per_day": 100}}])
    number = await program.member()
    await program.earn(number, "10", "e1", occurred_at=AT)  # 100: the whole day's cap
    await program.ledger.void("e1", "v1", points=30)
    assert bonus_of(await program.earn(number, "1", "e2", occurred_at=AT), "capped") == 10  # 30 back, 10 used
    await program.ledger.void("e1", "v2")  # the remaining 70
    assert bonus_of(await program.earn(number, "10", "e3", occurred_at=AT), "capped") == 90
