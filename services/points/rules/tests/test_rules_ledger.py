"""Rules through the real ledger and PostgreSQL: fallback, caps across transactions, versioning,
refusals of bad rules, campaigns and their report, dry runs and replays, burn quotes, bonuses."""

import asyncio
import json
import uuid

import asyncpg
import pytest

from loyalty.points.v1 import points_service_pb2 as pb
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.points.rules import api as rules_api
from services.points.rules import bonuses, burn_quotes, campaigns, dry_runs, rulesets
from services.points.rules.tests.helpers import RulesProgram
from services.points.tests.helpers import check_invariants

TEN_PER_EURO = [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}}]


def lines(response) -> dict[str, int]:
    return {line.rule: line.points for line in response.breakdown}


async def test_without_published_rules_the_flat_rate_applies(pools):
    # given a program with only a draft rule set
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.save("base", TEN_PER_EURO)
    # when a member earns, then the flat rate (1 per euro) applies
    response = await program.earn(number, "12.50", "e1")
    assert (response.points_earned, lines(response)) == (12, {"base-rate": 12})


async def test_published_rules_apply_and_each_posting_records_its_rule_versions(pools):
    # given 10 points per euro published as version 1
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", TEN_PER_EURO)
    first = await program.earn(number, "10", "e1")
    assert (first.points_earned, [(l.rule, l.rule_version) for l in first.breakdown]) == (
        100, [("ten-per-euro", "base@v1")])

    # when version 2 (20 per euro) is published
    await program.publish("base", [{"code": "twenty-per-euro", "action": {"points_per_unit": "20"}}])
    second = await program.earn(number, "10", "e2")

    # then new postings follow version 2, and the first posting's recorded breakdown is unchanged
    assert [(l.rule, l.points, l.rule_version) for l in second.breakdown] == [("twenty-per-euro", 200, "base@v2")]
    recorded = await dry_runs.explain(program.pool, program_id=program.program_id, reference="e1")
    assert [(x["rule"], x["points"], x["rule_version"]) for x in recorded["details"]["breakdown"]] == [
        ("ten-per-euro", 100, "base@v1")]
    # and a replay of the first earn returns the first answer, not a re-evaluation
    replay = await program.earn(number, "10", "e1")
    assert lines(replay) == {"ten-per-euro": 100}


async def test_a_published_version_never_changes_and_an_edit_makes_a_draft(pools):
    program = await RulesProgram.new(pools["points"])
    published = await program.publish("base", TEN_PER_EURO)
    assert published.published["version"] == 1 and published.draft is None
    # an edit makes draft 2; the published version stays 1 with its rules
    edited = await program.save("base", [{"code": "five", "action": {"points_per_unit": "5"}}])
    assert (edited.published["version"], edited.draft["version"]) == (1, 2)
    assert edited.published["rules"] == TEN_PER_EURO
    # the database itself refuses to change a published version
    async with tenant_tx(program.pool, program.program_id) as conn:
        with pytest.raises(asyncpg.RestrictViolationError):
            await conn.execute("UPDATE rule_set_versions SET rules = '[]' WHERE status = 'published'")


async def test_daily_cap_across_several_transactions_resets_on_the_programs_next_local_day(pools):
    # given 10 points per euro capped at 250 points a day (Madrid time)
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", [{"code": "capped", "action": {"points_per_unit": "10", "cap_per_day": 250}}])
    # when the member earns three times on one Madrid day (the last at 00:30 Madrid, 23:30 UTC the day before)
    earned = [
        (await program.earn(number, "10", "d1", occurred_at="2026-11-24T09:00:00+00:00")).points_earned,
        (await program.earn(number, "10", "d2", occurred_at="2026-11-24T12:00:00+00:00")).points_earned,
        (await program.earn(number, "10", "d3", occurred_at="2026-11-24T22:30:00+00:00")).points_earned,
        # then the next Madrid day starts at 23:00 UTC
        (await program.earn(number, "10", "d4", occurred_at="2026-11-24T23:30:00+00:00")).points_earned,
    ]
    assert earned == [100, 100, 50, 100]
    third = await dry_runs.explain(program.pool, program_id=program.program_id, reference="d3")
    assert "capped at 250 a day" in third["details"]["breakdown"][0]["description"]


async def test_concurrent_earns_never_pass_the_daily_cap(pools, admin_conn):
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", [{"code": "capped", "action": {"points_per_unit": "10", "cap_per_day": 300}}])
    results = await asyncio.gather(*(program.earn(number, "10", f"c{i}", occurred_at="2026-11-24T10:00:00+00:00")
                                     for i in range(8)))
    assert sum(r.points_earned for r in results) == 300
    await check_invariants(admin_conn, program.program_id)


async def test_a_rule_needing_an_unreachable_service_does_not_match_and_the_breakdown_says_so(pools):
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", TEN_PER_EURO + [{"code": "tier-x", "action": {"multiplier": "tier"}}])
    response = await program.earn(number, "10", "e1")
    assert response.points_earned == 100
    tier_line = next(l for l in response.breakdown if l.rule == "tier-x")
    assert tier_line.points == 0 and "tier service unavailable" in tier_line.description


BAD_RULES = [
    ("malformed JSON", '[{"code": "x", ', "malformed JSON"),
    ("not a list", '{"code": "x"}', "JSON array"),
    ("unknown variable", [{"code": "wd", "condition": {"==": [{"var": "weekday_name"}, "tuesday"]},
                           "action": {"fixed_bonus": 5}}], "rule 'wd' condition: unknown variable 'weekday_name'"),
    ("unknown operator", [{"code": "op", "condition": {"frobnicate": [1, 2]}, "action": {"fixed_bonus": 5}}],
     "rule 'op' condition: unknown operator"),
    ("wrong argument count", [{"code": "eq", "condition": {"==": [1]}, "action": {"fixed_bonus": 5}}],
     "rule 'eq' condition"),
    ("impossible cap", [{"code": "cap", "action": {"fixed_bonus": 500, "cap_per_transaction": 100}}],
     "rule 'cap' action.cap_per_transaction: 100 is below the fixed bonus 500"),
    ("transaction cap above the daily cap", [{"code": "cap2", "action": {"points_per_unit": "1",
                                                                          "cap_per_transaction": 900,
                                                                          "cap_per_day": 300}}],
     "rule 'cap2' action.cap_per_transaction: 900 exceeds cap_per_day 300"),
    ("zero cap", [{"code": "cap0", "action": {"points_per_unit": "1", "cap_per_day": 0}}],
     "rule 'cap0' action.cap_per_day: must be at least 1"),
    ("burn minimum above maximum", [{"code": "pay", "type": "burn", "action": {"points_per_unit": 100,
                                                                                "min_points": 900,
                                                                                "max_points": 100}}],
     "rule 'pay' action.min_points: 900 is above max_points 100"),
    ("negative rate", [{"code": "neg", "action": {"points_per_unit": "-1"}}],
     "rule 'neg' action.points_per_unit: must not be negative"),
    ("unknown action field", [{"code": "typo", "action": {"points_per_euro": 10}}],
     "rule 'typo' action.points_per_euro: unknown"),
    ("no action", [{"code": "empty"}], "rule 'empty' action: is required"),
    ("unknown type", [{"code": "t", "type": "cashback", "action": {}}], "rule 't' type: 'cashback' is not one of"),
    ("bad mode", [{"code": "m", "mode": "replace", "action": {"fixed_bonus": 1}}], "rule 'm' mode: 'replace'"),
    ("bad rounding", [{"code": "r", "action": {"points_per_unit": "1", "rounding": "up"}}],
     "rule 'r' action.rounding: 'up' is not one of"),
    ("bad point type", [{"code": "p", "action": {"fixed_bonus": 1, "point_type": "gold"}}],
     "rule 'p' action.point_type: 'gold'"),
    ("duplicate code", [{"code": "d", "action": {"fixed_bonus": 1}}, {"code": "d", "action": {"fixed_bonus": 2}}],
     "rule 'd' code: is used by another rule"),
    ("missing code", [{"action": {"fixed_bonus": 1}}], "rule '#1' code: is required"),
    ("enroll without bonus", [{"code": "welcome", "type": "enroll", "action": {"event": "enrolment"}}],
     "rule 'welcome' action.fixed_bonus: is required"),
]


@pytest.mark.parametrize(("kind", "rules", "message"), BAD_RULES, ids=[b[0] for b in BAD_RULES])
async def test_invalid_rules_are_refused_naming_what_is_wrong(pools, kind, rules, message):
    program = await RulesProgram.new(pools["points"])
    with pytest.raises(DomainError) as refused:
        await program.save("base", rules)
    assert refused.value.code == ErrorCode.INVALID_INPUT
    assert message in refused.value.message
    # and nothing was saved
    with pytest.raises(DomainError) as missing:
        await rulesets.get(program.pool, program_id=program.program_id, code="base")
    assert missing.value.code == ErrorCode.NOT_FOUND
    # the editor's validation lists the same problem
    problems = rulesets.validate_rules_json(rules if isinstance(rules, str) else json.dumps(rules))
    assert any(message.split(": ", 1)[-1][:20] in str(p) or message[:15] in str(p) for p in problems), problems


async def test_bad_rule_set_attachments_are_refused(pools):
    program = await RulesProgram.new(pools["points"])
    for scope, ref, field in (("galaxy", "x", "scope"), ("tier", "", "scopeRef"), ("program", "gold", "scopeRef"),
                              ("campaign", "nope", "scopeRef")):
        with pytest.raises(DomainError) as refused:
            await program.save(f"s-{scope}", TEN_PER_EURO, scope=scope, ref=ref)
        assert refused.value.field == field


async def test_campaign_budget_and_report(pools):
    # given a campaign with 150 points per member and 250 in total, giving 100 per transaction
    program = await RulesProgram.new(pools["points"])
    a, b = await program.member(), await program.member()
    await program.publish("base", TEN_PER_EURO)
    await program.campaign("launch", "2026-01-01T00:00:00+00:00", "2027-01-01T00:00:00+00:00",
                           budget_total=250, budget_per_member=150)
    await program.publish("launch-rules", [{"code": "launch-bonus", "action": {"fixed_bonus": 100,
                                                                               "point_type": "promotional"}}],
                          scope="campaign", ref="launch")
    at = "2026-06-01T10:00:00+00:00"
    bonus = []
    for number, ref in ((a, "a1"), (a, "a2"), (b, "b1"), (b, "b2")):
        response = await program.earn(number, "1", ref, occurred_at=at)
        bonus.append(lines(response).get("launch-bonus", 0))
    # then the per-member budget stops a at 150 and the total budget stops b at the remaining 100
    assert bonus == [100, 50, 100, 0]
    report = await campaigns.report(program.pool, program_id=program.program_id, code="launch")
    assert (report.points_issued, report.members_reached, report.budget_left) == (250, 2, 0)


async def test_dry_run_of_a_draft_posts_nothing(pools):
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", TEN_PER_EURO)
    await program.save("base", TEN_PER_EURO + [{"code": "weekend", "condition": {"in": [{"var": "weekday"},
                                                                                       ["saturday", "sunday"]]},
                                                 "action": {"multiplier": 3}}])
    request = pb.EarnRequest(loyalty_number=number, amount="10", currency="EUR", reference="dry",
                             occurred_at="2026-11-28T12:00:00+00:00")  # a Saturday
    result = await dry_runs.dry_run_earn(program.pool, program_id=program.program_id, facts_source=program.facts,
                                         request=rules_api.basket_query(request), rule_set_code="base",
                                         draft_rules_json="")
    assert (result.draft.points, result.published.points) == (300, 100)
    assert await program.ledger.available(number) == 0


async def test_replay_of_real_transactions_against_a_draft_reports_the_impact(pools):
    program = await RulesProgram.new(pools["points"])
    a, b = await program.member(), await program.member()
    await program.publish("base", TEN_PER_EURO)
    now = "2026-11-23T12:00:00+00:00"
    await program.earn(a, "10", "r1", occurred_at="2026-11-20T12:00:00+00:00", partner_code="acme")
    await program.earn(b, "5", "r2", occurred_at="2026-11-21T12:00:00+00:00")
    await program.save("base", TEN_PER_EURO + [{"code": "acme-bonus", "condition": {"==": [{"var": "partner"},
                                                                                           "acme"]},
                                                 "action": {"fixed_bonus": 40}}])
    import datetime as dt
    report = await dry_runs.replay(program.pool, program_id=program.program_id, facts_source=program.facts,
                                   rule_set_code="base", days=7, now=dt.datetime.fromisoformat(now))
    assert (report.transactions, report.published_points, report.draft_points, report.members_affected) == (
        2, 150, 190, 1)
    assert await program.ledger.available(a) == 100


async def test_burn_quote_applies_rate_minimum_maximum_and_balance(pools):
    program = await RulesProgram.new(pools["points"])
    number = await program.member()
    await program.publish("base", TEN_PER_EURO + [{"code": "pay", "type": "burn", "action": {
        "points_per_unit": 100, "min_points": 500, "max_points": 3000, "max_percent": 50}}])
    await program.earn(number, "400", "e1")  # 4,000 points
    q = await burn_quotes.quote(program.pool, program_id=program.program_id, facts_source=program.facts,
                            loyalty_number=number, amount="80", points=0)
    # half of 80 EUR at 100 points per euro is 4,000; the rule's max is 3,000
    assert (q.allowed, q.points, str(q.value), q.max_points, q.rule_version) == (True, 3000, "30.00", 3000, "base@v1")
    too_few = await burn_quotes.quote(program.pool, program_id=program.program_id, facts_source=program.facts,
                                  loyalty_number=number, amount="80", points=100)
    assert not too_few.allowed and "at least 500" in too_few.reason
    small_order = await burn_quotes.quote(program.pool, program_id=program.program_id, facts_source=program.facts,
                                      loyalty_number=number, amount="6", points=0)
    assert (small_order.allowed, small_order.max_points) == (False, 300)


async def test_welcome_and_referral_bonuses_are_granted_once(pools, admin_conn):
    program = await RulesProgram.new(pools["points"])
    a, b, c = await program.member(), await program.member(), await program.member()
    await program.publish("base", TEN_PER_EURO + [
        {"code": "welcome", "type": "enroll", "action": {"event": "enrolment", "fixed_bonus": 250}},
        {"code": "refer", "type": "enroll", "action": {"event": "referral", "fixed_bonus": 100}},
    ])
    first = await bonuses.apply_enroll_rules(program.pool, program_id=program.program_id, facts_source=program.facts,
                                             loyalty_number=a)
    again = await bonuses.apply_enroll_rules(program.pool, program_id=program.program_id, facts_source=program.facts,
                                             loyalty_number=a)
    assert [(g.points, g.already_granted) for g in first] == [(250, False)]
    assert [g.already_granted for g in again] == [True]
    referral = await bonuses.apply_referral(program.pool, program_id=program.program_id, facts_source=program.facts,
                                            referrer=b, referred=c)
    assert sorted((g.loyalty_number, g.points) for g in referral) == sorted([(b, 100), (c, 100)])
    # a second referral of the same member gives nothing to anyone
    other = await bonuses.apply_referral(program.pool, program_id=program.program_id, facts_source=program.facts,
                                         referrer=a, referred=c)
    assert all(g.already_granted for g in other)
    assert [await program.ledger.available(n) for n in (a, b, c)] == [250, 100, 100]
    with pytest.raises(DomainError):
        await bonuses.apply_referral(program.pool, program_id=program.program_id, facts_source=program.facts,
                                     referrer=b, referred=b)
    await check_invariants(admin_conn, program.program_id)


async def test_rules_of_one_program_are_invisible_to_another(pools):
    mine = await RulesProgram.new(pools["points"])
    theirs = await RulesProgram.new(pools["points"])
    await mine.publish("base", TEN_PER_EURO)
    listed = await rulesets.list_all(theirs.pool, program_id=theirs.program_id, include_archived=True)
    assert listed == []
    number = await theirs.member()
    assert (await theirs.earn(number, "10", "x")).points_earned == 10
    assert uuid.UUID(str(mine.program_id)) != theirs.program_id


async def test_the_registration_hook_grants_the_welcome_bonus_once(pools):
    from services.points.rules import hooks

    program = await RulesProgram.new(pools["points"])
    await program.publish("base", TEN_PER_EURO + [
        {"code": "welcome", "type": "enroll", "action": {"event": "enrolment", "fixed_bonus": 300}}])
    number = await program.member()  # the ledger's registration calls the hook: the bonus is granted
    again = await hooks.on_member_registered(program.pool, program_id=program.program_id, loyalty_number=number)
    assert [(g.points, g.already_granted) for g in again] == [(0, True)]
    blocked = await program.member()
    await program.ledger.set_status(blocked, "suspended")
    assert await hooks.on_member_registered(program.pool, program_id=program.program_id,
                                            loyalty_number=blocked) == []
    assert await program.ledger.available(number) == 300
