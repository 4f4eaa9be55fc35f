"""Campaigns: a rule set (scope campaign) with a time window, targets and a budget; and its report."""

import dataclasses
import datetime as dt
import re
import uuid
from decimal import Decimal, InvalidOperation

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.points.rules import repository

_CODE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,62}$")
TARGET_KINDS = ("segments", "tiers", "clubs", "partners", "locations")


@dataclasses.dataclass(frozen=True)
class CampaignInput:
    code: str
    name: str
    starts_at: str
    ends_at: str
    targets: dict[str, list[str]]
    budget_total: int = 0
    budget_per_member: int = 0
    discount_budget_total: str = ""  # money, decimal string; empty or 0: unlimited
    discount_budget_per_member: str = ""


@dataclasses.dataclass(frozen=True)
class Report:
    code: str
    points_issued: int
    members_reached: int
    transactions: int
    budget_total: int
    budget_left: int  # -1: unlimited


def _money(value: str, field: str) -> Decimal:
    if not value:
        return Decimal(0)
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise invalid(field, f"{value!r} is not a decimal amount") from None
    if not amount.is_finite() or amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 10**16:
        raise invalid(field, "must be a non-negative amount with at most 2 decimals (0: unlimited)")
    return amount


def _validated(data: CampaignInput) -> tuple[dt.datetime, dt.datetime, dict]:
    if not _CODE.match(data.code or ""):
        raise invalid("code", "must be 1-63 lower-case letters, digits, '-', '_' or '.'")
    starts = validation.timestamp(data.starts_at, "startsAt")
    ends = validation.timestamp(data.ends_at, "endsAt")
    if ends <= starts:
        raise invalid("endsAt", "must be after startsAt")
    targets = {}
    for kind, values in (data.targets or {}).items():
        if kind not in TARGET_KINDS:
            raise invalid(f"targets.{kind}", f"unknown target (allowed: {', '.join(TARGET_KINDS)})")
        cleaned = sorted({v.strip() for v in values if v and v.strip()})
        if cleaned:
            targets[kind] = cleaned
    for field, value in (("budgetTotal", data.budget_total), ("budgetPerMember", data.budget_per_member)):
        if value < 0:
            raise invalid(field, "must not be negative (0: unlimited)")
    if data.budget_total and data.budget_per_member > data.budget_total:
        raise invalid("budgetPerMember", f"{data.budget_per_member} exceeds the total budget {data.budget_total}")
    discount_total = _money(data.discount_budget_total, "discountBudgetTotal")
    discount_member = _money(data.discount_budget_per_member, "discountBudgetPerMember")
    if discount_total and discount_member > discount_total:
        raise invalid("discountBudgetPerMember", f"{discount_member} exceeds the total discount budget {discount_total}")
    return starts, ends, targets


async def save(pool: asyncpg.Pool, *, program_id: uuid.UUID, data: CampaignInput, on_change=None) -> asyncpg.Record:
    starts, ends, targets = _validated(data)
    discount_total = _money(data.discount_budget_total, "discountBudgetTotal")
    async with tenant_tx(pool, program_id) as conn:
        # the shards' reservations were made under the old budget: taken back under their locks
        await repository.lock_budgets(conn, data.code)
        row = await repository.upsert_campaign(
            conn, program_id=program_id, code=data.code, name=(data.name or data.code).strip()[:200],
            starts_at=starts, ends_at=ends, targets=targets, budget_total=data.budget_total,
            budget_per_member=data.budget_per_member, discount_budget_total=discount_total,
            discount_budget_per_member=_money(data.discount_budget_per_member, "discountBudgetPerMember"),
        )
        await repository.reset_budgets(conn, program_id=program_id, code=data.code, points_total=data.budget_total,
                                       discount_cents=int(discount_total * 100))
        await repository.bump_revision(conn, program_id)
    if on_change:
        on_change(program_id)
    return row


async def list_all(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> list[asyncpg.Record]:
    async with tenant_tx(pool, program_id) as conn:
        return await repository.campaigns(conn)


async def report(pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str) -> Report:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.campaign(conn, code)
        if row is None:
            raise not_found("campaign", code)
        issued = await repository.campaign_issued(conn, code=code, starts_at=row["starts_at"],
                                                  ends_at=row["ends_at"])
        budget_used = await repository.campaign_budget_used(conn, code)
    total = row["budget_total"]
    return Report(code=code, points_issued=issued["points"], members_reached=issued["members"],
                  transactions=issued["transactions"], budget_total=total,
                  budget_left=max(total - budget_used, 0) if total else -1)
