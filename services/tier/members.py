"""A member's tiers: current tier per slab, progress to the next, overrides and history."""

import dataclasses
import datetime as dt
import uuid
from decimal import Decimal

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.common.idempotency import run_once
from services.common.outbox import add_event
from services.tier import dates, definitions, repository


@dataclasses.dataclass(frozen=True)
class CurrentTier:
    slab: definitions.Slab
    level: int
    achieved_on: dt.date | None
    lapse_on: dt.date | None
    override_level: int | None
    override_ends_on: dt.date | None

    @property
    def tier(self) -> definitions.Tier:
        return self.slab.tier(self.level)


@dataclasses.dataclass(frozen=True)
class Progress:
    current: CurrentTier
    window_from: dt.date
    window_to: dt.date
    value: Decimal
    next_tier: definitions.Tier | None
    needed: Decimal
    close_to_upgrade: bool
    retention_needed: Decimal
    grace_ends_on: dt.date | None


async def resolve_member(conn: asyncpg.Connection, *, loyalty_number: str = "", member_id: str = "") -> uuid.UUID | None:
    """The member's id, or None for a member no event has introduced yet (base tier everywhere)."""
    if member_id:
        try:
            return uuid.UUID(member_id)
        except ValueError:
            raise invalid("memberId", "is not a UUID") from None
    if not loyalty_number:
        raise invalid("loyaltyNumber", "is required")
    row = await repository.member_by_number(conn, loyalty_number)
    return row["member_id"] if row else None


async def _current(conn: asyncpg.Connection, member_id: uuid.UUID | None) -> list[CurrentTier]:
    rows = {r["slab_code"]: r for r in await repository.member_tier_rows(conn, member_id)} if member_id else {}
    out = []
    for slab in await definitions.load_all(conn):
        row = rows.get(slab.code)
        out.append(CurrentTier(
            slab=slab, level=row["level"] if row else 0, achieved_on=row["achieved_on"] if row else None,
            lapse_on=row["lapse_on"] if row else None, override_level=row["override_level"] if row else None,
            override_ends_on=row["override_ends_on"] if row else None,
        ))
    return out


async def member_tiers(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str = "",
                       member_id: str = "") -> tuple[uuid.UUID | None, list[CurrentTier]]:
    async with tenant_tx(pool, program_id) as conn:
        resolved = await resolve_member(conn, loyalty_number=loyalty_number, member_id=member_id)
        return resolved, await _current(conn, resolved)


async def progress(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str,
                   as_of: dt.date | None = None) -> tuple[uuid.UUID | None, list[Progress]]:
    async with tenant_tx(pool, program_id) as conn:
        program = await repository.program(conn, program_id)
        if program is None:
            raise not_found("program", str(program_id))
        day = as_of or dates.today(program["timezone"])
        member_id = await resolve_member(conn, loyalty_number=loyalty_number)
        out = []
        for current in await _current(conn, member_id):
            slab = current.slab
            value = Decimal(0)
            if member_id is not None:
                value = Decimal(await repository.window_value(
                    conn, program_id=program_id, member_id=member_id, slab=slab, as_of=day))
            next_tier = slab.tier(current.level + 1) if current.level < slab.top_level else None
            needed = max(next_tier.threshold - value, Decimal(0)) if next_tier else Decimal(0)
            close = bool(next_tier) and value * 100 >= next_tier.threshold * slab.close_to_upgrade_percent
            retention = current.tier.retention_threshold if current.level else Decimal(0)
            out.append(Progress(
                current=current, window_from=dates.window_start(day, length=slab.window_length,
                                                                unit=slab.window_unit) + dt.timedelta(days=1),
                window_to=day, value=value, next_tier=next_tier, needed=needed, close_to_upgrade=close,
                retention_needed=max(retention - value, Decimal(0)),
                grace_ends_on=(current.lapse_on + dt.timedelta(days=slab.grace_days)
                               if current.lapse_on and slab.grace_days else None),
            ))
    return member_id, out


async def set_override(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID, loyalty_number: str,
                       slab_code: str, tier_code: str, reason: str, ends_on: dt.date | None, as_of: dt.date) -> None:
    """A manual tier that acts as a floor until `ends_on`: the member is raised to it now if below,
    and no downgrade goes under it while it lasts; when it ends, retention decides."""
    reason = (reason or "").strip()
    if not reason:
        raise invalid("reason", "is required for a manual override")
    if ends_on is not None and ends_on <= as_of:
        raise invalid("endsOn", "must be after the day the override takes effect")
    slab = await definitions.load(conn, slab_code)
    tier = slab.by_code(tier_code)
    await repository.upsert_members(conn, program_id=program_id, members={member_id: loyalty_number})
    row = await repository.member_tier_for_update(conn, program_id=program_id, slab_code=slab.code,
                                                  member_id=member_id, day=as_of)
    raised = tier.level > row["level"]
    await repository.update_member_tier(
        conn, slab_code=slab.code, member_id=member_id,
        level=max(tier.level, row["level"]),
        achieved_on=as_of if raised else row["achieved_on"],
        lapse_on=ends_on if raised else row["lapse_on"],
        override_level=tier.level, override_reason=reason, override_ends_on=ends_on,
    )
    await repository.add_history(
        conn, program_id=program_id, member_id=member_id, slab_code=slab.code, change="override",
        from_level=row["level"], to_level=max(tier.level, row["level"]),
        reason=f"{reason} (floor {tier.code} until {dates.iso(ends_on) or 'cleared'})", effective_on=as_of,
    )
    if raised:
        await add_event(conn, program_id=program_id, event_type="TIER_UPGRADE", payload={
            "member_id": str(member_id), "loyalty_number": loyalty_number, "slab_code": slab.code,
            "from_tier": slab.tier(row["level"]).code, "to_tier": tier.code, "level": tier.level,
            "effective_on": as_of.isoformat(), "reason": f"override: {reason}",
        })


async def clear_override(conn: asyncpg.Connection, *, program_id: uuid.UUID, loyalty_number: str, slab_code: str,
                         reason: str, as_of: dt.date) -> uuid.UUID:
    slab = await definitions.load(conn, slab_code)
    member_id = await resolve_member(conn, loyalty_number=loyalty_number)
    row = None
    if member_id is not None:
        row = await repository.member_tier_for_update(conn, program_id=program_id, slab_code=slab.code,
                                                      member_id=member_id, day=as_of)
    if row is None or row["override_level"] is None:
        raise not_found("override for member", loyalty_number)
    # A tier the override gave lapses when the override was to end; re-check it at the next run.
    lapse = row["lapse_on"]
    if row["level"] > 0 and (lapse is None or lapse == row["override_ends_on"]):
        lapse = as_of
    await repository.update_member_tier(
        conn, slab_code=slab.code, member_id=member_id, level=row["level"], achieved_on=row["achieved_on"],
        lapse_on=lapse, override_level=None, override_reason=None, override_ends_on=None,
    )
    await repository.add_history(
        conn, program_id=program_id, member_id=member_id, slab_code=slab.code, change="override_cleared",
        from_level=row["level"], to_level=row["level"], reason=(reason or "").strip() or "override cleared",
        effective_on=as_of,
    )
    return member_id


async def history(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, slab_code: str = ""):
    async with tenant_tx(pool, program_id) as conn:
        member_id = await resolve_member(conn, loyalty_number=loyalty_number)
        if member_id is None:
            return []
        return await repository.history(conn, member_id=member_id, slab_code=slab_code)


async def override(pool: asyncpg.Pool, *, program_id: uuid.UUID, request, idempotency_key: str | None,
                   render, set_floor: bool, as_of: dt.date | None = None):
    """Set or clear an override in one transaction, once per idempotency key; answers with
    `render(member_id, tiers)` (a proto message, stored for a replay of the same key)."""
    async with tenant_tx(pool, program_id) as conn:
        program = await repository.program(conn, program_id)
        if program is None:
            raise not_found("program", str(program_id))
        day = as_of or dates.today(program["timezone"])

        async def perform():
            if set_floor:
                member_id = await resolve_member(conn, loyalty_number=request.loyalty_number,
                                                 member_id=request.member_id)
                if member_id is None:
                    raise not_found("member", request.loyalty_number)
                await set_override(
                    conn, program_id=program_id, member_id=member_id, loyalty_number=request.loyalty_number,
                    slab_code=request.slab_code, tier_code=request.tier_code, reason=request.reason,
                    ends_on=dates.optional_date(request.ends_on, "endsOn"), as_of=day,
                )
            else:
                member_id = await clear_override(conn, program_id=program_id, loyalty_number=request.loyalty_number,
                                                 slab_code=request.slab_code, reason=request.reason, as_of=day)
            return render(member_id, await _current(conn, member_id))

        if not idempotency_key:
            return await perform()
        return await run_once(conn, program_id=program_id, operation="set_override" if set_floor else "clear_override",
                              key=idempotency_key, request=request, response_type=type(render(None, [])),
                              perform=perform)
