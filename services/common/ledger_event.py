"""A ledger event as its consumers (member, tier, billing) read it: the fields of the wire's
loyalty.common.v1.LedgerEvent, copied by each consumer's api.py (`of_message` there is the one
line `LedgerEvent.of(message)`), so the consuming domain modules read no protos."""

import dataclasses


@dataclasses.dataclass(frozen=True)
class LedgerEvent:
    event_id: str = ""  # unique per event: consumers dedupe on it
    event_type: str = ""  # LOY_POINT_ACCRUAL, LOY_POINT_REDEMPTION, LOY_POINT_VOID, LOY_POINT_EXPIRY, ...
    program_id: str = ""
    transaction_id: str = ""
    transaction_kind: str = ""  # EARN, BURN, VOID, ADJUST, TRANSFER, GOODWILL, EXPIRE, CAPTURE, ...
    member_id: str = ""
    loyalty_number: str = ""
    points: int = 0  # signed, as it moved the member's balance
    amount: str = ""  # purchase amount (decimal string) when there is one
    currency: str = ""
    partner_code: str = ""
    location_code: str = ""
    campaign_code: str = ""
    occurred_at: str = ""  # RFC 3339
    voided_transaction_id: str = ""
    voided_occurred_at: str = ""
    reference: str = ""
    imported: bool = False  # migrated history: consumers may ignore it

    @classmethod
    def of(cls, message) -> "LedgerEvent":
        """From a LedgerEvent message (or anything with its fields)."""
        return cls(**{f.name: getattr(message, f.name) for f in dataclasses.fields(cls)})
