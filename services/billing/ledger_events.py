"""ConsumeLedgerEvents: the points service's postings become billing lines and member lots.

Delivery is at least once and in order per program: each event_id is claimed once in
consumed_events, in the same transaction as its effects, so a redelivery changes nothing.
"""

import dataclasses
import datetime as dt
import uuid
import zoneinfo
from collections import OrderedDict
from decimal import Decimal, InvalidOperation

import asyncpg

from services.billing import periods, repository
from services.billing.programs import load as load_program
from services.billing.rate_cards import RateBook
from services.common.db import tenant_tx
from services.common.errors import invalid
from services.common.ledger_event import LedgerEvent

ZERO = Decimal(0)
_BY_EVENT_TYPE = {"LOY_POINT_ACCRUAL": "EARN", "LOY_POINT_REDEMPTION": "BURN", "LOY_POINT_VOID": "VOID",
                  "LOY_POINT_EXPIRY": "EXPIRE"}
# Partner-billed kinds as the points service posts them: a pending earn is billed when ACTIVATEd,
# a RETRO_CLAIM is a late earn; GOODWILL, ADJUST, TRANSFER and MERGE move lots but are never billed.
_KINDS = {"EARN": "EARN", "ACCRUAL": "EARN", "ACTIVATE": "EARN", "RETRO_CLAIM": "EARN", "BURN": "BURN",
          "REDEEM": "BURN", "REDEMPTION": "BURN", "CAPTURE": "BURN", "VOID": "VOID", "EXPIRE": "EXPIRE",
          "EXPIRY": "EXPIRE"}


def classify(event: LedgerEvent) -> str:
    """EARN, BURN, VOID, EXPIRE or OTHER (adjustments, goodwill, transfers: lots only, never billed)."""
    kind = _KINDS.get(event.transaction_kind.upper())
    if kind is None and not event.transaction_kind:
        kind = _BY_EVENT_TYPE.get(event.event_type)
    if kind is None and event.voided_transaction_id:
        kind = "VOID"
    return kind or "OTHER"


def _instant(value: str, field: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise invalid(field, f"{value!r} is not an RFC 3339 timestamp") from None
    if parsed.tzinfo is None:
        raise invalid(field, "needs a UTC offset")
    return parsed


def _money(value: str) -> Decimal:
    try:
        return Decimal(value) if value else ZERO
    except InvalidOperation:
        return ZERO


@dataclasses.dataclass
class _Batch:
    program: asyncpg.Record
    rates: RateBook
    locations: dict[str, str]
    closed: set[dt.date]
    lines: list[dict] = dataclasses.field(default_factory=list)
    lines_by_transaction: dict[str, dict] = dataclasses.field(default_factory=dict)
    lots: list[dict] = dataclasses.field(default_factory=list)  # new lots, written before anything reads lots

    async def write_lots(self, conn: asyncpg.Connection) -> None:
        await repository.insert_lots(conn, program_id=self.program["id"], lots=self.lots)
        self.lots.clear()

    def attribute(self, event: LedgerEvent) -> str:
        """The partner named on the event, else the owner of its location; '' when neither."""
        return event.partner_code or self.locations.get(event.location_code, "")

    def place(self, occurred_at: dt.datetime) -> tuple[dt.date, dt.date]:
        """(statement period, the month it happened in)."""
        month = periods.month_of(occurred_at, self.program["timezone"])
        return periods.statement_period(month, self.closed), month


async def consume(pool: asyncpg.Pool, *, metadata_program_id: uuid.UUID | None,
                  events: list[LedgerEvent]) -> int:
    groups: OrderedDict[uuid.UUID, list] = OrderedDict()
    for i, event in enumerate(events):
        if not event.event_id:
            raise invalid(f"events[{i}].event_id", "is required")
        raw = event.program_id or (str(metadata_program_id) if metadata_program_id else "")
        try:
            program_id = uuid.UUID(raw)
        except ValueError:
            raise invalid(f"events[{i}].program_id", "is required (a UUID) on the event or in x-program-id") from None
        if metadata_program_id and program_id != metadata_program_id:
            raise invalid(f"events[{i}].program_id", "differs from the x-program-id metadata")
        _instant(event.occurred_at, f"events[{i}].occurred_at")
        groups.setdefault(program_id, []).append(event)
    accepted = 0
    for program_id, group in groups.items():
        accepted += await _consume_program(pool, program_id, group)
    return accepted


async def _consume_program(pool: asyncpg.Pool, program_id: uuid.UUID, events: list) -> int:
    async with tenant_tx(pool, program_id) as conn:
        await repository.lock_periods_shared(conn, program_id)
        program = await load_program(conn, program_id)
        fresh = await repository.claim_events(conn, program_id=program_id, event_ids=[e.event_id for e in events])
        if not fresh:
            return 0
        batch = _Batch(
            program=program,
            rates=RateBook(await repository.rate_cards(conn), await repository.partner_directory(conn)),
            locations={r["code"]: r["partner_code"] for r in await repository.all_locations(conn)},
            closed=await repository.closed_periods(conn),
        )
        applied = 0
        for event in events:
            if event.event_id in fresh:
                fresh.discard(event.event_id)  # a duplicate later in the same batch is skipped too
                await _apply(conn, batch, event)
                applied += 1
        await batch.write_lots(conn)
        await repository.insert_lines(conn, program_id=program_id, lines=batch.lines)
        return applied


async def _apply(conn: asyncpg.Connection, batch: _Batch, event: LedgerEvent) -> None:
    kind = classify(event)
    occurred_at = _instant(event.occurred_at, "occurred_at")
    program_id = batch.program["id"]
    if kind == "VOID":
        await _void(conn, batch, event, occurred_at)
        return
    partner = batch.attribute(event) if kind in ("EARN", "BURN") else ""
    rate, currency = ZERO, batch.program["currency"]
    if partner and not event.imported:
        price = batch.rates.price(partner_code=partner, campaign_code=event.campaign_code,
                                  day=occurred_at.astimezone(_zone(batch)).date(), redeem=kind == "BURN")
        if price is not None:
            rate, currency = price.rate, price.currency
        period, month = batch.place(occurred_at)
        line = {
            "event_id": event.event_id, "partner_code": partner, "period": period, "reference_period": month,
            "correction": period != month, "kind": "ISSUE" if kind == "EARN" else "REDEEM",
            "transaction_id": event.transaction_id, "voided_transaction_id": "", "member_id": event.member_id,
            "points": event.points, "purchase_amount": _money(event.amount), "rate": rate,
            "value": event.points * rate, "currency": currency, "location_code": event.location_code,
            "campaign_code": event.campaign_code, "occurred_at": occurred_at,
        }
        batch.lines.append(line)
        batch.lines_by_transaction.setdefault(event.transaction_id, line)
    if not event.member_id or event.points == 0:
        return
    if event.points > 0 and kind == "OTHER" and await _mirror(conn, batch, event):
        return
    if event.points > 0:
        _add_lot(batch, event, occurred_at, partner=partner if kind == "EARN" else event.partner_code,
                 rate=rate if kind == "EARN" else ZERO, currency=currency)
    else:
        taken = await _draw(conn, batch, member_id=event.member_id, transaction_id=event.transaction_id,
                            points=-event.points)
        if kind == "EXPIRE":
            month = periods.month_of(occurred_at, batch.program["timezone"])
            await repository.insert_breakage(conn, program_id=program_id, rows=[
                (event.event_id, lot["id"], lot["partner_code"], month, points, points * lot["issue_rate"],
                 lot["currency"], occurred_at)
                for lot, points in taken
            ])


def _zone(batch: _Batch) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(batch.program["timezone"])


async def _void(conn: asyncpg.Connection, batch: _Batch, event: LedgerEvent, occurred_at: dt.datetime):
    program_id = batch.program["id"]
    voided = event.voided_transaction_id
    original = batch.lines_by_transaction.get(voided) or await repository.line_for_transaction(conn, voided)
    if original is not None and not event.imported:
        points = event.points or -original["points"]
        period, _ = batch.place(occurred_at)
        batch.lines.append({
            "event_id": event.event_id, "partner_code": original["partner_code"], "period": period,
            "reference_period": original["reference_period"], "correction": period != original["reference_period"],
            "kind": "VOID_" + original["kind"], "transaction_id": event.transaction_id,
            "voided_transaction_id": voided, "member_id": event.member_id or original["member_id"],
            "points": points, "purchase_amount": _voided_amount(original, points), "rate": original["rate"],
            "value": points * original["rate"], "currency": original["currency"],
            "location_code": original["location_code"], "campaign_code": original["campaign_code"],
            "occurred_at": occurred_at,
        })
    if not event.member_id or event.points == 0:
        return
    if event.points < 0:  # the void of a credit: take the points back, from the voided lot first
        await _draw(conn, batch, member_id=event.member_id, transaction_id=event.transaction_id,
                    points=-event.points, prefer_transaction=voided)
        return
    remaining = event.points  # the void of a debit: give back what it took from each lot
    await batch.write_lots(conn)
    for draw in await repository.draws(conn, voided):
        give = min(remaining, draw["points"])
        if give > 0:
            await repository.restore_lot(conn, program_id=program_id, transaction_id=event.transaction_id,
                                         lot_id=draw["lot_id"], points=give)
            remaining -= give
    if remaining > 0:
        _add_lot(batch, event, occurred_at, partner="", rate=ZERO, currency=batch.program["currency"],
                 points=remaining)


async def _mirror(conn: asyncpg.Connection, batch: _Batch, event: LedgerEvent) -> bool:
    """A transfer's or merge's credit takes over the lots its debit (same transaction) drew, keeping
    their funding partner and expiry, so breakage still goes to the partner that funded the points."""
    left = event.points
    await batch.write_lots(conn)
    for lot in await repository.drawn_lots(conn, event.transaction_id):
        points = min(left, lot["points"])
        if points <= 0:
            break
        batch.lots.append({
            "member_id": event.member_id, "transaction_id": event.transaction_id, "partner_code": lot["partner_code"],
            "issue_rate": lot["issue_rate"], "currency": lot["currency"], "earned_at": lot["earned_at"],
            "expires_at": lot["expires_at"], "points": points,
        })
        left -= points
    if left == event.points:
        return False
    if left > 0:
        _add_lot(batch, event, _instant(event.occurred_at, "occurred_at"), partner="", rate=ZERO,
                 currency=batch.program["currency"], points=left)
    return True


def _voided_amount(original, points: int) -> Decimal:
    """The purchase amount a (possibly partial) void takes back, pro rata to its points."""
    if points == -original["points"] or not original["points"]:
        return -original["purchase_amount"]
    return (original["purchase_amount"] * points / original["points"]).quantize(Decimal("0.0001"))


def _add_lot(batch: _Batch, event, occurred_at: dt.datetime, *, partner: str, rate: Decimal,
             currency: str, points: int | None = None) -> None:
    program = batch.program
    batch.lots.append({
        "member_id": event.member_id, "transaction_id": event.transaction_id, "partner_code": partner,
        "issue_rate": rate, "currency": currency, "earned_at": occurred_at,
        "expires_at": periods.lot_expiry(earned_at=occurred_at, days=program["expiry_days"],
                                         round_to_month_end=program["expiry_round_to_month_end"],
                                         timezone=program["timezone"]),
        "points": points or event.points,
    })


async def _draw(conn, batch: _Batch, *, member_id: str, transaction_id: str, points: int,
                prefer_transaction: str = "") -> list[tuple[asyncpg.Record, int]]:
    """Take points from the member's lots, soonest-expiring first; what cannot be covered is ignored
    (the ledger is the authority on balances; lots here only attribute points to partners)."""
    await batch.write_lots(conn)
    program_id = batch.program["id"]
    taken: list[tuple[asyncpg.Record, int]] = []
    for lot in await repository.open_lots(conn, member_id=member_id, prefer_transaction=prefer_transaction):
        if points <= 0:
            break
        take = min(points, lot["remaining"])
        taken.append((lot, take))
        points -= take
    if taken:
        await repository.take_from_lots(conn, program_id=program_id, transaction_id=transaction_id,
                                        takes=[(lot["id"], n) for lot, n in taken])
    return taken
