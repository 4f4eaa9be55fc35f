"""Vouchers: the unique code a claim yields, validated by a POS and consumed once.

Consuming a voucher is the pickup: a claim still held is settled first (redemption.settle: the
ledger's capture with no transaction open), then the voucher is consumed in one short transaction.
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
    code, reference = command.code, command.reference
    async with tenant_tx(pool, program_id) as conn:
        found = await repository.voucher_by_code(conn, code)
    if found is None:
        raise not_found("voucher", code)
    if _usable(found, code=code, reference=reference) and found["claim_status"] == "held":
        await redemption.settle(pool, program_id=program_id, reference=found["claim_reference"], ledger=ledger,
                                now=now)
    async with tenant_tx(pool, program_id) as conn:
        claim = await repository.claim_by_reference(conn, found["claim_reference"], lock=True)  # claim before voucher
        await repository.lock_voucher(conn, code)
        row = await repository.voucher_by_code(conn, code)
        if not _usable(row, code=code, reference=reference):
            return to_result(row)  # consumed by this reference before
        if claim["status"] != "settled":
            raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"the claim of voucher {code} is {claim['status']}",
                              field="code")
        await repository.consume_voucher(conn, code=code, at=now(), reference=reference,
                                         location=command.location_code)
        return to_result(await repository.voucher_by_code(conn, code))


def _usable(row, *, code: str, reference: str) -> bool:
    """True when the voucher may be consumed; False when `reference` consumed it (answer the same);
    refused otherwise."""
    if row["status"] == "consumed":
        if row["consumed_reference"] == reference:
            return False
        raise DomainError(ErrorCode.VOUCHER_ALREADY_USED,
                          f"voucher {code} was used at {row['consumed_at'].isoformat()}", field="code")
    if row["status"] != "issued":
        raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"voucher {code} is {row['status']}", field="code")
    if row["claim_status"] not in ("held", "settled"):
        raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"the claim of voucher {code} is {row['claim_status']}",
                          field="code")
    return True
