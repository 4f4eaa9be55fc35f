"""After the claim (claiming.py): settle at pickup, void, void the order, expire lapsed holds.

Each reads the claim, asks the ledger with no transaction open (capture, release, void: each
idempotent by a reference derived from the claim's hold reference), then writes the end state in
one short transaction under the claim's row lock, from the state it finds there. The ledger is the
arbiter between endings that race: a hold is either captured or released, never both. A void that
finds its hold no longer open reverses the capture, if there is one (a settle raced it or died
before recording itself), so a voided claim never keeps points; a settle that finds the claim
voided meanwhile answers CLAIM_NOT_ACTIVE.
"""

import dataclasses
import datetime as dt
import uuid
from typing import Protocol

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.rewards import commands, events, repository
from services.rewards.otp import Clock
from services.rewards.peers import Hold
from services.rewards.results import Claim, ClaimList, VoidedOrder


class Ledger(Protocol):
    async def hold(self, program_id: uuid.UUID, *, loyalty_number: str, points: int, reference: str,
                   order_reference: str, timeout_seconds: int, reason: str) -> Hold: ...
    async def capture(self, program_id: uuid.UUID, *, reference: str, hold_reference: str) -> int: ...
    async def release(self, program_id: uuid.UUID, *, reference: str, hold_reference: str) -> int: ...
    async def void(self, program_id: uuid.UUID, *, reference: str, target_reference: str, reason: str,
                   stores: tuple[str, ...] = ()) -> int: ...


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


async def _claim(pool: asyncpg.Pool, program_id: uuid.UUID, reference: str) -> asyncpg.Record:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.claim_by_reference(conn, reference)
    if row is None:
        raise not_found("claim", reference)
    return row


def _not_active(row) -> DomainError:
    return DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"claim {row['reference']!r} is {row['status']}",
                       field="reference")


async def _give_back(conn: asyncpg.Connection, row, *, program_id: uuid.UUID, status: str, at: dt.datetime,
                     reason: str) -> None:
    """Return the stock and the member's allowance, void the voucher, record the end state."""
    await repository.lock_rewards(conn, [row["reward_id"]])
    await repository.lock_usage(conn, program_id=program_id, reward_id=row["reward_id"],
                                loyalty_number=row["loyalty_number"])
    await repository.restore(conn, reward_id=row["reward_id"], loyalty_number=row["loyalty_number"])
    await repository.void_voucher_of_claim(conn, row["id"])
    await repository.set_claim_status(conn, row["id"], status=status, at=at, reason=reason)
    if status == "voided":
        await events.claim_changed(conn, program_id=program_id, claim_id=row["id"], event_type="REWARD_VOIDED")


async def settle(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str, ledger: Ledger,
                 now: Clock) -> Claim:
    """At pickup. Settling twice answers the same; a hold the ledger let lapse ends the claim."""
    row = await _claim(pool, program_id, reference)
    if row["status"] == "settled":
        return to_result(row)
    if row["status"] != "held":
        raise _not_active(row)
    balance, lapsed = 0, False
    if row["hold_reference"]:
        refs = LedgerRefs(hold=row["hold_reference"])
        try:
            balance = await ledger.capture(program_id, reference=refs.settle, hold_reference=refs.hold)
        except DomainError as err:
            if err.code != ErrorCode.HOLD_NOT_ACTIVE:
                raise
            lapsed = True
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.claim_by_reference(conn, reference, lock=True)
        if row["status"] == "held" and lapsed and (row["hold_expires_at"] is None or row["hold_expires_at"] > now()):
            # Ended before its time: a void racing this settle released it and records the claim itself.
            raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"claim {reference!r} was voided while it was being "
                              "settled", field="reference")
        if row["status"] == "held" and lapsed:
            await _give_back(conn, row, program_id=program_id, status="expired", at=now(), reason="hold lapsed")
        elif row["status"] == "held":
            await repository.set_claim_status(conn, row["id"], status="settled", at=now())
            await events.claim_changed(conn, program_id=program_id, claim_id=row["id"], event_type="REWARD_SETTLED")
            return to_result(await repository.claim_by_id(conn, row["id"]), available_after=balance)
        elif row["status"] == "settled" and not lapsed:
            return to_result(row, available_after=balance)
    if lapsed and row["status"] in ("held", "expired"):
        raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE,
                          f"claim {reference!r} lapsed before pickup: its points were released", field="reference")
    raise _not_active(row)


async def _take_back_points(ledger: Ledger, program_id: uuid.UUID, row, *, reason: str) -> int:
    """Whatever the ledger holds or took for the claim, given back; the balance after (0 if not known)."""
    refs = LedgerRefs(hold=row["hold_reference"])
    if row["status"] == "held":
        try:
            return await ledger.release(program_id, reference=refs.release, hold_reference=refs.hold)
        except DomainError as err:
            if err.code != ErrorCode.HOLD_NOT_ACTIVE:
                raise
        # Lapsed in the ledger, or captured by a settle that raced this void or died before recording.
    try:
        return await ledger.void(program_id, reference=refs.void, target_reference=refs.settle, reason=reason)
    except DomainError as err:
        if err.code == ErrorCode.ALREADY_VOIDED or (err.code == ErrorCode.NOT_FOUND and row["status"] == "held"):
            return 0
        raise


async def void(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str, reason: str, ledger: Ledger,
               now: Clock) -> Claim:
    """Release a held claim or reverse a settled one; voiding twice answers the same."""
    row = await _claim(pool, program_id, reference)
    if row["status"] == "voided":
        return to_result(row)
    if row["status"] not in ("held", "settled"):
        raise _not_active(row)
    balance = 0
    if row["hold_reference"]:
        balance = await _take_back_points(ledger, program_id, row, reason=reason or f"void of claim {reference}")
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.claim_by_reference(conn, reference, lock=True)
        if row["status"] in ("held", "settled"):
            await _give_back(conn, row, program_id=program_id, status="voided", at=now(), reason=reason)
        elif row["status"] != "voided":
            raise _not_active(row)
        return to_result(await repository.claim_by_id(conn, row["id"]), available_after=balance)


async def void_order(pool: asyncpg.Pool, *, program_id: uuid.UUID, order_reference: str, reason: str,
                     ledger: Ledger, now: Clock, stores: tuple[str, ...] = ()) -> VoidedOrder:
    """Void every transaction of the order in the ledger (the claim's hold or capture and the earn
    at pickup) with one void by order reference, and give back what the order's claims took (the
    claims made before the void: one confirmed meanwhile keeps its hold)."""
    order_reference = commands.pos_reference(order_reference, "orderReference")
    async with tenant_tx(pool, program_id) as conn:
        claims = await repository.claims_of_order(conn, order_reference)
    balance = 0
    try:
        balance = await ledger.void(program_id, reference=f"order-void:{order_reference}",
                                    target_reference=order_reference,
                                    reason=reason or f"void of order {order_reference}", stores=stores)
    except DomainError as err:
        if err.code == ErrorCode.NOT_FOUND and not claims:
            raise not_found("order", order_reference) from None
        only_free_claims = err.code == ErrorCode.NOT_FOUND and not any(c["hold_reference"] for c in claims)
        if not only_free_claims and err.code != ErrorCode.ALREADY_VOIDED:
            raise
    seen = {c["id"] for c in claims}
    async with tenant_tx(pool, program_id) as conn:
        at = now()
        for row in await repository.lock_claims_of_order(conn, order_reference):
            if row["id"] in seen and row["status"] in ("held", "settled"):
                await _give_back(conn, row, program_id=program_id, status="voided", at=at,
                                 reason=reason or f"order {order_reference} voided")
        rows = await repository.claims_of_order(conn, order_reference)
    return VoidedOrder(claims=tuple(to_result(r) for r in rows), new_balance=balance)


async def get(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str) -> Claim:
    return to_result(await _claim(pool, program_id, reference))


async def member_claims(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str,
                        page_size: int) -> ClaimList:
    if page_size < 0:
        raise invalid("pageSize", "must not be negative")
    async with tenant_tx(pool, program_id) as conn:
        rows = await repository.claims_of_member(conn, loyalty_number, limit=min(page_size or 50, 200))
    return ClaimList(claims=tuple(to_result(r) for r in rows))


async def expire_overdue(pool: asyncpg.Pool, *, program_id: uuid.UUID, ledger: Ledger, now: Clock,
                         batch: int = 100) -> int:
    """Claims whose hold passed its time without pickup: release (idempotent) and give back.
    Safe to rerun and to kill: each claim ends in its own transaction, after its release."""
    async with tenant_tx(pool, program_id) as conn:
        overdue = await repository.overdue_claims(conn, now=now(), limit=batch)
    ended = 0
    for item in overdue:
        row = await _claim(pool, program_id, item["reference"])
        if row["status"] != "held":
            continue
        refs = LedgerRefs(hold=row["hold_reference"])
        try:
            await ledger.release(program_id, reference=refs.release, hold_reference=refs.hold)
        except DomainError as err:
            if err.code != ErrorCode.HOLD_NOT_ACTIVE:
                raise
        async with tenant_tx(pool, program_id) as conn:
            row = await repository.claim_by_reference(conn, item["reference"], lock=True)
            if row["status"] != "held":
                continue  # settled or voided meanwhile: the ledger decided which
            await _give_back(conn, row, program_id=program_id, status="expired", at=now(), reason="hold lapsed")
            ended += 1
    return ended
