"""Staff operations: adjust (signed, reason required), goodwill, transfer, merge, expiry extension."""

import uuid

import asyncpg

from services.common.errors import DomainError, ErrorCode, invalid
from services.common.idempotency import Replay, json_replay, run_once
from services.points.ledger import commands, posting, repository
from services.points.ledger.expiry import lot_expiry
from services.points.ledger.posting import Leg
from services.points.ledger.results import Extended, Posted


def _credit_lot_expiry(program: asyncpg.Record):
    return lot_expiry(earned_at=posting.now(), days=program["expiry_days"],
                      round_to_month_end=program["expiry_round_to_month_end"], timezone=program["timezone"])


def _staff_details(reason: str, actor: str) -> dict:
    """A staff operation's posting names who did it (the acting principal from the gateway)."""
    return {"reason": reason, "by": actor} if actor else {"reason": reason}


async def adjust(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Adjust, replay: Replay[Posted] | None = None,
    actor: str = "",
) -> Posted:
    reference, reason = command.reference, command.reason
    async with posting.transaction(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        member = await posting.load_member(conn, command.loyalty_number)

        async def perform() -> Posted:
            points = posting.within_cap(program, command.points, "points")
            transaction_id = uuid.uuid4()
            occurred_at = posting.now()
            if points > 0:
                legs = [Leg("adjustment", -points),
                        Leg("member_available", points, member["id"], lots="create",
                            expires_at=_credit_lot_expiry(program))]
            else:
                legs = [Leg("member_available", points, member["id"], lots="consume"), Leg("adjustment", -points)]
            event = posting.event("LOY_POINT_ACCRUAL" if points > 0 else "LOY_POINT_ADJUSTMENT",
                                 transaction_id=transaction_id, kind="ADJUST", member=member, points=points,
                                 reference=reference, occurred_at=occurred_at)
            _, balance = await posting.post(conn, kind="ADJUST", reference=reference, member_id=member["id"],
                                           points=points, details=_staff_details(reason, actor), legs=legs,
                                           events=[event],
                                           transaction_id=transaction_id, occurred_at=occurred_at,
                                           touch=[member["id"]])
            return Posted(transaction_id=str(transaction_id), kind="ADJUST", points=points, new_balance=balance,
                          transaction_ids=(str(transaction_id),))

        return await run_once(conn, program_id=program_id, operation="adjust", key=reference, perform=perform,
                              replay=replay or json_replay(command, Posted))


def _within_goodwill_limit(program: asyncpg.Record, points: int) -> None:
    limit = program["goodwill_limit"]
    if limit is not None and points > limit:
        raise DomainError(ErrorCode.FORBIDDEN, f"points: {points} is over the program's goodwill limit of {limit} "
                          "points per posting (points.goodwill_unlimited lifts it)", field="points")


async def goodwill(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Goodwill, replay: Replay[Posted] | None = None,
    actor: str = "", unlimited: bool = False,
) -> Posted:
    """`unlimited`: the caller holds points.goodwill_unlimited; otherwise the program's goodwill limit applies."""
    points, reference, reason = command.points, command.reference, command.reason
    async with posting.transaction(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        member = await posting.load_active_member(conn, command.loyalty_number)

        async def perform() -> Posted:
            posting.within_cap(program, points, "points")
            if not unlimited:
                _within_goodwill_limit(program, points)
            transaction_id = uuid.uuid4()
            occurred_at = posting.now()
            details = _staff_details(reason, actor)
            event = posting.event("LOY_POINT_ACCRUAL", transaction_id=transaction_id, kind="GOODWILL", member=member,
                                 points=points, reference=reference, occurred_at=occurred_at, details=details)
            _, balance = await posting.post(
                conn, kind="GOODWILL", reference=reference, member_id=member["id"], points=points, details=details,
                transaction_id=transaction_id, occurred_at=occurred_at, events=[event],
                legs=[Leg("issuance", -points),
                      Leg("member_available", points, member["id"], lots="create",
                          expires_at=_credit_lot_expiry(program))],
            )
            return Posted(transaction_id=str(transaction_id), kind="GOODWILL", points=points, new_balance=balance,
                          transaction_ids=(str(transaction_id),))

        return await run_once(conn, program_id=program_id, operation="goodwill", key=reference, perform=perform,
                              replay=replay or json_replay(command, Posted))


async def _two_members(conn, from_number: str, to_number: str) -> tuple[asyncpg.Record, asyncpg.Record]:
    source = await posting.load_member(conn, from_number, "fromLoyaltyNumber")
    target = await posting.load_member(conn, to_number, "toLoyaltyNumber")
    if source["id"] == target["id"]:
        raise invalid("toLoyaltyNumber", "must be another member")
    return source, target


async def transfer(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.Transfer, replay: Replay[Posted] | None = None,
    actor: str = "",
) -> Posted:
    """Moves points between two members of one program; the lots keep their expiry dates."""
    points, reference, reason = command.points, command.reference, command.reason
    async with posting.transaction(pool, program_id) as conn:
        await posting.load_program(conn, program_id)
        source, target = await _two_members(conn, command.from_loyalty_number, command.to_loyalty_number)
        posting.ensure_active(source, "fromLoyaltyNumber")
        posting.ensure_active(target, "toLoyaltyNumber")

        async def perform() -> Posted:
            transaction_id = uuid.uuid4()
            occurred_at = posting.now()
            events = [
                posting.event("LOY_POINT_ADJUSTMENT", transaction_id=transaction_id, kind="TRANSFER", member=source,
                             points=-points, reference=reference, occurred_at=occurred_at),
                posting.event("LOY_POINT_ACCRUAL", transaction_id=transaction_id, kind="TRANSFER", member=target,
                             points=points, reference=reference, occurred_at=occurred_at),
            ]
            _, balance = await posting.post(
                conn, kind="TRANSFER", reference=reference, member_id=source["id"], counterparty_id=target["id"],
                points=-points, details=_staff_details(reason, actor), transaction_id=transaction_id,
                occurred_at=occurred_at,
                events=events, touch=[source["id"], target["id"]],
                legs=[Leg("member_available", -points, source["id"], lots="consume"),
                      Leg("member_available", points, target["id"], lots="mirror")],
            )
            return Posted(transaction_id=str(transaction_id), kind="TRANSFER", points=-points, new_balance=balance,
                          transaction_ids=(str(transaction_id),))

        return await run_once(conn, program_id=program_id, operation="transfer", key=reference, perform=perform,
                              replay=replay or json_replay(command, Posted))


async def merge(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.MergeMembers, replay: Replay[Posted] | None = None
) -> Posted:
    """Everything of one member to another as one MERGE: open lots (same expiry, traceable to their
    source lot), pending and held points and open holds. Afterwards the from-member cannot earn or burn."""
    reference = command.reference
    async with posting.transaction(pool, program_id) as conn:
        await posting.load_program(conn, program_id)
        source, target = await _two_members(conn, command.from_loyalty_number, command.to_loyalty_number)

        async def perform() -> Posted:
            await posting.touch(conn, [source["id"], target["id"]])
            balances = await conn.fetch(
                "SELECT kind, balance FROM accounts WHERE member_id = $1 AND kind LIKE 'member_%'", source["id"])
            amounts = {r["kind"]: r["balance"] for r in balances}
            available = amounts.get("member_available", 0)
            legs = [Leg("member_available", -available, source["id"], lots="consume"),
                    Leg("member_available", available, target["id"], lots="mirror")]
            for kind in ("member_pending", "member_held"):
                if amounts.get(kind):
                    legs += [Leg(kind, -amounts[kind], source["id"]), Leg(kind, amounts[kind], target["id"])]
            transaction_id = uuid.uuid4()
            occurred_at = posting.now()
            events = []
            if available:
                events = [
                    posting.event("LOY_POINT_ADJUSTMENT", transaction_id=transaction_id, kind="MERGE", member=source,
                                 points=-available, reference=reference, occurred_at=occurred_at),
                    posting.event("LOY_POINT_ACCRUAL", transaction_id=transaction_id, kind="MERGE", member=target,
                                 points=available, reference=reference, occurred_at=occurred_at),
                ]
            details = {"pending": amounts.get("member_pending", 0), "held": amounts.get("member_held", 0),
                       "from_loyalty_number": source["loyalty_number"], "to_loyalty_number": target["loyalty_number"]}
            _, balance = await posting.post(
                conn, kind="MERGE", reference=reference, member_id=source["id"], counterparty_id=target["id"],
                points=-available, details=details, transaction_id=transaction_id, occurred_at=occurred_at,
                events=events, legs=legs)
            await conn.execute("UPDATE holds SET member_id = $2 WHERE member_id = $1 AND captured + released < points",
                               source["id"], target["id"])
            await conn.execute("UPDATE members SET status = 'merged', updated_at = now() WHERE id = $1", source["id"])
            return Posted(transaction_id=str(transaction_id), kind="MERGE", points=-available, new_balance=balance,
                          transaction_ids=(str(transaction_id),))

        return await run_once(conn, program_id=program_id, operation="merge", key=reference, perform=perform,
                              replay=replay or json_replay(command, Posted))


async def extend_expiry(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.ExtendExpiry,
    replay: Replay[Extended] | None = None, actor: str = "",
) -> Extended:
    new_expires_at, reason, reference = command.new_expires_at, command.reason, command.reference
    async with posting.transaction(pool, program_id) as conn:
        await posting.load_program(conn, program_id)
        member = await posting.load_member(conn, command.loyalty_number)

        async def perform() -> Extended:
            await posting.touch(conn, [member["id"]])  # what has already expired stays expired
            with posting.refusals():
                row = await repository.extend_expiry(
                    conn, member_id=member["id"], new_expires_at=new_expires_at, transaction_id=uuid.uuid4(),
                    reference=reference, reason=reason, program_id=program_id, actor=actor)
            return Extended(lots_extended=row["lots"], points_extended=row["points"])

        return await run_once(conn, program_id=program_id, operation="extend_expiry", key=reference, perform=perform,
                              replay=replay or json_replay(command, Extended))

