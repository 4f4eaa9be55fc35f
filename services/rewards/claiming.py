"""Claiming a reward at the POS, in three steps; no connection is held while the ledger is asked.

1. reserve, one short transaction: the passcode is spent; the reward's row (stock) and the member's
   usage row (per-member limit) are locked in the fixed order, checked and taken; the claim is
   written 'reserved' with the request's fingerprint and its own ledger reference
   (`reward-claim:<claim id>`). The commit ends the locks.
2. hold, no transaction open: the ledger holds the points, idempotent by that reference.
3. confirm, one short transaction: the claim becomes 'held', its voucher is issued and the answer
   is kept under the POS reference (`run_once`), so the same reference answers the same.

A refusal of the hold gives the reservation back (stock, allowance, passcode) and leaves no claim.
When the ledger's answer is unknown (unavailable, or the process dies), the reservation stays: the
next attempt with the same reference carries it on from step 2 (the ledger replays its hold), and
the expire-claims job gives back reservations older than RESERVATION_TTL and releases their hold.
The ledger's order reference ties the hold to the earn at pickup: voiding the order voids both.
"""

import asyncio
import datetime as dt
import logging
import secrets
import uuid
from collections.abc import Awaitable, Callable

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.common.idempotency import Replay, has_answer, run_once
from services.rewards import commands, eligibility, events, otp, repository
from services.rewards.eligibility import Where
from services.rewards.otp import Clock, OtpPolicy
from services.rewards.peers import Hold, MemberRef, Profile
from services.rewards.redemption import Ledger, LedgerRefs, to_result
from services.rewards.results import Claim

log = logging.getLogger(__name__)

RESERVATION_TTL = dt.timedelta(minutes=5)  # far beyond a hold call's deadline
VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I
UNKNOWN_OUTCOME = (ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL)  # the hold may or may not have been made
# A unit or an allowance taken by a reservation in flight may come back (its hold refused): a claim
# that would be refused only for those waits for them, as it waited on their row locks before; a
# live attempt ends within its hold call's deadline (peers.TIMEOUT, 5 s), well inside the gateway's.
IN_FLIGHT_WAIT = dt.timedelta(seconds=6)


class _InFlight(Exception):
    """Out of stock or at the limit only because of reservations whose hold is still being asked."""

    def __init__(self, refusal: DomainError):
        self.refusal = refusal


class _ReservationGone(Exception):
    """The reservation was given back (judged stale) before this attempt could confirm it."""


def new_voucher_code() -> str:
    return "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(12))


async def claim(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Claim, principal: str, member: MemberRef,
    ledger: Ledger, profile_of: Callable[[], Awaitable[Profile]], policy: OtpPolicy, now: Clock,
    replay: Replay[Claim],
) -> Claim:
    async with tenant_tx(pool, program_id) as conn:
        answered = await has_answer(conn, operation="claim", key=command.reference)
        found = await repository.claim_by_reference(conn, command.reference, include_reserved=True)
        reward = await repository.reward_by_code(conn, command.reward_code)
    if answered or (found is not None and found["status"] != "reserved"):
        return await _answer(pool, program_id=program_id, command=command, replay=replay)
    if found is None:  # a new claim (a replay returns the first answer, whatever has changed since)
        found = await _reserve(pool, program_id=program_id, command=command, principal=principal, member=member,
                               reward=reward, profile_of=profile_of, policy=policy, now=now,
                               fingerprint=replay.fingerprint)
        if found["status"] != "reserved":
            return await _answer(pool, program_id=program_id, command=command, replay=replay)
    if bytes(found["request_hash"] or b"") != replay.fingerprint:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT,
                          f"reference {command.reference!r} was already used for a different claim request",
                          field="reference")
    held = await _hold(pool, program_id=program_id, reservation=found, ledger=ledger)
    try:
        async with tenant_tx(pool, program_id) as conn:
            return await run_once(conn, program_id=program_id, operation="claim", key=command.reference,
                                  replay=replay, perform=lambda: _confirm(conn, reservation=found, held=held))
    except _ReservationGone:
        await _release_hold(ledger, program_id, found["hold_reference"])
        raise DomainError(ErrorCode.UNAVAILABLE, "the claim took too long and was given back; try again") from None


async def _answer(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Claim,
                  replay: Replay[Claim]) -> Claim:
    """The answer kept under the reference (or IDEMPOTENCY_CONFLICT for a different request)."""
    async def unanswered() -> Claim:
        raise DomainError(ErrorCode.UNAVAILABLE, "the claim is still being made; try again")

    async with tenant_tx(pool, program_id) as conn:
        return await run_once(conn, program_id=program_id, operation="claim", key=command.reference, replay=replay,
                              perform=unanswered)


async def _reserve(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Claim, principal: str, member: MemberRef,
    reward, profile_of: Callable[[], Awaitable[Profile]], policy: OtpPolicy, now: Clock, fingerprint: bytes,
) -> asyncpg.Record:
    """Step 1: the claim row, 'reserved' (or the row a concurrent attempt with this reference made)."""
    if reward is None:
        raise not_found("reward", command.reward_code)
    if not command.otp and not command.otp_bypass:
        raise DomainError(ErrorCode.OTP_REQUIRED, "the member's one-time passcode is required", field="otp")
    otp_id = None
    if command.otp:
        otp_id = await otp.match(pool, program_id=program_id, loyalty_number=member.loyalty_number,
                                 code=command.otp, policy=policy)
    profile = await profile_of() if eligibility.needs_profile(reward) else None
    deadline, pause = asyncio.get_running_loop().time() + IN_FLIGHT_WAIT.total_seconds(), 0.01
    while True:
        try:
            return await _reserve_once(pool, program_id=program_id, command=command, principal=principal,
                                       member=member, otp_id=otp_id, profile=profile, now=now, fingerprint=fingerprint)
        except _InFlight as waiting:
            if asyncio.get_running_loop().time() >= deadline:
                raise waiting.refusal from None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.2)


async def _reserve_once(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Claim, principal: str, member: MemberRef,
    otp_id: uuid.UUID | None, profile: Profile | None, now: Clock, fingerprint: bytes,
) -> asyncpg.Record:
    async with tenant_tx(pool, program_id) as conn:
        await repository.lock_claim_reference(conn, program_id, command.reference)
        found = await repository.claim_by_reference(conn, command.reference, include_reserved=True)
        if found is not None:
            return found
        if member.status != "active":
            raise DomainError(ErrorCode.MEMBER_BLOCKED, f"member {member.loyalty_number} is {member.status}",
                              field="loyaltyNumber")
        if otp_id is not None:
            await otp.use(conn, otp_id, now=now)
        at = now()
        locked = await repository.reward_by_code(conn, command.reward_code, lock=True)
        used = await repository.lock_usage(conn, program_id=program_id, reward_id=locked["id"],
                                           loyalty_number=member.loyalty_number)
        refusal = eligibility.refusal(locked, now=at, profile=profile,
                                      where=Where(location_code=command.location_code, club_code=command.club_code),
                                      used=used)
        if refusal is not None:
            if refusal.code in (ErrorCode.OUT_OF_STOCK, ErrorCode.REWARD_LIMIT_REACHED) and \
                    await repository.reservations_in_flight(conn, reward_id=locked["id"],
                                                            loyalty_number=member.loyalty_number,
                                                            of_member=refusal.code == ErrorCode.REWARD_LIMIT_REACHED):
                raise _InFlight(refusal)
            raise refusal
        await repository.reserve(conn, reward_id=locked["id"], loyalty_number=member.loyalty_number)
        claim_id = uuid.uuid4()
        await repository.insert_claim(
            conn, program_id=program_id, id=claim_id, reference=command.reference,
            order_reference=command.order_reference, reward_id=locked["id"], loyalty_number=member.loyalty_number,
            member_id=uuid.UUID(member.member_id), points=locked["points_cost"], status="reserved",
            hold_reference=f"reward-claim:{claim_id}" if locked["points_cost"] > 0 else "",
            location_code=command.location_code, club_code=command.club_code, otp_id=otp_id,
            otp_bypassed=otp_id is None, claimed_by=principal, claimed_at=at, request_hash=fingerprint,
            hold_timeout_seconds=command.hold_timeout_seconds,
        )
        return await repository.claim_by_id(conn, claim_id)


async def _hold(pool: asyncpg.Pool, *, program_id: uuid.UUID, reservation, ledger: Ledger) -> Hold | None:
    """Step 2, with no transaction open. A refusal gives the reservation back; an unknown outcome keeps it."""
    if not reservation["hold_reference"]:
        return None  # a free offer
    try:
        return await ledger.hold(
            program_id, loyalty_number=reservation["loyalty_number"], points=reservation["points"],
            reference=reservation["hold_reference"], order_reference=reservation["order_reference"],
            timeout_seconds=reservation["hold_timeout_seconds"],
            reason=f"reward {reservation['reward_code']} ({reservation['reference']})",
        )
    except DomainError as err:
        if err.code not in UNKNOWN_OUTCOME:
            await give_back_reservation(pool, program_id=program_id, claim_id=reservation["id"])
        raise


async def _confirm(conn: asyncpg.Connection, *, reservation, held: Hold | None) -> Claim:
    """Step 3, inside the transaction that keeps the answer."""
    row = await repository.claim_by_id(conn, reservation["id"], lock=True)
    if row is None or row["status"] != "reserved":
        raise _ReservationGone()
    expires_at = dt.datetime.fromisoformat(held.expires_at) if held and held.expires_at else None
    await repository.confirm_claim(conn, row["id"], hold_expires_at=expires_at)
    if (await repository.reward_by_id(conn, row["reward_id"]))["issues_voucher"]:
        await _issue_voucher(conn, program_id=row["program_id"], claim_id=row["id"])
    await events.claim_changed(conn, program_id=row["program_id"], claim_id=row["id"], event_type="REWARD_CLAIMED")
    return to_result(await repository.claim_by_id(conn, row["id"]), available_after=held.available_after if held else 0)


async def _issue_voucher(conn: asyncpg.Connection, *, program_id: uuid.UUID, claim_id: uuid.UUID) -> None:
    for _ in range(10):
        try:
            async with conn.transaction():
                await repository.insert_voucher(conn, program_id=program_id, code=new_voucher_code(), claim_id=claim_id)
            return
        except asyncpg.UniqueViolationError:
            continue
    raise DomainError(ErrorCode.UNAVAILABLE, "could not allocate a voucher code; try again")


async def give_back_reservation(pool: asyncpg.Pool, *, program_id: uuid.UUID, claim_id: uuid.UUID) -> bool:
    """Undo step 1 (stock, allowance, the passcode, the row); False when it is no longer a reservation."""
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.claim_by_id(conn, claim_id)
        if row is None or row["status"] != "reserved":
            return False
        if row["otp_id"] is not None:
            await repository.otp_by_id(conn, row["otp_id"], lock=True)  # passcode before claim
        row = await repository.claim_by_id(conn, claim_id, lock=True)
        if row is None or row["status"] != "reserved":
            return False
        await repository.lock_rewards(conn, [row["reward_id"]])
        await repository.lock_usage(conn, program_id=program_id, reward_id=row["reward_id"],
                                    loyalty_number=row["loyalty_number"])
        await repository.restore(conn, reward_id=row["reward_id"], loyalty_number=row["loyalty_number"])
        if row["otp_id"] is not None:
            await repository.reopen_otp(conn, row["otp_id"])
        await repository.delete_reservation(conn, claim_id)
    return True


async def _release_hold(ledger: Ledger, program_id: uuid.UUID, hold_reference: str) -> None:
    if not hold_reference:
        return
    refs = LedgerRefs(hold=hold_reference)
    try:
        await ledger.release(program_id, reference=refs.release, hold_reference=refs.hold)
    except DomainError as err:
        if err.code not in (ErrorCode.NOT_FOUND, ErrorCode.HOLD_NOT_ACTIVE):
            log.warning("releasing hold %s of a given-back claim failed (it will time out): %s", refs.hold, err)


async def give_back_stale_reservations(pool: asyncpg.Pool, *, program_id: uuid.UUID, ledger: Ledger, now: Clock,
                                       batch: int = 100) -> int:
    """Reservations whose attempt died between the steps: given back first (so a late confirm fails),
    then their hold, if the ledger made one, released. Safe to rerun and to kill."""
    async with tenant_tx(pool, program_id) as conn:
        stale = await repository.stale_reservations(conn, before=now() - RESERVATION_TTL, limit=batch)
    given_back = 0
    for row in stale:
        if await give_back_reservation(pool, program_id=program_id, claim_id=row["id"]):
            await _release_hold(ledger, program_id, row["hold_reference"])
            given_back += 1
    return given_back
