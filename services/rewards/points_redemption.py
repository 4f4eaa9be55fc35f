"""Paying with points at the POS: the member's passcode guards the burn, as it guards a claim.

In three steps, none of them holding a connection while another service is asked:
1. one short transaction takes the reference (its idempotency key, with no answer yet) and spends
   the passcode (a wrong one was counted on its own before, by `otp.match`);
2. with no transaction open, the burn rules quote the bill (when there is one) and the ledger
   burns, idempotent by the same reference;
3. one short transaction keeps the answer under the key.
A refused quote or burn (INSUFFICIENT_POINTS, MEMBER_BLOCKED, BURN_NOT_ALLOWED) gives the
reference and the passcode back. When the ledger's answer is unknown (unavailable, or the process
dies) the key stays taken without an answer: the next attempt with the same reference carries on
from step 2 without spending the passcode again (the ledger replays its burn).

With the bill (`transaction_value`), the program's burn rules decide (the points service's
BurnWithBill: rate, minimum, maximum, share of the bill, the balance, priced inside the burn's own
transaction, so no rule or balance change falls between the quote and the burn): `points` 0 uses
as many as they allow, more than they allow is refused. The answer has the balance before and after, the
points used, their money value and the bill after them. The whole answer is stored with the
reference, so a replay returns it as it was even though the balance has moved since.
"""

import dataclasses
import uuid
from decimal import Decimal

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.common.idempotency import Replay, has_answer, run_once
from services.rewards import commands, otp, repository
from services.rewards.otp import Clock, OtpPolicy
from services.rewards.results import PointsRedeemed

OPERATION = "redeem_points"
# The burn may or may not have been made (or another attempt of this reference is making it).
KEEP_THE_KEY = (ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL, ErrorCode.IDEMPOTENCY_CONFLICT)


async def redeem_points(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.RedeemPoints, ledger, policy: OtpPolicy,
    now: Clock, replay: Replay[PointsRedeemed],
) -> PointsRedeemed:
    async with tenant_tx(pool, program_id) as conn:
        answered = await has_answer(conn, operation=OPERATION, key=command.reference)
    if answered:
        return await _answer(pool, program_id=program_id, command=command, replay=replay)
    otp_id = None
    if command.otp:
        otp_id = await otp.match(pool, program_id=program_id, loyalty_number=command.loyalty_number,
                                 code=command.otp, policy=policy)
    async with tenant_tx(pool, program_id) as conn:
        taken, kept = await _take_reference(conn, program_id=program_id, command=command, replay=replay)
        if kept is not None:
            return kept
        if taken and otp_id is not None:
            await otp.use(conn, otp_id, now=now)
    try:
        redeemed = await _burn(ledger, program_id=program_id, command=command)
    except DomainError as err:
        if err.code not in KEEP_THE_KEY:
            await _give_back(pool, program_id=program_id, command=command, otp_id=otp_id)
        raise
    async with tenant_tx(pool, program_id) as conn:
        await repository.keep_answer(conn, program_id=program_id, operation=OPERATION, key=command.reference,
                                     fingerprint=replay.fingerprint, response=replay.encode(redeemed))
    return redeemed


async def _answer(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.RedeemPoints,
                  replay: Replay[PointsRedeemed]) -> PointsRedeemed:
    async def unanswered() -> PointsRedeemed:
        raise DomainError(ErrorCode.UNAVAILABLE, "the redemption is still being made; try again")

    async with tenant_tx(pool, program_id) as conn:
        return await run_once(conn, program_id=program_id, operation=OPERATION, key=command.reference,
                              replay=replay, perform=unanswered)


async def _take_reference(conn: asyncpg.Connection, *, program_id: uuid.UUID, command: commands.RedeemPoints,
                          replay: Replay[PointsRedeemed]) -> tuple[bool, PointsRedeemed | None]:
    """Step 1's key: (True, None) when this attempt took it; (False, None) when an earlier attempt
    took it and left it unanswered (carry on: the passcode is spent); (False, answer) when another
    attempt answered meanwhile."""
    if await repository.take_key(conn, program_id=program_id, operation=OPERATION, key=command.reference,
                                 fingerprint=replay.fingerprint):
        return True, None
    row = await repository.key_row(conn, operation=OPERATION, key=command.reference)
    if bytes(row["request_hash"]) != replay.fingerprint:
        raise DomainError(ErrorCode.IDEMPOTENCY_CONFLICT,
                          f"reference {command.reference!r} was already used for a different {OPERATION} request",
                          field="reference")
    return False, replay.decode(row["response"]) if row["response"] is not None else None


async def _burn(ledger, *, program_id: uuid.UUID, command: commands.RedeemPoints) -> PointsRedeemed:
    """Step 2, with no transaction open."""
    reason = command.reason or ("paid with points" if command.otp else "paid with points, passcode bypassed")
    quote = None
    if command.bill is None:
        posted = await ledger.burn(
            program_id, loyalty_number=command.loyalty_number, points=command.points, reference=command.reference,
            reason=reason, partner_code=command.partner_code, location_code=command.location_code,
            order_reference=command.order_reference)
    else:  # the rules price the burn inside its own transaction: no quote can go stale before it posts
        posted, quote = await ledger.burn_with_bill(
            program_id, loyalty_number=command.loyalty_number, amount=str(command.bill), points=command.points,
            reference=command.reference, reason=reason, currency=command.currency, channel=command.channel,
            location_code=command.location_code, partner_code=command.partner_code,
            order_reference=command.order_reference)
    answer = PointsRedeemed(
        transaction_id=posted.transaction_id, points=posted.points, new_balance=posted.new_balance,
        otp_bypassed=not command.otp, old_balance=posted.new_balance - posted.points, points_used=-posted.points)
    if quote is None:
        return answer
    value, bill = Decimal(quote.value), command.bill
    return dataclasses.replace(
        answer, money_value=f"{value:.2f}", currency=quote.currency, transaction_value=f"{bill:.2f}",
        new_transaction_value=f"{bill - value:.2f}", rule=quote.rule, rule_version=quote.rule_version,
        min_points=quote.min_points, max_points=quote.max_points)


async def _give_back(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.RedeemPoints,
                     otp_id: uuid.UUID | None) -> None:
    """A refused burn: the reference is free again and the passcode usable."""
    async with tenant_tx(pool, program_id) as conn:
        if otp_id is not None:
            await repository.otp_by_id(conn, otp_id, lock=True)  # passcode first, as everywhere
        if await repository.drop_unanswered_key(conn, operation=OPERATION, key=command.reference) and otp_id:
            await repository.reopen_otp(conn, otp_id)
