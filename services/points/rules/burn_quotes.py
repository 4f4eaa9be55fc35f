"""Burn rules: pay with points. A quote says how many points an order may use and what they are worth.

The matching burn rule of highest precedence (as for earn: campaign > tier > partner/club/location >
program, then priority) sets the rate (`points_per_unit`: points per currency unit paid), the
minimum and maximum points per transaction and the share of the order points may pay
(`max_percent`). The member's available balance bounds the maximum too. Nothing is posted: the
POS then calls redeem (Burn) with the quoted points.
"""

import dataclasses
import uuid
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid
from services.points.ledger import posting
from services.points.ledger import repository as ledger_repository
from services.points.rules import evaluation
from services.points.rules.evaluation import Transaction
from services.points.rules.policy import load_program_rules


@dataclasses.dataclass(frozen=True)
class BurnQuote:
    points: int
    value: Decimal
    currency: str
    min_points: int
    max_points: int
    available: int
    rule: str
    rule_version: str
    allowed: bool
    reason: str


async def quote(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, facts_source, loyalty_number: str, amount: str, points: int,
    channel: str = "", location_code: str = "", partner_code: str = "",
) -> BurnQuote:
    order_total = validation.amount(amount)
    if points < 0:
        raise invalid("points", "must not be negative (0: as many as allowed)")
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        member = await posting.load_active_member(conn, loyalty_number)
        available = await ledger_repository.available_balance(conn, member["id"])
        compiled = await load_program_rules(conn)
    txn = Transaction(amount=order_total, currency=program["currency"], occurred_at=posting.now(),
                      timezone=program["timezone"], channel=channel, location=location_code, partner=partner_code)
    sets = [s for s in compiled.rule_sets if any(r.type == "burn" for r in s.rules)]
    burn_only = [dataclasses.replace(s, rules=tuple(r for r in s.rules if r.type == "burn")) for s in sets]
    needs = frozenset().union(*(r.needs for s in burn_only for r in s.rules), *(s.scope_needs for s in burn_only)) \
        if burn_only else frozenset()
    facts = await facts_source.fetch(program_id=program_id, member_id=member["id"], needs=needs)
    ctx = evaluation.context(txn, facts)
    best = None
    for order, rule_set in enumerate(burn_only):
        if any(n in facts.unavailable for n in rule_set.scope_needs) or \
                not evaluation.set_applies(rule_set, txn, facts):
            continue
        for rule in rule_set.rules:
            if any(n in facts.unavailable for n in rule.needs) or not rule.matches(ctx):
                continue
            key = (rule_set.level, rule.priority, -order)
            if best is None or key > best[0]:
                best = (key, rule_set, rule)
    currency = program["currency"]
    if best is None:
        return BurnQuote(0, Decimal(0), currency, 0, 0, available, "", "", False,
                         "no burn rule allows paying with points here")
    _, rule_set, rule = best
    a = rule.action
    rate = a.points_per_unit
    limits = [int((order_total * rate).to_integral_value(rounding=ROUND_FLOOR)), available]
    if a.max_points is not None:
        limits.append(a.max_points)
    if a.max_percent is not None:
        limits.append(int((order_total * a.max_percent / 100 * rate).to_integral_value(rounding=ROUND_FLOOR)))
    maximum = max(min(limits), 0)
    wanted = points or maximum
    allowed, reason = True, ""
    if maximum < a.min_points:
        allowed, reason = False, f"at least {a.min_points} points are needed; at most {maximum} can be used"
    elif wanted < a.min_points:
        allowed, reason = False, f"at least {a.min_points} points per transaction"
    elif wanted > maximum:
        allowed, reason = False, f"at most {maximum} points can be used on this order"
    used = wanted if allowed else 0
    value = (Decimal(used) / rate).quantize(Decimal("0.01"), rounding=ROUND_DOWN) if used else Decimal("0.00")
    return BurnQuote(points=used, value=value, currency=currency, min_points=a.min_points, max_points=maximum,
                     available=available, rule=rule.code, rule_version=rule_set.version_label, allowed=allowed,
                     reason=reason)
