"""gRPC servicer of RulesService: translates proto <-> domain, nothing else."""

import datetime as dt
import json
from collections.abc import Awaitable
from decimal import Decimal
from typing import TypeVar

import asyncpg
import grpc

from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import rules_service_pb2 as pb
from loyalty.points.v1 import rules_service_pb2_grpc as pb_grpc
from services.common.errors import invalid
from services.common.idempotency import Replay, request_fingerprint
from services.common.tenancy import require_program
from services.points.ledger import commands
from services.points.ledger.cards import MemberCards
from services.points.ledger.posting import rfc3339
from services.points.ledger.results import Posted
from services.points.rules import baskets, bonuses, burn_quotes, campaigns, dry_runs, rulesets
from services.points.rules.facts import RemoteFacts
from services.points.rules.policy import RulesEarnPolicy


def _json(value) -> str:
    return json.dumps(value, sort_keys=True) if value is not None else ""


def rule_set_to_proto(view: rulesets.RuleSetView) -> pb.RuleSet:
    row, published, draft = view.row, view.published, view.draft
    return pb.RuleSet(
        code=row["code"], name=row["name"], scope=row["scope"], scope_ref=row["scope_ref"],
        published_version=published["version"] if published else 0, draft_version=draft["version"] if draft else 0,
        draft_rules_json=_json(draft["rules"]) if draft else "",
        published_rules_json=_json(published["rules"]) if published else "",
        archived=row["archived_at"] is not None,
        versions=[pb.RuleSetVersion(version=v["version"], status=v["status"], created_at=rfc3339(v["created_at"]),
                                    published_at=rfc3339(v["published_at"]), published_by=v["published_by"] or "",
                                    rules_json=_json(v["rules"])) for v in view.versions],
    )


def campaign_to_proto(row) -> pb.Campaign:
    t = row["targets"] or {}
    return pb.Campaign(
        code=row["code"], name=row["name"], starts_at=rfc3339(row["starts_at"]), ends_at=rfc3339(row["ends_at"]),
        targets=pb.CampaignTargets(**{k: t.get(k, []) for k in campaigns.TARGET_KINDS}),
        budget_total=row["budget_total"], budget_per_member=row["budget_per_member"],
        archived=row["archived_at"] is not None,
        discount_budget_total=_money(row["discount_budget_total"]),
        discount_budget_per_member=_money(row["discount_budget_per_member"]),
    )


def _money(value) -> str:
    return f"{value:f}" if value else ""


def _decimal(value) -> str:
    return f"{value:f}" if value is not None else ""


def discount_lines_to_proto(lines) -> list[pb.DiscountLine]:
    return [pb.DiscountLine(rule=line.rule, rule_version=line.rule_version, campaign_code=line.campaign_code,
                            applies_to=line.applies_to, skus=list(line.skus), percent_off=_decimal(line.percent_off),
                            amount_off=_decimal(line.amount_off), amount=f"{line.amount:f}",
                            description=line.description) for line in lines]


def stored_discounts_to_proto(rows) -> list[pb.DiscountLine]:
    return [pb.DiscountLine(rule=x.get("rule", ""), rule_version=x.get("rule_version", ""),
                            campaign_code=x.get("campaign_code", ""), applies_to=x.get("applies_to", ""),
                            skus=x.get("skus", []), amount=x.get("amount", ""), description=x.get("description", ""))
            for x in rows]


def lines_to_proto(lines) -> list[points_pb.EarnLine]:
    return [points_pb.EarnLine(rule=line.rule, rule_version=line.rule_version, point_type=line.point_type,
                               points=line.points, description=line.description, campaign_code=line.campaign_code)
            for line in lines]


def basket_query(t: points_pb.EarnRequest) -> baskets.BasketQuery:
    return baskets.BasketQuery(
        amount=t.amount, currency=t.currency, loyalty_number=t.loyalty_number, occurred_at=t.occurred_at,
        channel=t.channel, location_code=t.location_code, partner_code=t.partner_code,
        items=tuple(commands.Item(sku=i.sku, category=i.category, quantity=i.quantity, price=i.price)
                    for i in t.items))


def grants_to_proto(grants) -> pb.BonusResponse:
    return pb.BonusResponse(postings=[pb.BonusPosting(
        loyalty_number=g.loyalty_number, rule=g.rule, rule_version=g.rule_version, points=g.points,
        reference=g.reference, already_granted=g.already_granted) for g in grants])


def burn_quote_to_proto(q: burn_quotes.BurnQuote) -> pb.BurnQuote:
    return pb.BurnQuote(points=q.points, value=str(q.value), currency=q.currency, min_points=q.min_points,
                        max_points=q.max_points, available=q.available, rule=q.rule, rule_version=q.rule_version,
                        allowed=q.allowed, reason=q.reason)


def billed_burn_to_proto(b: burn_quotes.BilledBurn) -> pb.BilledBurn:
    p = b.posted
    return pb.BilledBurn(posting=points_pb.PostingResponse(
        transaction_id=p.transaction_id, kind=p.kind, points=p.points, new_balance=p.new_balance,
        transaction_ids=list(p.transaction_ids)), quote=burn_quote_to_proto(b.quote))


def billed_burn_from_proto(m: pb.BilledBurn) -> burn_quotes.BilledBurn:
    p, q = m.posting, m.quote
    return burn_quotes.BilledBurn(
        posted=Posted(transaction_id=p.transaction_id, kind=p.kind, points=p.points, new_balance=p.new_balance,
                      transaction_ids=tuple(p.transaction_ids)),
        quote=burn_quotes.BurnQuote(points=q.points, value=Decimal(q.value), currency=q.currency,
                                    min_points=q.min_points, max_points=q.max_points, available=q.available,
                                    rule=q.rule, rule_version=q.rule_version, allowed=q.allowed, reason=q.reason))


def bill_burn(request: pb.BurnWithBillRequest) -> burn_quotes.BillBurn:
    q = request.quote
    return burn_quotes.BillBurn(
        loyalty_number=q.loyalty_number, amount=q.amount, points=q.points, reference=request.reference,
        currency=request.currency, channel=q.channel, location_code=q.location_code, partner_code=q.partner_code,
        reason=request.reason, order_reference=request.order_reference)


def billed_burn_replay(request: pb.BurnWithBillRequest) -> Replay:
    """The stored answer is the response's bytes, the fingerprint the request's."""
    return Replay(fingerprint=request_fingerprint(request),
                  encode=lambda b: billed_burn_to_proto(b).SerializeToString(deterministic=True),
                  decode=lambda raw: billed_burn_from_proto(pb.BilledBurn.FromString(raw)))


T = TypeVar("T")


class RulesServicer(pb_grpc.RulesServiceServicer):
    def __init__(self, pool: asyncpg.Pool, policy: RulesEarnPolicy, facts: RemoteFacts, *, relay=None,
                 cards: MemberCards | None = None):
        self._pool = pool
        self._policy = policy
        self._facts = facts
        self._relay = relay  # the ledger's event relay: kicked after a posting made here
        self._cards = cards  # the member cards of the postings made here, written through as the ledger's

    async def _posted(self, context, posting: Awaitable[T]) -> T:
        """Run a posting made here; once it committed, its members' cards written through (ledger/cards.py)."""
        if self._cards is None:
            return await posting
        return await self._cards.posted(program_id=require_program(context).program_id, operation=posting)

    async def SaveRuleSet(self, request, context):
        ctx = require_program(context)
        return rule_set_to_proto(await rulesets.save(
            self._pool, program_id=ctx.program_id, principal=ctx.principal, code=request.code, name=request.name,
            scope=request.scope, scope_ref=request.scope_ref, rules_json=request.rules_json))

    async def GetRuleSet(self, request, context):
        ctx = require_program(context)
        return rule_set_to_proto(await rulesets.get(self._pool, program_id=ctx.program_id, code=request.code))

    async def ListRuleSets(self, request, context):
        ctx = require_program(context)
        views = await rulesets.list_all(self._pool, program_id=ctx.program_id,
                                        include_archived=request.include_archived)
        return pb.ListRuleSetsResponse(rule_sets=[rule_set_to_proto(v) for v in views])

    async def PublishRuleSet(self, request, context):
        ctx = require_program(context)
        return rule_set_to_proto(await rulesets.publish(
            self._pool, program_id=ctx.program_id, principal=ctx.principal, code=request.code,
            draft_version=request.draft_version, on_change=self._policy.invalidate))

    async def ArchiveRuleSet(self, request, context):
        ctx = require_program(context)
        return rule_set_to_proto(await rulesets.archive(self._pool, program_id=ctx.program_id, code=request.code,
                                                        on_change=self._policy.invalidate))

    async def ValidateRules(self, request, context):
        problems = rulesets.validate_rules_json(request.rules_json)
        return pb.ValidateRulesResponse(valid=not problems, problems=[
            pb.RuleProblem(rule=p.rule, field=p.field, message=p.message) for p in problems])

    async def SaveCampaign(self, request, context):
        ctx = require_program(context)
        c = request.campaign
        row = await campaigns.save(self._pool, program_id=ctx.program_id, on_change=self._policy.invalidate,
                                   data=campaigns.CampaignInput(
                                       code=c.code, name=c.name, starts_at=c.starts_at, ends_at=c.ends_at,
                                       targets={k: list(getattr(c.targets, k)) for k in campaigns.TARGET_KINDS},
                                       budget_total=c.budget_total, budget_per_member=c.budget_per_member,
                                       discount_budget_total=c.discount_budget_total,
                                       discount_budget_per_member=c.discount_budget_per_member))
        return campaign_to_proto(row)

    async def ListCampaigns(self, request, context):
        ctx = require_program(context)
        rows = await campaigns.list_all(self._pool, program_id=ctx.program_id)
        return pb.ListCampaignsResponse(campaigns=[campaign_to_proto(r) for r in rows])

    async def GetCampaignReport(self, request, context):
        ctx = require_program(context)
        r = await campaigns.report(self._pool, program_id=ctx.program_id, code=request.code)
        return pb.CampaignReport(code=r.code, points_issued=r.points_issued, members_reached=r.members_reached,
                                 transactions=r.transactions, budget_total=r.budget_total, budget_left=r.budget_left)

    async def DryRunEarn(self, request, context):
        ctx = require_program(context)
        result = await dry_runs.dry_run_earn(
            self._pool, program_id=ctx.program_id, facts_source=self._facts, request=basket_query(request.transaction),
            rule_set_code=request.rule_set_code, draft_rules_json=request.draft_rules_json)
        return pb.DryRunEarnResponse(
            points=max(result.draft.points, 0), breakdown=lines_to_proto(result.draft.lines),
            published_points=max(result.published.points, 0),
            published_breakdown=lines_to_proto(result.published.lines),
            discounts=discount_lines_to_proto(result.draft_discounts.lines),
            published_discounts=discount_lines_to_proto(result.published_discounts.lines))

    async def ReplayDraft(self, request, context):
        ctx = require_program(context)
        r = await dry_runs.replay(self._pool, program_id=ctx.program_id, facts_source=self._facts,
                                  rule_set_code=request.rule_set_code, days=request.days,
                                  max_transactions=request.max_transactions)
        return pb.ReplayReport(
            transactions=r.transactions, published_points=r.published_points, draft_points=r.draft_points,
            points_difference=r.draft_points - r.published_points, members_affected=r.members_affected,
            campaigns=[pb.CampaignBudgetUse(campaign_code=k, published_points=v[0], draft_points=v[1])
                       for k, v in r.campaigns.items()],
            truncated=r.truncated, published_discount_total=f"{r.discount_totals[0]:f}",
            draft_discount_total=f"{r.discount_totals[1]:f}")

    async def ExplainTransaction(self, request, context):
        ctx = require_program(context)
        row = await dry_runs.explain(self._pool, program_id=ctx.program_id, reference=request.reference)
        details = row["details"] or {}
        lines = details.get("breakdown", [])
        return pb.ExplainTransactionResponse(
            transaction_id=str(row["id"]), kind=row["kind"], points=row["points"],
            discounts=stored_discounts_to_proto(details.get("discounts", [])), net_amount=details.get("net_amount", ""),
            breakdown=[points_pb.EarnLine(rule=x.get("rule", ""), rule_version=x.get("rule_version", ""),
                                          point_type=x.get("point_type", "base"), points=x.get("points", 0),
                                          description=x.get("description", ""),
                                          campaign_code=x.get("campaign_code", "")) for x in lines])

    async def QuoteBurn(self, request, context):
        ctx = require_program(context)
        q = await burn_quotes.quote(self._pool, program_id=ctx.program_id, facts_source=self._facts,
                                loyalty_number=request.loyalty_number, amount=request.amount, points=request.points,
                                channel=request.channel, location_code=request.location_code,
                                partner_code=request.partner_code)
        return burn_quote_to_proto(q)

    async def BurnWithBill(self, request, context):
        ctx = require_program(context)
        billed = await self._posted(context, burn_quotes.burn_with_bill(
            self._pool, program_id=ctx.program_id, facts_source=self._facts, command=bill_burn(request),
            replay=billed_burn_replay(request)))
        if self._relay is not None:
            self._relay.kick()
        return billed_burn_to_proto(billed)

    async def QuoteDiscounts(self, request, context):
        ctx = require_program(context)
        result, currency = await baskets.quote_discounts(self._pool, program_id=ctx.program_id,
                                                         facts_source=self._facts, request=basket_query(request.transaction))
        return pb.DiscountQuote(
            currency=currency, gross_amount=f"{result.gross:f}", discount_total=f"{result.total:f}",
            net_amount=f"{result.net:f}", lines=discount_lines_to_proto(result.lines),
            skipped=[pb.DiscountSkip(rule=s.rule, rule_version=s.rule_version, reason=s.reason)
                     for s in result.skipped])

    async def ApplyEnrollRules(self, request, context):
        ctx = require_program(context)
        return grants_to_proto(await self._posted(context, bonuses.apply_enroll_rules(
            self._pool, program_id=ctx.program_id, facts_source=self._facts, loyalty_number=request.loyalty_number)))

    async def ApplyReferral(self, request, context):
        ctx = require_program(context)
        return grants_to_proto(await self._posted(context, bonuses.apply_referral(
            self._pool, program_id=ctx.program_id, facts_source=self._facts,
            referrer=request.referrer_loyalty_number, referred=request.referred_loyalty_number)))

    async def RunBirthdays(self, request, context):
        ctx = require_program(context)
        try:
            day = dt.date.fromisoformat(request.date) if request.date else None
        except ValueError:
            raise invalid("date", f"{request.date!r} is not an ISO date (YYYY-MM-DD)") from None
        return grants_to_proto(await self._posted(context, bonuses.run_birthdays(
            self._pool, program_id=ctx.program_id, facts_source=self._facts, date=day)))



def register(server: grpc.aio.Server, servicer: RulesServicer) -> None:
    pb_grpc.add_RulesServiceServicer_to_server(servicer, server)
