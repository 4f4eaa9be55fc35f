"""Ledger events in: the compact activity per member and day, then upgrades at the qualifying event.

What counts: accruals of kind EARN, RETRO_CLAIM, ACTIVATE (a pending earn made available, on
the activation day) or IMPORT with positive points (points earned, not
the balance; `imported` history too, on its original dates) add their points, their purchase
amount (in the program's currency) and one transaction to their local day. A void of such an
earn subtracts from the voided earn's day: its points, its share of the amount, and the
transaction once the earn is voided in full (the void's own amount is not used: the ledger
sends the voided transaction's whole amount even for a partial void). Redemptions, expiry, transfers, adjustments and
goodwill do not qualify. Every event makes its member known (base tier in every slab).
"""

import dataclasses
import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.common.ledger_event import LedgerEvent
from services.tier import dates, definitions, repository

QUALIFYING_KINDS = frozenset({"EARN", "RETRO_CLAIM", "ACTIVATE", "IMPORT"})
ACCRUAL = "LOY_POINT_ACCRUAL"
CENTS = Decimal("0.0001")


@dataclasses.dataclass(frozen=True)
class Parsed:
    event_id: str
    transaction_id: str
    member_id: uuid.UUID | None
    loyalty_number: str
    day: dt.date | None
    points: int
    amount: Decimal
    qualifying: bool
    voided_transaction_id: str  # set for a void


def _parse(index: int, event, *, program_id: uuid.UUID, program) -> Parsed:
    field = f"events[{index}]"
    if not event.event_id:
        raise invalid(f"{field}.event_id", "is required")
    if event.program_id and event.program_id != str(program_id):
        raise invalid(f"{field}.program_id", "belongs to another program than the call's x-program-id")
    member_id = None
    if event.member_id:
        try:
            member_id = uuid.UUID(event.member_id)
        except ValueError:
            raise invalid(f"{field}.member_id", "is not a UUID") from None
    day = None
    if event.occurred_at:
        try:
            instant = dt.datetime.fromisoformat(event.occurred_at)
        except ValueError:
            raise invalid(f"{field}.occurred_at", f"{event.occurred_at!r} is not an RFC 3339 timestamp") from None
        if instant.tzinfo is None:
            raise invalid(f"{field}.occurred_at", "needs a UTC offset")
        day = dates.local_day(instant, program["timezone"])
    amount = Decimal(0)
    if event.amount and (not event.currency or event.currency == program["currency"]):
        try:
            amount = Decimal(event.amount)
        except InvalidOperation:
            raise invalid(f"{field}.amount", f"{event.amount!r} is not a decimal number") from None
        if not amount.is_finite():
            raise invalid(f"{field}.amount", f"{event.amount!r} is not a decimal number")
    kind = event.transaction_kind.upper()
    qualifying = (event.event_type == ACCRUAL and kind in QUALIFYING_KINDS and event.points > 0
                  and member_id is not None and day is not None)
    is_void = (kind == "VOID" or event.event_type == "LOY_POINT_VOID") and bool(event.voided_transaction_id)
    return Parsed(
        event_id=event.event_id, transaction_id=event.transaction_id, member_id=member_id,
        loyalty_number=event.loyalty_number, day=day, points=event.points, amount=abs(amount),
        qualifying=qualifying, voided_transaction_id=event.voided_transaction_id if is_void else "",
    )


async def consume(pool: asyncpg.Pool, *, program_id: uuid.UUID, events: Sequence[LedgerEvent]) -> int:
    """Apply a batch once (events seen before are acknowledged and skipped); returns the batch size."""
    async with tenant_tx(pool, program_id) as conn:
        program = await repository.program(conn, program_id)
        if program is None:
            raise not_found("program", str(program_id))
        parsed: dict[str, Parsed] = {}
        for index, event in enumerate(events):
            parsed.setdefault(event.event_id, _parse(index, event, program_id=program_id, program=program))
        new_ids = await repository.record_events(conn, program_id=program_id, rows=[
            (p.event_id, p.transaction_id, p.member_id, p.day if p.qualifying else None,
             p.points if p.qualifying else 0, p.amount if p.qualifying else Decimal(0), p.qualifying)
            for p in parsed.values()
        ])
        fresh = [p for p in parsed.values() if p.event_id in new_ids]
        if not fresh:
            return len(events)

        members = {p.member_id: p.loyalty_number for p in fresh if p.member_id is not None}
        first_day = min((p.day for p in fresh if p.day), default=dates.today(program["timezone"]))
        created = await repository.upsert_members(conn, program_id=program_id, members=members)
        await repository.add_base_rows(conn, program_id=program_id, member_ids=created, day=first_day)

        deltas: dict[tuple[uuid.UUID, dt.date], list] = defaultdict(lambda: [0, Decimal(0), 0])
        upgrade_as_of: dict[uuid.UUID, dt.date] = {}
        for p in fresh:
            if p.qualifying:
                delta = deltas[(p.member_id, p.day)]
                delta[0] += p.points
                delta[1] += p.amount
                delta[2] += 1
                upgrade_as_of[p.member_id] = max(p.day, upgrade_as_of.get(p.member_id, p.day))
        await _apply_voids(conn, [p for p in fresh if p.voided_transaction_id], deltas)
        await repository.add_activity(conn, program_id=program_id, deltas=deltas)

        if upgrade_as_of:
            for slab in await definitions.load_all(conn):
                await repository.upgrade_at_events(conn, program_id=program_id, slab=slab, as_of=upgrade_as_of)
    return len(events)


async def _apply_voids(conn: asyncpg.Connection, voids: list[Parsed], deltas: dict) -> None:
    if not voids:
        return
    earns = {r["transaction_id"]: dict(r) for r in await repository.qualifying_earns(
        conn, sorted({v.voided_transaction_id for v in voids}))}
    touched: set[str] = set()
    for void in voids:
        earn = earns.get(void.voided_transaction_id)
        if earn is None:  # a void of something that never qualified (a burn, a goodwill, ...)
            continue
        remaining = earn["points"] - earn["voided_points"]
        points = min(abs(void.points), remaining)
        if points <= 0:
            continue
        before = (earn["amount"] * earn["voided_points"] / earn["points"]).quantize(CENTS)
        earn["voided_points"] += points
        after = (earn["amount"] * earn["voided_points"] / earn["points"]).quantize(CENTS)
        delta = deltas[(earn["member_id"], earn["day"])]
        delta[0] -= points
        delta[1] -= after - before  # the voided share of the purchase amount
        if earn["voided_points"] >= earn["points"]:
            delta[2] -= 1
        touched.add(earn["transaction_id"])
    await repository.set_voided_points(conn, [(earns[t]["event_id"], earns[t]["voided_points"]) for t in touched])
