"""A basket asked about before (or instead of) an earn: a discount quote, a dry run. Nothing is posted."""

import dataclasses
import uuid

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid
from services.points.ledger import posting
from services.points.rules import discount_budgets
from services.points.rules.discounts import Discounts
from services.points.rules.evaluation import Transaction
from services.points.rules.policy import load_program_rules, transaction_of, with_base


@dataclasses.dataclass(frozen=True)
class BasketQuery:
    """A transaction to quote or dry-run, as the till would send it (strings checked by `load`)."""

    amount: str
    currency: str = ""
    loyalty_number: str = ""  # empty: an anonymous basket
    occurred_at: str = ""  # RFC 3339; empty: now
    channel: str = ""
    location_code: str = ""
    partner_code: str = ""
    items: tuple = ()  # ledger.commands.Item


@dataclasses.dataclass(frozen=True)
class Basket:
    program: asyncpg.Record
    member_id: uuid.UUID | None
    txn: Transaction


async def load(conn: asyncpg.Connection, *, program_id: uuid.UUID, request: BasketQuery) -> Basket:
    """The program, the member when the request names one, and the transaction as an earn sees it."""
    amount = validation.amount(request.amount)
    occurred_at = validation.timestamp(request.occurred_at, "occurredAt") if request.occurred_at else posting.now()
    program = await posting.load_program(conn, program_id)
    if request.currency and request.currency != program["currency"]:
        raise invalid("currency", f"{request.currency!r} is not the program's currency {program['currency']}")
    member_id = None
    if request.loyalty_number:
        member_id = (await posting.load_member(conn, request.loyalty_number))["id"]
    return Basket(program=program, member_id=member_id,
                  txn=transaction_of(request, program=program, amount=amount, occurred_at=occurred_at))


async def quote_discounts(pool: asyncpg.Pool, *, program_id: uuid.UUID, facts_source, request: BasketQuery
                          ) -> tuple[Discounts, str]:
    """The published discounts of a basket, budgets as they stand, and the program's currency."""
    async with tenant_tx(pool, program_id) as conn:
        basket = await load(conn, program_id=program_id, request=request)
        compiled = await load_program_rules(conn)
        sets = with_base(compiled.index.sets_for(basket.txn), basket.program)
        facts = await facts_source.fetch(program_id=program_id, member_id=basket.member_id,
                                         needs=discount_budgets.discount_needs(sets, basket.txn))
        result = await discount_budgets.read_only(conn, sets, program_id=program_id, member_id=basket.member_id,
                                             txn=basket.txn, facts=facts)
    return result, basket.program["currency"]
