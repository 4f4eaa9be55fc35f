"""Paying with points at the POS: the member's passcode guards the burn, as it guards a claim.

The passcode is matched first (a wrong one is counted on its own), then spent inside the same
transaction that records the answer; the ledger's burn happens in that transaction's scope, so
a refused burn (INSUFFICIENT_POINTS, MEMBER_BLOCKED, BURN_NOT_ALLOWED) leaves the passcode usable.

With the bill (`transaction_value`), the program's burn rules decide (the points service's
QuoteBurn: rate, minimum, maximum, share of the bill, the balance): `points` 0 uses as many as
they allow, more than they allow is refused. The answer has the balance before and after, the
points used, their money value and the bill after them. The whole answer is stored with the
reference, so a replay returns it as it was even though the balance has moved since.
"""

import uuid
from decimal import Decimal

import asyncpg

from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.points.v1 import rules_service_pb2 as rules_pb
from loyalty.rewards.v1 import rewards_service_pb2 as pb
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid
from services.common.idempotency import has_answer, run_once
from services.rewards import otp
from services.rewards.otp import Clock, OtpPolicy


async def redeem_points(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.RedeemPointsRequest, ledger, policy: OtpPolicy,
    now: Clock,
) -> pb.RedeemPointsResponse:
    reference = validation.reference(request.reference)
    bill = validation.amount(request.transaction_value, "transactionValue") if request.transaction_value else None
    if bill is None or request.points:
        validation.positive_points(request.points)
    if bill is None and request.currency:
        raise invalid("currency", "only with transactionValue")
    if not request.otp and not request.otp_bypass:
        raise DomainError(ErrorCode.OTP_REQUIRED, "the member's one-time passcode is required", field="otp")
    async with tenant_tx(pool, program_id) as conn:
        replay = await has_answer(conn, operation="redeem_points", key=reference)
    otp_id = None
    if request.otp and not replay:
        otp_id = await otp.match(pool, program_id=program_id, loyalty_number=request.loyalty_number,
                                 code=request.otp, policy=policy)

    async with tenant_tx(pool, program_id) as conn:
        async def perform() -> pb.RedeemPointsResponse:
            if otp_id is not None:
                await otp.use(conn, otp_id, now=now)
            quote = await _apply_burn_rules(ledger, program_id, request, bill) if bill is not None else None
            points = quote.points if quote is not None else request.points
            posted = await ledger.burn(program_id, request=points_pb.BurnRequest(
                loyalty_number=request.loyalty_number, points=points, reference=reference,
                reason=request.reason or ("paid with points" if otp_id else "paid with points, passcode bypassed"),
                partner_code=request.partner_code, location_code=request.location_code,
                order_reference=request.order_reference))
            answer = pb.RedeemPointsResponse(
                transaction_id=posted.transaction_id, points=posted.points, new_balance=posted.new_balance,
                otp_bypassed=otp_id is None, old_balance=posted.new_balance - posted.points, points_used=-posted.points)
            if quote is not None:
                value = Decimal(quote.value)
                answer.MergeFrom(pb.RedeemPointsResponse(
                    money_value=f"{value:.2f}", currency=quote.currency, transaction_value=f"{bill:.2f}",
                    new_transaction_value=f"{bill - value:.2f}", rule=quote.rule, rule_version=quote.rule_version,
                    min_points=quote.min_points, max_points=quote.max_points))
            return answer

        return await run_once(conn, program_id=program_id, operation="redeem_points", key=reference,
                              request=request, response_type=pb.RedeemPointsResponse, perform=perform)


async def _apply_burn_rules(ledger, program_id: uuid.UUID, request: pb.RedeemPointsRequest,
                            bill: Decimal) -> rules_pb.BurnQuote:
    quote = await ledger.quote_burn(program_id, request=rules_pb.QuoteBurnRequest(
        loyalty_number=request.loyalty_number, amount=str(bill), points=request.points, channel=request.channel,
        location_code=request.location_code, partner_code=request.partner_code))
    if request.currency and request.currency != quote.currency:
        raise invalid("currency", f"the program's currency is {quote.currency}, not {request.currency}")
    if not quote.allowed:
        raise DomainError(ErrorCode.BURN_NOT_ALLOWED, quote.reason, field="points")
    return quote
