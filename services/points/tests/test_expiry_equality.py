"""The lot-expiry rule exists twice: in Python (ledger/expiry.py, online postings) and in SQL
(policy_lot_expiry, the set-based import). They must agree everywhere: over a grid of earn
instants (month starts and ends, 29 February, the days clocks change, local midnight and the
last second of a day), zones (east and west of UTC, half-hour offsets, southern summer time,
zones whose clocks change at midnight), day counts and both month-end flags."""

import datetime as dt
import itertools
import zoneinfo

from services.points.ledger.expiry import lot_expiry

ZONES = ("UTC", "Europe/Madrid", "America/New_York", "Pacific/Auckland", "Asia/Kolkata", "Pacific/Chatham",
         "America/Santiago", "America/Havana", "Asia/Beirut", "Australia/Lord_Howe")
DAYS = (0, 1, 7, 28, 29, 30, 31, 59, 60, 90, 180, 364, 365, 366, 730)
LOCAL_TIMES = (dt.time(0, 0), dt.time(0, 30), dt.time(12, 0), dt.time(23, 59, 59))


def _dates() -> list[dt.date]:
    days = set()
    for year in (2023, 2024, 2025, 2028):
        for month in range(1, 13):
            first = dt.date(year, month, 1)
            days |= {first, first - dt.timedelta(days=1), first + dt.timedelta(days=14)}
    days |= {dt.date(2024, 2, 28), dt.date(2024, 2, 29), dt.date(2028, 2, 29), dt.date(2100, 2, 28)}
    return sorted(days)


def _transition_days(zone: zoneinfo.ZoneInfo, year: int) -> set[dt.date]:
    """The local days on which the zone's UTC offset changes (and the days before and after)."""
    out, day = set(), dt.datetime(year, 1, 1, 12, tzinfo=dt.timezone.utc)
    previous = day.astimezone(zone).utcoffset()
    while day.year == year:
        day += dt.timedelta(hours=6)
        offset = day.astimezone(zone).utcoffset()
        if offset != previous:
            local = day.astimezone(zone).date()
            out |= {local - dt.timedelta(days=1), local, local + dt.timedelta(days=1)}
            previous = offset
    return out


def _grid():
    for name in ZONES:
        zone = zoneinfo.ZoneInfo(name)
        dates = set(_dates()) | _transition_days(zone, 2024) | _transition_days(zone, 2025)
        for day, time in itertools.product(sorted(dates), LOCAL_TIMES):
            earned = dt.datetime.combine(day, time, tzinfo=zone).astimezone(dt.timezone.utc)
            for days, month_end in itertools.product(DAYS, (False, True)):
                yield earned, name, days, month_end


async def test_python_and_sql_lot_expiry_agree_over_the_grid(pools, admin_conn):  # pools: migrated
    grid = list(_grid())
    assert len(grid) > 50_000  # the grid is what it says
    rows = await admin_conn.fetch(
        "SELECT points.policy_lot_expiry(e, z, d, m) AS expires_at"
        " FROM unnest($1::timestamptz[], $2::text[], $3::int[], $4::boolean[]) WITH ORDINALITY AS g(e, z, d, m, n)"
        " ORDER BY n",
        [g[0] for g in grid], [g[1] for g in grid], [g[2] for g in grid], [g[3] for g in grid])
    differ = []
    for (earned, zone, days, month_end), row in zip(grid, rows, strict=True):
        python = lot_expiry(earned_at=earned, days=days, round_to_month_end=month_end, timezone=zone)
        if python != row["expires_at"]:
            differ.append((earned.isoformat(), zone, days, month_end, python, row["expires_at"]))
    assert not differ, f"{len(differ)} of {len(grid)} differ, e.g. {differ[:5]}"
