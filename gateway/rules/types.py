import enum
import json

import strawberry
from strawberry.scalars import JSON

from loyalty.points.v1 import rules_service_pb2 as rules_pb

from gateway.points.types import BasketItemInput, EarnLine
from gateway.scalars import Long


def _rules(text: str):
    return json.loads(text) if text else None


@strawberry.type(description="One version of a rule set; a published version never changes.")
class RuleSetVersion:
    version: int
    status: str
    created_at: str
    published_at: str | None
    published_by: str | None
    rules: JSON

    @classmethod
    def from_proto(cls, v: rules_pb.RuleSetVersion) -> "RuleSetVersion":
        return cls(version=v.version, status=v.status, created_at=v.created_at, published_at=v.published_at or None,
                   published_by=v.published_by or None, rules=_rules(v.rules_json))


@strawberry.type(description="Rules attached to the program, a club, location, partner, tier or campaign.")
class RuleSet:
    code: str
    name: str
    scope: str
    scope_ref: str | None
    published_version: int | None
    draft_version: int | None
    draft_rules: JSON | None
    published_rules: JSON | None
    archived: bool
    versions: list[RuleSetVersion]

    @classmethod
    def from_proto(cls, r: rules_pb.RuleSet) -> "RuleSet":
        return cls(code=r.code, name=r.name, scope=r.scope, scope_ref=r.scope_ref or None,
                   published_version=r.published_version or None, draft_version=r.draft_version or None,
                   draft_rules=_rules(r.draft_rules_json), published_rules=_rules(r.published_rules_json),
                   archived=r.archived, versions=[RuleSetVersion.from_proto(v) for v in r.versions])


@strawberry.type
class RuleProblem:
    rule: str
    field: str
    message: str


@strawberry.type
class RulesValidation:
    valid: bool
    problems: list[RuleProblem]


@strawberry.type
class CampaignTargets:
    segments: list[str]
    tiers: list[str]
    clubs: list[str]
    partners: list[str]
    locations: list[str]


@strawberry.type(description="A rule set with a time window, targets and a budget.")
class Campaign:
    code: str
    name: str
    starts_at: str
    ends_at: str
    targets: CampaignTargets
    budget_total: Long | None
    budget_per_member: Long | None
    archived: bool
    discount_budget_total: str | None = strawberry.field(
        default=None, description="Money its discount rules may take off in all; null: unlimited")
    discount_budget_per_member: str | None = None

    @classmethod
    def from_proto(cls, c: rules_pb.Campaign) -> "Campaign":
        t = c.targets
        return cls(code=c.code, name=c.name, starts_at=c.starts_at, ends_at=c.ends_at,
                   targets=CampaignTargets(segments=list(t.segments), tiers=list(t.tiers), clubs=list(t.clubs),
                                           partners=list(t.partners), locations=list(t.locations)),
                   budget_total=c.budget_total or None, budget_per_member=c.budget_per_member or None,
                   archived=c.archived, discount_budget_total=c.discount_budget_total or None,
                   discount_budget_per_member=c.discount_budget_per_member or None)


@strawberry.enum(description="Why a matching discount rule took nothing off")
class DiscountSkipReason(enum.Enum):
    MIN_AMOUNT_NOT_REACHED = "MIN_AMOUNT_NOT_REACHED"
    NO_MATCHING_ITEMS = "NO_MATCHING_ITEMS"
    OVERRIDDEN = "OVERRIDDEN"
    NOTHING_LEFT = "NOTHING_LEFT"
    BUDGET_EXHAUSTED = "BUDGET_EXHAUSTED"
    FACT_UNAVAILABLE = "FACT_UNAVAILABLE"


@strawberry.enum(description="What a discount applies to")
class DiscountTarget(enum.Enum):
    BASKET = "basket"
    ITEMS = "items"


@strawberry.type(description="One discount granted: which rule of which version, on what, how much.")
class DiscountLine:
    rule: str
    rule_version: str
    campaign_code: str | None
    applies_to: DiscountTarget
    skus: list[str] = strawberry.field(description="For item discounts: the basket lines it took money off")
    percent_off: str | None
    amount_off: str | None
    amount: str = strawberry.field(description="Money off, never more than what it applies to")
    description: str

    @classmethod
    def from_proto(cls, d: rules_pb.DiscountLine) -> "DiscountLine":
        return cls(rule=d.rule, rule_version=d.rule_version, campaign_code=d.campaign_code or None,
                   applies_to=DiscountTarget(d.applies_to or "basket"), skus=list(d.skus),
                   percent_off=d.percent_off or None, amount_off=d.amount_off or None, amount=d.amount,
                   description=d.description)


@strawberry.type
class DiscountSkip:
    rule: str
    rule_version: str
    reason: DiscountSkipReason


@strawberry.type(description="A basket's discounts under the published rules; nothing is posted.")
class DiscountQuote:
    currency: str
    gross_amount: str
    discount_total: str
    net_amount: str = strawberry.field(description="What an earn of this basket earns points on")
    lines: list[DiscountLine]
    skipped: list[DiscountSkip]

    @classmethod
    def from_proto(cls, q: rules_pb.DiscountQuote) -> "DiscountQuote":
        return cls(currency=q.currency, gross_amount=q.gross_amount, discount_total=q.discount_total,
                   net_amount=q.net_amount, lines=[DiscountLine.from_proto(x) for x in q.lines],
                   skipped=[DiscountSkip(rule=s.rule, rule_version=s.rule_version,
                                         reason=DiscountSkipReason(s.reason)) for s in q.skipped])


@strawberry.type
class CampaignReport:
    code: str
    points_issued: Long
    members_reached: int
    transactions: int
    budget_total: Long | None
    budget_left: Long | None = strawberry.field(description="null: unlimited")

    @classmethod
    def from_proto(cls, r: rules_pb.CampaignReport) -> "CampaignReport":
        return cls(code=r.code, points_issued=r.points_issued, members_reached=r.members_reached,
                   transactions=r.transactions, budget_total=r.budget_total or None,
                   budget_left=None if r.budget_left < 0 else r.budget_left)


@strawberry.type(description="One transaction under a draft and under the published rules; nothing posted.")
class DryRunResult:
    points: Long
    breakdown: list[EarnLine]
    published_points: Long
    published_breakdown: list[EarnLine]
    discounts: list[DiscountLine]
    published_discounts: list[DiscountLine]

    @classmethod
    def from_proto(cls, r: rules_pb.DryRunEarnResponse) -> "DryRunResult":
        return cls(points=r.points, breakdown=[EarnLine.from_proto(x) for x in r.breakdown],
                   published_points=r.published_points,
                   published_breakdown=[EarnLine.from_proto(x) for x in r.published_breakdown],
                   discounts=[DiscountLine.from_proto(x) for x in r.discounts],
                   published_discounts=[DiscountLine.from_proto(x) for x in r.published_discounts])


@strawberry.type
class CampaignBudgetUse:
    campaign_code: str
    published_points: Long
    draft_points: Long


@strawberry.type(description="The last N days of real earns replayed against a draft; nothing posted.")
class ReplayReport:
    transactions: int
    published_points: Long
    draft_points: Long
    points_difference: Long
    members_affected: int
    campaigns: list[CampaignBudgetUse]
    truncated: bool
    published_discount_total: str
    draft_discount_total: str

    @classmethod
    def from_proto(cls, r: rules_pb.ReplayReport) -> "ReplayReport":
        return cls(transactions=r.transactions, published_points=r.published_points, draft_points=r.draft_points,
                   points_difference=r.points_difference, members_affected=r.members_affected,
                   campaigns=[CampaignBudgetUse(campaign_code=c.campaign_code, published_points=c.published_points,
                                                draft_points=c.draft_points) for c in r.campaigns],
                   truncated=r.truncated, published_discount_total=r.published_discount_total or "0",
                   draft_discount_total=r.draft_discount_total or "0")


@strawberry.type(description="What a posting earned, per rule, as recorded when it was posted.")
class EarnExplanation:
    transaction_id: str
    kind: str
    points: Long
    breakdown: list[EarnLine]
    discounts: list[DiscountLine] = strawberry.field(description="The discounts the earn granted")
    net_amount: str | None = strawberry.field(description="The amount after them, which earned the points; "
                                                          "null: no discount")


@strawberry.type(description="Pay with points: how many points an order may use and what they are worth.")
class BurnQuote:
    allowed: bool
    points: Long
    value: str
    currency: str
    min_points: Long
    max_points: Long
    available_points: Long
    rule: str | None
    rule_version: str | None
    reason: str | None

    @classmethod
    def from_proto(cls, q: rules_pb.BurnQuote) -> "BurnQuote":
        return cls(allowed=q.allowed, points=q.points, value=q.value, currency=q.currency, min_points=q.min_points,
                   max_points=q.max_points, available_points=q.available, rule=q.rule or None,
                   rule_version=q.rule_version or None, reason=q.reason or None)


@strawberry.type
class BonusPosting:
    loyalty_number: str
    rule: str
    rule_version: str
    points: Long
    reference: str
    already_granted: bool


@strawberry.type
class BonusPayload:
    postings: list[BonusPosting]

    @classmethod
    def from_proto(cls, r: rules_pb.BonusResponse) -> "BonusPayload":
        return cls(postings=[BonusPosting(loyalty_number=p.loyalty_number, rule=p.rule, rule_version=p.rule_version,
                                          points=p.points, reference=p.reference, already_granted=p.already_granted)
                             for p in r.postings])


@strawberry.input
class SaveRuleSetInput:
    program: str
    code: str
    rules: JSON = strawberry.field(description="A list of rules (docs/rules.md); saved as the set's draft")
    name: str | None = None
    scope: str | None = strawberry.field(default=None, description="program (default), club, location, partner, "
                                                                    "tier or campaign; fixed once created")
    scope_ref: str | None = None


@strawberry.input
class CampaignTargetsInput:
    segments: list[str] | None = None
    tiers: list[str] | None = None
    clubs: list[str] | None = None
    partners: list[str] | None = None
    locations: list[str] | None = None


@strawberry.input
class SaveCampaignInput:
    program: str
    code: str
    name: str
    starts_at: str
    ends_at: str
    targets: CampaignTargetsInput | None = None
    budget_total: int | None = None
    budget_per_member: int | None = None
    discount_budget_total: str | None = strawberry.field(default=None, description="Money, e.g. \"500.00\"; "
                                                                                   "null or 0: unlimited")
    discount_budget_per_member: str | None = None


@strawberry.input(description="A basket, as an earn would send it")
class DiscountQuoteInput:
    program: str
    amount: str
    currency: str | None = None
    loyalty_number: str | None = strawberry.field(default=None, description="For member facts and per-member "
                                                                            "budgets")
    occurred_at: str | None = None
    partner_code: str | None = None
    location_code: str | None = None
    channel: str | None = None
    items: list[BasketItemInput] | None = None


@strawberry.input
class DryRunEarnInput:
    program: str
    amount: str
    currency: str | None = None
    loyalty_number: str | None = None
    occurred_at: str | None = None
    partner_code: str | None = None
    location_code: str | None = None
    channel: str | None = None
    items: list[BasketItemInput] | None = None
    rule_set_code: str | None = strawberry.field(default=None, description="Evaluate this set's draft")
    draft_rules: JSON | None = strawberry.field(default=None, description="Or these rules as that set's draft")
