"""Billing periods: calendar months in the program's time zone, written YYYY-MM."""

import calendar
import datetime as dt
import re
import zoneinfo

from services.common.errors import invalid

_PERIOD = re.compile(r"^(\d{4})-(\d{2})$")


def parse(value: str, field: str = "period") -> dt.date:
    """'2026-04' -> the month's first day."""
    match = _PERIOD.match(value or "")
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise invalid(field, f"{value!r} is not a period (YYYY-MM)")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def parse_optional(value: str, field: str) -> dt.date | None:
    return parse(value, field) if value else None


def fmt(period: dt.date | None) -> str:
    return period.strftime("%Y-%m") if period else ""


def month_of(instant: dt.datetime, timezone: str) -> dt.date:
    local = instant.astimezone(zoneinfo.ZoneInfo(timezone))
    return dt.date(local.year, local.month, 1)


def next_month(period: dt.date) -> dt.date:
    return dt.date(period.year + (period.month == 12), period.month % 12 + 1, 1)


def end_of(period: dt.date, timezone: str) -> dt.datetime:
    """The instant the period is over: local midnight starting the next month."""
    return dt.datetime.combine(next_month(period), dt.time(), tzinfo=zoneinfo.ZoneInfo(timezone))


def statement_period(occurred_period: dt.date, closed: set[dt.date]) -> dt.date:
    """Where a line lands: its own month, or the first open month after it when that one is closed."""
    period = occurred_period
    while period in closed:
        period = next_month(period)
    return period


def lot_expiry(*, earned_at: dt.datetime, days: int, round_to_month_end: bool, timezone: str) -> dt.datetime | None:
    """The program's expiry policy (ProgramSpec.expiry) applied to an earn: N days after the local
    earn date, optionally at that month's end; the lot stops at the next local midnight. None: never."""
    if days <= 0:
        return None
    zone = zoneinfo.ZoneInfo(timezone)
    last_day = earned_at.astimezone(zone).date() + dt.timedelta(days=days)
    if round_to_month_end:
        last_day = last_day.replace(day=calendar.monthrange(last_day.year, last_day.month)[1])
    return dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(), tzinfo=zone).astimezone(dt.timezone.utc)
