import json

import strawberry
from strawberry.scalars import JSON

from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import rules_service_pb2 as rules_pb

from gateway.context import Info
from gateway.permissions import Allow
from gateway.points.types import EarnLine
from gateway.rules.types import (
    BurnQuote, Campaign, CampaignReport, DiscountLine, DiscountQuote, DiscountQuoteInput, DryRunEarnInput, DryRunResult,
    EarnExplanation, ReplayReport, RuleProblem, RuleSet, RulesValidation,
)
from gateway.services import rpc

TIMEOUT = 10


def _basket(input: DryRunEarnInput | DiscountQuoteInput) -> points_pb.EarnRequest:
    return points_pb.EarnRequest(
        loyalty_number=input.loyalty_number or "", amount=input.amount, currency=input.currency or "",
        occurred_at=input.occurred_at or "", partner_code=input.partner_code or "",
        location_code=input.location_code or "", channel=input.channel or "", reference="quote",
        items=[points_pb.Item(sku=i.sku, category=i.category or "", quantity=i.quantity or "", price=i.price or "")
               for i in input.items or []],
    )


@strawberry.type
class RulesQueries:
    @strawberry.field(permission_classes=[Allow("rules.read")])
    async def rule_sets(self, info: Info, program: str, include_archived: bool = False) -> list[RuleSet]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.rules.ListRuleSets(
            rules_pb.ListRuleSetsRequest(include_archived=include_archived), metadata=md, timeout=TIMEOUT))
        return [RuleSet.from_proto(s) for s in r.rule_sets]

    @strawberry.field(permission_classes=[Allow("rules.read")])
    async def rule_set(self, info: Info, program: str, code: str) -> RuleSet:
        return RuleSet.from_proto(await info.context.loaders.rule_set_by_code.load((program, code)))

    @strawberry.field(permission_classes=[Allow("rules.read")], description="Problems of a rules document; saves nothing.")
    async def validate_rules(self, info: Info, program: str, rules: JSON) -> RulesValidation:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.rules.ValidateRules(
            rules_pb.ValidateRulesRequest(rules_json=json.dumps(rules)), metadata=md, timeout=TIMEOUT))
        return RulesValidation(valid=r.valid, problems=[RuleProblem(rule=p.rule, field=p.field, message=p.message)
                                                        for p in r.problems])

    @strawberry.field(permission_classes=[Allow("rules.read")])
    async def campaigns(self, info: Info, program: str) -> list[Campaign]:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.rules.ListCampaigns(
            rules_pb.ListCampaignsRequest(), metadata=md, timeout=TIMEOUT))
        return [Campaign.from_proto(c) for c in r.campaigns]

    @strawberry.field(permission_classes=[Allow("rules.read")])
    async def campaign_report(self, info: Info, program: str, code: str) -> CampaignReport:
        md = await info.context.metadata(program)
        return CampaignReport.from_proto(await rpc(info.context.services.rules.GetCampaignReport(
            rules_pb.GetCampaignReportRequest(code=code), metadata=md, timeout=TIMEOUT)))

    @strawberry.field(permission_classes=[Allow("rules.read")], description="One transaction against a draft.")
    async def dry_run_earn(self, info: Info, input: DryRunEarnInput) -> DryRunResult:
        md = await info.context.metadata(input.program)
        transaction = _basket(input)
        return DryRunResult.from_proto(await rpc(info.context.services.rules.DryRunEarn(
            rules_pb.DryRunEarnRequest(
                transaction=transaction, rule_set_code=input.rule_set_code or "",
                draft_rules_json=json.dumps(input.draft_rules) if input.draft_rules is not None else ""),
            metadata=md, timeout=TIMEOUT)))

    @strawberry.field(permission_classes=[Allow("rules.read")],
                      description="Replay the last N days of real earns against a set's draft.")
    async def replay_draft(self, info: Info, program: str, rule_set_code: str, days: int = 30,
                           max_transactions: int | None = None) -> ReplayReport:
        md = await info.context.metadata(program)
        return ReplayReport.from_proto(await rpc(info.context.services.rules.ReplayDraft(
            rules_pb.ReplayDraftRequest(rule_set_code=rule_set_code, days=days,
                                        max_transactions=max_transactions or 0),
            metadata=md, timeout=120)))

    @strawberry.field(permission_classes=[Allow("rules.read")],
                      description="The breakdown a posting recorded, with the rule versions that produced it.")
    async def earn_breakdown(self, info: Info, program: str, reference: str) -> EarnExplanation:
        md = await info.context.metadata(program)
        r = await rpc(info.context.services.rules.ExplainTransaction(
            rules_pb.ExplainTransactionRequest(reference=reference), metadata=md, timeout=TIMEOUT))
        return EarnExplanation(transaction_id=r.transaction_id, kind=r.kind, points=r.points,
                               breakdown=[EarnLine.from_proto(x) for x in r.breakdown],
                               discounts=[DiscountLine.from_proto(x) for x in r.discounts],
                               net_amount=r.net_amount or None)

    @strawberry.field(permission_classes=[Allow("points.earn")],
                      description="A basket's discounts under the published rules (what the POS takes off before "
                                  "charging); posts nothing. An earn of the same basket grants the same.")
    async def quote_discounts(self, info: Info, input: DiscountQuoteInput) -> DiscountQuote:
        md = await info.context.metadata(input.program)
        transaction = _basket(input)
        return DiscountQuote.from_proto(await rpc(info.context.services.rules.QuoteDiscounts(
            rules_pb.QuoteDiscountsRequest(transaction=transaction), metadata=md, timeout=TIMEOUT)))

    @strawberry.field(permission_classes=[Allow("rules.read")], description="Pay with points: what an order allows.")
    async def quote_burn(self, info: Info, program: str, loyalty_number: str, amount: str, points: int = 0,
                         channel: str | None = None, location_code: str | None = None,
                         partner_code: str | None = None) -> BurnQuote:
        md = await info.context.metadata(program)
        return BurnQuote.from_proto(await rpc(info.context.services.rules.QuoteBurn(
            rules_pb.QuoteBurnRequest(loyalty_number=loyalty_number, amount=amount, points=points,
                                      channel=channel or "", location_code=location_code or "",
                                      partner_code=partner_code or ""),
            metadata=md, timeout=TIMEOUT)))
