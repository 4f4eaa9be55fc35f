"""When a lot expires: N days after earning, optionally at that month's end, in the program's zone."""

import calendar
import datetime as dt
import zoneinfo

from services.common.db import tenant_tx
from services.points.ledger import posting, repository


def lot_expiry(
    *, earned_at: dt.datetime, days: int, round_to_month_end: bool, timezone: str
) -> dt.datetime | None:
    """The instant the lot stops being spendable: the end of its last valid local day. None: never."""
    if days <= 0:
        return None
    zone = zoneinfo.ZoneInfo(timezone)
    last_day = earned_at.astimezone(zone).date() + dt.timedelta(days=days)
    if round_to_month_end:
        last_day = last_day.replace(day=calendar.monthrange(last_day.year, last_day.month)[1])
    next_midnight = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    return next_midnight.astimezone(dt.timezone.utc)


async def expire_program(pool, program_id, *, now: dt.datetime, batch_members: int = 20000) -> int:
    """Expire every lot of one program past its date as of `now`: batches of members, each its own
    transaction (a killed run resumes where it stopped; a rerun changes nothing). Returns lots expired."""
    total = 0
    while True:
        async with tenant_tx(pool, program_id) as conn:
            done = await repository.expire_batch(conn, now=now, limit=batch_members)
        if not done:
            return total
        total += done


async def release_expired_holds(pool, program_id, *, batch_members: int = 500, cards=None) -> int:
    """Release every hold of one program past its timeout (the touch of each member does it), a batch of
    members per transaction; with `cards` (ledger/cards.py) each batch's member cards are written through
    after its commit, as an API posting's are."""
    total = 0
    while True:
        batch = _release_batch(pool, program_id, limit=batch_members)
        released = await (cards.posted(program_id=program_id, operation=batch) if cards else batch)
        if not released:
            return total
        total += released


async def _release_batch(pool, program_id, *, limit: int) -> int:
    async with posting.transaction(pool, program_id) as conn:
        members = await repository.expired_hold_members(conn, limit=limit)
        if members:
            await posting.touch(conn, members)
    return len(members)
