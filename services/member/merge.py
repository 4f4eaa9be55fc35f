"""Merging a duplicate (from) into the member who stays (to), as a saga recorded in `merges`:

1. record the merge (pending) and lock both members;
2. ask the points service to move every lot, hold and history item (MergeMembers, idempotent by
   the merge's reference, so a repeated call moves nothing twice);
3. mark the merged member `merged` (history, outbox event to the points service) and the merge completed.

A failure in step 2 leaves the merge pending with the error recorded and the members unchanged
and usable; calling merge again (or the `resume-merges` job) continues from where it stopped.
"""

import dataclasses
import uuid

import asyncpg

from services.common.db import global_tx, tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.common.outbox import add_event
from services.member import merge_repository as sql
from services.member import repository, segments, statuses
from services.member.peers import PointsLedger


@dataclasses.dataclass(frozen=True)
class MergeOutcome:
    merge_id: uuid.UUID
    state: str
    reference: str
    from_member: asyncpg.Record
    to_member: asyncpg.Record


def _conflict(message: str, field: str = "fromLoyaltyNumber") -> DomainError:
    return DomainError(ErrorCode.INVALID_INPUT, message, field=field)


async def merge(
    pool: asyncpg.Pool, points: PointsLedger, *, program_id: uuid.UUID, from_number: str,
    to_number: str, reason: str, requested_by: str,
) -> MergeOutcome:
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", "is required: say why these members are one person")
    if from_number == to_number:
        raise invalid("toLoyaltyNumber", "a member cannot be merged into itself")
    merge_row = await _record(pool, program_id=program_id, from_number=from_number, to_number=to_number,
                              reason=reason, requested_by=requested_by)
    return await resume(pool, points, program_id=program_id, merge_row=merge_row)


async def _record(pool, *, program_id, from_number, to_number, reason, requested_by) -> asyncpg.Record:
    async with tenant_tx(pool, program_id) as conn:
        found = await sql.lock_members(conn, [from_number, to_number])
        if from_number not in found:
            raise not_found("member", from_number)
        if to_number not in found:
            raise not_found("member", to_number)
        source, target = found[from_number], found[to_number]
        existing = await sql.merge_of(conn, source["id"])
        if existing is not None:
            if existing["to_member_id"] != target["id"]:
                raise _conflict(f"member {from_number} is already being merged into another member")
            return existing  # a retry: resume (or report) the same merge
        if source["status"] in ("merged", "erased"):
            raise DomainError(ErrorCode.MEMBER_BLOCKED, f"member {from_number} is {source['status']}",
                              field="fromLoyaltyNumber")
        if target["status"] in ("merged", "erased"):
            raise DomainError(ErrorCode.MEMBER_BLOCKED, f"member {to_number} is {target['status']}",
                              field="toLoyaltyNumber")
        if await sql.merge_of(conn, target["id"]) is not None:
            raise _conflict(f"member {to_number} is itself being merged away", "toLoyaltyNumber")
        merge_id = uuid.uuid4()
        return await sql.insert_merge(
            conn, program_id=program_id, merge_id=merge_id, from_member_id=source["id"], to_member_id=target["id"],
            reference=f"merge-{merge_id}", reason=reason, requested_by=requested_by,
        )


async def resume(pool, points: PointsLedger, *, program_id: uuid.UUID, merge_row: asyncpg.Record) -> MergeOutcome:
    if merge_row["state"] == "pending":
        async with tenant_tx(pool, program_id) as conn:
            source = await repository.member_by_id(conn, merge_row["from_member_id"])
            target = await repository.member_by_id(conn, merge_row["to_member_id"])
        try:
            await points.merge_members(program_id=program_id, from_loyalty_number=source["loyalty_number"],
                                       to_loyalty_number=target["loyalty_number"], reference=merge_row["reference"],
                                       requested_by=merge_row["requested_by"])
        except DomainError as err:
            async with tenant_tx(pool, program_id) as conn:
                await sql.merge_failed(conn, merge_row["id"], f"{err.code.value}: {err.message}")
            raise DomainError(
                err.code if err.code != ErrorCode.INTERNAL else ErrorCode.UNAVAILABLE,
                f"merge {merge_row['id']} is pending: moving the points failed ({err.message}); retry to resume",
                field=err.field,
            ) from None
        async with tenant_tx(pool, program_id) as conn:
            await sql.set_state(conn, merge_row["id"], "points_moved")
    async with tenant_tx(pool, program_id) as conn:
        row = await sql.merge_by_id(conn, merge_row["id"], lock=True)
        source = await repository.member_by_id(conn, row["from_member_id"])
        if row["state"] == "points_moved":
            locked = await repository.member_for_update(conn, source["loyalty_number"])
            await statuses.record_change(
                conn, program_id=program_id, member=locked, to_status="merged",
                reason=f"merged into another member: {row['reason']}"[:500], changed_by=row["requested_by"],
                merged_into=row["to_member_id"],
            )
            await sql.set_state(conn, row["id"], "completed")
            target = await repository.member_by_id(conn, row["to_member_id"])
            await add_event(conn, program_id=program_id, event_type="MEMBER_MERGED", payload={
                "merge_id": str(row["id"]), "from_member_id": str(source["id"]),
                "from_loyalty_number": source["loyalty_number"], "to_member_id": str(target["id"]),
                "to_loyalty_number": target["loyalty_number"], "reference": row["reference"],
            })
            for member_id in (row["from_member_id"], row["to_member_id"]):
                await segments.reevaluate_member(conn, program_id=program_id, member_id=member_id)
            row = await sql.merge_by_id(conn, row["id"])
        return MergeOutcome(
            merge_id=row["id"], state=row["state"], reference=row["reference"],
            from_member=await repository.member_by_id(conn, row["from_member_id"]),
            to_member=await repository.member_by_id(conn, row["to_member_id"]),
        )


async def resume_all(pool: asyncpg.Pool, points: PointsLedger) -> tuple[int, int]:
    """The job: finish every open merge of every program. Returns (completed, still failing)."""
    async with global_tx(pool) as conn:
        program_ids = await sql.program_ids(conn)
    done = failed = 0
    for program_id in program_ids:
        async with tenant_tx(pool, program_id) as conn:
            open_merges = await sql.open_merges(conn)
        for row in open_merges:
            try:
                await resume(pool, points, program_id=program_id, merge_row=row)
                done += 1
            except DomainError:
                failed += 1
    return done, failed
