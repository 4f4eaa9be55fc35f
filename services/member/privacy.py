"""Privacy: a member's data as JSON, and erasure (personal data pseudonymised; the ledger, which
holds no personal data, stays whole, so totals and reports are intact)."""

import datetime as dt
import json
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import not_found
from services.member import merge_repository, repository, segments_repository, statuses

PERSONAL = ("email", "first_name", "last_name", "phone", "birth_date", "zip", "nationality", "custom_attributes")


def _plain(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value if isinstance(value, (str, int, float, bool, dict, list, type(None))) else str(value)


async def export(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str) -> str:
    async with tenant_tx(pool, program_id) as conn:
        member = await repository.member_by_loyalty_number(conn, loyalty_number)
        if member is None:
            raise not_found("member", loyalty_number)
        history = await repository.status_history(conn, member["id"])
        activity = await conn.fetchrow("SELECT * FROM member_activity WHERE member_id = $1", member["id"])
        segment_codes = await segments_repository.member_segment_codes(conn, member["id"])
        merges = await merge_repository.merges_of_member(conn, member["id"])
    document = {
        "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(),
        "member": {k: _plain(v) for k, v in dict(member).items() if k not in ("program_id", "email_normalized")},
        "status_history": [{k: _plain(v) for k, v in dict(h).items()} for h in history],
        "activity": {k: _plain(v) for k, v in dict(activity).items() if k != "program_id"} if activity else None,
        "segments": segment_codes,
        "merges": [{k: _plain(v) for k, v in dict(m).items()} for m in merges],
    }
    return json.dumps(document, sort_keys=True, default=str)


async def erase(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, erased_by: str) -> asyncpg.Record:
    """Idempotent: erasing an erased member changes nothing. The loyalty number and member id stay as
    pseudonyms, so the ledger's totals and history still add up."""
    async with tenant_tx(pool, program_id) as conn:
        member = await repository.member_for_update(conn, loyalty_number)
        if member is None:
            raise not_found("member", loyalty_number)
        if member["erased_at"] is not None:
            return member
        if member["status"] != "merged":
            await statuses.record_change(conn, program_id=program_id, member=member, to_status="erased",
                                         reason="erased", changed_by=erased_by)
        await repository.erase_member(conn, member_id=member["id"], pseudonym=f"erased-{member['id']}@erased.invalid")
        await segments_repository.remove_member_everywhere(conn, member["id"])
        return await repository.member_by_id(conn, member["id"])
