"""Burn rules: pay with points. A quote says how many points an order may use and what they are worth.

The matching burn rule of highest precedence (as for earn: campaign > tier > partner/club/location >
program, then priority) sets the rate (`points_per_unit`: points per currency unit paid), the
minimum and maximum points per transaction and the share of the order points may pay
(`max_percent`). The member's available balance bounds the maximum too. `quote` posts nothing.

`burn_with_bill` is paying with points at the till: the quote is made inside the burn's own
transaction, after the member's rows are locked (no earn, burn or expiry moves the balance until it
commits) and with the rules revision shared (a publish waits for it), so the points posted are the
points the rules and the balance allow at that moment: never a quote gone stale between two calls.
"""

import dataclasses
import uuid
from decimal import ROUND_DOWN, ROUND_FLOOR, Decimal

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid
from services.common.idempotency import Replay, run_once
from services.points.ledger import commands, posting, spending
from services.points.ledger import repository as ledger_repository
from services.points.ledger.earn_policy import FactsNeeded
from services.points.ledger.results import Posted
from services.points.rules import evaluation
from services.points.rules import repository as rules_repository
from services.points.rules.evaluation import Facts, Transaction
from services.points.rules.policy import CompiledProgram, load_program_rules


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


@dataclasses.dataclass(frozen=True)
class BillBurn:
    """Pay part of a bill with points; `points` 0: as many as the burn rules allow."""

    loyalty_number: str
    amount: str
    points: int
    reference: str
    currency: str = ""
    channel: str = ""
    location_code: str = ""
    partner_code: str = ""
    reason: str = ""
    order_reference: str = ""


@dataclasses.dataclass(frozen=True)
class BilledBurn:
    posted: Posted
    quote: BurnQuote


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
    sets = _burn_sets(compiled)
    facts = await facts_source.fetch(program_id=program_id, member_id=member["id"], needs=_needs(sets))
    txn = Transaction(amount=order_total, currency=program["currency"], occurred_at=posting.now(),
                      timezone=program["timezone"], channel=channel, location=location_code, partner=partner_code)
    return _price(sets, txn, facts, points=points, available=available)


async def burn_with_bill(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, facts_source, command: BillBurn, replay: Replay[BilledBurn],
) -> BilledBurn:
    """Quote and burn in one transaction. Member facts the rules need are fetched with no connection
    held (FactsNeeded rolls the attempt back), as for an earn."""
    validation.amount(command.amount)
    validation.reference(command.reference)
    if command.points < 0:
        raise invalid("points", "must not be negative (0: as many as the burn rules allow)")
    facts = Facts()
    for _ in range(3):
        try:
            async with posting.transaction(pool, program_id) as conn:
                return await run_once(conn, program_id=program_id, operation="burn", key=command.reference,
                                      perform=lambda: _priced_burn(conn, program_id, command, facts), replay=replay)
        except FactsNeeded as wanted:
            fetched = await facts_source.fetch(program_id=program_id, member_id=wanted.member_id, needs=wanted.needs)
            facts = dataclasses.replace(fetched, asked=fetched.asked | wanted.needs)
    raise DomainError(ErrorCode.UNAVAILABLE, "the burn rules kept changing; try again")


async def _priced_burn(conn: asyncpg.Connection, program_id: uuid.UUID, command: BillBurn, facts: Facts) -> BilledBurn:
    program = await posting.load_program(conn, program_id)
    if command.currency and command.currency != program["currency"]:
        raise invalid("currency", f"the program's currency is {program['currency']}, not {command.currency}")
    member = await posting.load_active_member(conn, command.loyalty_number)
    await rules_repository.share_revision(conn)  # first: a publish takes the revision, then nothing else
    await posting.touch(conn, [member["id"]])  # the member's rows locked until the burn commits
    available = await ledger_repository.available_balance(conn, member["id"])
    sets = _burn_sets(await load_program_rules(conn))
    needs = _needs(sets)
    if needs - facts.asked:
        raise FactsNeeded(member["id"], needs)
    txn = Transaction(amount=validation.amount(command.amount), currency=program["currency"],
                      occurred_at=posting.now(), timezone=program["timezone"], channel=command.channel,
                      location=command.location_code, partner=command.partner_code)
    q = _price(sets, txn, facts, points=command.points, available=available)
    if not q.allowed:
        raise DomainError(ErrorCode.BURN_NOT_ALLOWED, q.reason, field="points")
    burn = commands.Burn(loyalty_number=command.loyalty_number, points=q.points, reference=command.reference,
                         reason=command.reason, partner_code=command.partner_code,
                         location_code=command.location_code, order_reference=command.order_reference or None)
    posted = await spending.post_burn(conn, member=member, command=burn, details={
        "bill": f"{txn.amount:f}", "money_value": f"{q.value:f}", "rule": q.rule, "rule_version": q.rule_version})
    return BilledBurn(posted=posted, quote=q)


def _burn_sets(compiled: CompiledProgram) -> list:
    sets = [s for s in compiled.rule_sets if any(r.type == "burn" for r in s.rules)]
    return [dataclasses.replace(s, rules=tuple(r for r in s.rules if r.type == "burn")) for s in sets]


def _needs(burn_sets: list) -> frozenset[str]:
    if not burn_sets:
        return frozenset()
    return frozenset().union(*(r.needs for s in burn_sets for r in s.rules), *(s.scope_needs for s in burn_sets))


def _price(burn_sets: list, txn: Transaction, facts: Facts, *, points: int, available: int) -> BurnQuote:
    """The matching burn rule of highest precedence applied to the order, the points wanted and the balance."""
    ctx = evaluation.context(txn, facts)
    best = None
    for order, rule_set in enumerate(burn_sets):
        if any(n in facts.unavailable for n in rule_set.scope_needs) or \
                not evaluation.set_applies(rule_set, txn, facts):
            continue
        for rule in rule_set.rules:
            if any(n in facts.unavailable for n in rule.needs) or not rule.matches(ctx):
                continue
            key = (rule_set.level, rule.priority, -order)
            if best is None or key > best[0]:
                best = (key, rule_set, rule)
    currency, order_total = txn.currency, txn.amount
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
