"""The rules engine on the earn hot path: a program with 50 active rules vs one with a single rule.

    .venv/bin/python bench/rules.py            # longer rounds
    .venv/bin/python bench/rules.py --quick    # small, under a minute

Starts its own PostgreSQL, migrates the points schema as the points role, and creates two
programs with the same members. One publishes a single rule (10 points per euro); the other 50
active rules of a realistic mix: base rate, day-of-week and hour multipliers, channel and basket
(sku/category) bonuses, 10 partner and 10 location rule sets (some overriding the base rate),
capped rules (per transaction, per day: usage counters locked and written in the earn's
transaction), 4 campaigns (2 in their window, one with a budget). The same generated earns (with
partners, locations, channels and baskets) run against each program, in alternating rounds
(A, B, A, B, ...), through the real earn path: `earning.earn` with `RulesEarnPolicy` on the
points service's own pool. Rules that read member facts (tier, segments, clubs) are left out:
each costs one gRPC call to another service, made only when a candidate rule reads it.

Prints the median of the per-round throughput ratios:

    RATIO earn_50_rules_vs_1_rule <v> target >= 0.8
"""

import argparse
import asyncio
import datetime as dt
import json
import random
import uuid

from _common import local_postgres, median, run_for  # noqa: I001 - sets sys.path first

from loyalty.common.v1 import program_pb2  # noqa: E402
from loyalty.points.v1 import points_service_pb2 as pb  # noqa: E402
from services.common.db import create_pool  # noqa: E402
from services.common.migrations import migrate  # noqa: E402
from services.points import api as points_api  # noqa: E402
from services.points.ledger import commands, earning, members, programs, results  # noqa: E402
from services.points.rules import campaigns, rulesets  # noqa: E402
from services.points.rules.facts import RemoteFacts  # noqa: E402
from services.points.rules.hooks import RulesHooks  # noqa: E402
from services.points.rules.policy import RulesEarnPolicy  # noqa: E402
from tests.fixtures.postgres import ROOT  # noqa: E402

PARTNERS = [f"partner-{i}" for i in range(10)]
LOCATIONS = [f"store-{i}" for i in range(10)]
CHANNELS = ["pos", "web", "app"]
SKUS = [f"SKU-{i}" for i in range(40)]
CATEGORIES = ["food", "drinks", "bakery", "household"]


def fifty_rules() -> dict[str, tuple[str, str, list]]:
    """code -> (scope, scope_ref, rules): 50 earn rules in all."""
    base = [
        {"code": "base-rate", "action": {"points_per_unit": "10"}},
        {"code": "tuesday-double", "condition": {"==": [{"var": "weekday"}, "tuesday"]}, "action": {"multiplier": 2}},
        {"code": "weekend-x1.5", "condition": {"in": [{"var": "weekday"}, ["saturday", "sunday"]]},
         "action": {"multiplier": "1.5"}},
        {"code": "happy-hour", "condition": {"<=": [15, {"var": "hour"}, 17]}, "action": {"fixed_bonus": 20}},
        {"code": "web-bonus", "condition": {"==": [{"var": "channel"}, "web"]},
         "action": {"fixed_bonus": 15, "point_type": "promotional"}},
        {"code": "app-bonus", "condition": {"==": [{"var": "channel"}, "app"]},
         "action": {"fixed_bonus": 25, "cap_per_day": 50}},
        {"code": "big-basket", "condition": {">=": [{"var": "amount"}, 100]},
         "action": {"fixed_bonus": 100, "cap_per_transaction": 100}},
        {"code": "breakfast", "condition": {"and": [{"<": [{"var": "hour"}, 11]}, {"in": ["bakery",
                                                                                        {"var": "categories"}]}]},
         "action": {"fixed_bonus": 10}},
        {"code": "many-items", "condition": {">": [{"var": "item_count"}, 5]}, "action": {"fixed_bonus": 5}},
        {"code": "december", "condition": {"==": [{"var": "month"}, 12]}, "action": {"multiplier": "1.2"}},
    ]
    for i in range(10):  # sku and category bonuses
        sku = SKUS[i * 3]
        if i % 2:
            base.append({"code": f"sku-{i}", "action": {"points_per_item": 20, "items": {"skus": [sku]}}})
        else:
            base.append({"code": f"cat-{i}", "condition": {"some": [{"var": "items"},
                                                                    {"==": [{"var": "category"},
                                                                            CATEGORIES[i % 4]]}]},
                         "action": {"fixed_bonus": 3 + i}})
    sets = {"base": ("program", "", base)}  # 20 rules
    for i, partner in enumerate(PARTNERS):  # 10 rules
        rule = {"code": f"{partner}-rate", "mode": "override" if i % 2 else "stack",
                "action": {"points_per_unit": str(5 + i)}} if i < 6 else \
            {"code": f"{partner}-bonus", "action": {"fixed_bonus": 50, "cap_per_day": 100}}
        sets[partner] = ("partner", partner, [rule])
    for i, location in enumerate(LOCATIONS):  # 10 rules
        sets[location] = ("location", location, [{"code": f"{location}-bonus", "action": {"fixed_bonus": 2 + i}}])
    campaign_rules = {  # 4 campaigns, 10 rules
        "spring": [{"code": f"spring-{k}", "action": {"fixed_bonus": 10}} for k in range(2)],
        "summer": [{"code": f"summer-{k}", "action": {"fixed_bonus": 10}} for k in range(2)],
        "now-a": [{"code": "now-a-rate", "mode": "override", "action": {"points_per_unit": "12"}},
                  {"code": "now-a-bonus", "action": {"fixed_bonus": 30}},
                  {"code": "now-a-web", "condition": {"==": [{"var": "channel"}, "web"]},
                   "action": {"multiplier": 2}}],
        "now-b": [{"code": "now-b-sku", "action": {"points_per_item": 5, "items": {"categories": ["drinks"]}}},
                  {"code": "now-b-loc", "condition": {"startsWith": [{"var": "location"}, "store-1"]},
                   "action": {"fixed_bonus": 40}},
                  {"code": "now-b-big", "condition": {">": [{"var": "amount"}, 50]}, "action": {"fixed_bonus": 60}}],
    }
    for code, rules in campaign_rules.items():
        sets[f"{code}-rules"] = ("campaign", code, rules)
    assert sum(len(r) for _, _, r in sets.values()) == 50
    return sets


async def setup_program(pool, policy, numbers: list[str], *, many: bool) -> uuid.UUID:
    spec = program_pb2.ProgramSpec(id=str(uuid.uuid4()), code=f"bench-{uuid.uuid4().hex[:8]}", name="Bench",
                                   currency="EUR", timezone="Europe/Madrid", expiry=program_pb2.ExpiryPolicy(days=365))
    await programs.provision(pool, points_api.provision_command(spec))
    program_id = uuid.UUID(spec.id)
    for number in numbers:
        await members.register(pool, program_id=program_id, hooks=RulesHooks(), command=commands.RegisterMember(
            member_id=str(uuid.uuid4()), loyalty_number=number, status="active"))
    now = dt.datetime.now(dt.timezone.utc)
    if many:
        windows = {"spring": (now - dt.timedelta(days=300), now - dt.timedelta(days=200)),
                   "summer": (now + dt.timedelta(days=100), now + dt.timedelta(days=200)),
                   "now-a": (now - dt.timedelta(days=1), now + dt.timedelta(days=30)),
                   "now-b": (now - dt.timedelta(days=1), now + dt.timedelta(days=30))}
        for code, (start, end) in windows.items():
            await campaigns.save(pool, program_id=program_id, data=campaigns.CampaignInput(
                code=code, name=code, starts_at=start.isoformat(), ends_at=end.isoformat(), targets={},
                budget_total=10**9 if code == "now-b" else 0))
        sets = fifty_rules()
    else:
        sets = {"base": ("program", "", [{"code": "base-rate", "action": {"points_per_unit": "10"}}])}
    for code, (scope, ref, rules) in sets.items():
        await rulesets.save(pool, program_id=program_id, principal="bench", code=code, name=code, scope=scope,
                            scope_ref=ref, rules_json=json.dumps(rules))
        await rulesets.publish(pool, program_id=program_id, principal="bench", code=code,
                               on_change=policy.invalidate)
    return program_id


def requests(numbers: list[str], count: int, seed: int) -> list[dict]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        items = [pb.Item(sku=rng.choice(SKUS), category=rng.choice(CATEGORIES), quantity=str(rng.randint(1, 3)),
                         price=f"{rng.uniform(1, 20):.2f}") for _ in range(rng.randint(0, 6))]
        out.append({"loyalty_number": rng.choice(numbers), "amount": f"{rng.uniform(2, 150):.2f}",
                    "currency": "EUR", "channel": rng.choice(CHANNELS),
                    "partner_code": rng.choice(PARTNERS) if rng.random() < 0.3 else "",
                    "location_code": rng.choice(LOCATIONS) if rng.random() < 0.6 else "", "items": items})
    return out


async def run(database, *, quick: bool) -> float:
    rounds, seconds, workers = (4, 2.0, 4) if quick else (8, 6.0, 8)
    if True:
        pool = await create_pool(database.service_dsn("points"), schema="points", application="bench-rules",
                                 min_size=workers, max_size=workers + 2)
        await migrate(pool, schema="points", directory=ROOT / "services" / "points" / "migrations")
        policy = RulesEarnPolicy(RemoteFacts(member_addr=None, tier_addr=None))
        numbers = [str(10**11 + i) for i in range(300)]
        one = await setup_program(pool, policy, numbers, many=False)
        fifty = await setup_program(pool, policy, numbers, many=True)
        work = requests(numbers, 2000, seed=7)

        def earner(program_id: uuid.UUID, tag: str):
            async def earn(k: int) -> None:
                spec = work[k % len(work)]
                request = pb.EarnRequest(reference=f"{tag}-{k}-{uuid.uuid4().hex[:6]}", **spec)
                # as the servicer runs it: the request through api.py's translation, both ways
                stored = points_api.replay(request, pb.EarnResponse, results.Earned)
                points_api.reply(stored, pb.EarnResponse, await earning.earn(
                    pool, program_id=program_id, command=points_api.command(commands.Earn, request), policy=policy,
                    replay=stored))
            return earn

        # warm up both (compile caches, connections)
        await run_for(0.5, workers, earner(one, "w1"))
        await run_for(0.5, workers, earner(fifty, "w50"))
        ratios = []
        for r in range(rounds):
            single = await run_for(seconds, workers, earner(one, f"a{r}"))
            many = await run_for(seconds, workers, earner(fifty, f"b{r}"))
            ratios.append(many / single)
            print(f"round {r + 1}: 1 rule {single:.0f}/s, 50 rules {many:.0f}/s, ratio {many / single:.3f}",
                  flush=True)
        await pool.close()
    return median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    with local_postgres() as database:
        ratio = asyncio.run(run(database, quick=args.quick))
    print(f"RATIO earn_50_rules_vs_1_rule {ratio:.3f} target >= 0.8", flush=True)


if __name__ == "__main__":
    main()
