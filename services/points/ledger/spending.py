"""Spending: burn, and two-phase redemption (hold, then capture or release; holds time out)."""

import datetime as dt
import uuid

import asyncpg

from services.common.errors import DomainError, ErrorCode
from services.common.idempotency import Replay, json_replay, run_once
from services.points.ledger import changes, commands, posting, repository
from services.points.ledger.posting import Leg
from services.points.ledger.results import Held, Posted


def _posting(transaction_id: uuid.UUID, kind: str, points: int, balance: int) -> Posted:
    return Posted(transaction_id=str(transaction_id), kind=kind, points=points, new_balance=balance,
                  transaction_ids=(str(transaction_id),))


async def burn(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Burn, replay: Replay[Posted] | None = None
) -> Posted:
    async with posting.transaction(pool, program_id) as conn:
        await posting.load_program(conn, program_id)
        member = await posting.load_active_member(conn, command.loyalty_number)
        return await run_once(conn, program_id=program_id, operation="burn", key=command.reference,
                              perform=lambda: post_burn(conn, member=member, command=command),
                              replay=replay or json_replay(command, Posted))


async def post_burn(conn: asyncpg.Connection, *, member: asyncpg.Record, command: commands.Burn,
                    details: dict | None = None) -> Posted:
    """The burn's posting, in the caller's transaction (a priced burn's, see rules/burn_quotes.py);
    `details`: more for the posting's details (what priced it)."""
    points, reference = command.points, command.reference
    transaction_id = uuid.uuid4()
    details = {"reason": command.reason, "partner_code": command.partner_code,
               "location_code": command.location_code, **(details or {})}
    occurred_at = posting.now()
    event = posting.event("LOY_POINT_REDEMPTION", transaction_id=transaction_id, kind="BURN", member=member,
                          points=-points, reference=reference, occurred_at=occurred_at, details=details)
    _, balance = await posting.post(
        conn, kind="BURN", reference=reference, member_id=member["id"], points=-points, details=details,
        order_reference=command.order_reference, transaction_id=transaction_id, occurred_at=occurred_at,
        events=[event], touch=[member["id"]],
        legs=[Leg("member_available", -points, member["id"], lots="consume"), Leg("redemption", points)],
    )
    return _posting(transaction_id, "BURN", -points, balance)


async def hold(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Hold, replay: Replay[Held] | None = None
) -> Held:
    points, reference, order_reference = command.points, command.reference, command.order_reference
    async with posting.transaction(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        member = await posting.load_active_member(conn, command.loyalty_number)

        async def perform() -> Held:
            transaction_id = uuid.uuid4()
            occurred_at = posting.now()
            expires_at = occurred_at + dt.timedelta(
                seconds=command.timeout_seconds or program["hold_timeout_seconds"])
            _, balance = await posting.post(
                conn, kind="HOLD", reference=reference, member_id=member["id"], points=-points,
                details={"reason": command.reason, "expires_at": expires_at.isoformat()},
                order_reference=order_reference, transaction_id=transaction_id, occurred_at=occurred_at,
                touch=[member["id"]],
                legs=[Leg("member_available", -points, member["id"], lots="consume"),
                      Leg("member_held", points, member["id"])],
            )
            await repository.insert_hold(conn, program_id=program_id, hold_id=transaction_id, member_id=member["id"],
                                         reference=reference, order_reference=order_reference, points=points,
                                         expires_at=expires_at)
            return Held(hold_id=str(transaction_id), transaction_id=str(transaction_id), points=points,
                        expires_at=posting.rfc3339(expires_at), available_after=balance)

        return await run_once(conn, program_id=program_id, operation="hold", key=reference, perform=perform,
                              replay=replay or json_replay(command, Held))


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


async def capture(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.CaptureHold, replay: Replay[Posted] | None = None
) -> Posted:
    reference, hold_reference = command.reference, command.hold_reference
    async with posting.transaction(pool, program_id) as conn:
        await posting.load_program(conn, program_id)

        async def perform() -> Posted:
            h, member = await _open_hold(conn, hold_reference)
            open_points = _open_points(h)
            if open_points == 0:
                raise DomainError(ErrorCode.HOLD_NOT_ACTIVE, f"hold {hold_reference!r} is no longer open "
                                  f"({h['captured']} captured, {h['released']} released)", field="holdReference")
            points = command.points or open_points
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
            return _posting(transaction_id, "CAPTURE", 0, balance)

        return await run_once(conn, program_id=program_id, operation="capture", key=reference, perform=perform,
                              replay=replay or json_replay(command, Posted))


async def release(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.ReleaseHold, replay: Replay[Posted] | None = None
) -> Posted:
    reference, hold_reference = command.reference, command.hold_reference
    async with posting.transaction(pool, program_id) as conn:
        await posting.load_program(conn, program_id)

        async def perform() -> Posted:
            h, _ = await _open_hold(conn, hold_reference)
            open_points = _open_points(h)
            if open_points == 0:
                raise DomainError(ErrorCode.HOLD_NOT_ACTIVE, f"hold {hold_reference!r} is no longer open "
                                  f"({h['captured']} captured, {h['released']} released)", field="holdReference")
            transaction_id = uuid.uuid4()
            changes.note([h["member_id"]])
            with posting.refusals():
                balance = await repository.release_hold(
                    conn, hold_id=h["id"], points=open_points, transaction_id=transaction_id, kind="RELEASE",
                    reference=reference, details={"hold_reference": hold_reference})
            return _posting(transaction_id, "RELEASE", open_points, balance)

        return await run_once(conn, program_id=program_id, operation="release", key=reference, perform=perform,
                              replay=replay or json_replay(command, Posted))
