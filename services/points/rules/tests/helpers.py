"""A program of its own with rules: save/publish rule sets and earn through RulesEarnPolicy."""

import dataclasses
import json

from loyalty.points.v1 import points_service_pb2 as pb
from services.points.ledger import earning, results
from services.points.rules import campaigns, rulesets
from services.points.rules.facts import RemoteFacts
from services.points.rules.policy import RulesEarnPolicy
from services.points.tests.helpers import Ledger


@dataclasses.dataclass
class RulesProgram:
    ledger: Ledger
    policy: RulesEarnPolicy
    facts: RemoteFacts

    @classmethod
    async def new(cls, pool, **spec) -> "RulesProgram":
        # no member or tier service here: rules that need them report them unavailable
        facts = RemoteFacts(member_addr=None, tier_addr=None)
        return cls(ledger=await Ledger.new(pool, **spec), policy=RulesEarnPolicy(facts), facts=facts)

    @property
    def pool(self):
        return self.ledger.pool

    @property
    def program_id(self):
        return self.ledger.program_id

    async def save(self, code: str, rules: list | str, *, scope: str = "program", ref: str = "", name: str = ""):
        text = rules if isinstance(rules, str) else json.dumps(rules)
        return await rulesets.save(self.pool, program_id=self.program_id, principal="test", code=code, name=name,
                                   scope=scope, scope_ref=ref, rules_json=text)

    async def publish(self, code: str, rules: list | None = None, **kw):
        if rules is not None:
            await self.save(code, rules, **kw)
        return await rulesets.publish(self.pool, program_id=self.program_id, principal="test", code=code,
                                      on_change=self.policy.invalidate)

    async def campaign(self, code: str, starts_at: str, ends_at: str, **kw):
        return await campaigns.save(self.pool, program_id=self.program_id, on_change=self.policy.invalidate,
                                    data=campaigns.CampaignInput(code=code, name=code, starts_at=starts_at,
                                                                 ends_at=ends_at, targets=kw.pop("targets", {}), **kw))

    async def member(self) -> str:
        return await self.ledger.member()

    async def earn(self, number: str, amount: str, reference: str, **kw) -> pb.EarnResponse:
        request = pb.EarnRequest(loyalty_number=number, amount=amount, currency=self.ledger.spec.currency,
                                 reference=reference, **kw)
        return await self.ledger.call(earning.earn, request, pb.EarnResponse, results.Earned, policy=self.policy)
