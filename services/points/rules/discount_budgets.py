"""Discounts with their budgets on PostgreSQL: applied on earn (budgets locked and spent in the
earn's own transaction), and read-only for quotes and dry runs (budgets read, nothing written)."""

import uuid
from collections.abc import Sequence
from decimal import Decimal

import asyncpg

from services.points.rules import discounts, evaluation, repository
from services.points.rules.discounts import Discounts
from services.points.rules.evaluation import Facts, RuleSet, Transaction


def _shard(member_id: uuid.UUID | None) -> int:
    return member_id.int % evaluation.TOTAL_SHARDS if member_id is not None else 0


async def for_earn(
    conn: asyncpg.Connection, sets: Sequence[RuleSet], *, member_id: uuid.UUID | None, txn: Transaction, facts: Facts,
) -> Discounts:
    """The basket's discounts, their campaign budgets taken (locked, clamped, added) when they have
    any: the first pass plans each discount; the database grants what the budgets allow; the second
    pass applies them again capped at that (a discount the first pass did not plan gets nothing
    from a budget it did not reserve)."""
    matched, unavailable = discounts.candidates(sets, txn, facts)
    kept, overridden = discounts.resolve(matched)
    shard = _shard(member_id)
    lines, skipped, item_off, planned = discounts.apply(kept, txn, shard=shard)
    budgeted = [(cand, amount, discounts.budget_counters(cand, shard)) for cand, amount in planned]
    budgeted = [b for b in budgeted if b[2]]
    if budgeted and member_id is not None:
        index = {id(cand): i for i, cand in enumerate(kept)}
        counters = list(dict.fromkeys(c for _, _, cs in budgeted for c, _ in cs))
        granted = await repository.take(
            conn, member_id=member_id, counters=counters, limits={c: limit for _, _, cs in budgeted for c, limit in cs},
            lines=[[c for c, _ in cs] for _, _, cs in budgeted],
            points=[int(amount * 100) for _, amount, _ in budgeted])
        allowed = {i: Decimal(0) for i, cand in enumerate(kept) if discounts.budget_counters(cand, shard)}
        for (cand, _, _), (cents, _) in zip(budgeted, granted):
            allowed[index[id(cand)]] = Decimal(cents) / 100
        lines, skipped, item_off, _ = discounts.apply(kept, txn, allowed=allowed, shard=shard)
    return Discounts(gross=txn.amount, lines=tuple(lines), skipped=(*unavailable, *overridden, *skipped),
                     item_off=tuple(item_off), usage=discounts.usage_of(lines, kept, shard))


async def read_only(
    conn: asyncpg.Connection, sets: Sequence[RuleSet], *, program_id: uuid.UUID, member_id: uuid.UUID | None,
    txn: Transaction, facts: Facts,
) -> Discounts:
    """The same discounts with the budgets as they stand, nothing locked or written (quotes, dry runs)."""
    matched, _ = discounts.candidates(sets, txn, facts)
    kept, _ = discounts.resolve(matched)
    shard = _shard(member_id)
    counters = list(dict.fromkeys(c for cand in kept for c, _ in discounts.budget_counters(cand, shard)))
    # without a member, the per-member budgets read as untouched
    used = await repository.read_usage(conn, program_id=program_id, member_id=member_id,
                                       counters=counters) if counters else {}
    return discounts.evaluate(sets, txn, facts, budget_used=used, shard=shard)


def discount_needs(sets: Sequence[RuleSet], txn: Transaction) -> frozenset[str]:
    out: set[str] = set()
    for rule_set in sets:
        if rule_set.campaign and not rule_set.campaign.active_at(txn.occurred_at):
            continue
        out |= rule_set.discount_needs
    return frozenset(out)
