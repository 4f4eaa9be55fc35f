"""Redemption at the POS: claim at payment (a points hold), settle at pickup, void.

A claim is idempotent by the POS reference (`run_once` in the claim's transaction). Inside that
transaction the passcode, the reward's row (stock) and the member's usage row (per-member limit)
are locked in that fixed order, the ledger is asked for the hold, and only then does anything
commit; a refusal anywhere leaves nothing behind. If our commit fails after the ledger answered,
the hold is released; if the process dies in between, the hold times out in the ledger.

Each attempt holds under its own ledger reference (`reward-claim:<claim id>`), so a retry after a
rolled-back attempt never replays a released hold. The ledger's order reference ties the hold to
the earn at pickup: voiding the order voids both.
"""

import dataclasses
import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

import asyncpg

from loyalty.rewards.v1 import rewards_service_pb2 as pb
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.common.idempotency import has_answer, run_once
from services.rewards import eligibility, otp, repository
from services.rewards.eligibility import Where
from services.rewards.otp import Clock, OtpPolicy
from services.rewards.peers import Hold, MemberRef, Profile

log = logging.getLogger(__name__)

MAX_HOLD_SECONDS = 7 * 24 * 3600
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


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


def new_voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(12))


def _ts(value) -> str:
    return value.isoformat() if value else ""


def to_proto(row, *, available_after: int = 0) -> pb.RewardClaim:
    return pb.RewardClaim(
        id=str(row["id"]), reference=row["reference"], order_reference=row["order_reference"],
        reward_code=row["reward_code"], loyalty_number=row["loyalty_number"], points=row["points"],
        status=row["status"], voucher_code=row["voucher_code"] or "", hold_expires_at=_ts(row["hold_expires_at"]),
        claimed_at=_ts(row["claimed_at"]), settled_at=_ts(row["settled_at"]), voided_at=_ts(row["voided_at"]),
        otp_bypassed=row["otp_bypassed"], claimed_by=row["claimed_by"], available_after=available_after,
    )


def _pos_reference(value: str, field: str) -> str:
    validation.reference(value, field)
    if len(value) > 96:
        raise invalid(field, "must be at most 96 characters")
    return value


async def claim(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.ClaimRequest, principal: str, member: MemberRef,
    ledger: Ledger, profile_of: Callable[[], Awaitable[Profile]], policy: OtpPolicy, now: Clock,
) -> pb.RewardClaim:
    reference = _pos_reference(request.reference, "reference")
    order_reference = _pos_reference(request.order_reference, "orderReference") if request.order_reference else ""
    if not request.reward_code:
        raise invalid("rewardCode", "is required")
    if not 0 <= request.hold_timeout_seconds <= MAX_HOLD_SECONDS:
        raise invalid("holdTimeoutSeconds", f"must be between 0 (the ledger's default) and {MAX_HOLD_SECONDS}")
    async with tenant_tx(pool, program_id) as conn:
        replay = await has_answer(conn, operation="claim", key=reference)
        reward = await repository.reward_by_code(conn, request.reward_code)
    otp_id = profile = None
    if not replay:  # a replay returns the first answer, whatever has changed since
        if reward is None:
            raise not_found("reward", request.reward_code)
        if not request.otp and not request.otp_bypass:
            raise DomainError(ErrorCode.OTP_REQUIRED, "the member's one-time passcode is required", field="otp")
        if request.otp:
            otp_id = await otp.match(pool, program_id=program_id, loyalty_number=member.loyalty_number,
                                     code=request.otp, policy=policy)
        if eligibility.needs_profile(reward):
            profile = await profile_of()
    where = Where(location_code=request.location_code, club_code=request.club_code)
    held: list[LedgerRefs] = []

    async def perform(conn: asyncpg.Connection) -> pb.RewardClaim:
        if member.status != "active":
            raise DomainError(ErrorCode.MEMBER_BLOCKED, f"member {member.loyalty_number} is {member.status}",
                              field="loyaltyNumber")
        if otp_id is not None:
            await otp.use(conn, otp_id, now=now)
        at = now()
        locked = await repository.reward_by_code(conn, request.reward_code, lock=True)
        used = await repository.lock_usage(conn, program_id=program_id, reward_id=locked["id"],
                                           loyalty_number=member.loyalty_number)
        refusal = eligibility.refusal(locked, now=at, profile=profile, where=where, used=used)
        if refusal is not None:
            raise refusal
        await repository.reserve(conn, reward_id=locked["id"], loyalty_number=member.loyalty_number)
        claim_id = uuid.uuid4()
        refs = LedgerRefs(hold=f"reward-claim:{claim_id}") if locked["points_cost"] > 0 else None
        await repository.insert_claim(
            conn, program_id=program_id, id=claim_id, reference=reference, order_reference=order_reference,
            reward_id=locked["id"], loyalty_number=member.loyalty_number, member_id=uuid.UUID(member.member_id),
            points=locked["points_cost"], status="held", hold_reference=refs.hold if refs else "",
            location_code=request.location_code, club_code=request.club_code, otp_id=otp_id,
            otp_bypassed=otp_id is None, claimed_by=principal, claimed_at=at,
        )
        if locked["issues_voucher"]:
            await _issue_voucher(conn, program_id=program_id, claim_id=claim_id)
        available_after = 0
        if refs is not None:
            hold = await ledger.hold(
                program_id, loyalty_number=member.loyalty_number, points=locked["points_cost"], reference=refs.hold,
                order_reference=order_reference, timeout_seconds=request.hold_timeout_seconds,
                reason=f"reward {locked['code']} ({reference})",
            )
            held.append(refs)
            available_after = hold.available_after
            if hold.expires_at:
                await conn.execute("UPDATE claims SET hold_expires_at = $2 WHERE id = $1", claim_id,
                                   dt.datetime.fromisoformat(hold.expires_at))
        return to_proto(await repository.claim_by_id(conn, claim_id), available_after=available_after)

    try:
        async with tenant_tx(pool, program_id) as conn:
            return await run_once(conn, program_id=program_id, operation="claim", key=reference, request=request,
                                  response_type=pb.RewardClaim, perform=lambda: perform(conn))
    except BaseException:
        for refs in held:  # the ledger holds points for a claim that did not commit: give them back
            try:
                await ledger.release(program_id, reference=refs.release, hold_reference=refs.hold)
            except Exception as exc:
                log.warning("releasing hold %s after a failed claim failed (it will time out): %s", refs.hold, exc)
        raise


async def _issue_voucher(conn: asyncpg.Connection, *, program_id: uuid.UUID, claim_id: uuid.UUID) -> None:
    for _ in range(10):
        try:
            async with conn.transaction():
                await repository.insert_voucher(conn, program_id=program_id, code=new_voucher_code(), claim_id=claim_id)
            return
        except asyncpg.UniqueViolationError:
            continue
    raise DomainError(ErrorCode.UNAVAILABLE, "could not allocate a voucher code; try again")


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
                        now: Clock) -> pb.RewardClaim:
    """Capture the hold of a claim whose row the caller has locked."""
    if row["status"] == "settled":
        return to_proto(row)
    if row["status"] != "held":
        raise DomainError(ErrorCode.CLAIM_NOT_ACTIVE, f"claim {row['reference']!r} is {row['status']}",
                          field="reference")
    balance = 0
    if row["hold_reference"]:
        refs = LedgerRefs(hold=row["hold_reference"])
        balance = await ledger.capture(program_id, reference=refs.settle, hold_reference=refs.hold)
    await repository.set_claim_status(conn, row["id"], status="settled", at=now())
    return to_proto(await repository.claim_by_id(conn, row["id"]), available_after=balance)


async def settle(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str, ledger: Ledger,
                 now: Clock) -> pb.RewardClaim:
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
               now: Clock) -> pb.RewardClaim:
    """Release a held claim or reverse a settled one; voiding twice answers the same."""
    async with tenant_tx(pool, program_id) as conn:
        row = await _locked_claim(conn, reference)
        if row["status"] == "voided":
            return to_proto(row)
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
        return to_proto(await repository.claim_by_id(conn, row["id"]), available_after=balance)


async def void_order(pool: asyncpg.Pool, *, program_id: uuid.UUID, order_reference: str, reason: str,
                     ledger: Ledger, now: Clock) -> pb.VoidOrderResponse:
    """Void every transaction of the order in the ledger (the claim's hold or capture and the earn
    at pickup) with one void by order reference, and give back what the order's claims took."""
    order_reference = _pos_reference(order_reference, "orderReference")
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
    return pb.VoidOrderResponse(claims=[to_proto(r) for r in rows], new_balance=balance)


async def get(pool: asyncpg.Pool, *, program_id: uuid.UUID, reference: str) -> pb.RewardClaim:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.claim_by_reference(conn, reference)
    if row is None:
        raise not_found("claim", reference)
    return to_proto(row)


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
