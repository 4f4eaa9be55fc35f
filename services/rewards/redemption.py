"""After the claim (claiming.py): settle at pickup, void, void the order, expire lapsed holds.

The claim's row is locked while its end state is written, and the ledger is asked (capture,
release, void: each idempotent by a reference derived from the claim's hold reference) under that
lock, so two tills settling and voiding the same claim end in one state.
"""

import dataclasses
import datetime as dt
import uuid
from typing import Protocol

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.rewards import commands, repository
from services.rewards.otp import Clock
from services.rewards.peers import Hold
from services.rewards.results import Claim, VoidedOrder


class Ledger(Protocol):
    async def hold(self, program_id: uuid.UUID, *, loyalty_number: str, points: int, reference: str,
                   order_reference: str, timeout_seconds: int, reason: str) -> Hold: ...
    async def capture(self, program_id: uuid.UUID, *, reference: str, hold_reference: str) -> int: ...
    async def release(self, program_id: uuid.UUID, *, reference: str, hold_reference: str) -> int: ...
    async def void(self, program_id: uuid.UUID, *, reference: str, target_reference: str, reason: str) -> int: ...


@dataclasses.dataclass(frozen=True)
class LedgerRefs:
    """The ledger references of one claim."""

    hold: str

    @property
    def settle(self) -> str:
        return f"{self.hold}:settle"

    @property
    def release(self) -> str:
        return f"{self.hold}:release"

    @property
    def void(self) -> str:
        return f"{self.hold}:void"


def _ts(value) -> str:
    return value.isoformat() if value else ""


def to_result(row, *, available_after: int = 0) -> Claim:
    return Claim(
        id=str(row["id"]), reference=row["reference"], order_reference=row["order_reference"],
        reward_code=row["reward_code"], loyalty_number=row["loyalty_number"], points=row["points"],
        status=row["status"], voucher_code=row["voucher_code"] or "", hold_expires_at=_ts(row["hold_expires_at"]),
        claimed_at=_ts(row["claimed_at"]), settled_at=_ts(row["settled_at"]), voided_at=_ts(row["voided_at"]),
        otp_bypassed=row["otp_bypassed"], claimed_by=row["claimed_by"], available_after=available_after,
    )


async def _locked_claim(conn: asyncpg.Connection, reference: str) -> asyncpg.Record:
    row = await repository.claim_by_reference(conn, reference, lock=True)
    if row is None:
        raise not_found("claim", reference)
    return row


async def _give_back(conn: asyncpg.Connection, row, *, program_id: uuid.UUID, status: str, at: dt.datetime,
                     reason: str) -> None:
    """Return the stock and the member's allowance, void the voucher, record the end state."""
    await repository.lock_rewards(conn, [row["reward_id"]])
    await repository.lock_usage(conn, program_id=program_id, reward_id=row["reward_id"],
                                loyalty_number=row["loyalty_number"])
    await repository.restore(conn, reward_id=row["reward_id"], loyalty_number=row["loyalty_number"])
    await repository.void_voucher_of_claim(conn, row["id"])
    await repository.set_claim_status(conn, row["id"], status=status, at=at, reason=reason)


async def settle_locked(conn: asyncpg.Connection, row, *, program_id: uuid.UUID, ledger: Ledger,
                        now: Clock) -> Claim:
    """Capture the hold of a claim whose row the caller has locked."""
    if row["status"] == "settled":
        return to_result(row)
    if row["status"] != "held":
        raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"claim {row['reference']!r} is {row['status']}",
                          field="reference")
    balance = 0
    if row["hold_reference"]:
        refs = LedgerRefs(hold=row["hold_reference"])
        balance = await ledger.capture(program_id, reference=refs.settle, hold_reference=refs.hold)
    await repository.set_claim_status(conn, row["id"], status="settled", at=now())
    return to_result(await repository.claim_by_id(conn, row["id"]), available_after=balance)


async def settle(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str, ledger: Ledger,
                 now: Clock) -> Claim:
    """At pickup. Settling twice answers the same; a hold the ledger let lapse ends the claim."""
    lapsed: DomainError | None = None
    async with tenant_tx(pool, program_id) as conn:
        row = await _locked_claim(conn, reference)
        try:
            return await settle_locked(conn, row, program_id=program_id, ledger=ledger, now=now)
        except DomainError as err:
            if err.code != ErrorCode.HOLD_NOT_ACTIVE:
                raise
            await _give_back(conn, row, program_id=program_id, status="expired", at=now(), reason="hold lapsed")
            lapsed = DomainError(ErrorCode.CLAIM_NOT_ACTIVE,
                                 f"claim {reference!r} lapsed before pickup: its points were released",
                                 field="reference")
    raise lapsed


async def void(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str, reason: str, ledger: Ledger,
               now: Clock) -> Claim:
    """Release a held claim or reverse a settled one; voiding twice answers the same."""
    async with tenant_tx(pool, program_id) as conn:
        row = await _locked_claim(conn, reference)
        if row["status"] == "voided":
            return to_result(row)
        if row["status"] != "held" and row["status"] != "settled":
            raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"claim {reference!r} is {row['status']}",
                              field="reference")
        balance = 0
        if row["hold_reference"]:
            refs = LedgerRefs(hold=row["hold_reference"])
            if row["status"] == "held":
                try:
                    balance = await ledger.release(program_id, reference=refs.release, hold_reference=refs.hold)
                except DomainError as err:
                    if err.code != ErrorCode.HOLD_NOT_ACTIVE:  # lapsed in the ledger: already given back
                        raise
            else:
                balance = await ledger.void(program_id, reference=refs.void, target_reference=refs.settle,
                                            reason=reason or f"void of claim {reference}")
        await _give_back(conn, row, program_id=program_id, status="voided", at=now(), reason=reason)
        return to_result(await repository.claim_by_id(conn, row["id"]), available_after=balance)


async def void_order(pool: asyncpg.Pool, *, program_id: uuid.UUID, order_reference: str, reason: str,
                     ledger: Ledger, now: Clock) -> VoidedOrder:
    """Void every transaction of the order in the ledger (the claim's hold or capture and the earn
    at pickup) with one void by order reference, and give back what the order's claims took."""
    order_reference = commands.pos_reference(order_reference, "orderReference")
    async with tenant_tx(pool, program_id) as conn:
        claims = await repository.lock_claims_of_order(conn, order_reference)
        balance = 0
        try:
            balance = await ledger.void(program_id, reference=f"order-void:{order_reference}",
                                        target_reference=order_reference,
                                        reason=reason or f"void of order {order_reference}")
        except DomainError as err:
            if err.code == ErrorCode.NOT_FOUND and not claims:
                raise not_found("order", order_reference) from None
            only_free_claims = err.code == ErrorCode.NOT_FOUND and not any(c["hold_reference"] for c in claims)
            if not only_free_claims and err.code != ErrorCode.ALREADY_VOIDED:
                raise
        at = now()
        for row in claims:
            if row["status"] in ("held", "settled"):
                await _give_back(conn, row, program_id=program_id, status="voided", at=at,
                                 reason=reason or f"order {order_reference} voided")
        rows = await repository.lock_claims_of_order(conn, order_reference)
    return VoidedOrder(claims=tuple(to_result(r) for r in rows), new_balance=balance)


async def get(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str) -> Claim:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.claim_by_reference(conn, reference)
    if row is None:
        raise not_found("claim", reference)
    return to_result(row)


async def expire_overdue(pool: asyncpg.Pool, *, program_id: uuid.UUID, ledger: Ledger, now: Clock,
                         batch: int = 100) -> int:
    """Claims whose hold passed its time without pickup: release (idempotent) and give back.
    Safe to rerun and to kill: each claim ends in its own transaction."""
    async with tenant_tx(pool, program_id) as conn:
        overdue = await repository.overdue_claims(conn, now=now(), limit=batch)
    ended = 0
    for item in overdue:
        async with tenant_tx(pool, program_id) as conn:
            row = await _locked_claim(conn, item["reference"])
            if row["status"] != "held":
                continue
            refs = LedgerRefs(hold=row["hold_reference"])
            try:
                await ledger.release(program_id, reference=refs.release, hold_reference=refs.hold)
            except DomainError as err:
                if err.code != ErrorCode.HOLD_NOT_ACTIVE:
                    raise
            await _give_back(conn, row, program_id=program_id, status="expired", at=now(), reason="hold lapsed")
            ended += 1
    return ended
