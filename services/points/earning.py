"""Earn: points for a purchase at the program's rate, as a lot and two ledger entries."""

import dataclasses
import datetime as dt
import uuid

import asyncpg

from loyalty.points.v1 import points_service_pb2 as pb
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.common.idempotency import run_once
from services.points import repository
from services.points.earn_policy import EarnPolicy
from services.points.expiry import lot_expiry

SPENDING_STATUSES = frozenset({"active"})


async def load_program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record:
    program = await repository.program(conn, program_id)
    if program is None:
        raise not_found("program", str(program_id))
    if program["archived"]:
        raise DomainError(ErrorCode.PROGRAM_ARCHIVED, f"program {program['code']!r} is archived")
    return program


async def load_active_member(conn: asyncpg.Connection, loyalty_number: str, field: str = "loyaltyNumber"):
    member = await repository.member_by_loyalty_number(conn, loyalty_number)
    if member is None:
        raise not_found("member", loyalty_number)
    if member["status"] not in SPENDING_STATUSES:
        raise DomainError(
            ErrorCode.MEMBER_BLOCKED, f"member {loyalty_number} is {member['status']} and cannot earn or burn",
            field=field,
        )
    return member


async def earn(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.EarnRequest, policy: EarnPolicy
) -> pb.EarnResponse:
    amount = validation.amount(request.amount)
    reference = validation.reference(request.reference)
    occurred_at = (
        validation.timestamp(request.occurred_at, "occurredAt") if request.occurred_at
        else dt.datetime.now(dt.timezone.utc)
    )
    async with tenant_tx(pool, program_id) as conn:
        program = await load_program(conn, program_id)
        if request.currency != program["currency"]:
            raise invalid("currency", f"{request.currency!r} is not the program's currency {program['currency']}")
        member = await load_active_member(conn, request.loyalty_number)

        async def perform() -> pb.EarnResponse:
            quote = await policy.quote(conn, program=program, member_id=member["id"], request=request,
                                       amount=amount, occurred_at=occurred_at)
            points = quote.points
            breakdown = [pb.EarnLine(rule=line.rule, rule_version=line.rule_version, point_type=line.point_type,
                                     points=line.points, description=line.description,
                                     campaign_code=line.campaign_code) for line in quote.lines]
            if points == 0:
                balance = await repository.available_balance(conn, member["id"])
                return pb.EarnResponse(old_balance=balance, points_earned=0, new_balance=balance, breakdown=breakdown)
            transaction_id = uuid.uuid4()
            row = await repository.post_earn(
                conn, program_id=program_id, transaction_id=transaction_id, member_id=member["id"],
                reference=reference, points=points, amount=amount, currency=request.currency,
                occurred_at=occurred_at,
                expires_at=quote.expires_at_override or lot_expiry(
                    earned_at=occurred_at, days=program["expiry_days"],
                    round_to_month_end=program["expiry_round_to_month_end"], timezone=program["timezone"],
                ),
                details={"breakdown": [dataclasses.asdict(line) for line in quote.lines], "channel": request.channel,
                         "partner_code": request.partner_code, "location_code": request.location_code},
            )
            return pb.EarnResponse(
                transaction_id=str(transaction_id), old_balance=row["old_balance"], points_earned=points,
                new_balance=row["new_balance"], breakdown=breakdown,
            )

        return await run_once(
            conn, program_id=program_id, operation="earn", key=reference, request=request,
            response_type=pb.EarnResponse, perform=perform,
        )
