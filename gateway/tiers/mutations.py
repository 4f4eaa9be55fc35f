import strawberry

from loyalty.tier.v1 import tier_service_pb2 as tier_pb

from gateway.context import Info
from gateway.errors import invalid_input
from gateway.permissions import Allow
from gateway.services import rpc
from gateway.tiers.types import (
    AddTierFreezeWindowInput, ClearTierOverrideInput, DefineTierSlabInput, EvaluateTiersInput, MemberTierStatus,
    RemoveTierFreezeWindowInput, SetTierOverrideInput, TierFreezeWindow, TierSlab, TierSlabEvaluation,
)


@strawberry.type
class TierMutations:
    @strawberry.mutation(permission_classes=[Allow("tier.manage")],
                         description="Create or replace a slab and its tiers (the same input changes nothing)")
    async def define_tier_slab(self, info: Info, input: DefineTierSlabInput) -> TierSlab:
        md = await info.context.metadata(input.program)
        slab = tier_pb.Slab(
            code=input.code, name=input.name, metric=input.metric, window_length=input.window_length,
            window_unit=input.window_unit, downgrade=input.downgrade, grace_days=input.grace_days,
            close_to_upgrade_percent=input.close_to_upgrade_percent,
            tiers=[tier_pb.Tier(code=t.code, name=t.name, benefits=t.benefits, earn_multiplier=t.earn_multiplier,
                                threshold=t.threshold, retention_threshold=t.retention_threshold or "",
                                validity_months=t.validity_months) for t in input.tiers],
        )
        made = await rpc(info.context.services.tier.DefineSlab(tier_pb.DefineSlabRequest(slab=slab), metadata=md,
                                                                timeout=30))
        return TierSlab.from_proto(made)

    @strawberry.mutation(permission_classes=[Allow("tier.manage")])
    async def add_tier_freeze_window(self, info: Info, input: AddTierFreezeWindowInput) -> TierFreezeWindow:
        md = await info.context.metadata(input.program)
        made = await rpc(info.context.services.tier.AddFreezeWindow(tier_pb.AddFreezeWindowRequest(
            starts_on=input.starts_on, ends_on=input.ends_on, reason=input.reason), metadata=md, timeout=5))
        return TierFreezeWindow.from_proto(made)

    @strawberry.mutation(permission_classes=[Allow("tier.manage")])
    async def remove_tier_freeze_window(self, info: Info, input: RemoveTierFreezeWindowInput) -> bool:
        if not str(input.id).isdigit():
            raise invalid_input("id", "is not a freeze window id")
        md = await info.context.metadata(input.program)
        await rpc(info.context.services.tier.RemoveFreezeWindow(
            tier_pb.RemoveFreezeWindowRequest(id=int(input.id)), metadata=md, timeout=5))
        return True

    @strawberry.mutation(permission_classes=[Allow("tier.override")],
                         description="A manual tier with a reason; a floor until endsOn")
    async def set_tier_override(self, info: Info, input: SetTierOverrideInput) -> list[MemberTierStatus]:
        member = await info.context.loaders.member_by_loyalty_number.load((input.program, input.loyalty_number))
        md = await info.context.metadata(input.program, idempotency_key=input.reference)
        reply = await rpc(info.context.services.tier.SetOverride(tier_pb.SetOverrideRequest(
            loyalty_number=input.loyalty_number, member_id=member.id, slab_code=input.slab_code,
            tier_code=input.tier_code, reason=input.reason, ends_on=input.ends_on or ""), metadata=md, timeout=10))
        return [MemberTierStatus.from_proto(t) for t in reply.tiers]

    @strawberry.mutation(permission_classes=[Allow("tier.override")])
    async def clear_tier_override(self, info: Info, input: ClearTierOverrideInput) -> list[MemberTierStatus]:
        md = await info.context.metadata(input.program)
        reply = await rpc(info.context.services.tier.ClearOverride(tier_pb.ClearOverrideRequest(
            loyalty_number=input.loyalty_number, slab_code=input.slab_code, reason=input.reason), metadata=md,
            timeout=10))
        return [MemberTierStatus.from_proto(t) for t in reply.tiers]

    @strawberry.mutation(permission_classes=[Allow("tier.manage")],
                         description="Run the daily evaluation now (what the tier job runs every day)")
    async def evaluate_tiers(self, info: Info, input: EvaluateTiersInput) -> list[TierSlabEvaluation]:
        md = await info.context.metadata(input.program)
        reply = await rpc(info.context.services.tier.Evaluate(
            tier_pb.EvaluateRequest(as_of=input.as_of or "", force=input.force), metadata=md, timeout=600))
        return [TierSlabEvaluation(slab_code=s.slab_code, upgrades=s.upgrades, downgrades=s.downgrades,
                                   anniversaries=s.anniversaries, skipped=s.skipped) for s in reply.slabs]
