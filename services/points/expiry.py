"""When a lot expires: N days after earning, optionally at that month's end, in the program's zone."""

import calendar
import datetime as dt
import zoneinfo


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
