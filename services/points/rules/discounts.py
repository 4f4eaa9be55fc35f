"""Discount rules applied to a basket: pure functions, no I/O (docs/rules.md, "Discount rules").

The same targeting as earn rules (which sets apply, conditions, campaign windows and targets),
the same precedence (campaign > tier > partner/club/location > program, then priority, then
document order) and the same modes: an `override` discount drops every matching discount of
lower precedence; `stack` discounts add. They are applied one after the other in precedence
order, each on what the earlier ones left of the basket (or of its lines), so stacked
discounts can never take more than the price: every discount is capped at what is left of the
amount it applies to, at its `max_amount`, and at its campaign's discount budget.

A basket discount applies to the transaction's `amount`; an item discount to the basket lines
its `items` name (price x quantity), spread over those lines in proportion, to the cent.
"""

import dataclasses
from collections.abc import Mapping, Sequence
from decimal import Decimal

from services.points.rules import evaluation
from services.points.rules.evaluation import Candidate, Counter, Facts, Item, RuleSet, Transaction
from services.points.rules.model import ROUNDING

CENT = Decimal("0.01")
ZERO = Decimal(0)

# Why a matching discount gave nothing (the quote lists them; GraphQL: DiscountSkipReason)
MIN_AMOUNT_NOT_REACHED = "MIN_AMOUNT_NOT_REACHED"
NO_MATCHING_ITEMS = "NO_MATCHING_ITEMS"
OVERRIDDEN = "OVERRIDDEN"
NOTHING_LEFT = "NOTHING_LEFT"
BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
FACT_UNAVAILABLE = "FACT_UNAVAILABLE"


@dataclasses.dataclass(frozen=True)
class DiscountLine:
    rule: str
    rule_version: str
    campaign_code: str
    applies_to: str  # basket | items
    skus: tuple[str, ...]  # the basket lines it took money off (items discounts)
    percent_off: Decimal | None
    amount_off: Decimal | None
    amount: Decimal  # money off
    description: str


@dataclasses.dataclass(frozen=True)
class Skipped:
    rule: str
    rule_version: str
    reason: str


@dataclasses.dataclass(frozen=True)
class Discounts:
    gross: Decimal
    lines: tuple[DiscountLine, ...]
    skipped: tuple[Skipped, ...]
    item_off: tuple[Decimal, ...]  # per basket line, what the item discounts took off it
    usage: Mapping[Counter, int]  # cents per budget counter

    @property
    def total(self) -> Decimal:
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def net(self) -> Decimal:
        return self.gross - self.total

    def net_transaction(self, txn: Transaction) -> Transaction:
        """The purchase as paid: points are earned on this (docs/rules.md)."""
        if not self.lines:
            return txn
        items = tuple(dataclasses.replace(item, price=max(item.price - off / item.quantity, ZERO)) if off else item
                      for item, off in zip(txn.items, self.item_off))
        return dataclasses.replace(txn, amount=self.net, items=items)


NONE = Discounts(gross=ZERO, lines=(), skipped=(), item_off=(), usage={})


def has_discounts(rule_sets: Sequence[RuleSet]) -> bool:
    return any(s.discount_rules for s in rule_sets)


def _discount_rules(rule_set: RuleSet):
    return rule_set.discount_entries


def candidates(rule_sets: Sequence[RuleSet], txn: Transaction, facts: Facts
               ) -> tuple[list[Candidate], list[Skipped]]:
    matched, notes = evaluation.matching(rule_sets, txn, facts, rules_of=_discount_rules)
    return matched, [Skipped(rule=n.rule, rule_version=n.rule_version, reason=FACT_UNAVAILABLE) for n in notes]


def resolve(matched: Sequence[Candidate]) -> tuple[list[Candidate], list[Skipped]]:
    """Highest precedence first; an override drops every matching discount of lower precedence."""
    ordered = sorted(matched, key=lambda c: c.sort_key)
    kept, dropped = [], []
    override = None
    for cand in ordered:
        if override is not None and cand.precedence < override:
            dropped.append(Skipped(rule=cand.rule.code, rule_version=cand.rule_set.version_label, reason=OVERRIDDEN))
            continue
        kept.append(cand)
        if cand.rule.mode == "override" and override is None:
            override = cand.precedence
    return kept, dropped


def budget_counters(cand: Candidate, shard: int) -> list[tuple[Counter, int]]:
    """The campaign's discount budgets (in cents) this discount draws on."""
    campaign = cand.rule_set.campaign
    out: list[tuple[Counter, int]] = []
    if campaign and campaign.discount_budget_per_member:
        out.append((Counter("discount_member", campaign.code), int(campaign.discount_budget_per_member * 100)))
    if campaign and campaign.discount_budget_total:
        out.append((Counter("discount_total", campaign.code, member=False, shard=shard),
                    int(campaign.discount_budget_total * 100)))
    return out


def _chosen(cand: Candidate, txn: Transaction) -> list[int]:
    a = cand.rule.action
    return [i for i, item in enumerate(txn.items) if item.sku in a.item_skus or item.category in a.item_categories]


def _spread(amount: Decimal, shares: Sequence[Decimal]) -> list[Decimal]:
    """`amount` over lines in proportion to what is left of each, to the cent, never more than a
    line has left (the cents rounding leaves go to the first lines with room)."""
    whole = sum(shares, ZERO)
    if whole <= 0:
        return [ZERO for _ in shares]
    out = [min((amount * s / whole).quantize(CENT, rounding=ROUNDING["floor"]), s) for s in shares]
    rest = amount - sum(out, ZERO)
    for i, s in enumerate(shares):
        if rest <= 0:
            break
        room = min(s - out[i], rest)
        out[i] += room
        rest -= room
    return out


def _describe(cand: Candidate, basis: Decimal, currency: str, *, skus: Sequence[str], quantity: Decimal) -> str:
    a = cand.rule.action
    on = f"{', '.join(skus)}" if skus else "the basket"
    if a.percent_off is not None:
        how = f"{a.percent_off:f}% off {on} ({basis:f} {currency})"
    elif a.per_unit:
        how = f"{a.amount_off:f} {currency} off each of {quantity:f} x {on}"
    else:
        how = f"{a.amount_off:f} {currency} off {on}"
    return how


def apply(kept: Sequence[Candidate], txn: Transaction, *, allowed: Mapping[int, Decimal] | None = None,
          budget_left: Mapping[Counter, int] | None = None, shard: int = 0
          ) -> tuple[list[DiscountLine], list[Skipped], list[Decimal], list[tuple[Candidate, Decimal]]]:
    """Each kept discount in order on what is left: (lines, skipped, per item money off, and per
    line its candidate and amount before budgets). `allowed` caps a candidate (by index in
    `kept`) at what the database granted; `budget_left` (cents) clamps as a read-only quote does."""
    left_items = [item.price * item.quantity for item in txn.items]
    left_basket = txn.amount
    item_off = [ZERO for _ in txn.items]
    lines: list[DiscountLine] = []
    skipped: list[Skipped] = []
    planned: list[tuple[Candidate, Decimal]] = []
    remaining = dict(budget_left or {})
    for index, cand in enumerate(kept):
        a = cand.rule.action
        version = cand.rule_set.version_label

        def skip(reason: str) -> None:
            skipped.append(Skipped(rule=cand.rule.code, rule_version=version, reason=reason))  # noqa: B023

        chosen: list[int] = []
        quantity = ZERO
        if a.filters_items:
            chosen = [i for i in _chosen(cand, txn) if left_items[i] > 0]
            if not chosen:
                skip(NO_MATCHING_ITEMS)
                continue
            basis = min(sum((left_items[i] for i in chosen), ZERO), left_basket)
            quantity = sum((txn.items[i].quantity for i in chosen), ZERO)
        else:
            basis = left_basket
        if a.min_amount is not None and basis < a.min_amount:
            skip(MIN_AMOUNT_NOT_REACHED)
            continue
        if a.percent_off is not None:
            amount = (basis * a.percent_off / 100).quantize(CENT, rounding=ROUNDING[a.rounding])
        elif a.per_unit:
            amount = (a.amount_off * quantity).quantize(CENT, rounding=ROUNDING[a.rounding])
        else:
            amount = a.amount_off.quantize(CENT, rounding=ROUNDING[a.rounding])
        if a.max_amount is not None:
            amount = min(amount, a.max_amount)
        amount = max(min(amount, basis), ZERO).quantize(CENT, rounding=ROUNDING["floor"])  # never beyond it
        planned.append((cand, amount))
        if allowed is not None:
            amount = min(amount, allowed.get(index, amount).quantize(CENT))
        counters = budget_counters(cand, shard)
        for counter, limit in counters:
            if budget_left is not None:
                cents = remaining.get(counter, limit)
                amount = min(amount, (Decimal(max(cents, 0)) / 100).quantize(CENT))
        if amount <= 0:
            skip(BUDGET_EXHAUSTED if counters or allowed is not None else NOTHING_LEFT)
            continue
        for counter, limit in counters:
            if budget_left is not None:
                remaining[counter] = remaining.get(counter, limit) - int(amount * 100)
        skus: tuple[str, ...] = ()
        if chosen:
            for i, off in zip(chosen, _spread(amount, [left_items[i] for i in chosen])):
                left_items[i] -= off
                item_off[i] += off
            skus = tuple(dict.fromkeys(txn.items[i].sku for i in chosen))
        left_basket -= amount
        lines.append(DiscountLine(
            rule=cand.rule.code, rule_version=version, campaign_code=cand.rule_set.campaign_code,
            applies_to="items" if a.filters_items else "basket", skus=skus, percent_off=a.percent_off,
            amount_off=a.amount_off, amount=amount,
            description=_describe(cand, basis, txn.currency, skus=skus, quantity=quantity)))
    return lines, skipped, item_off, planned


def usage_of(lines: Sequence[DiscountLine], kept: Sequence[Candidate], shard: int) -> dict[Counter, int]:
    by_rule = {(c.rule_set.version_label, c.rule.code): c for c in kept}
    usage: dict[Counter, int] = {}
    for line in lines:
        for counter, _ in budget_counters(by_rule[(line.rule_version, line.rule)], shard):
            usage[counter] = usage.get(counter, 0) + int(line.amount * 100)
    return usage


def evaluate(rule_sets: Sequence[RuleSet], txn: Transaction, facts: Facts, *,
             budget_used: Mapping[Counter, int] | None = None, shard: int = 0) -> Discounts:
    """The discounts of one basket, budgets read from `budget_used` (what was spent, in cents)."""
    matched, unavailable = candidates(rule_sets, txn, facts)
    kept, overridden = resolve(matched)
    left = None
    if budget_used is not None:
        left = {}
        for cand in kept:
            for counter, limit in budget_counters(cand, shard):
                left[counter] = limit - budget_used.get(counter, 0)
    lines, skipped, item_off, _ = apply(kept, txn, budget_left=left, shard=shard)
    return Discounts(gross=txn.amount, lines=tuple(lines), skipped=(*unavailable, *overridden, *skipped),
                     item_off=tuple(item_off), usage=usage_of(lines, kept, shard))


def stored(result: Discounts) -> dict:
    """What an earn's posting records of its discounts (compact)."""
    return {"discounts": [{"rule": line.rule, "rule_version": line.rule_version, "amount": str(line.amount),
                           "applies_to": line.applies_to, **({"skus": list(line.skus)} if line.skus else {}),
                           **({"campaign_code": line.campaign_code} if line.campaign_code else {}),
                           "description": line.description} for line in result.lines],
            "net_amount": str(result.net)}


def stored_items(txn: Transaction) -> dict:
    """The basket as the posting records it, so replays see it (compact rows)."""
    if not txn.items:
        return {}
    return {"items": [[i.sku, i.category, str(i.quantity), str(i.price)] for i in txn.items]}


def items_of(details: Mapping) -> tuple[Item, ...]:
    return tuple(Item(sku=row[0], category=row[1], quantity=Decimal(row[2]), price=Decimal(row[3]))
                 for row in details.get("items") or ())
