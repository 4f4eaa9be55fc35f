"""The rules engine through the real platform: rule sets over GraphQL, earn breakdowns with facts
fetched from the real tier and member services, clubs, campaigns, dry runs, burn quotes, bonuses,
the birthday job, refusals and permissions."""

import datetime as dt
import json
import subprocess
import sys

import jwt
import pytest

from tests.e2e.test_contract import ENROLL, new_member, new_program
from tests.e2e.test_tiers_graphql import OVERRIDE, restaurant
from tests.fixtures.graphql import GraphQLClient, unique
from tests.fixtures.platform import JWT_SECRET
from tests.fixtures.postgres import ROOT

pytestmark = pytest.mark.e2e

SAVE_RULES = """
mutation($program: String!, $code: String!, $rules: JSON!, $scope: String, $ref: String) {
  saveRuleSet(input: {program: $program, code: $code, rules: $rules, scope: $scope, scopeRef: $ref}) {
    code scope scopeRef publishedVersion draftVersion draftRules
  }
}"""
PUBLISH = """
mutation($program: String!, $code: String!) {
  publishRuleSet(program: $program, code: $code) { code publishedVersion draftVersion versions { version status } }
}"""
EARN_WITH_BREAKDOWN = """
mutation($program: String!, $number: String!, $amount: String!, $reference: String!, $at: String,
         $partner: String, $location: String) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR", reference: $reference,
               occurredAt: $at, partnerCode: $partner, locationCode: $location}) {
    pointsEarned breakdown { rule ruleVersion pointType points description campaignCode }
  }
}"""
BREAKDOWN = """
query($program: String!, $reference: String!) {
  earnBreakdown(program: $program, reference: $reference) { points breakdown { rule ruleVersion points } }
}"""
VALIDATE = """
query($program: String!, $rules: JSON!) { validateRules(program: $program, rules: $rules) { valid problems { rule field message } } }
"""
SAVE_CLUB = """
mutation($program: String!, $code: String!) { saveClub(input: {program: $program, code: $code, name: "Kids"}) { code isDefault } }
"""
JOIN = """
mutation($program: String!, $number: String!, $club: String!) {
  joinClub(program: $program, loyaltyNumber: $number, clubCode: $club) { clubCodes }
}"""
CLUBS = "query($program: String!) { clubs(program: $program) { code isDefault memberCount } }"
SAVE_LOCATION = """
mutation($program: String!, $code: String!, $kind: String!) {
  saveLocation(input: {program: $program, code: $code, name: "Store", kind: $kind}) { code kind }
}"""
SAVE_CAMPAIGN = """
mutation($program: String!, $code: String!, $starts: String!, $ends: String!, $segments: [String!]) {
  saveCampaign(input: {program: $program, code: $code, name: "Launch", startsAt: $starts, endsAt: $ends,
                       targets: {segments: $segments}, budgetTotal: 1000}) { code budgetTotal targets { segments } }
}"""
REPORT = """
query($program: String!, $code: String!) {
  campaignReport(program: $program, code: $code) { pointsIssued membersReached transactions budgetLeft }
}"""
DRY_RUN = """
query($program: String!, $number: String, $rules: JSON) {
  dryRunEarn(input: {program: $program, loyaltyNumber: $number, amount: "10", ruleSetCode: "base",
                     draftRules: $rules, items: [{sku: "COFFEE", quantity: "3", price: "2"}]}) {
    points publishedPoints breakdown { rule points }
  }
}"""
QUOTE_BURN = """
query($program: String!, $number: String!, $amount: String!) {
  quoteBurn(program: $program, loyaltyNumber: $number, amount: $amount) { allowed points value maxPoints reason }
}"""
WELCOME = """
mutation($program: String!, $number: String!) {
  applyEnrollRules(program: $program, loyaltyNumber: $number) { postings { rule points alreadyGranted } }
}"""
PROGRAM_ID = "query($program: String!) { program(program: $program) { id } }"
RUN_BIRTHDAYS = """
mutation($program: String!, $date: String) {
  runBirthdays(program: $program, date: $date) { postings { loyaltyNumber points alreadyGranted } }
}"""
ENQUIRE = "query($program: String!, $number: String!) { enquire(program: $program, loyaltyNumber: $number) { availablePoints } }"

BASE = [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}},
        {"code": "double-tuesday", "condition": {"==": [{"var": "weekday"}, "tuesday"]},
         "action": {"multiplier": 2, "point_type": "bonus"}}]


async def publish(admin, program, code, rules, scope=None, ref=None):
    saved = await admin(SAVE_RULES, program=program, code=code, rules=rules, scope=scope, ref=ref)
    assert saved.ok()
    published = await admin(PUBLISH, program=program, code=code)
    return published.ok()["publishRuleSet"]


async def test_rules_published_over_graphql_explain_every_point_and_keep_old_versions(admin):
    # given a program whose base rules are 10 points per euro, double on Tuesdays (Madrid)
    program = await new_program(admin)
    number = await new_member(admin, program)
    published = await publish(admin, program, "base", BASE)
    assert published["publishedVersion"] == 1 and published["draftVersion"] is None

    # when the member earns 10 EUR on a Tuesday evening in Madrid
    tuesday = await admin(EARN_WITH_BREAKDOWN, program=program, number=number, amount="10", reference="e1",
                          at="2026-11-24T20:00:00+00:00")
    earned = tuesday.ok()["earn"]
    # then the breakdown explains every point, naming the rule set version
    assert earned["pointsEarned"] == 200
    assert [(b["rule"], b["points"], b["pointType"], b["ruleVersion"]) for b in earned["breakdown"]] == [
        ("ten-per-euro", 100, "base", "base@v1"), ("double-tuesday", 100, "bonus", "base@v1")]

    # when version 2 drops the Tuesday double, old postings keep their recorded breakdown
    await publish(admin, program, "base", BASE[:1])
    later = await admin(EARN_WITH_BREAKDOWN, program=program, number=number, amount="10", reference="e2",
                        at="2026-12-01T20:00:00+00:00")
    assert later.ok()["earn"]["breakdown"][0]["ruleVersion"] == "base@v2"
    old = (await admin(BREAKDOWN, program=program, reference="e1")).ok()["earnBreakdown"]
    assert (old["points"], [(b["rule"], b["ruleVersion"]) for b in old["breakdown"]]) == (
        200, [("ten-per-euro", "base@v1"), ("double-tuesday", "base@v1")])


async def test_tier_multiplier_from_the_real_tier_service(admin):
    # given the restaurant tiers (Superking earns 1.5x) and a member overridden to Superking
    program = await restaurant(admin)
    number = await new_member(admin, program)
    assert (await admin(OVERRIDE, program=program, number=number, tier="SUPERKING", endsOn=None)).ok()
    await publish(admin, program, "base", [{"code": "ten-per-euro", "action": {"points_per_unit": "10"}},
                                           {"code": "tier-bonus", "action": {"multiplier": "tier"}}])
    await publish(admin, program, "superking", [{"code": "superking-treat", "action": {"fixed_bonus": 25}}],
                  scope="tier", ref="SUPERKING")
    # when the member earns 10 EUR
    result = (await admin(EARN_WITH_BREAKDOWN, program=program, number=number, amount="10",
                          reference="t1")).ok()["earn"]
    # then the tier service's multiplier and the tier's own rule set apply
    assert {b["rule"]: b["points"] for b in result["breakdown"]} == {
        "ten-per-euro": 100, "tier-bonus": 50, "superking-treat": 25}


async def test_club_and_location_rule_sets(admin):
    program = await new_program(admin)
    kid, adult = await new_member(admin, program), await new_member(admin, program)
    assert (await admin(SAVE_CLUB, program=program, code="kids")).ok()["saveClub"] == {"code": "kids",
                                                                                       "isDefault": False}
    assert (await admin(JOIN, program=program, number=kid, club="kids")).ok()["joinClub"]["clubCodes"] == ["kids"]
    clubs = (await admin(CLUBS, program=program)).ok()["clubs"]
    assert clubs == [{"code": "default", "isDefault": True, "memberCount": 0},
                     {"code": "kids", "isDefault": False, "memberCount": 1}]
    assert (await admin(SAVE_LOCATION, program=program, code="mad-01", kind="store")).ok()
    await publish(admin, program, "base", BASE[:1])
    await publish(admin, program, "kids", [{"code": "kids-bonus", "action": {"fixed_bonus": 7}}], scope="club",
                  ref="kids")
    await publish(admin, program, "madrid", [{"code": "store-rate", "mode": "override",
                                              "action": {"points_per_unit": "12"}}], scope="location", ref="mad-01")
    kid_earn = (await admin(EARN_WITH_BREAKDOWN, program=program, number=kid, amount="10", reference="k1",
                            location="mad-01")).ok()["earn"]
    adult_earn = (await admin(EARN_WITH_BREAKDOWN, program=program, number=adult, amount="10",
                              reference="a1")).ok()["earn"]
    assert {b["rule"]: b["points"] for b in kid_earn["breakdown"]} == {"store-rate": 120, "kids-bonus": 7}
    assert {b["rule"]: b["points"] for b in adult_earn["breakdown"]} == {"ten-per-euro": 100}


async def test_campaign_targeted_at_a_segment_of_the_real_member_service(admin):
    program = await new_program(admin)
    number = await new_member(admin, program)
    now = dt.datetime.now(dt.timezone.utc)
    campaign = await admin(SAVE_CAMPAIGN, program=program, code="launch", starts=(now - dt.timedelta(days=1)).isoformat(),
                           ends=(now + dt.timedelta(days=1)).isoformat(), segments=["vip"])
    assert campaign.ok()["saveCampaign"]["targets"] == {"segments": ["vip"]}
    await publish(admin, program, "launch-rules", [{"code": "launch-bonus", "action": {"fixed_bonus": 300}}],
                  scope="campaign", ref="launch")
    # the member is in no segment: the campaign does not apply, the flat rate does
    result = (await admin(EARN_WITH_BREAKDOWN, program=program, number=number, amount="10",
                          reference="c1")).ok()["earn"]
    assert {b["rule"]: b["points"] for b in result["breakdown"]} == {"base-rate": 10}
    report = (await admin(REPORT, program=program, code="launch")).ok()["campaignReport"]
    assert report == {"pointsIssued": 0, "membersReached": 0, "transactions": 0, "budgetLeft": 1000}


async def test_dry_run_burn_quote_and_welcome_bonus(admin):
    program = await new_program(admin)
    number = await new_member(admin, program)
    await publish(admin, program, "base", BASE[:1] + [
        {"code": "pay", "type": "burn", "action": {"points_per_unit": 100, "min_points": 100, "max_points": 2000}},
        {"code": "welcome", "type": "enroll", "action": {"event": "enrolment", "fixed_bonus": 500}},
    ])
    draft = BASE[:1] + [{"code": "coffee", "action": {"points_per_item": 50, "items": {"skus": ["COFFEE"]}}}]
    dry = (await admin(DRY_RUN, program=program, number=number, rules=draft)).ok()["dryRunEarn"]
    assert (dry["points"], dry["publishedPoints"]) == (250, 100)
    welcome = (await admin(WELCOME, program=program, number=number)).ok()["applyEnrollRules"]["postings"]
    assert welcome == [{"rule": "welcome", "points": 500, "alreadyGranted": False}]
    again = (await admin(WELCOME, program=program, number=number)).ok()["applyEnrollRules"]["postings"]
    assert again[0]["alreadyGranted"] is True
    quote = (await admin(QUOTE_BURN, program=program, number=number, amount="3")).ok()["quoteBurn"]
    assert quote == {"allowed": True, "points": 300, "value": "3.00", "maxPoints": 300, "reason": None}
    assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 500


async def test_birthday_job_grants_once_a_year(admin, platform):
    program = await new_program(admin)
    today = dt.date.today()
    birthday = dt.date(1990, today.month, min(today.day, 28)).isoformat()
    enrolled = await admin(ENROLL, program=program, email=f"{unique('bd')}@example.com", birthDate=birthday)
    number = enrolled.ok()["enroll"]["member"]["loyaltyNumber"]
    await publish(admin, program, "base", BASE[:1] + [
        {"code": "birthday", "type": "enroll", "action": {"event": "birthday", "fixed_bonus": 1000}}])
    program_id = (await admin(PROGRAM_ID, program=program)).ok()["program"]["id"]
    env = {**platform.env, "DATABASE_URL": platform.env["TEST_DSN_POINTS"]}
    date = dt.date(today.year, today.month, min(today.day, 28)).isoformat()
    for _ in range(2):  # a rerun grants nothing new
        done = subprocess.run([sys.executable, "-m", "services.points.rules.jobs", "birthday", "--date", date,
                               "--program", program_id], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120)
        assert done.returncode == 0, done.stderr
    assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 1000
    # the same run over GraphQL finds the year's grant already made
    again = (await admin(RUN_BIRTHDAYS, program=program, date=date)).ok()["runBirthdays"]["postings"]
    assert again == [{"loyaltyNumber": number, "points": 0, "alreadyGranted": True}]


async def test_bad_rules_are_refused_with_the_rule_named(admin):
    program = await new_program(admin)
    bad = [{"code": "tuesday", "condition": {"==": [{"var": "weekday_name"}, "tuesday"]}, "action": {"multiplier": 2}}]
    refused = await admin(SAVE_RULES, program=program, code="base", rules=bad)
    assert refused.codes == ["INVALID_INPUT"]
    assert "rule 'tuesday' condition: unknown variable 'weekday_name'" in refused.errors[0]["message"]
    checked = (await admin(VALIDATE, program=program, rules=bad)).ok()["validateRules"]
    assert checked["valid"] is False and checked["problems"][0]["rule"] == "tuesday"


async def test_publishing_needs_rules_publish(admin, platform):
    program = await new_program(admin)
    token = jwt.encode({"sub": "editor", "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(hours=1),
                        "aud": "loyalty", "programs": [program],
                        "permissions": ["rules.read", "rules.manage"]}, JWT_SECRET, algorithm="HS256")
    editor = GraphQLClient(platform.url, token=token)
    try:
        saved = await editor(SAVE_RULES, program=program, code="base", rules=BASE)
        assert saved.ok()["saveRuleSet"]["draftVersion"] == 1
        refused = await editor(PUBLISH, program=program, code="base")
        assert refused.codes == ["FORBIDDEN"]
        other = await new_program(admin)
        assert (await editor(SAVE_RULES, program=other, code="base", rules=BASE)).codes == ["FORBIDDEN"]
    finally:
        await editor.aclose()
    assert json.dumps(BASE)  # the document itself is plain JSON the UI's rule builder edits


async def test_a_member_enrolled_after_the_welcome_rule_gets_the_bonus_at_enrolment(admin):
    program = await new_program(admin)
    await publish(admin, program, "base", BASE[:1] + [
        {"code": "welcome", "type": "enroll", "action": {"event": "enrolment", "fixed_bonus": 500}}])
    number = await new_member(admin, program)
    assert (await admin(ENQUIRE, program=program, number=number)).ok()["enquire"]["availablePoints"] == 500
    again = (await admin(WELCOME, program=program, number=number)).ok()["applyEnrollRules"]["postings"]
    assert [(p["rule"], p["alreadyGranted"]) for p in again] == [("welcome", True)]


EARN_BASKET = """
mutation($program: String!, $number: String!, $reference: String!, $items: [BasketItemInput!]) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: "10", currency: "EUR", reference: $reference,
               items: $items}) {
    pointsEarned breakdown { rule points }
  }
}"""


async def test_the_pos_basket_reaches_item_rules_through_graphql(admin):
    program = await new_program(admin)
    number = await new_member(admin, program)
    await publish(admin, program, "base", BASE[:1] + [
        {"code": "coffee", "action": {"points_per_item": 50, "items": {"skus": ["COFFEE"]}}}])
    earned = await admin(EARN_BASKET, program=program, number=number, reference="basket-1",
                         items=[{"sku": "COFFEE", "quantity": "2", "price": "2.50"}, {"sku": "BUN", "price": "5"}])
    result = earned.ok()["earn"]
    assert {line["rule"]: line["points"] for line in result["breakdown"]} == {"ten-per-euro": 100, "coffee": 100}
    assert result["pointsEarned"] == 200
