import strawberry

from loyalty.tier.v1 import tier_service_pb2 as tier_pb


@strawberry.type(description="One tier of a slab; level 0 is the base.")
class TierDefinition:
    level: int
    code: str
    name: str
    benefits: str
    earn_multiplier: str = strawberry.field(description="Decimal the rules engine multiplies earn by")
    threshold: str = strawberry.field(description="Metric value within the window to reach the tier")
    retention_threshold: str = strawberry.field(description="Value within the window to keep it at its lapse date")
    validity_months: int | None

    @classmethod
    def from_proto(cls, t: tier_pb.Tier) -> "TierDefinition":
        return cls(level=t.level, code=t.code, name=t.name, benefits=t.benefits, earn_multiplier=t.earn_multiplier,
                   threshold=t.threshold, retention_threshold=t.retention_threshold,
                   validity_months=t.validity_months or None)


@strawberry.type(description="Ordered tiers and their qualification rules; each member has one tier per slab.")
class TierSlab:
    code: str
    name: str
    metric: str = strawberry.field(description="points (earned), spend or transactions")
    window_length: int
    window_unit: str = strawberry.field(description="month or day: a rolling window ending on the evaluated day")
    downgrade: str = strawberry.field(description="one_level or to_base")
    grace_days: int
    close_to_upgrade_percent: int
    tiers: list[TierDefinition]

    @classmethod
    def from_proto(cls, s: tier_pb.Slab) -> "TierSlab":
        return cls(code=s.code, name=s.name, metric=s.metric, window_length=s.window_length, window_unit=s.window_unit,
                   downgrade=s.downgrade, grace_days=s.grace_days, close_to_upgrade_percent=s.close_to_upgrade_percent,
                   tiers=[TierDefinition.from_proto(t) for t in s.tiers])


@strawberry.type(description="A member's current tier in one slab.")
class MemberTierStatus:
    slab_code: str
    tier_code: str
    tier_name: str
    level: int
    earn_multiplier: str
    benefits: str
    achieved_at: str | None
    lapses_on: str | None
    override_tier_code: str | None
    override_ends_on: str | None

    @classmethod
    def from_proto(cls, t: tier_pb.MemberTier) -> "MemberTierStatus":
        return cls(slab_code=t.slab_code, tier_code=t.tier_code, tier_name=t.tier_name, level=t.level,
                   earn_multiplier=t.earn_multiplier, benefits=t.benefits, achieved_at=t.achieved_at or None,
                   lapses_on=t.lapses_on or None, override_tier_code=t.override_tier_code or None,
                   override_ends_on=t.override_ends_on or None)


@strawberry.type(description="Where a member stands in one slab and what the next tier needs.")
class TierProgress:
    slab_code: str
    tier_code: str
    level: int
    metric: str
    window_from: str
    window_to: str
    current_value: str
    next_tier_code: str | None
    next_threshold: str | None
    needed: str
    close_to_upgrade: bool
    achieved_on: str | None
    lapses_on: str | None
    retention_threshold: str | None
    retention_needed: str
    grace_ends_on: str | None
    override_tier_code: str | None
    override_ends_on: str | None

    @classmethod
    def from_proto(cls, p: tier_pb.TierProgress) -> "TierProgress":
        return cls(slab_code=p.slab_code, tier_code=p.tier_code, level=p.level, metric=p.metric,
                   window_from=p.window_from, window_to=p.window_to, current_value=p.current_value,
                   next_tier_code=p.next_tier_code or None, next_threshold=p.next_threshold or None, needed=p.needed,
                   close_to_upgrade=p.close_to_upgrade, achieved_on=p.achieved_on or None,
                   lapses_on=p.lapses_on or None, retention_threshold=p.retention_threshold or None,
                   retention_needed=p.retention_needed, grace_ends_on=p.grace_ends_on or None,
                   override_tier_code=p.override_tier_code or None, override_ends_on=p.override_ends_on or None)


@strawberry.type
class TierChange:
    slab_code: str
    change: str = strawberry.field(description="upgrade, downgrade, anniversary, override, override_cleared")
    from_tier_code: str
    to_tier_code: str
    reason: str
    effective_on: str
    recorded_at: str

    @classmethod
    def from_proto(cls, c: tier_pb.TierChange) -> "TierChange":
        return cls(slab_code=c.slab_code, change=c.change, from_tier_code=c.from_tier_code,
                   to_tier_code=c.to_tier_code, reason=c.reason, effective_on=c.effective_on,
                   recorded_at=c.recorded_at)


@strawberry.type
class TierCount:
    tier_code: str
    members: int
    spend: str


@strawberry.type
class TierPeriodChanges:
    period: str
    upgrades: int
    downgrades: int


@strawberry.type
class TierReport:
    slab_code: str
    tiers: list[TierCount]
    periods: list[TierPeriodChanges]

    @classmethod
    def from_proto(cls, r: tier_pb.TierReport) -> "TierReport":
        return cls(slab_code=r.slab_code,
                   tiers=[TierCount(tier_code=t.tier_code, members=t.members, spend=t.spend) for t in r.tiers],
                   periods=[TierPeriodChanges(period=p.period, upgrades=p.upgrades, downgrades=p.downgrades)
                            for p in r.periods])


@strawberry.type(description="No downgrades between these dates (inclusive).")
class TierFreezeWindow:
    id: strawberry.ID
    starts_on: str
    ends_on: str
    reason: str
    created_by: str

    @classmethod
    def from_proto(cls, w: tier_pb.FreezeWindow) -> "TierFreezeWindow":
        return cls(id=strawberry.ID(str(w.id)), starts_on=w.starts_on, ends_on=w.ends_on, reason=w.reason,
                   created_by=w.created_by)


@strawberry.type
class TierSlabEvaluation:
    slab_code: str
    upgrades: int
    downgrades: int
    anniversaries: int
    skipped: bool


@strawberry.input
class TierInput:
    code: str
    name: str
    benefits: str = ""
    earn_multiplier: str = "1"
    threshold: str = "0"
    retention_threshold: str | None = None
    validity_months: int = 0


@strawberry.input
class DefineTierSlabInput:
    program: str
    code: str
    name: str
    metric: str = strawberry.field(description="points, spend or transactions")
    window_length: int
    window_unit: str = "month"
    downgrade: str = "one_level"
    grace_days: int = 0
    close_to_upgrade_percent: int = 90
    tiers: list[TierInput] = strawberry.field(description="In order, the base tier first")


@strawberry.input
class AddTierFreezeWindowInput:
    program: str
    starts_on: str
    ends_on: str
    reason: str


@strawberry.input
class RemoveTierFreezeWindowInput:
    program: str
    id: strawberry.ID


@strawberry.input
class SetTierOverrideInput:
    program: str
    loyalty_number: str
    slab_code: str
    tier_code: str
    reason: str
    ends_on: str | None = strawberry.field(default=None, description="The floor holds before this date; none: until cleared")
    reference: str | None = strawberry.field(default=None, description="Idempotency key")


@strawberry.input
class ClearTierOverrideInput:
    program: str
    loyalty_number: str
    slab_code: str
    reason: str = ""


@strawberry.input
class EvaluateTiersInput:
    program: str
    as_of: str | None = None
    force: bool = False
