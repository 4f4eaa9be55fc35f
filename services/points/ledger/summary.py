"""Reads: a member's summary and history, expiring points, liability and breakage reports."""

import base64
import datetime as dt
import uuid

import asyncpg

from loyalty.points.v1 import points_service_pb2 as pb
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid
from services.points.ledger import posting, repository

KINDS = frozenset({"EARN", "BURN", "VOID", "ADJUST", "TRANSFER", "GOODWILL", "RETRO_CLAIM", "ACTIVATE", "HOLD",
                   "CAPTURE", "RELEASE", "EXPIRE", "MERGE", "EXTEND"})
MAX_PAGE = 200


def _token(*parts) -> str:
    return base64.urlsafe_b64encode("|".join(str(p) for p in parts).encode()).decode()


def _untoken(token: str, field: str = "pageToken") -> tuple[dt.datetime, uuid.UUID] | None:
    if not token:
        return None
    try:
        when, key = base64.urlsafe_b64decode(token.encode()).decode().split("|")
        return dt.datetime.fromisoformat(when), uuid.UUID(key)
    except (ValueError, UnicodeDecodeError):
        raise invalid(field, "is not a token this service issued") from None


def _instant(value: str, field: str) -> dt.datetime | None:
    """An RFC 3339 timestamp, or a plain date (its UTC midnight); empty: no bound."""
    if not value:
        return None
    if len(value) == 10:
        try:
            return dt.datetime.combine(dt.date.fromisoformat(value), dt.time(), tzinfo=dt.timezone.utc)
        except ValueError:
            raise invalid(field, f"{value!r} is not a date (YYYY-MM-DD)") from None
    return validation.timestamp(value, field)


def _page_size(value: int) -> int:
    if value < 0:
        raise invalid("pageSize", "must not be negative")
    return min(value or 50, MAX_PAGE)


async def member_summary(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str) -> pb.PointsSummary:
    async with tenant_tx(pool, program_id) as conn:
        member = await posting.load_member(conn, loyalty_number)
        row = await repository.summary(conn, member["id"])
    return pb.PointsSummary(
        available=row["available"], pending=row["pending"], on_hold=row["on_hold"],
        lifetime_earned=row["lifetime_earned"], used=row["used"], expired=row["expired"],
        next_expiring_points=row["next_expiring_points"] or 0, next_expiry_date=posting.rfc3339(row["next_expiry_date"]),
        first_activity_at=posting.rfc3339(row["first_activity_at"]),
        last_activity_at=posting.rfc3339(row["last_activity_at"]),
    )


def _status(row: asyncpg.Record) -> str:
    kind = row["kind"]
    if kind == "HOLD" and row["hold"]:
        h = row["hold"]
        if h["captured"] + h["released"] < h["points"]:
            return "held"
        return "captured" if h["captured"] else "released"
    if kind == "EARN" and row["details"].get("pending") and not row["activated"]:
        return "voided" if row["voided"] >= row["points"] else "pending"
    if row["voided"] and row["voided"] >= abs(row["points"]):
        return "voided"
    if row["voided"]:
        return "partially_voided"
    return "posted"


async def history(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.ListTransactionsRequest):
    kinds = [k.upper() for k in request.kinds]
    unknown = sorted(set(kinds) - KINDS)
    if unknown:
        raise invalid("kinds", f"unknown kinds {unknown}; known: {sorted(KINDS)}")
    since = _instant(getattr(request, "from"), "from")
    until = _instant(request.to, "to")
    size = _page_size(request.page_size)
    after = _untoken(request.page_token)
    async with tenant_tx(pool, program_id) as conn:
        member = await posting.load_member(conn, request.loyalty_number)
        rows = await repository.history(conn, member_id=member["id"], kinds=kinds, since=since, until=until,
                                        after=after, limit=size + 1)
    items = []
    for row in rows[:size]:
        details = row["details"]
        items.append(pb.Transaction(
            id=str(row["id"]), kind=row["kind"], reference=row["reference"],
            points=row["points"] if row["own"] else -row["points"], occurred_at=posting.rfc3339(row["occurred_at"]),
            status=_status(row), reason=details.get("reason") or "",
            amount=str(row["amount"].normalize()) if row["amount"] is not None else "", currency=row["currency"] or "",
            voids_transaction_id=str(row["target_id"]) if row["kind"] == "VOID" else "",
            imported=bool(details.get("imported")), partner_code=details.get("partner_code") or "",
            location_code=details.get("location_code") or "", order_reference=row["order_reference"] or "",
            counterparty_loyalty_number=row["counterparty_loyalty_number"] or "",
            target_reference=row["target_reference"] or "",
        ))
    token = ""
    if len(rows) > size:
        last = rows[size - 1]
        token = _token(last["occurred_at"].isoformat(), last["id"])
    return pb.ListTransactionsResponse(transactions=items, next_page_token=token)


async def expiring(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.ListExpiringRequest):
    if request.within_days <= 0 or request.within_days > 3660:
        raise invalid("withinDays", "must be between 1 and 3660")
    size = _page_size(request.page_size)
    after = _untoken(request.page_token)
    until = posting.now() + dt.timedelta(days=request.within_days)
    async with tenant_tx(pool, program_id) as conn:
        member_id = None
        if request.loyalty_number:
            member_id = (await posting.load_member(conn, request.loyalty_number))["id"]
        rows = await repository.expiring(conn, until=until, member_id=member_id, after=after, limit=size + 1)
    token = ""
    if len(rows) > size:
        last = rows[size - 1]
        token = _token(last["expires_at"].isoformat(), last["member_id"])
    return pb.ListExpiringResponse(
        items=[pb.ExpiringPoints(loyalty_number=r["loyalty_number"], points=r["points"],
                                 expires_at=posting.rfc3339(r["expires_at"])) for r in rows[:size]],
        next_page_token=token,
    )


def _month(value: str, field: str) -> str:
    try:
        dt.datetime.strptime(value, "%Y-%m")
    except ValueError:
        raise invalid(field, f"{value!r} is not a month (YYYY-MM)") from None
    return value


async def liability(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.GetLiabilityRequest):
    since = _month(getattr(request, "from"), "from") if getattr(request, "from") else None
    until = _month(request.to, "to") if request.to else None
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        rows = await repository.liability(conn, timezone=program["timezone"])
    picked = [r for r in rows if r["month"] == "never" and not (since or until)
              or r["month"] != "never" and (not since or r["month"] >= since) and (not until or r["month"] <= until)]
    return pb.LiabilityReport(rows=[pb.LiabilityRow(expiry_month=r["month"], points=r["points"]) for r in picked],
                              total_points=sum(r["points"] for r in picked))


async def breakage(pool: asyncpg.Pool, *, program_id: uuid.UUID, request: pb.GetBreakageRequest):
    unit = request.period or "month"
    if unit not in ("month", "day"):
        raise invalid("period", "must be month or day")
    since = _instant(getattr(request, "from"), "from")
    until = _instant(request.to, "to")
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        rows = await repository.breakage(conn, timezone=program["timezone"], unit=unit, since=since, until=until)
    return pb.BreakageReport(rows=[pb.BreakageRow(period=r["period"], points_expired=r["expired"],
                                                  points_issued=r["issued"]) for r in rows])
