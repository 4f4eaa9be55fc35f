"""RulesEarnPolicy: the ledger's EarnPolicy backed by the program's published rule sets.

The hot path: one small query for the program's rules revision (a cache key; no rules ever
published -> the flat rate), the compiled rule sets from a per-process cache, member facts only
when the candidate rules read them, and usage counters only when a matching rule has a cap or a
campaign budget. Everything runs on the earn's own connection and transaction, so the counters
commit or roll back with the posting.
"""

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Collection
from decimal import Decimal, InvalidOperation

import asyncpg

from services.common.errors import invalid
from services.points.ledger.earn_policy import EarnQuote, FactsNeeded, FlatRatePolicy
from services.points.ledger.expiry import lot_expiry
from services.points.rules import caps, discount_budgets, discounts, evaluation, model, repository, usage
from services.points.rules.evaluation import Campaign, Facts, Item, RuleSet, Transaction


@dataclasses.dataclass(frozen=True)
class CompiledProgram:
    revision: int
    rule_sets: tuple[RuleSet, ...]

    @functools.cached_property
    def index(self) -> evaluation.RuleIndex:
        return evaluation.RuleIndex(self.rule_sets)

    @functools.cached_property
    def earns(self) -> bool:
        return any(r.type == "earn" for s in self.rule_sets for r in s.rules)

    @functools.cached_property
    def discounts(self) -> bool:
        return discounts.has_discounts(self.rule_sets)

    @functools.cached_property
    def discount_budgets(self) -> bool:
        """Some discount draws on a campaign budget: the earn takes it before its points."""
        return any(s.discount_rules and s.campaign and (s.campaign.discount_budget_total
                                                        or s.campaign.discount_budget_per_member)
                   for s in self.rule_sets)

    def of_type(self, rule_type: str) -> list[tuple[RuleSet, model.Rule]]:
        return [(s, r) for s in self.rule_sets for r in s.rules if r.type == rule_type]


def base_rate_set(program: asyncpg.Record) -> RuleSet:
    """The flat rate as the program's base rule set, for programs that publish no program-scope set."""
    rule = model.compile_rules([{"code": "base-rate", "type": "earn",
                                 "action": {"points_per_unit": str(program["earn_rate"]), "rounding": "floor"}}])[0]
    return RuleSet(code="base-rate", version=0, scope="program", scope_ref="", rules=(rule,))


def compile_row(row: asyncpg.Record | dict, rules: list | None = None, version: int | None = None) -> RuleSet:
    campaign = None
    if row["scope"] == "campaign":
        if row.get("campaign_code"):
            campaign = Campaign(code=row["campaign_code"], starts_at=row["starts_at"], ends_at=row["ends_at"],
                                targets=row["targets"] or {}, budget_total=row["budget_total"],
                                budget_per_member=row["budget_per_member"],
                                discount_budget_total=row.get("discount_budget_total") or Decimal(0),
                                discount_budget_per_member=row.get("discount_budget_per_member") or Decimal(0))
        else:  # a campaign set whose campaign is missing or archived never applies
            campaign = Campaign(code=row["scope_ref"], starts_at=dt.datetime.max.replace(tzinfo=dt.timezone.utc),
                                ends_at=dt.datetime.max.replace(tzinfo=dt.timezone.utc), targets={})
    compiled = model.compile_rules(rules if rules is not None else row["rules"])
    return RuleSet(code=row["code"], version=row["version"] if version is None else version, scope=row["scope"],
                   scope_ref=row["scope_ref"], rules=tuple(compiled), campaign=campaign)


async def load_program_rules(conn: asyncpg.Connection) -> CompiledProgram:
    rows = await repository.published_sets(conn)
    return CompiledProgram(revision=0, rule_sets=tuple(compile_row(r) for r in rows))


def transaction_of(request, *, program: asyncpg.Record, amount: Decimal, occurred_at: dt.datetime) -> Transaction:
    items = []
    for i, item in enumerate(getattr(request, "items", ())):
        try:
            quantity = Decimal(item.quantity) if item.quantity else Decimal(1)
            price = Decimal(item.price) if item.price else Decimal(0)
        except InvalidOperation:
            raise invalid(f"items[{i}]", "quantity and price must be decimal strings") from None
        if not quantity.is_finite() or not price.is_finite() or quantity <= 0 or price < 0:
            raise invalid(f"items[{i}]", "quantity must be positive and price not negative")
        items.append(Item(sku=item.sku, category=item.category, quantity=quantity, price=price))
    return Transaction(amount=amount, currency=program["currency"], occurred_at=occurred_at,
                       timezone=program["timezone"], channel=request.channel, location=request.location_code,
                       partner=request.partner_code, items=tuple(items))


def with_base(sets: list[RuleSet], program: asyncpg.Record) -> list[RuleSet]:
    return sets if any(s.scope == "program" for s in sets) else [base_rate_set(program), *sets]


def to_quote(result: evaluation.Evaluation, *, program: asyncpg.Record, occurred_at: dt.datetime,
             txn: Transaction, discounted: discounts.Discounts = discounts.NONE) -> EarnQuote:
    lines = result.lines  # evaluation.Line is an EarnLine
    days = [line.expiry_days for line in result.lines if line.expiry_days and line.points > 0]
    override = lot_expiry(earned_at=occurred_at, days=max(days), round_to_month_end=False,
                          timezone=program["timezone"]) if days else None
    # the basket, so replays see it; the discounts granted; what caps and budgets were used (voids)
    details = discounts.stored_items(txn)
    if discounted.lines:
        details.update(discounts.stored(discounted))
    used = {**discounted.usage, **result.usage}
    if used:
        details["rule_usage"] = usage.encode(used)
    return EarnQuote(points=max(result.points, 0), lines=lines, expires_at_override=override, details=details)


class RulesEarnPolicy:
    def __init__(self, facts, *, fallback=None):
        self._facts = facts
        self._fallback = fallback or FlatRatePolicy()
        self._cache: dict[uuid.UUID, CompiledProgram] = {}
        self._caps = caps.Caps()

    def invalidate(self, program_id: uuid.UUID) -> None:
        self._cache.pop(program_id, None)

    async def program_rules(self, conn: asyncpg.Connection, program_id: uuid.UUID) -> CompiledProgram | None:
        return await self._fresh(conn, program_id, await repository.revision(conn))

    async def _fresh(self, conn: asyncpg.Connection, program_id: uuid.UUID, current: int | None
                     ) -> CompiledProgram | None:
        if current is None:
            return None
        cached = self._cache.get(program_id)
        if cached is not None and cached.revision == current:
            return cached
        loaded = await load_program_rules(conn)
        compiled = dataclasses.replace(loaded, revision=current)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[program_id] = compiled
        return compiled

    async def fetch_facts(self, *, program_id: uuid.UUID, member_id: uuid.UUID, needs: frozenset[str]) -> Facts:
        fetched = await self._facts.fetch(program_id=program_id, member_id=member_id, needs=needs)
        return dataclasses.replace(fetched, asked=fetched.asked | needs)

    async def quote(self, conn, *, program, member_id, request, amount, occurred_at, facts=None) -> EarnQuote:
        cached = self._cache.get(program["id"])
        if cached is not None and not cached.discount_budgets:  # the usual case: see _quote_cached
            quoted = await self._quote_cached(conn, cached, program=program, member_id=member_id, request=request,
                                              amount=amount, occurred_at=occurred_at, fetched=facts)
            if quoted is not None:
                return quoted
        compiled = await self.program_rules(conn, program["id"])
        if compiled is None or not (compiled.earns or compiled.discounts):
            return await self._fallback.quote(conn, program=program, member_id=member_id, request=request,
                                              amount=amount, occurred_at=occurred_at)
        txn = transaction_of(request, program=program, amount=amount, occurred_at=occurred_at)
        sets = with_base(compiled.index.sets_for(txn), program)
        facts = self._facts_for(compiled, sets, member_id=member_id, txn=txn, fetched=facts)
        discounted = discounts.NONE
        if compiled.discounts:  # points are earned on what is paid: the amount after discounts
            discounted = await discount_budgets.for_earn(conn, sets, member_id=member_id, txn=txn, facts=facts)
        paid = discounted.net_transaction(txn)
        if not compiled.earns:
            flat = await self._fallback.quote(conn, program=program, member_id=member_id, request=request,
                                              amount=paid.amount, occurred_at=occurred_at)
            details = {**discounts.stored_items(txn), **(discounts.stored(discounted) if discounted.lines else {})}
            if discounted.usage:
                details["rule_usage"] = usage.encode(discounted.usage)
            return dataclasses.replace(flat, details=details)
        result = await evaluate_for(conn, sets, program=program, member_id=member_id, txn=paid,
                                    facts_source=self._facts, record=True, facts=facts)
        return to_quote(result, program=program, occurred_at=occurred_at, txn=txn, discounted=discounted)

    @staticmethod
    def _facts_for(compiled: CompiledProgram, sets, *, member_id, txn, fetched: Facts | None) -> Facts:
        """The member facts the rules read: none, or those fetched before the transaction opened
        (FactsNeeded: the earn fetches them with no connection held and quotes again)."""
        needs = evaluation.needs(sets, txn)
        if compiled.discounts:
            needs |= discount_budgets.discount_needs(sets, txn)
        if not needs or member_id is None:
            return Facts()
        if fetched is None or not needs <= fetched.asked:
            raise FactsNeeded(member_id, needs | (fetched.asked if fetched is not None else frozenset()))
        return fetched

    async def _quote_cached(self, conn, cached: CompiledProgram, *, program, member_id, request, amount,
                            occurred_at, fetched: Facts | None) -> EarnQuote | None:
        """Evaluate with the cached rules, then check the revision and take the caps in one round
        trip (rules_take runs only if the revision still matches). None: the rules changed; start over."""
        if not cached.earns and not cached.discounts:
            if await repository.revision(conn) != cached.revision:
                return None
            return await self._fallback.quote(conn, program=program, member_id=member_id, request=request,
                                              amount=amount, occurred_at=occurred_at)
        if not cached.earns:
            return None  # discounts only: the plain path
        txn = transaction_of(request, program=program, amount=amount, occurred_at=occurred_at)
        sets = with_base(cached.index.sets_for(txn), program)
        facts = self._facts_for(cached, sets, member_id=member_id, txn=txn, fetched=fetched)
        discounted = discounts.evaluate(sets, txn, facts) if cached.discounts else discounts.NONE  # no budgets
        prepared = await prepare(sets, program=program, member_id=member_id, txn=discounted.net_transaction(txn),
                                 facts_source=self._facts, facts=facts)
        result = await self._caps.take(conn, prepared, program_id=program["id"], revision=cached.revision,
                                       member_id=member_id)
        if result is None:
            return None
        return to_quote(result, program=program, occurred_at=occurred_at, txn=txn, discounted=discounted)


@dataclasses.dataclass(frozen=True)
class Prepared:
    """An evaluation up to the caps that need the database."""

    planned: list[evaluation.Planned]
    notes: list[evaluation.Line]
    counters: list[evaluation.Counter]

    def wants(self) -> dict[evaluation.Counter, int]:
        """The most each counter could be asked for (its lines' points before clamping)."""
        out: dict[evaluation.Counter, int] = {}
        for p in self.planned:
            for c, _ in p.counters:
                out[c] = out.get(c, 0) + p.points
        return out

    def take_arguments(self, without: Collection[evaluation.Counter] = ()) -> dict:
        return {"counters": [c for c in self.counters if c not in without],
                "limits": {c: limit for p in self.planned for c, limit in p.counters if c not in without},
                "lines": [[c for c, _ in p.counters if c not in without] for p in self.planned],
                "points": [p.points for p in self.planned]}


async def prepare(
    rule_sets, *, program: asyncpg.Record, member_id: uuid.UUID | None, txn: Transaction, facts_source,
    facts: Facts | None = None,
) -> Prepared:
    sets = rule_sets.sets_for(txn) if isinstance(rule_sets, evaluation.RuleIndex) else list(rule_sets)
    if not any(s.scope == "program" for s in sets):
        sets.insert(0, base_rate_set(program))
    if facts is None:
        facts = await facts_source.fetch(program_id=program["id"], member_id=member_id,
                                         needs=evaluation.needs(sets, txn))
    matched, notes = evaluation.candidates(sets, txn, facts)
    kept = evaluation.resolve_overrides(matched)
    shard = member_id.int % evaluation.TOTAL_SHARDS if member_id is not None else 0
    planned = evaluation.plan(kept, txn, facts, shard=shard)
    return Prepared(planned=planned, notes=notes, counters=evaluation.needed_counters(planned))


async def evaluate_for(
    conn: asyncpg.Connection, rule_sets, *, program: asyncpg.Record, member_id: uuid.UUID | None, txn: Transaction,
    facts_source, record: bool, facts: Facts | None = None,
) -> evaluation.Evaluation:
    """Evaluate with the member's facts and usage so far; `record` locks and adds to the counters."""
    prepared = await prepare(rule_sets, program=program, member_id=member_id, txn=txn, facts_source=facts_source,
                             facts=facts)
    planned, notes, counters = prepared.planned, prepared.notes, prepared.counters
    if not counters or member_id is None:
        return evaluation.apply_caps(planned, used={}, notes=notes)
    if record:  # one round trip: lock the counters, clamp, add
        granted = await repository.take(conn, member_id=member_id, **prepared.take_arguments())
        return evaluation.with_granted(planned, granted, notes=notes)
    used = await repository.read_usage(conn, program_id=program["id"], member_id=member_id, counters=counters)
    return evaluation.apply_caps(planned, used=used, notes=notes)
