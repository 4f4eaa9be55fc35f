"""Vouchers: the unique code a claim yields, validated by a POS and consumed once.

Consuming a voucher is the pickup: a claim still held is settled in the same transaction.
"""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.rewards import commands, redemption, repository
from services.rewards.otp import Clock
from services.rewards.redemption import Ledger
from services.rewards.results import Voucher


def to_result(row) -> Voucher:
    value = row["value"]
    return Voucher(
        code=row["code"], status=row["status"], reward_code=row["reward_code"], reward_name=row["reward_name"],
        kind=row["kind"], value=format(value.normalize(), "f") if value is not None else "", plu=row["plu"],
        partner_code=row["partner_code"], loyalty_number=row["loyalty_number"],
        claim_reference=row["claim_reference"], consumed_at=row["consumed_at"].isoformat() if row["consumed_at"] else "",
        consumed_reference=row["consumed_reference"],
    )


async def validate(pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str) -> Voucher:
    """What the voucher is and whether it can still be used; changes nothing."""
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.voucher_by_code(conn, commands.voucher_code(code))
    if row is None:
        raise not_found("voucher", code)
    return to_result(row)


async def consume(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.ConsumeVoucher, ledger: Ledger,
                  now: Clock) -> Voucher:
    """Use the voucher once. The same POS reference again answers the same; any other is refused."""
    code, reference, location_code = command.code, command.reference, command.location_code
    async with tenant_tx(pool, program_id) as conn:
        found = await repository.voucher_by_code(conn, code)
        if found is None:
            raise not_found("voucher", code)
        claim = await repository.claim_by_reference(conn, found["claim_reference"], lock=True)  # claim before voucher
        await repository.lock_voucher(conn, code)
        row = await repository.voucher_by_code(conn, code)
        if row["status"] == "consumed":
            if row["consumed_reference"] == reference:
                return to_result(row)
            raise DomainError(ErrorCode.VOUCHER_ALREADY_USED,
                              f"voucher {code} was used at {row['consumed_at'].isoformat()}", field="code")
        if row["status"] != "issued":
            raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"voucher {code} is {row['status']}", field="code")
        if claim["status"] == "held":
            await redemption.settle_locked(conn, claim, program_id=program_id, ledger=ledger, now=now)
        elif claim["status"] != "settled":
            raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"the claim of voucher {code} is {claim['status']}",
                              field="code")
        await repository.consume_voucher(conn, code=code, at=now(), reference=reference, location=location_code)
        return to_result(await repository.voucher_by_code(conn, code))
