"""Dry runs: one transaction against a draft, and a replay of real transactions; nothing is posted."""

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Mapping
from decimal import Decimal

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.points.ledger import posting
from services.points.rules import baskets, discount_budgets, discounts, evaluation, model, repository
from services.points.rules.evaluation import Counter, Facts, RuleSet, Transaction
from services.points.rules.policy import base_rate_set, compile_row, load_program_rules


@dataclasses.dataclass(frozen=True)
class DryRun:
    draft: evaluation.Evaluation
    published: evaluation.Evaluation
    draft_discounts: discounts.Discounts = discounts.NONE
    published_discounts: discounts.Discounts = discounts.NONE


@dataclasses.dataclass(frozen=True)
class Replay:
    transactions: int
    published_points: int
    draft_points: int
    members_affected: int
    campaigns: dict[str, tuple[int, int]]  # code -> (published, draft)
    truncated: bool
    discount_totals: tuple[Decimal, Decimal] = (Decimal(0), Decimal(0))  # (published, draft)


async def _draft_sets(
    conn: asyncpg.Connection, *, code: str, rules_json: str
) -> tuple[list[RuleSet], list[RuleSet]]:
    """(published sets, the same with `code` replaced by its draft)."""
    published = list((await load_program_rules(conn)).rule_sets)
    row = await repository.rule_set(conn, code)
    if row is None:
        raise not_found("rule set", code)
    if rules_json:
        rules = model.parse_rules_json(rules_json)
    else:
        draft = await repository.draft(conn, row["id"])
        if draft is None:
            raise invalid("ruleSetCode", f"rule set {code!r} has no draft; send draftRulesJson or save one")
        rules = draft["rules"]
    meta = {"code": row["code"], "scope": row["scope"], "scope_ref": row["scope_ref"], "campaign_code": None}
    if row["scope"] == "campaign":
        campaign = await repository.campaign(conn, row["scope_ref"])
        if campaign is not None:
            meta.update(campaign_code=campaign["code"], starts_at=campaign["starts_at"], ends_at=campaign["ends_at"],
                        targets=campaign["targets"], budget_total=campaign["budget_total"],
                        budget_per_member=campaign["budget_per_member"],
                        discount_budget_total=campaign["discount_budget_total"],
                        discount_budget_per_member=campaign["discount_budget_per_member"])
    drafted = compile_row(meta, rules=rules, version=0)
    return published, [s for s in published if s.code != code] + [drafted]


def _with_base(sets: list[RuleSet], program) -> list[RuleSet]:
    return sets if any(s.scope == "program" for s in sets) else [base_rate_set(program), *sets]


async def _facts(facts_source, program_id, member_id, sets, txn) -> Facts:
    needs = evaluation.needs(sets, txn) | discount_budgets.discount_needs(sets, txn)
    return await facts_source.fetch(program_id=program_id, member_id=member_id, needs=needs)


class _ReplayUsage(Mapping):
    """One variant's counters within a replay, seen from one member (per-member counters are theirs)."""

    def __init__(self, usage: dict, member_id):
        self._usage, self._member = usage, member_id

    def _key(self, counter: Counter):
        return (self._member if counter.member else None, counter)

    def __getitem__(self, counter: Counter) -> int:
        return self._usage.get(self._key(counter), 0)

    def __iter__(self):
        return iter(c for _, c in self._usage)

    def __len__(self) -> int:
        return len(self._usage)

    def add(self, used: Mapping[Counter, int]) -> None:
        for counter, points in used.items():
            key = self._key(counter)
            self._usage[key] = self._usage.get(key, 0) + points


async def dry_run_earn(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, facts_source, request: baskets.BasketQuery, rule_set_code: str,
    draft_rules_json: str,
) -> DryRun:
    async with tenant_tx(pool, program_id) as conn:
        basket = await baskets.load(conn, program_id=program_id, request=request)
        program, member_id, txn = basket.program, basket.member_id, basket.txn
        if rule_set_code:
            published, drafted = await _draft_sets(conn, code=rule_set_code, rules_json=draft_rules_json)
        else:
            published = list((await load_program_rules(conn)).rule_sets)
            drafted = published
        published, drafted = _with_base(published, program), _with_base(drafted, program)
        facts = await _facts(facts_source, program_id, member_id, [*published, *drafted], txn)
        results, discounted = [], []
        for sets in (drafted, published):
            off = await discount_budgets.read_only(conn, sets, program_id=program_id, member_id=member_id, txn=txn,
                                              facts=facts)
            paid = off.net_transaction(txn)  # points on the amount after discounts, as on earn
            matched, notes = evaluation.candidates(sets, paid, facts)
            planned = evaluation.plan(evaluation.resolve_overrides(matched), paid, facts,
                                      shard=member_id.int % evaluation.TOTAL_SHARDS if member_id else 0)
            counters = evaluation.needed_counters(planned)
            used = await repository.read_usage(conn, program_id=program_id, member_id=member_id,
                                               counters=counters) if member_id else {}
            results.append(evaluation.apply_caps(planned, used=used, notes=notes))
            discounted.append(off)
    return DryRun(draft=results[0], published=results[1], draft_discounts=discounted[0],
                  published_discounts=discounted[1])


async def replay(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, facts_source, rule_set_code: str, days: int,
    max_transactions: int = 0, now: dt.datetime | None = None,
) -> Replay:
    """The last N days of earns under the published rules and under the draft, caps and budgets
    counted from zero within the replay (so both variants are compared on equal terms)."""
    if not 1 <= days <= 90:
        raise invalid("days", "must be between 1 and 90")
    limit = max_transactions or 10_000
    if not 1 <= limit <= 100_000:
        raise invalid("maxTransactions", "must be between 1 and 100000")
    since = (now or posting.now()) - dt.timedelta(days=days)
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        published, drafted = await _draft_sets(conn, code=rule_set_code, rules_json="")
        rows = await repository.earn_transactions(conn, since=since, limit=limit + 1)
    published, drafted = _with_base(published, program), _with_base(drafted, program)
    truncated = len(rows) > limit
    rows = rows[:limit]
    usage = ({}, {})  # per variant: (member or None, Counter) -> points
    totals = ([0, 0])
    per_member: dict[uuid.UUID, list[int]] = defaultdict(lambda: [0, 0])
    campaigns: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    facts_cache: dict[uuid.UUID, Facts] = {}
    discount_totals = [Decimal(0), Decimal(0)]
    for row in rows:
        details = row["details"] or {}
        # the basket as the earn recorded it (earns posted before baskets were recorded have none)
        txn = Transaction(amount=Decimal(row["amount"]), currency=row["currency"] or program["currency"],
                          occurred_at=row["occurred_at"], timezone=program["timezone"],
                          channel=details.get("channel") or "", location=details.get("location_code") or "",
                          partner=details.get("partner_code") or "", items=discounts.items_of(details))
        member_id = row["member_id"]
        if member_id not in facts_cache:
            facts_cache[member_id] = await _facts(facts_source, program_id, member_id, [*published, *drafted], txn)
        facts = facts_cache[member_id]
        for variant, sets in enumerate((published, drafted)):
            seen = _ReplayUsage(usage[variant], member_id)
            off = discounts.evaluate(sets, txn, facts, budget_used=seen)
            seen.add(off.usage)
            discount_totals[variant] += off.total
            paid = off.net_transaction(txn)
            matched, notes = evaluation.candidates(sets, paid, facts)
            planned = evaluation.plan(evaluation.resolve_overrides(matched), paid, facts)
            counters = evaluation.needed_counters(planned)
            result = evaluation.apply_caps(planned, used={c: seen[c] for c in counters}, notes=notes)
            seen.add(result.usage)
            totals[variant] += result.points
            per_member[member_id][variant] += result.points
            for line in result.lines:
                if line.campaign_code:
                    campaigns[line.campaign_code][variant] += line.points
    return Replay(
        transactions=len(rows), published_points=totals[0], draft_points=totals[1],
        members_affected=sum(1 for a, b in per_member.values() if a != b),
        campaigns={k: (v[0], v[1]) for k, v in sorted(campaigns.items())}, truncated=truncated,
        discount_totals=(discount_totals[0], discount_totals[1]),
    )


async def explain(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str) -> asyncpg.Record:
    validation.reference(reference)
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.transaction(conn, reference)
    if row is None:
        raise not_found("transaction", reference)
    return row


__all__ = ["Counter", "DryRun", "Replay", "dry_run_earn", "replay", "explain"]
