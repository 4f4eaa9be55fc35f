"""Calendar arithmetic for tiers: local days, months added as PostgreSQL adds them, windows."""

import calendar
import datetime as dt
import zoneinfo

from services.common.errors import invalid


def add_months(day: dt.date, months: int) -> dt.date:
    """Clamped to the month's end: Jan 31 + 1 month = Feb 28 (as `date + interval` in PostgreSQL)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    return dt.date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def window_start(as_of: dt.date, *, length: int, unit: str) -> dt.date:
    """The day before the first counted day: a window of N counts the days in (start, as_of]."""
    if unit == "month":
        return add_months(as_of, -length)
    return as_of - dt.timedelta(days=length)


def local_day(instant: dt.datetime, timezone: str) -> dt.date:
    return instant.astimezone(zoneinfo.ZoneInfo(timezone)).date()


def today(timezone: str) -> dt.date:
    return dt.datetime.now(zoneinfo.ZoneInfo(timezone)).date()


def parse_date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except (ValueError, TypeError):
        raise invalid(field, f"{value!r} is not an ISO 8601 date (YYYY-MM-DD)") from None


def optional_date(value: str, field: str) -> dt.date | None:
    return parse_date(value, field) if value else None


def iso(day: dt.date | None) -> str:
    return day.isoformat() if day else ""
