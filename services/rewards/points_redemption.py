"""Paying with points at the POS: the member's passcode guards the burn, as it guards a claim.

The passcode is matched first (a wrong one is counted on its own), then spent inside the same
transaction that records the answer; the ledger's burn happens in that transaction's scope, so
a refused burn (INSUFFICIENT_POINTS, MEMBER_BLOCKED) leaves the passcode usable.
"""

import uuid

import asyncpg

from loyalty.points.v1 import points_service_pb2 as points_pb
from loyalty.rewards.v1 import rewards_service_pb2 as pb
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.common.idempotency import run_once
from services.rewards import otp
from services.rewards.otp import Clock, OtpPolicy


async def redeem_points(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.RedeemPointsRequest, ledger, policy: OtpPolicy,
    now: Clock,
) -> pb.RedeemPointsResponse:
    reference = validation.reference(request.reference)
    validation.positive_points(request.points)
    if not request.otp and not request.otp_bypass:
        raise DomainError(ErrorCode.OTP_REQUIRED, "the member's one-time passcode is required", field="otp")
    async with tenant_tx(pool, program_id) as conn:
        replay = await conn.fetchval(
            "SELECT true FROM idempotency_keys WHERE operation = 'redeem_points' AND key = $1", reference)
    otp_id = None
    if request.otp and not replay:
        otp_id = await otp.match(pool, program_id=program_id, loyalty_number=request.loyalty_number,
                                 code=request.otp, policy=policy)

    async with tenant_tx(pool, program_id) as conn:
        async def perform() -> pb.RedeemPointsResponse:
            if otp_id is not None:
                await otp.use(conn, otp_id, now=now)
            posted = await ledger.burn(program_id, request=points_pb.BurnRequest(
                loyalty_number=request.loyalty_number, points=request.points, reference=reference,
                reason=request.reason or ("paid with points" if otp_id else "paid with points, passcode bypassed"),
                partner_code=request.partner_code, location_code=request.location_code,
                order_reference=request.order_reference))
            return pb.RedeemPointsResponse(transaction_id=posted.transaction_id, points=posted.points,
                                           new_balance=posted.new_balance, otp_bypassed=otp_id is None)

        return await run_once(conn, program_id=program_id, operation="redeem_points", key=reference,
                              request=request, response_type=pb.RedeemPointsResponse, perform=perform)
