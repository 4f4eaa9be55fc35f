"""Builders for billing tests: a provisioned program, partners with cards, and ledger events."""

import datetime as dt
import uuid
import zoneinfo

from loyalty.common.v1 import events_pb2, program_pb2
from services.billing import api as billing_api
from services.billing import ledger_events, partners, programs, rate_cards
from services.common.db import tenant_tx
from services.common.ledger_event import LedgerEvent
from tests.fixtures.postgres import program_spec

UTC = dt.timezone.utc


async def new_program(pool, *, expiry_days: int = 0, round_to_month_end: bool = False) -> uuid.UUID:
    spec = program_spec(expiry=program_pb2.ExpiryPolicy(days=expiry_days, round_to_month_end=round_to_month_end))
    await programs.provision(pool, billing_api.program_input(spec))
    return uuid.UUID(spec.id)


async def add_partner(pool, program_id, code: str, *, segment: str = "", locations: tuple[str, ...] = ()):
    return await partners.create(
        pool, program_id, partner_code=code, name=f"Partner {code}", segment_code=segment,
        contacts=[partners.Contact(name="Billing desk", email=f"billing@{code.lower()}.example", role="finance")],
        locations=[partners.Location(code=loc, name=f"Store {loc}") for loc in locations],
    )


async def add_card(pool, program_id, *, partner: str = "", segment: str = "", campaign: str = "",
                   valid_from: str = "2020-01-01", valid_to: str = "", issue: str = "0.01", redeem: str = "0.008",
                   currency: str = "EUR"):
    return await rate_cards.create(pool, program_id, partner_code=partner, segment_code=segment,
                                   campaign_code=campaign, valid_from=valid_from, valid_to=valid_to,
                                   issue_rate=issue, redeem_rate=redeem, currency=currency)


def event(*, kind: str, points: int, at: dt.datetime, member: str = "m1", partner: str = "", location: str = "",
          campaign: str = "", amount: str = "", transaction_id: str | None = None, voided: str = "",
          voided_at: dt.datetime | None = None) -> events_pb2.LedgerEvent:
    event_type = {"EARN": "LOY_POINT_ACCRUAL", "BURN": "LOY_POINT_REDEMPTION", "VOID": "LOY_POINT_VOID",
                  "EXPIRE": "LOY_POINT_EXPIRY"}.get(kind, "LOY_POINT_ADJUSTMENT")
    return events_pb2.LedgerEvent(
        event_id=str(uuid.uuid4()), event_type=event_type, transaction_id=transaction_id or str(uuid.uuid4()),
        transaction_kind=kind, member_id=member, points=points, amount=amount, currency="EUR" if amount else "",
        partner_code=partner, location_code=location, campaign_code=campaign, occurred_at=at.isoformat(),
        voided_transaction_id=voided, voided_occurred_at=voided_at.isoformat() if voided_at else "",
    )


def void_of(original: events_pb2.LedgerEvent, at: dt.datetime) -> events_pb2.LedgerEvent:
    return event(kind="VOID", points=-original.points, at=at, member=original.member_id,
                 partner=original.partner_code, location=original.location_code, voided=original.transaction_id,
                 voided_at=dt.datetime.fromisoformat(original.occurred_at))


async def feed(pool, program_id, events) -> int:
    return await ledger_events.consume(pool, metadata_program_id=program_id,
                                       events=[LedgerEvent.of(e) for e in events])


MADRID = zoneinfo.ZoneInfo("Europe/Madrid")


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    """A wall-clock time in the test programs' zone (Europe/Madrid)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=MADRID)


async def program_code(pool, program_id: uuid.UUID) -> str:
    async with tenant_tx(pool, program_id) as conn:
        return await conn.fetchval("SELECT code FROM programs WHERE id = $1", program_id)
