"""Discounts through the real earn path on PostgreSQL: applied on earn and recorded with the
posting, points on the amount after discount, a quote that posts nothing, campaign discount
budgets (a void gives them back); replays see the recorded baskets; cached rules of another
process's publish are noticed."""

import datetime as dt

from loyalty.points.v1 import points_service_pb2 as pb
from services.points.rules import api as rules_api
from services.points.rules import baskets, dry_runs
from services.points.rules.policy import RulesEarnPolicy
from services.points.rules.tests.helpers import RulesProgram
from services.points.tests.helpers import check_invariants

TEN_PER_EURO = [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}}]
TEN_PERCENT = {"code": "ten-off", "type": "discount", "action": {"percent_off": 10}}
COFFEE_OFF = {"code": "coffee-off", "type": "discount", "action": {"amount_off": "1.50", "items": {"skus": ["COFFEE"]}}}
AT = "2026-06-01T10:00:00+00:00"


def basket() -> list[pb.Item]:
    return [pb.Item(sku="COFFEE", category="drinks", quantity="2", price="2.50"),
            pb.Item(sku="BAGEL", category="food", quantity="1", price="5.00")]


async def explain(program: RulesProgram, reference: str):
    return (await dry_runs.explain(program.pool, program_id=program.program_id, reference=reference))["details"]


async def test_an_earn_applies_the_discounts_records_them_and_earns_on_what_was_paid(pools, admin_conn):
    # given 10 points per euro, 1.50 off coffee and 10% off the basket
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", TEN_PER_EURO + [COFFEE_OFF, TEN_PERCENT])
    # when a basket of 10.00 is earned on
    response = await program.earn(number, "10.00", "e1", items=basket())
    # then 1.50 off the coffee, 10% of the 8.50 left (0.85): 7.65 paid, 76 points
    assert response.points_earned == 76
    details = await explain(program, "e1")
    assert [(d["rule"], d["rule_version"], d["applies_to"], d["amount"], d.get("skus")) for d in details["discounts"]] == [
        ("coffee-off", "base@v1", "items", "1.50", ["COFFEE"]), ("ten-off", "base@v1", "basket", "0.85", None)]
    assert details["net_amount"] == "7.65"
    await check_invariants(admin_conn, program.program_id)


async def test_a_quote_gives_the_same_discounts_and_posts_nothing(pools):
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", TEN_PER_EURO + [COFFEE_OFF, TEN_PERCENT])
    request = pb.EarnRequest(loyalty_number=number, amount="10.00", items=basket())
    quote, currency = await baskets.quote_discounts(program.pool, program_id=program.program_id, facts_source=program.facts,
                                              request=rules_api.basket_query(request))
    assert (currency, quote.total, quote.net) == ("EUR", quote.gross - quote.net, quote.gross - quote.total)
    assert [(line.rule, str(line.amount)) for line in quote.lines] == [("coffee-off", "1.50"), ("ten-off", "0.85")]
    assert await program.ledger.available(number) == 0
    # and the earn of the same basket grants exactly that
    await program.earn(number, "10.00", "e1", items=basket())
    assert [d["amount"] for d in (await explain(program, "e1"))["discounts"]] == ["1.50", "0.85"]


async def test_a_campaigns_discount_budget_is_spent_by_earns_and_given_back_by_a_void(pools, admin_conn):
    # given a campaign giving 50% off, with a discount budget of 8.00 in total and 6.00 per member
    program = await RulesProgram.new(pools["points"])
    a, b = await program.member(), await program.member()
    await program.publish("base", TEN_PER_EURO)
    await program.campaign("half", "2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00",
                           discount_budget_total="8.00", discount_budget_per_member="6.00")
    await program.publish("half-rules", [{"code": "half-off", "type": "discount", "action": {"percent_off": 50}}],
                          scope="campaign", ref="half")

    async def off(number: str, reference: str) -> str:
        await program.earn(number, "10", reference, occurred_at=AT)
        return "".join(d["amount"] for d in (await explain(program, reference)).get("discounts", [])) or "0"

    # then a gets 5.00, then 1.00 (its 6.00), b the 2.00 left of the 8.00, then nothing
    assert [await off(a, "a1"), await off(a, "a2"), await off(b, "b1"), await off(b, "b2")] == [
        "5.00", "1.00", "2.00", "0"]
    # and a quote reads the budgets as they stand
    quote, _ = await baskets.quote_discounts(program.pool, program_id=program.program_id, facts_source=program.facts,
                                       request=rules_api.basket_query(pb.EarnRequest(loyalty_number=b, amount="10",
                                                                                     occurred_at=AT)))
    assert quote.lines == () and [s.reason for s in quote.skipped] == ["BUDGET_EXHAUSTED"]
    # when a's first earn is voided, its 5.00 come back to both budgets
    await program.ledger.void("a1", "v1")
    assert await off(a, "a3") == "5.00"
    await check_invariants(admin_conn, program.program_id)


async def test_a_replay_sees_the_baskets_the_earns_recorded(pools):
    # given earns with baskets under 10 points per euro
    program = await RulesProgram.new(pools["points"])
    a, b = await program.member(), await program.member()
    await program.publish("base", TEN_PER_EURO)
    await program.earn(a, "10.00", "r1", occurred_at="2026-11-20T12:00:00+00:00", items=basket())
    await program.earn(b, "5.00", "r2", occurred_at="2026-11-21T12:00:00+00:00",
                       items=[pb.Item(sku="BAGEL", category="food", quantity="1", price="5.00")])
    # when a draft adds 100 points per coffee and 1.50 off each coffee
    await program.save("base", TEN_PER_EURO + [
        {"code": "coffee-bonus", "action": {"points_per_item": 100, "items": {"skus": ["COFFEE"]}}},
        {"code": "coffee-off", "type": "discount", "action": {"amount_off": "1.50", "per_unit": True,
                                                               "items": {"skus": ["COFFEE"]}}}])
    report = await dry_runs.replay(program.pool, program_id=program.program_id, facts_source=program.facts,
                                   rule_set_code="base", days=7, now=dt.datetime(2026, 11, 23, 12, tzinfo=dt.timezone.utc))
    # then only the basket with coffee changes: 2 x 100 points, and 3.00 off (10 per euro on 7.00)
    assert (report.published_points, report.draft_points, report.members_affected) == (150, 70 + 200 + 50, 1)
    assert [str(t) for t in report.discount_totals] == ["0", "3.00"]


async def test_rules_published_by_another_process_are_noticed_before_any_cap_is_taken(pools):
    # given this process cached version 1 (capped at 300 a day)
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", [{"code": "capped", "action": {"points_per_unit": "10", "cap_per_day": 300}}])
    assert (await program.earn(number, "10", "e1", occurred_at=AT)).points_earned == 100
    # when another process publishes version 2 (no cap, 20 per euro); this one is not told
    other = RulesEarnPolicy(program.facts)
    await program.save("base", [{"code": "twenty", "action": {"points_per_unit": "20"}}])
    from services.points.rules import rulesets
    await rulesets.publish(program.pool, program_id=program.program_id, principal="test", code="base",
                           on_change=other.invalidate)
    # then the next earn here follows version 2
    second = await program.earn(number, "10", "e2", occurred_at=AT)
    assert [(line.rule, line.points, line.rule_version) for line in second.breakdown] == [("twenty", 200, "base@v2")]
