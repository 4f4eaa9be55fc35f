"""The rewards service's business events, written to its outbox in the transaction of the change
(services/common/outbox.py) and exported after commit to the notifications service, which makes
them the catalogue's REWARD_CLAIMED, REWARD_SETTLED, REWARD_VOIDED and VOUCHER_ISSUED. No personal
data: the member by id and loyalty number only."""

import uuid

import asyncpg

from services.common.outbox import add_event
from services.rewards import repository


async def claim_changed(conn: asyncpg.Connection, *, program_id: uuid.UUID, claim_id: uuid.UUID,
                        event_type: str) -> None:
    """REWARD_CLAIMED, REWARD_SETTLED or REWARD_VOIDED of the claim as it is now in this transaction;
    with VOUCHER_ISSUED after REWARD_CLAIMED when the claim has a voucher."""
    row = await repository.claim_by_id(conn, claim_id)
    payload = {"member_id": str(row["member_id"]), "loyalty_number": row["loyalty_number"],
               "claim_id": str(row["id"]), "reward_code": row["reward_code"], "points": row["points"],
               "reference": row["reference"], "order_reference": row["order_reference"] or "",
               "status": row["status"], "reason": row["void_reason"] or ""}
    await add_event(conn, program_id=program_id, event_type=event_type, payload=payload)
    if event_type == "REWARD_CLAIMED" and row["voucher_code"]:
        await add_event(conn, program_id=program_id, event_type="VOUCHER_ISSUED",
                        payload={**payload, "voucher_code": row["voucher_code"]})
