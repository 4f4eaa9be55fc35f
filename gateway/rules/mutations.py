import json

import strawberry

from loyalty.points.v1 import rules_service_pb2 as rules_pb

from gateway.context import Info
from gateway.permissions import Allow
from gateway.rules.types import BonusPayload, Campaign, RuleSet, SaveCampaignInput, SaveRuleSetInput
from gateway.services import rpc

TIMEOUT = 10


@strawberry.type
class RulesMutations:
    @strawberry.mutation(permission_classes=[Allow("rules.manage")],
                         description="Create a rule set or replace its draft; the published version is untouched.")
    async def save_rule_set(self, info: Info, input: SaveRuleSetInput) -> RuleSet:
        md = await info.context.metadata(input.program)
        return RuleSet.from_proto(await rpc(info.context.services.rules.SaveRuleSet(
            rules_pb.SaveRuleSetRequest(code=input.code, name=input.name or "", scope=input.scope or "",
                                        scope_ref=input.scope_ref or "", rules_json=json.dumps(input.rules)),
            metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rules.publish")],
                         description="The draft becomes the next immutable version and applies from now on.")
    async def publish_rule_set(self, info: Info, program: str, code: str, draft_version: int | None = None) -> RuleSet:
        md = await info.context.metadata(program)
        return RuleSet.from_proto(await rpc(info.context.services.rules.PublishRuleSet(
            rules_pb.PublishRuleSetRequest(code=code, draft_version=draft_version or 0), metadata=md,
            timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rules.publish")])
    async def archive_rule_set(self, info: Info, program: str, code: str) -> RuleSet:
        md = await info.context.metadata(program)
        return RuleSet.from_proto(await rpc(info.context.services.rules.ArchiveRuleSet(
            rules_pb.ArchiveRuleSetRequest(code=code), metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rules.manage")],
                         description="A campaign's window, targets and budget; its rules are a rule set with "
                                     "scope campaign and scopeRef = the campaign code.")
    async def save_campaign(self, info: Info, input: SaveCampaignInput) -> Campaign:
        md = await info.context.metadata(input.program)
        t = input.targets
        targets = rules_pb.CampaignTargets(
            segments=t.segments or [], tiers=t.tiers or [], clubs=t.clubs or [], partners=t.partners or [],
            locations=t.locations or []) if t else rules_pb.CampaignTargets()
        return Campaign.from_proto(await rpc(info.context.services.rules.SaveCampaign(
            rules_pb.SaveCampaignRequest(campaign=rules_pb.Campaign(
                code=input.code, name=input.name, starts_at=input.starts_at, ends_at=input.ends_at, targets=targets,
                budget_total=input.budget_total or 0, budget_per_member=input.budget_per_member or 0,
                discount_budget_total=input.discount_budget_total or "",
                discount_budget_per_member=input.discount_budget_per_member or "")),
            metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rules.manage")],
                         description="Grant the member's welcome bonus (enroll rules), once per rule.")
    async def apply_enroll_rules(self, info: Info, program: str, loyalty_number: str) -> BonusPayload:
        md = await info.context.metadata(program)
        return BonusPayload.from_proto(await rpc(info.context.services.rules.ApplyEnrollRules(
            rules_pb.ApplyEnrollRulesRequest(loyalty_number=loyalty_number), metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rules.manage")],
                         description="Referral bonus for both members, once per referred member.")
    async def apply_referral(self, info: Info, program: str, referrer_loyalty_number: str,
                             referred_loyalty_number: str) -> BonusPayload:
        md = await info.context.metadata(program)
        return BonusPayload.from_proto(await rpc(info.context.services.rules.ApplyReferral(
            rules_pb.ApplyReferralRequest(referrer_loyalty_number=referrer_loyalty_number,
                                          referred_loyalty_number=referred_loyalty_number),
            metadata=md, timeout=TIMEOUT)))

    @strawberry.mutation(permission_classes=[Allow("rules.manage")],
                         description="Birthday points for the members born on this date (default: today in the "
                                     "program's zone), once a year each; what the birthday job runs.")
    async def run_birthdays(self, info: Info, program: str, date: str | None = None) -> BonusPayload:
        md = await info.context.metadata(program)
        return BonusPayload.from_proto(await rpc(info.context.services.rules.RunBirthdays(
            rules_pb.RunBirthdaysRequest(date=date or ""), metadata=md, timeout=120)))
