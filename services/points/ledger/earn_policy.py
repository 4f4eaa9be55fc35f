"""How many points a purchase earns. The ledger asks an EarnPolicy; the rules engine is one.

The flat-rate policy is a program's default until it publishes rules: `earn_rate` points per
whole currency unit, rounded down (12.50 EUR at 1 -> 12 points).
"""

import dataclasses
import datetime as dt
import uuid
from decimal import ROUND_FLOOR, Decimal
from collections.abc import Mapping
from typing import Any, Protocol

import asyncpg

from services.points.ledger import commands


@dataclasses.dataclass(frozen=True)
class EarnLine:
    rule: str
    points: int
    point_type: str = "base"
    rule_version: str = ""
    description: str = ""
    campaign_code: str = ""


@dataclasses.dataclass(frozen=True)
class EarnQuote:
    points: int
    lines: tuple[EarnLine, ...]
    expires_at_override: dt.datetime | None = None
    # More for the posting's details, from the policy (the rules engine: discounts, the basket)
    details: Mapping[str, Any] = dataclasses.field(default_factory=dict)


def stored_line(line: EarnLine) -> dict:
    """A breakdown line as a posting records it: defaults left out, so 8 lines stay small."""
    out = {"rule": line.rule, "points": line.points, "rule_version": line.rule_version}
    if line.point_type != "base":
        out["point_type"] = line.point_type
    if line.description:
        out["description"] = line.description
    if line.campaign_code:
        out["campaign_code"] = line.campaign_code
    return out


def posting_details(quote: EarnQuote) -> dict:
    return {"breakdown": [stored_line(line) for line in quote.lines], **quote.details}


class FactsNeeded(Exception):
    """A policy's quote needs member facts fetched over the network. The earn rolls back, fetches them
    with no connection held (`EarnPolicy.fetch_facts`), and quotes again with them."""

    def __init__(self, member_id: uuid.UUID, needs: frozenset[str]):
        super().__init__(f"facts {sorted(needs)} of member {member_id}")
        self.member_id = member_id
        self.needs = needs


class EarnPolicy(Protocol):
    async def quote(
        self, conn: asyncpg.Connection, *, program: asyncpg.Record, member_id: uuid.UUID,
        request: commands.Earn, amount: Decimal, occurred_at: dt.datetime, facts: Any = None,
    ) -> EarnQuote:
        """Within the earn's transaction; raises FactsNeeded rather than call the network."""

    async def fetch_facts(self, *, program_id: uuid.UUID, member_id: uuid.UUID, needs: frozenset[str]) -> Any:
        """Outside any transaction: the facts a FactsNeeded asked for."""


class FlatRatePolicy:
    async def fetch_facts(self, *, program_id, member_id, needs) -> None:
        return None

    async def quote(self, conn, *, program, member_id, request, amount, occurred_at, facts=None) -> EarnQuote:
        rate = program["earn_rate"]
        points = int((amount * rate).to_integral_value(rounding=ROUND_FLOOR))
        return EarnQuote(points=points, lines=(EarnLine(rule="base-rate", points=points,
                                                        description=f"{rate} per {program['currency']}"),))
