"""Reads: a member's summary and history, expiring points, liability and breakage reports."""

import datetime as dt
import uuid

import asyncpg

from services.common.db import tenant_tx
from services.points.ledger import commands, posting, repository
from services.points.ledger.results import (
    ActivityReport, ActivityRow, BreakageReport, BreakageRow, ExpiringPage, ExpiringPoints, LiabilityReport, Lot, LotList, LiabilityRow, Summary, Transaction,
    TransactionPage,
)


async def member_summary(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str,
                         cards=None) -> Summary:
    """The member's summary; with `cards` (cards.MemberCards) it also fills the shared cache's card."""
    async with tenant_tx(pool, program_id) as conn:
        member = await posting.load_member(conn, loyalty_number)
        if cards is not None and cards.enabled:  # not while a posting of the member reads its card (changes.py)
            await repository.lock_card_shared(conn, member["id"])
        row = await repository.summary(conn, member["id"])
    found = summary_from_row(row)
    if cards is not None:
        cards.fill(program_id=program_id, loyalty_number=member["loyalty_number"], row=row, summary=found)
    return found


def summary_from_row(row: asyncpg.Record) -> Summary:
    return Summary(
        available=row["available"], pending=row["pending"], on_hold=row["on_hold"],
        lifetime_earned=row["lifetime_earned"], used=row["used"], expired=row["expired"],
        next_expiring_points=row["next_expiring_points"] or 0, next_expiry_date=posting.rfc3339(row["next_expiry_date"]),
        first_activity_at=posting.rfc3339(row["first_activity_at"]),
        last_activity_at=posting.rfc3339(row["last_activity_at"]),
        first_purchase_at=posting.rfc3339(row["first_purchase_at"]),
        last_purchase_at=posting.rfc3339(row["last_purchase_at"]),
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


def _transaction(row: asyncpg.Record) -> Transaction:
    details = row["details"]
    return Transaction(
        id=str(row["id"]), kind=row["kind"], reference=row["reference"],
        points=row["points"] if row["own"] else -row["points"], occurred_at=posting.rfc3339(row["occurred_at"]),
        status=_status(row), reason=details.get("reason") or "",
        amount=str(row["amount"].normalize()) if row["amount"] is not None else "", currency=row["currency"] or "",
        voids_transaction_id=str(row["target_id"]) if row["kind"] == "VOID" else "",
        imported=bool(details.get("imported")), partner_code=details.get("partner_code") or "",
        location_code=details.get("location_code") or "", order_reference=row["order_reference"] or "",
        counterparty_loyalty_number=row["counterparty_loyalty_number"] or "",
        target_reference=row["target_reference"] or "", loyalty_number=row["loyalty_number"] or "",
    )


async def history(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.ListTransactions) -> TransactionPage:
    size = command.size
    async with tenant_tx(pool, program_id) as conn:
        member = await posting.load_member(conn, command.loyalty_number)
        rows = await repository.history(conn, member_id=member["id"], kinds=list(command.kinds), since=command.start,
                                        until=command.end, after=command.after, limit=size + 1)
    return _page(rows, size)


def _page(rows: list[asyncpg.Record], size: int) -> TransactionPage:
    """The first `size` rows, and the token of the next page when one more row came back."""
    token = ""
    if len(rows) > size:
        last = rows[size - 1]
        token = commands.page_token(last["occurred_at"].isoformat(), last["id"])
    return TransactionPage(transactions=tuple(_transaction(row) for row in rows[:size]), next_page_token=token)


async def program_history(pool: asyncpg.Pool, *, program_id: uuid.UUID,
                          command: commands.ListProgramTransactions) -> TransactionPage:
    size = command.size
    async with tenant_tx(pool, program_id) as conn:
        rows = await repository.program_history(conn, kinds=list(command.kinds), since=command.start,
                                                until=command.end, after=command.after, limit=size + 1)
    return _page(rows, size)


async def activity(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.GetActivity) -> ActivityReport:
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        rows = await repository.activity(conn, timezone=program["timezone"], unit=command.period,
                                         since=command.start, until=command.end)
        totals = await repository.activity_totals(conn)
    return ActivityReport(
        rows=tuple(ActivityRow(period=r["period"], points_earned=r["earned"], points_used=r["used"],
                               points_expired=r["expired"], transactions=r["transactions"],
                               active_members=r["active_members"]) for r in rows),
        outstanding_points=totals["outstanding"], members_with_points=totals["members"],
        expiring_in_30_days=totals["in_30"], expiring_in_60_days=totals["in_60"], expiring_in_90_days=totals["in_90"],
    )


async def expiring(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.ListExpiring) -> ExpiringPage:
    size = command.size
    until = posting.now() + dt.timedelta(days=command.within_days)
    async with tenant_tx(pool, program_id) as conn:
        member_id = None
        if command.loyalty_number:
            member_id = (await posting.load_member(conn, command.loyalty_number))["id"]
        rows = await repository.expiring(conn, until=until, member_id=member_id, after=command.after, limit=size + 1)
    token = ""
    if len(rows) > size:
        last = rows[size - 1]
        token = commands.page_token(last["expires_at"].isoformat(), last["member_id"])
    return ExpiringPage(
        items=tuple(ExpiringPoints(loyalty_number=r["loyalty_number"], points=r["points"],
                                   expires_at=posting.rfc3339(r["expires_at"])) for r in rows[:size]),
        next_page_token=token,
    )


async def lots(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.ListLots) -> LotList:
    async with tenant_tx(pool, program_id) as conn:
        member = await posting.load_member(conn, command.loyalty_number)
        rows = await repository.lots(conn, member_id=member["id"], include_closed=command.include_closed,
                                     limit=command.size)
    return LotList(lots=tuple(
        Lot(id=r["id"], transaction_id=str(r["transaction_id"]), kind=r["kind"], reference=r["reference"],
            points=r["points"], remaining=r["remaining"], earned_at=posting.rfc3339(r["earned_at"]),
            expires_at=posting.rfc3339(r["expires_at"])) for r in rows))


async def liability(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.GetLiability) -> LiabilityReport:
    since, until = command.since or None, command.to or None
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        rows = await repository.liability(conn, timezone=program["timezone"])
    picked = [r for r in rows if r["month"] == "never" and not (since or until)
              or r["month"] != "never" and (not since or r["month"] >= since) and (not until or r["month"] <= until)]
    return LiabilityReport(rows=tuple(LiabilityRow(expiry_month=r["month"], points=r["points"]) for r in picked),
                           total_points=sum(r["points"] for r in picked))


async def breakage(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.GetBreakage) -> BreakageReport:
    async with tenant_tx(pool, program_id) as conn:
        program = await posting.load_program(conn, program_id)
        rows = await repository.breakage(conn, timezone=program["timezone"], unit=command.period,
                                         since=command.start, until=command.end)
    return BreakageReport(rows=tuple(BreakageRow(period=r["period"], points_expired=r["expired"],
                                                 points_issued=r["issued"]) for r in rows))
