"""Evaluating published rule sets against one transaction: pure functions, no I/O.

Order of work (docs/rules.md):
1. Which rule sets apply: the program's base sets always; a partner/location set when the
   transaction names it; a club/tier set when the member is in it; a campaign when the
   transaction falls inside its window and the member/transaction matches its targets.
2. Which earn rules match: their JsonLogic condition over the context.
3. Precedence: campaign (3) over tier (2) over partner/club/location (1) over program base (0),
   then `priority`. A matching `override` rule drops every lower-precedence match of the same
   kind (rate, multiplier or bonus); `stack` rules add.
4. Points: rate rules (amount or matching items x points_per_unit, own multiplier, rounding,
   plus points_per_item and fixed bonus); bonus rules (fixed bonus); multiplier rules add
   (m - 1) x the rate points that survived. Then caps: per transaction, per member per local
   day, per member (per campaign), and the campaign's budget per member and in total.
"""

import dataclasses
import datetime as dt
import functools
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal

from services.points.ledger.earn_policy import EarnLine
from services.points.rules.model import LEVELS, ROUNDING, Context, Rule

DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
FACT_NAMES = {"tier": "tier service", "segments": "member segments", "clubs": "club memberships",
              "member": "member profile"}


@dataclasses.dataclass(frozen=True)
class Item:
    sku: str
    category: str
    quantity: Decimal
    price: Decimal


@dataclasses.dataclass(frozen=True)
class Transaction:
    amount: Decimal
    currency: str
    occurred_at: dt.datetime
    timezone: str
    channel: str = ""
    location: str = ""
    partner: str = ""
    items: tuple[Item, ...] = ()

    def local_time(self) -> dt.datetime:
        return self.occurred_at.astimezone(zoneinfo.ZoneInfo(self.timezone))


@dataclasses.dataclass(frozen=True)
class Facts:
    """What the member is, fetched only when the rules ask; `unavailable` lists facts that failed."""

    tiers: tuple[str, ...] = ()
    tier_multiplier: Decimal | None = None
    segments: tuple[str, ...] = ()
    clubs: tuple[str, ...] = ()
    birth_date: dt.date | None = None
    enrolled_at: dt.datetime | None = None
    unavailable: frozenset[str] = frozenset()
    asked: frozenset[str] = frozenset()  # what was fetched (an earn fetches before its transaction)


@dataclasses.dataclass(frozen=True)
class Campaign:
    code: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    targets: Mapping[str, Sequence[str]]
    budget_total: int = 0
    budget_per_member: int = 0
    discount_budget_total: Decimal = Decimal(0)  # money; 0: unlimited
    discount_budget_per_member: Decimal = Decimal(0)

    def active_at(self, at: dt.datetime) -> bool:
        return self.starts_at <= at < self.ends_at

    @property
    def needs(self) -> frozenset[str]:
        need = {"segments": "segments", "tiers": "tier", "clubs": "clubs"}
        return frozenset(need[k] for k, v in self.targets.items() if v and k in need)


@dataclasses.dataclass(frozen=True)
class RuleSet:
    code: str
    version: int
    scope: str
    scope_ref: str
    rules: tuple[Rule, ...]
    campaign: Campaign | None = None

    @functools.cached_property
    def level(self) -> int:
        return LEVELS[self.scope]

    @functools.cached_property
    def version_label(self) -> str:
        return f"{self.code}@v{self.version}" if self.version else f"{self.code}@draft"

    @functools.cached_property
    def earn_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.type == "earn")

    @functools.cached_property
    def discount_rules(self) -> tuple[Rule, ...]:
        return tuple(r for r in self.rules if r.type == "discount")

    @functools.cached_property
    def discount_needs(self) -> frozenset[str]:
        """Facts needed to know whether the set applies, and what its discount rules read."""
        if not self.discount_rules:
            return frozenset()
        return frozenset(self.scope_needs.union(*(r.needs for r in self.discount_rules)))

    @functools.cached_property
    def budgeted(self) -> bool:
        """A campaign set with a points budget: its lines are counted."""
        return bool(self.campaign and (self.campaign.budget_total or self.campaign.budget_per_member))

    @functools.cached_property
    def campaign_code(self) -> str:
        return self.campaign.code if self.campaign else ""

    @functools.cached_property
    def scope_needs(self) -> frozenset[str]:
        """Facts needed to know whether the set applies at all."""
        if self.scope == "tier":
            return frozenset({"tier"})
        if self.scope == "club":
            return frozenset({"clubs"})
        return self.campaign.needs if self.campaign else frozenset()

    @functools.cached_property
    def earn_entries(self) -> tuple["_Entry", ...]:
        return tuple(_Entry(rule, self) for rule in self.earn_rules)

    @functools.cached_property
    def discount_entries(self) -> tuple["_Entry", ...]:
        return tuple(_Entry(rule, self) for rule in self.discount_rules)

    @functools.cached_property
    def lines(self) -> dict:
        """Lines that are the same at every earn (a fixed bonus given in full), made once: rule code -> Line."""
        return {}

    @functools.cached_property
    def needs(self) -> frozenset[str]:
        """Facts needed to know whether the set applies, and what its earn rules read."""
        out = set(self.scope_needs)
        for rule in self.rules:
            if rule.type == "earn":
                out |= rule.needs
        return frozenset(out)


@dataclasses.dataclass(frozen=True)
class Line(EarnLine):
    """A breakdown line as the ledger takes it (EarnLine), with what the posting's expiry needs."""

    expiry_days: int | None = None


@dataclasses.dataclass(frozen=True)
class Counter:
    """A usage counter a cap reads and the posting adds to (see rule_usage)."""

    kind: str  # rule_day, rule_member, campaign_member, campaign_total
    key: str
    member: bool = True
    day: dt.date | None = None
    shard: int = 0  # campaign_total: the share this member's earns lock (the budget reads them all)


class _Entry:
    """What a rule set's rule needs to be tested and ranked, worked out once per compiled rule set
    instead of at every earn (the match loop runs over every candidate rule of every earn)."""

    __slots__ = ("rule", "always", "native", "basket", "skus", "categories", "needs", "precedence")

    def __init__(self, rule: Rule, rule_set: RuleSet):
        self.rule = rule
        self.always = rule.compiled is None
        self.native = rule.native
        self.basket = rule.needs_basket_items
        self.skus, self.categories = rule.action.item_skus, rule.action.item_categories
        self.needs = rule.needs
        self.precedence = (rule_set.level, rule.priority)


class Candidate:
    """A matching rule of an applicable rule set (a plain slotted class: the hot path makes many)."""

    __slots__ = ("rule", "rule_set", "order", "precedence", "sort_key")

    def __init__(self, *, rule: Rule, rule_set: RuleSet, order: int, precedence: tuple[int, int] | None = None):
        self.rule = rule
        self.rule_set = rule_set
        self.order = order
        self.precedence = precedence or (rule_set.level, rule.priority)
        self.sort_key = (-self.precedence[0], -self.precedence[1], order)

    @property
    def key(self) -> str:
        return f"{self.rule_set.code}:{self.rule.code}"


@dataclasses.dataclass(frozen=True)
class Evaluation:
    lines: tuple[Line, ...]
    usage: Mapping[Counter, int]  # points to add to each counter when posted

    @property
    def points(self) -> int:
        return sum(line.points for line in self.lines)


def context(txn: Transaction, facts: Facts) -> dict:
    """The documented variables a condition may read (docs/rules.md)."""
    local = txn.local_time()
    items = [{"sku": i.sku, "category": i.category, "quantity": float(i.quantity), "price": float(i.price)}
             for i in txn.items]
    out = {
        "amount": float(txn.amount), "currency": txn.currency, "channel": txn.channel, "location": txn.location,
        "partner": txn.partner, "items": items, "skus": sorted({i.sku for i in txn.items if i.sku}),
        "categories": sorted({i.category for i in txn.items if i.category}),
        "item_count": float(sum((i.quantity for i in txn.items), Decimal(0))),
        "day_of_week": local.isoweekday(), "weekday": DAY_NAMES[local.weekday()], "hour": local.hour,
        "date": local.date().isoformat(), "month": local.month,
        "tier": facts.tiers[0] if facts.tiers else "", "tiers": list(facts.tiers),
        "segments": list(facts.segments), "clubs": list(facts.clubs),
        "birth_month": facts.birth_date.month if facts.birth_date else None,
        "is_birthday_month": bool(facts.birth_date and facts.birth_date.month == local.month),
        "days_since_enrolment": (local.date() - facts.enrolled_at.astimezone(local.tzinfo).date()).days
        if facts.enrolled_at else None,
    }
    return out


def set_applies(rule_set: RuleSet, txn: Transaction, facts: Facts) -> bool:
    if rule_set.scope == "program":
        return True
    if rule_set.scope == "partner":
        return rule_set.scope_ref == txn.partner
    if rule_set.scope == "location":
        return rule_set.scope_ref == txn.location
    if rule_set.scope == "club":
        return rule_set.scope_ref in facts.clubs
    if rule_set.scope == "tier":
        return rule_set.scope_ref in facts.tiers
    campaign = rule_set.campaign
    if campaign is None or not campaign.active_at(txn.occurred_at):
        return False
    have = {"segments": facts.segments, "tiers": facts.tiers, "clubs": facts.clubs,
            "partners": (txn.partner,), "locations": (txn.location,)}
    return all(not wanted or set(wanted) & set(have.get(kind, ())) for kind, wanted in campaign.targets.items())


def _missing(needs: Iterable[str], facts: Facts) -> list[str]:
    if not facts.unavailable:
        return []
    return sorted(n for n in needs if n in facts.unavailable)


def _not_applied(missing: list[str]) -> str:
    return "not applied: " + ", ".join(FACT_NAMES[m] for m in missing) + " unavailable"


def candidates(rule_sets: Sequence[RuleSet], txn: Transaction, facts: Facts) -> tuple[list[Candidate], list[Line]]:
    """The matching earn rules, and a zero line for each set or rule left out for want of a fact."""
    return matching(rule_sets, txn, facts, rules_of=_earn_rules)


def _earn_rules(rule_set: RuleSet) -> tuple[_Entry, ...]:
    return rule_set.earn_entries


def matching(rule_sets: Sequence[RuleSet], txn: Transaction, facts: Facts, *, rules_of
             ) -> tuple[list[Candidate], list[Line]]:
    """The rules (of each set, `rules_of(set)`: its earn or discount entries) whose condition holds, in
    document order."""
    values = context(txn, facts)
    ctx = Context(values)
    unavailable = facts.unavailable
    basket_skus, basket_categories = frozenset(values["skus"]), frozenset(values["categories"])
    matched: list[Candidate] = []
    notes: list[Line] = []
    order = 0
    for rule_set in rule_sets:
        rules = rules_of(rule_set)
        if not rules:
            continue
        missing = _missing(rule_set.scope_needs, facts)
        if missing:
            if rule_set.scope != "campaign" or rule_set.campaign.active_at(txn.occurred_at):
                notes.append(Line(rule=rule_set.code, points=0, point_type="base", rule_version=rule_set.version_label,
                                  description=_not_applied(missing), campaign_code=rule_set.campaign_code))
            continue
        if rule_set.scope != "program" and not set_applies(rule_set, txn, facts):
            continue
        for entry in rules:
            order += 1
            if entry.basket and not (entry.skus & basket_skus or entry.categories & basket_categories):
                continue
            rule = entry.rule
            if unavailable and entry.needs & unavailable:
                notes.append(Line(rule=rule.code, points=0, point_type=rule.action.point_type,
                                  rule_version=rule_set.version_label, campaign_code=rule_set.campaign_code,
                                  description=_not_applied(_missing(rule.needs, facts))))
                continue
            # a native predicate (native.py) when the condition has one: no JSON, no call into Rust
            native = entry.native
            if entry.always or (native(values) if native is not None else rule.matches(ctx)):
                matched.append(Candidate(rule=rule, rule_set=rule_set, order=order, precedence=entry.precedence))
    return matched, notes


def resolve_overrides(matched: Sequence[Candidate]) -> list[Candidate]:
    """Highest precedence first; an override rule drops lower-precedence matches of its kind."""
    ordered = sorted(matched, key=lambda c: c.sort_key)
    kept: list[Candidate] = []
    overridden: dict[str, tuple[int, int]] = {}  # kind -> precedence of the override in force
    for cand in ordered:
        kind = cand.rule.action.kind
        if kind in overridden and cand.precedence < overridden[kind]:
            continue
        kept.append(cand)
        if cand.rule.mode == "override" and kind not in overridden:
            overridden[kind] = cand.precedence
    return kept


def _round(value: Decimal, mode: str) -> int:
    return int(value.to_integral_value(rounding=ROUNDING[mode]))


def _item_basis(rule: Rule, txn: Transaction) -> tuple[Decimal, Decimal]:
    """(subtotal, quantity) of the items the rule's action names."""
    a = rule.action
    chosen = [i for i in txn.items if i.sku in a.item_skus or i.category in a.item_categories]
    return (sum((i.price * i.quantity for i in chosen), Decimal(0)), sum((i.quantity for i in chosen), Decimal(0)))


def raw_points(cand: Candidate, txn: Transaction, facts: Facts, rate_total: int) -> tuple[int, str]:
    """Points of one rule before caps, and how they were reached."""
    a = cand.rule.action
    kind = a.kind
    if kind == "rate":
        basis, quantity = (_item_basis(cand.rule, txn) if a.filters_items else (txn.amount, Decimal(0)))
        value = basis * (a.points_per_unit or 0) + quantity * a.points_per_item
        if a.multiplier is not None:
            value *= a.multiplier
        points = _round(value, a.rounding) + a.fixed_bonus
        parts = []
        if a.points_per_unit is not None:
            parts.append(f"{a.rate_text} per {txn.currency} on {basis:f}")
        if a.points_per_item:
            parts.append(f"{a.points_per_item} per item x {quantity:f}")
        if a.multiplier is not None:
            parts.append(f"x{a.multiplier}")
        if a.fixed_bonus:
            parts.append(f"+{a.fixed_bonus} bonus")
        return points, ", ".join(parts)
    if kind == "multiplier":
        multiplier = facts.tier_multiplier if a.multiplier_from_tier else a.multiplier
        if multiplier is None:
            return 0, "no tier multiplier"
        points = _round(Decimal(rate_total) * (multiplier - 1), a.rounding) + a.fixed_bonus
        source = " (tier)" if a.multiplier_from_tier else ""
        return max(points, 0), f"x{multiplier}{source} on {rate_total} points"
    return a.fixed_bonus, a.bonus_text


TOTAL_SHARDS = 16


def counters(cand: Candidate, member_day: dt.date, shard: int = 0) -> list[tuple[Counter, int]]:
    """The counters a rule's caps and its campaign's budgets read, each with its limit. Only rules
    with a cap or a budget have any: the others cost the earn nothing."""
    a = cand.rule.action
    if not a.counted and not cand.rule_set.budgeted:
        return []
    out: list[tuple[Counter, int]] = []
    if a.cap_per_day:
        out.append((Counter("rule_day", cand.key, day=member_day), a.cap_per_day))
    if a.cap_per_member:
        out.append((Counter("rule_member", cand.key), a.cap_per_member))
    campaign = cand.rule_set.campaign
    if campaign and campaign.budget_per_member:
        out.append((Counter("campaign_member", campaign.code), campaign.budget_per_member))
    if campaign and campaign.budget_total:
        out.append((Counter("campaign_total", campaign.code, member=False, shard=shard), campaign.budget_total))
    return out


@dataclasses.dataclass
class Planned:
    """One kept rule's points before the caps that need the database (day, member, budgets)."""

    cand: Candidate
    points: int
    notes: list[str]
    counters: list[tuple[Counter, int]]


def plan(kept: Sequence[Candidate], txn: Transaction, facts: Facts, *, shard: int = 0) -> list[Planned]:
    """Rate rules first (their per-transaction caps applied), then multipliers on the rate points
    that survived, then bonuses. Lines with no points need no counters."""
    member_day = txn.local_time().date()
    out: list[Planned] = []
    rate_total = 0
    ordered = [c for c in kept if c.rule.action.kind == "rate"] + [c for c in kept if c.rule.action.kind != "rate"]
    for cand in ordered:
        a = cand.rule.action
        points, how = raw_points(cand, txn, facts, rate_total)
        notes = [how] if how else []
        if a.cap_per_transaction and points > a.cap_per_transaction:
            points = a.cap_per_transaction
            notes.append(f"capped at {a.cap_per_transaction} per transaction")
        if a.kind == "rate":
            rate_total += points
        out.append(Planned(cand=cand, points=points, notes=notes,
                           counters=counters(cand, member_day, shard) if points > 0 else []))
    return out


def needed_counters(planned: Sequence[Planned]) -> list[Counter]:
    seen: dict[Counter, None] = {}
    for p in planned:
        for counter, _ in p.counters:
            seen[counter] = None
    return list(seen)


def _line(p: Planned, points: int, notes: list[str]) -> Line:
    rule, rule_set = p.cand.rule, p.cand.rule_set
    a = rule.action
    description = notes[0] if len(notes) == 1 else "; ".join(notes)
    constant = a.kind == "bonus" and points == a.fixed_bonus and description is a.bonus_text
    if constant:  # a fixed bonus given in full: the same line at every earn (Lines are frozen)
        line = rule_set.lines.get(rule.code)
        if line is not None:
            return line
    line = Line(rule=rule.code, points=points, point_type=a.point_type, rule_version=rule_set.version_label,
                description=description, campaign_code=rule_set.campaign_code, expiry_days=a.expiry_days)
    if constant:
        rule_set.lines[rule.code] = line
    return line


def apply_caps(planned: Sequence[Planned], *, used: Mapping[Counter, int], notes: Sequence[Line] = ()) -> Evaluation:
    """Clamp each line by what its counters have left, in order (lines sharing a counter share it)."""
    remaining: dict[Counter, int] = {}
    usage: dict[Counter, int] = {}
    lines: list[Line] = []
    for p in planned:
        points, line_notes = p.points, list(p.notes)
        for counter, limit in p.counters:
            left = remaining.get(counter)
            if left is None:
                left = max(limit - used.get(counter, 0), 0)
            if points > left:
                points = left
                line_notes.append(_cap_note(counter, limit))
            remaining[counter] = left - points
        for counter, _ in p.counters:
            usage[counter] = usage.get(counter, 0) + points
        lines.append(_line(p, points, line_notes))
    return Evaluation(lines=(*lines, *notes), usage=usage)


def with_granted(planned: Sequence[Planned], granted: Sequence[tuple[int, int | None]], *, notes: Sequence[Line] = ()
                 ) -> Evaluation:
    """The lines once the database granted them: (points, index of the binding counter or None);
    `usage` is what the counters were given (a void gives it back)."""
    lines = []
    usage: dict[Counter, int] = {}
    for p, (points, binding) in zip(planned, granted):
        line_notes = p.notes
        if binding is not None:
            counter, limit = p.counters[binding]
            line_notes = [*p.notes, _cap_note(counter, limit)]
        for counter, _ in p.counters:
            usage[counter] = usage.get(counter, 0) + points
        lines.append(_line(p, points, line_notes))
    return Evaluation(lines=(*lines, *notes), usage=usage)


def compute(
    kept: Sequence[Candidate], txn: Transaction, facts: Facts, *, used: Mapping[Counter, int], notes: Sequence[Line] = (),
    shard: int = 0,
) -> Evaluation:
    """Points per rule after all caps, given what each counter had already used."""
    return apply_caps(plan(kept, txn, facts, shard=shard), used=used, notes=notes)


def _cap_note(counter: Counter, limit: int) -> str:
    return {
        "rule_day": f"capped at {limit} a day",
        "rule_member": f"capped at {limit} per member",
        "campaign_member": f"campaign budget of {limit} per member reached",
        "campaign_total": f"campaign budget of {limit} reached",
    }[counter.kind]


def evaluate(rule_sets: Sequence[RuleSet], txn: Transaction, facts: Facts, *, used: Mapping[Counter, int] = {}
             ) -> Evaluation:  # noqa: B006 - read only
    matched, notes = candidates(rule_sets, txn, facts)
    return compute(resolve_overrides(matched), txn, facts, used=used, notes=notes)


class RuleIndex:
    """A program's rule sets indexed by what they attach to, so a transaction only looks at the
    program's base sets, its own partner's and location's, the member-scoped ones (club, tier) and
    the campaigns in their window: 50 rule sets cost about what the few that can apply cost."""

    def __init__(self, rule_sets: Sequence[RuleSet]):
        self.rule_sets = tuple(rule_sets)
        self._always: list[RuleSet] = []
        self._partner: dict[str, list[RuleSet]] = {}
        self._location: dict[str, list[RuleSet]] = {}
        self._campaigns: list[RuleSet] = []
        for rule_set in self.rule_sets:
            if rule_set.scope == "partner":
                self._partner.setdefault(rule_set.scope_ref, []).append(rule_set)
            elif rule_set.scope == "location":
                self._location.setdefault(rule_set.scope_ref, []).append(rule_set)
            elif rule_set.scope == "campaign":
                self._campaigns.append(rule_set)
            else:  # program, club, tier
                self._always.append(rule_set)

    def sets_for(self, txn: Transaction) -> list[RuleSet]:
        out = list(self._always)
        if txn.partner:
            out += self._partner.get(txn.partner, ())
        if txn.location:
            out += self._location.get(txn.location, ())
        out += [s for s in self._campaigns if s.campaign is not None and s.campaign.active_at(txn.occurred_at)]
        return out


def needs(rule_sets: Iterable[RuleSet], txn: Transaction) -> frozenset[str]:
    """Facts the transaction's candidate sets need: none for a program whose rules read none."""
    out: set[str] = set()
    for rule_set in rule_sets:
        if rule_set.scope == "partner" and rule_set.scope_ref != txn.partner:
            continue
        if rule_set.scope == "location" and rule_set.scope_ref != txn.location:
            continue
        if rule_set.campaign and not rule_set.campaign.active_at(txn.occurred_at):
            continue
        out |= rule_set.needs
    return frozenset(out)
