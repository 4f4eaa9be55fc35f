"""Member statuses and their history. The points service enforces earn/burn from the
MEMBER_STATUS_CHANGED events this module writes to the outbox in the same transaction."""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.common.outbox import add_event
from services.member import duplicates, repository, segments

STATUSES = ("active", "suspended", "blacklisted", "opted_out", "merged", "erased")
# Who may become what through ChangeStatus; merged and erased are reached by merge and erasure only.
TRANSITIONS = {
    "active": {"suspended", "blacklisted", "opted_out"},
    "suspended": {"active", "blacklisted", "opted_out"},
    "blacklisted": {"active", "suspended"},
    "opted_out": {"active", "blacklisted"},
    "merged": set(),
    "erased": set(),
}


async def record_change(
    conn: asyncpg.Connection, *, program_id: uuid.UUID, member: asyncpg.Record, to_status: str, reason: str,
    changed_by: str, merged_into: uuid.UUID | None = None,
) -> None:
    """The status, its history row and the event to the points service, in the caller's transaction."""
    await repository.set_status(
        conn, program_id=program_id, member_id=member["id"], from_status=member["status"], to_status=to_status,
        reason=reason, changed_by=changed_by, merged_into=merged_into,
    )
    payload = {"member_id": str(member["id"]), "loyalty_number": member["loyalty_number"], "status": to_status,
               "from_status": member["status"], "changed_by": changed_by}
    await add_event(conn, program_id=program_id, event_type="MEMBER_STATUS_CHANGED", payload=payload)
    if to_status == "opted_out":
        await add_event(conn, program_id=program_id, event_type="LOY_OPT_OUT", payload=payload)


async def change_status(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, status: str, reason: str, changed_by: str
) -> asyncpg.Record:
    if status not in STATUSES:
        raise invalid("status", f"{status!r} is not one of {list(STATUSES)}")
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", "is required: say why the status changes")
    if len(reason) > 500:
        raise invalid("reason", "must be at most 500 characters")
    async with tenant_tx(pool, program_id) as conn:
        member = await repository.member_for_update(conn, loyalty_number)
        if member is None:
            raise not_found("member", loyalty_number)
        if member["status"] == status:
            return member  # already there: a retry changes nothing
        if status not in TRANSITIONS[member["status"]]:
            raise DomainError(
                ErrorCode.INVALID_INPUT, f"status: a {member['status']} member cannot become {status}", field="status"
            )
        await record_change(conn, program_id=program_id, member=member, to_status=status, reason=reason,
                            changed_by=changed_by)
        if status == "blacklisted":
            await repository.add_to_blocklist(conn, program_id=program_id, member_id=member["id"], hashes=(
                duplicates.identity_hashes(
                    program_id=program_id, email_normalized=member["email_normalized"], phone=member["phone"],
                    first_name=member["first_name"], last_name=member["last_name"], birth_date=member["birth_date"])))
        elif member["status"] == "blacklisted":
            await repository.remove_from_blocklist(conn, member["id"])
        if status == "opted_out":
            await repository.update_member_profile(
                conn, member["id"], {"marketing_email": False, "marketing_sms": False, "marketing_post": False})
        await segments.reevaluate_member(conn, program_id=program_id, member_id=member["id"])
        return await repository.member_by_id(conn, member["id"])


async def history(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str) -> list[asyncpg.Record]:
    async with tenant_tx(pool, program_id) as conn:
        member = await repository.member_by_loyalty_number(conn, loyalty_number)
        if member is None:
            raise not_found("member", loyalty_number)
        return await repository.status_history(conn, member["id"])
