"""Spending: burn, and two-phase redemption (hold, then capture or release; holds time out)."""

import datetime as dt
import uuid

import asyncpg

from loyalty.points.v1 import points_service_pb2 as pb
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode
from services.common.idempotency import run_once
from services.points.ledger import posting, repository
from services.points.ledger.posting import Leg


def _posting(transaction_id: uuid.UUID, kind: str, points: int, balance: int) -> pb.PostingResponse:
    return pb.PostingResponse(transaction_id=str(transaction_id), kind=kind, points=points, new_balance=balance,
                              transaction_ids=[str(transaction_id)])


async def burn(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.BurnRequest) -> pb.PostingResponse:
    points = posting.points(request.points)
    reference = validation.reference(request.reference)
    order_reference = posting.optional_reference(request.order_reference, "orderReference")
    reason = posting.reason(request.reason)
    async with tenant_tx(pool, program_id) as conn:
        await posting.load_program(conn, program_id)
        member = await posting.load_active_member(conn, request.loyalty_number)

        async def perform() -> pb.PostingResponse:
            transaction_id = uuid.uuid4()
            details = {"reason": reason, "partner_code": request.partner_code, "location_code": request.location_code}
            occurred_at = posting.now()
            event = posting.event("LOY_POINT_REDEMPTION", transaction_id=transaction_id, kind="BURN", member=member,
                                 points=-points, reference=reference, occurred_at=occurred_at, details=details)
            _, balance = await posting.post(
                conn, kind="BURN", reference=reference, member_id=member["id"], points=-points, details=details,
                order_reference=order_reference, transaction_id=transaction_id, occurred_at=occurred_at,
                events=[event], touch=[member["id"]],
                legs=[Leg("member_available", -points, member["id"], lots="consume"), Leg("redemption", points)],
            )
            return _posting(transaction_id, "BURN", -points, balance)

        return await run_once(conn, program_id=program_id, operation="burn", key=reference, request=request,
                              response_type=pb.PostingResponse, perform=perform)


async def hold(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.HoldRequest) -> pb.HoldResponse:
    points = posting.points(request.points)
    reference = validation.reference(request.reference)
    order_reference = posting.optional_reference(request.order_reference, "orderReference")
    if request.timeout_seconds < 0 or request.timeout_seconds > 30 * 86400:
        raise DomainError(ErrorCode.INVALID_INPUT, "timeoutSeconds: must be between 0 and 30 days",
                          field="timeoutSeconds")
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        member = await posting.load_active_member(conn, request.loyalty_number)

        async def perform() -> pb.HoldResponse:
            transaction_id = uuid.uuid4()
            occurred_at = posting.now()
            expires_at = occurred_at + dt.timedelta(
                seconds=request.timeout_seconds or program["hold_timeout_seconds"])
            _, balance = await posting.post(
                conn, kind="HOLD", reference=reference, member_id=member["id"], points=-points,
                details={"reason": posting.reason(request.reason), "expires_at": expires_at.isoformat()},
                order_reference=order_reference, transaction_id=transaction_id, occurred_at=occurred_at,
                touch=[member["id"]],
                legs=[Leg("member_available", -points, member["id"], lots="consume"),
                      Leg("member_held", points, member["id"])],
            )
            await repository.insert_hold(conn, program_id=program_id, hold_id=transaction_id, member_id=member["id"],
                                         reference=reference, order_reference=order_reference, points=points,
                                         expires_at=expires_at)
            return pb.HoldResponse(hold_id=str(transaction_id), transaction_id=str(transaction_id), points=points,
                                   expires_at=posting.rfc3339(expires_at), available_after=balance)

        return await run_once(conn, program_id=program_id, operation="hold", key=reference, request=request,
                              response_type=pb.HoldResponse, perform=perform)


async def _open_hold(conn: asyncpg.Connection, hold_reference: str) -> tuple[asyncpg.Record, asyncpg.Record]:
    found = await repository.hold_by_reference(conn, hold_reference)
    if found is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"hold {hold_reference!r} not found", field="holdReference")
    await posting.touch(conn, [found["member_id"]])  # releases it first if it timed out
    current = await repository.hold_by_reference(conn, hold_reference, lock=True)
    member = (await repository.members_by_id(conn, [current["member_id"]]))[current["member_id"]]
    return current, member


def _open_points(h: asyncpg.Record) -> int:
    return h["points"] - h["captured"] - h["released"]


async def capture(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.CaptureHoldRequest) -> pb.PostingResponse:
    reference = validation.reference(request.reference)
    hold_reference = validation.reference(request.hold_reference, "holdReference")
    if request.points < 0:
        raise DomainError(ErrorCode.INVALID_INPUT, "points: must not be negative", field="points")
    async with tenant_tx(pool, program_id) as conn:
        await posting.load_program(conn, program_id)

        async def perform() -> pb.PostingResponse:
            h, member = await _open_hold(conn, hold_reference)
            open_points = _open_points(h)
            if open_points == 0:
                raise DomainError(ErrorCode.HOLD_NOT_ACTIVE, f"hold {hold_reference!r} is no longer open "
                                  f"({h['captured']} captured, {h['released']} released)", field="holdReference")
            points = request.points or open_points
            if points > open_points:
                raise DomainError(ErrorCode.INVALID_INPUT, f"points: the hold has only {open_points} points open",
                                  field="points")
            await repository.capture_hold(conn, h["id"], points)
            transaction_id = uuid.uuid4()
            occurred_at = posting.now()
            event = posting.event("LOY_POINT_REDEMPTION", transaction_id=transaction_id, kind="CAPTURE", member=member,
                                 points=-points, reference=reference, occurred_at=occurred_at)
            _, balance = await posting.post(
                conn, kind="CAPTURE", reference=reference, member_id=member["id"], points=-points,
                target_id=h["id"], order_reference=h["order_reference"], transaction_id=transaction_id,
                occurred_at=occurred_at, details={"hold_reference": hold_reference}, events=[event],
                legs=[Leg("member_held", -points, member["id"]), Leg("redemption", points)],
            )
            return pb.PostingResponse(transaction_id=str(transaction_id), kind="CAPTURE", points=0,
                                      new_balance=balance, transaction_ids=[str(transaction_id)])

        return await run_once(conn, program_id=program_id, operation="capture", key=reference, request=request,
                              response_type=pb.PostingResponse, perform=perform)


async def release(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.ReleaseHoldRequest) -> pb.PostingResponse:
    reference = validation.reference(request.reference)
    hold_reference = validation.reference(request.hold_reference, "holdReference")
    async with tenant_tx(pool, program_id) as conn:
        await posting.load_program(conn, program_id)

        async def perform() -> pb.PostingResponse:
            h, _ = await _open_hold(conn, hold_reference)
            open_points = _open_points(h)
            if open_points == 0:
                raise DomainError(ErrorCode.HOLD_NOT_ACTIVE, f"hold {hold_reference!r} is no longer open "
                                  f"({h['captured']} captured, {h['released']} released)", field="holdReference")
            transaction_id = uuid.uuid4()
            with posting.refusals():
                balance = await repository.release_hold(
                    conn, hold_id=h["id"], points=open_points, transaction_id=transaction_id, kind="RELEASE",
                    reference=reference, details={"hold_reference": hold_reference})
            return _posting(transaction_id, "RELEASE", open_points, balance)

        return await run_once(conn, program_id=program_id, operation="release", key=reference, request=request,
                              response_type=pb.PostingResponse, perform=perform)
