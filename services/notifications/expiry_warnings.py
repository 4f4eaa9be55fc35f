"""Expiry warnings: for each of the program's offsets (e.g. 30 and 7 days), one warning per member
per expiry date, queued as a message (messages.py) that the messenger sends.

The points service says what expires (PointsService.ListExpiring); an offset of D days covers the
dates after the next smaller offset up to D days ahead, so a day the job did not run is caught up
the next. Each warning's key is (member, expiry date, offset): a rerun, or a run after one killed
half way, queues only what is missing; each page is queued in its own transaction."""

import datetime as dt
import uuid
import zoneinfo

import asyncpg

from services.common.db import tenant_tx
from services.notifications import messages, peers

PAGE = 500


def windows(offsets: tuple[int, ...]) -> list[tuple[int, int, int]]:
    """(offset, after_days, up_to_days) per offset: an expiry `after_days` < days ahead <= `up_to_days`."""
    ordered = sorted(set(offsets))
    return [(d, ordered[i - 1] if i else 0, d) for i, d in enumerate(ordered)]


def warning_rows(items, *, today: dt.date, time_zone: str, offsets: tuple[int, ...]) -> list[dict]:
    """The warnings due for ListExpiring items: points summed per member and expiry date."""
    zone = zoneinfo.ZoneInfo(time_zone)
    per_date: dict[tuple[str, dt.date], int] = {}
    for item in items:
        at = dt.datetime.fromisoformat(item.expires_at.replace("Z", "+00:00"))
        on = (at.astimezone(zone) if at.tzinfo else at).date()
        per_date[(item.loyalty_number, on)] = per_date.get((item.loyalty_number, on), 0) + item.points
    rows = []
    for (number, on), points in sorted(per_date.items()):
        days = (on - today).days
        for offset, after, up_to in windows(offsets):
            if after < days <= up_to and points > 0:
                rows.append({"key": f"expiry:{number}:{on.isoformat()}:{offset}", "kind": "expiry_warning",
                             "member_id": None, "loyalty_number": number,
                             "data": {"points": points, "expires_on": on.isoformat(), "days": days,
                                      "offset": offset}})
    return rows


async def queue_program(pool: asyncpg.Pool, *, points: peers.Points, program_id: uuid.UUID,
                        now: dt.datetime | None = None, program_zone: str = "") -> int:
    """Queues the program's missing warnings; returns how many are new. Dates are in the message
    settings' time zone, else the program's (`program_zone`)."""
    async with tenant_tx(pool, program_id) as conn:
        settings = messages.in_zone(await messages.settings_of(conn), program_zone)
    if not settings.expiry_offsets:
        return 0
    today = (now or dt.datetime.now(dt.timezone.utc)).astimezone(zoneinfo.ZoneInfo(settings.time_zone)).date()
    queued, token = 0, ""
    while True:
        items, token = await points.expiring_page(program_id, within_days=max(settings.expiry_offsets) + 1,
                                                  page_size=PAGE, page_token=token,
                                                  principal="job:notifications.expiry-warnings")
        rows = warning_rows(items, today=today, time_zone=settings.time_zone, offsets=settings.expiry_offsets)
        async with tenant_tx(pool, program_id) as conn:
            queued += await messages.queue(conn, program_id=program_id, rows=rows)
        if not token:
            return queued
