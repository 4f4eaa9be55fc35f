"""Effective-dated rate cards: per partner or per segment (shared by its partners), optionally per campaign.

Which card prices a line: the first in effect on the line's local date among
(partner, campaign), (segment, campaign), (partner, base), (segment, base).
"""

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import asyncpg

from services.billing import repository
from services.billing.partners import code as partner_code_check
from services.billing.programs import load as load_program
from services.billing.programs import rate
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid


def _date(value: str, field: str, *, required: bool) -> dt.date | None:
    if not value:
        if required:
            raise invalid(field, "is required")
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise invalid(field, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


async def create(pool: asyncpg.Pool, program_id: uuid.UUID, *, partner_code: str, segment_code: str,
                 campaign_code: str, valid_from: str, valid_to: str, issue_rate: str, redeem_rate: str,
                 currency: str) -> asyncpg.Record:
    if bool(partner_code) == bool(segment_code):
        raise invalid("partnerCode", "name exactly one of partnerCode or segmentCode")
    start = _date(valid_from, "validFrom", required=True)
    end = _date(valid_to, "validTo", required=False)
    if end is not None and end < start:
        raise invalid("validTo", f"{end} is before validFrom {start}")
    issue = rate(issue_rate, "issueRate")
    redeem = rate(redeem_rate, "redeemRate")
    validation.currency(currency)
    if campaign_code:
        partner_code_check(campaign_code, "campaignCode")
    async with tenant_tx(pool, program_id) as conn:
        await load_program(conn, program_id)
        partner_id = segment_id = None
        if partner_code:
            # Locking the owner serialises card changes for it, so the overlap check below holds.
            partner = await repository.partner_by_code(conn, partner_code, for_update=True)
            if partner is None:
                raise DomainError(ErrorCode.NOT_FOUND, f"partner {partner_code!r} not found", field="partnerCode")
            partner_id = partner["id"]
        else:
            segment = await conn.fetchrow("SELECT id FROM partner_segments WHERE code = $1 FOR UPDATE", segment_code)
            if segment is None:
                raise DomainError(ErrorCode.NOT_FOUND, f"partner segment {segment_code!r} not found",
                                  field="segmentCode")
            segment_id = segment["id"]
        clash = await repository.overlapping_card(conn, partner_id=partner_id, segment_id=segment_id,
                                                  campaign_code=campaign_code, valid_from=start, valid_to=end)
        if clash is not None:
            raise DomainError(
                ErrorCode.RATE_CARD_OVERLAP,
                f"validFrom: {start}..{end or 'open-ended'} overlaps the card in effect "
                f"{clash['valid_from']}..{clash['valid_to'] or 'open-ended'} for {partner_code or segment_code}"
                + (f" campaign {campaign_code}" if campaign_code else ""),
                field="validFrom",
            )
        return await repository.insert_rate_card(
            conn, program_id=program_id, partner_id=partner_id, segment_id=segment_id, campaign_code=campaign_code,
            valid_from=start, valid_to=end, issue_rate=issue, redeem_rate=redeem, currency=currency,
        )


async def list_cards(pool: asyncpg.Pool, program_id: uuid.UUID, *, partner_code: str = "") -> list[asyncpg.Record]:
    async with tenant_tx(pool, program_id) as conn:
        return await repository.rate_cards(conn, partner_code=partner_code or None)


@dataclasses.dataclass(frozen=True)
class Price:
    rate: Decimal
    currency: str


class RateBook:
    """The program's cards held in memory while a batch of events is priced."""

    def __init__(self, cards: list[asyncpg.Record], partners: list[asyncpg.Record]):
        self._cards: dict[tuple, list[asyncpg.Record]] = {}
        for card in cards:
            owner = card["partner_id"] or card["segment_id"]
            self._cards.setdefault((owner, card["campaign_code"]), []).append(card)
        self._partners = {p["code"]: p for p in partners}

    def price(self, *, partner_code: str, campaign_code: str, day: dt.date, redeem: bool) -> Price | None:
        partner = self._partners.get(partner_code)
        if partner is None:
            return None
        owners = [partner["id"], partner["segment_id"]]
        keys = [(o, campaign_code) for o in owners if campaign_code] + [(o, "") for o in owners]
        for key in keys:
            for card in self._cards.get(key, ()):
                if card["valid_from"] <= day and (card["valid_to"] is None or day <= card["valid_to"]):
                    return Price(card["redeem_rate"] if redeem else card["issue_rate"], card["currency"])
        return None
