"""Segments: rule-based (JsonLogic over profile fields and activity aggregates) or static (a list
of loyalty numbers). Membership is stored, refreshed by a job, on a segment's change, and for one
member whenever that member's profile, status or activity changes."""

import datetime as dt
import json
import re
import uuid
from collections.abc import Sequence
from decimal import Decimal

import asyncpg
from json_logic import jsonLogic

from services.common.db import tenant_tx
from services.common.errors import invalid, not_found
from services.common.ledger_event import LedgerEvent
from services.member import repository, segments_repository as sql

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
ACCRUAL_KINDS = frozenset({"EARN", "GOODWILL", "RETRO_CLAIM", "ACTIVATE", "BONUS"})
SPEND_KINDS = frozenset({"EARN", "RETRO_CLAIM"})
ACTIVITY_KINDS = frozenset({"EARN", "BURN", "RETRO_CLAIM", "HOLD", "CAPTURE"})
BATCH = 5000


def facts(row, *, today: dt.date | None = None) -> dict:
    """What a rule can read about a member (documented in docs/members.md)."""
    today = today or dt.date.today()
    birth = row["birth_date"]
    last = row["last_activity_at"]
    return {
        "loyalty_number": row["loyalty_number"], "status": row["status"], "channel": row["channel"],
        "zip": row["zip"], "nationality": row["nationality"],
        "birth_date": birth.isoformat() if birth else None,
        "age": (today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))) if birth else None,
        "enrolled_at": row["enrolled_at"].date().isoformat(),
        "days_since_enrolment": (today - row["enrolled_at"].date()).days,
        "marketing": {"email": row["marketing_email"], "sms": row["marketing_sms"], "post": row["marketing_post"]},
        "custom": row["custom_attributes"] or {},
        "balance": row["balance"] or 0, "lifetime_points": row["lifetime_points"] or 0,
        "total_spend": float(row["total_spend"] or 0), "transactions": row["transactions"] or 0,
        "last_activity_at": last.date().isoformat() if last else None,
        "days_since_last_activity": (today - last.date()).days if last else None,
    }


def matches(rule: dict, data: dict) -> bool:
    try:
        return bool(jsonLogic(rule, data))
    except Exception:  # a rule that cannot be evaluated for this member does not match it
        return False


def parse_rule(raw: str, field: str = "rule") -> dict:
    try:
        rule = json.loads(raw)
    except (json.JSONDecodeError, TypeError):
        raise invalid(field, "is not valid JSON") from None
    if not isinstance(rule, dict) or len(rule) != 1:
        raise invalid(field, "must be a JsonLogic expression: an object with one operator")
    sample = facts({"loyalty_number": "", "status": "active", "channel": "api", "zip": "", "nationality": "",
                    "birth_date": dt.date(1990, 1, 1), "enrolled_at": dt.datetime.now(dt.timezone.utc),
                    "marketing_email": False, "marketing_sms": False, "marketing_post": False,
                    "custom_attributes": {}, "balance": 0, "lifetime_points": 0, "total_spend": Decimal(0),
                    "transactions": 0, "last_activity_at": None})
    try:
        jsonLogic(rule, sample)
    except ReferenceError as exc:  # unknown operator
        raise invalid(field, str(exc)) from None
    except Exception:  # noqa: S110 - other failures depend on the member's data
        pass
    return rule


# --- membership -------------------------------------------------------------------------------------

async def reevaluate_member(conn: asyncpg.Connection, *, program_id: uuid.UUID, member_id: uuid.UUID) -> None:
    """Bring one member's rule-segment membership up to date, in the caller's transaction."""
    await reevaluate_members(conn, program_id=program_id, member_ids=[member_id])


async def reevaluate_members(conn: asyncpg.Connection, *, program_id: uuid.UUID,
                             member_ids: Sequence[uuid.UUID]) -> None:
    rules = await sql.rule_segments(conn) if member_ids else []
    if not rules:
        return
    for member_id in member_ids:
        row = await sql.member_facts_row(conn, member_id)
        data = facts(row)
        wanted = [s["code"] for s in rules if row["status"] not in ("merged", "erased") and matches(s["rule"], data)]
        await sql.set_member_rule_segments(conn, program_id=program_id, member_id=member_id, codes=wanted)


async def refresh(conn: asyncpg.Connection, *, program_id: uuid.UUID, segment: asyncpg.Record) -> int:
    """Evaluate a rule segment over every member of the program, streaming in batches."""
    matched: list[uuid.UUID] = []
    today = dt.date.today()
    async for row in sql.stream_member_facts(conn, BATCH):
        if row["status"] not in ("merged", "erased") and matches(segment["rule"], facts(row, today=today)):
            matched.append(row["id"])
    return await sql.replace_members(conn, program_id=program_id, code=segment["code"], member_ids=matched)


async def save(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str, name: str, rule_json: str, loyalty_numbers: list[str],
    is_static: bool, updated_by: str,
) -> tuple[asyncpg.Record, list[str]]:
    code = (code or "").strip().lower()
    if not _CODE.match(code):
        raise invalid("code", "must be 1-64 lower-case letters, digits, dashes or underscores")
    name = (name or "").strip() or code
    rule = None if is_static else parse_rule(rule_json)
    if is_static and rule_json:
        raise invalid("rule", "a static segment has no rule")
    unknown: list[str] = []
    async with tenant_tx(pool, program_id) as conn:
        await sql.upsert_segment(conn, program_id=program_id, code=code, name=name,
                                 kind="static" if is_static else "rule", rule=rule, updated_by=updated_by)
        if is_static:
            numbers = sorted({n.strip() for n in loyalty_numbers if n.strip()})
            found = await sql.member_ids_by_numbers(conn, numbers)
            unknown = [n for n in numbers if n not in found]
            await sql.replace_members(conn, program_id=program_id, code=code, member_ids=list(found.values()))
        else:
            await refresh(conn, program_id=program_id, segment=await sql.segment(conn, code))
        return await sql.segment(conn, code), unknown


async def list_segments(pool: asyncpg.Pool, *, program_id: uuid.UUID) -> list[asyncpg.Record]:
    async with tenant_tx(pool, program_id) as conn:
        return await sql.segments(conn)


async def preview(pool: asyncpg.Pool, *, program_id: uuid.UUID, rule_json: str, sample_size: int = 10):
    rule = parse_rule(rule_json)
    count, sample = 0, []
    today = dt.date.today()
    async with tenant_tx(pool, program_id, isolation="repeatable_read") as conn:
        async for row in sql.stream_member_facts(conn, BATCH):
            if row["status"] not in ("merged", "erased") and matches(rule, facts(row, today=today)):
                count += 1
                if len(sample) < min(max(sample_size, 0), 100):
                    sample.append(row["loyalty_number"])
    return count, sample


async def refresh_segments(pool: asyncpg.Pool, *, program_id: uuid.UUID, codes: list[str] | None = None):
    async with tenant_tx(pool, program_id) as conn:
        chosen = [s for s in await sql.rule_segments(conn) if not codes or s["code"] in codes]
    for segment in chosen:  # one transaction per segment: a long refresh never holds everything
        async with tenant_tx(pool, program_id) as conn:
            await refresh(conn, program_id=program_id, segment=segment)
    return await list_segments(pool, program_id=program_id)


async def member_segments(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str = "",
                          member_id: uuid.UUID | None = None) -> tuple[uuid.UUID, list[str]]:
    async with tenant_tx(pool, program_id) as conn:
        member = (await repository.member_by_id(conn, member_id) if member_id
                  else await repository.member_by_loyalty_number(conn, loyalty_number))
        if member is None:
            raise not_found("member", loyalty_number or str(member_id))
        return member["id"], await sql.member_segment_codes(conn, member["id"])


# --- activity from the ledger -------------------------------------------------------------------------

def _delta(event) -> tuple:
    """(event_id, member_id, loyalty_number, balance, lifetime, spend, occurred_at), as apply_activity takes it."""
    if not event.event_id:
        raise invalid("events.eventId", "is required")
    try:
        member_id = uuid.UUID(event.member_id) if event.member_id else None
    except ValueError:
        member_id = None  # then the loyalty number says who
    kind = event.transaction_kind
    points = int(event.points)
    try:
        amount = Decimal(event.amount) if event.amount else Decimal(0)
    except ArithmeticError:
        amount = Decimal(0)
    occurred = None
    if event.occurred_at:
        try:
            occurred = dt.datetime.fromisoformat(event.occurred_at)
        except ValueError:
            occurred = None
    return (
        event.event_id, member_id, event.loyalty_number or None, points,
        points if (kind in ACCRUAL_KINDS and points > 0) or (kind == "VOID" and points < 0) else 0,
        amount if kind in SPEND_KINDS else (-amount if kind == "VOID" else Decimal(0)),
        occurred if kind in ACTIVITY_KINDS else None,
    )


async def apply_ledger_activity(pool: asyncpg.Pool, events: Sequence[LedgerEvent]) -> int:
    """The ledger's postings into each member's activity totals (balance, lifetime, spend, last activity),
    each event once (deduplicated by event_id), grouped by program; then the touched members' segments."""
    by_program: dict[uuid.UUID, list] = {}
    for event in events:
        try:
            by_program.setdefault(uuid.UUID(event.program_id), []).append(event)
        except ValueError:
            raise invalid("events.programId", f"{event.program_id!r} is not a UUID") from None
    accepted = 0
    for program_id, batch in by_program.items():
        deltas = [_delta(event) for event in batch]
        async with tenant_tx(pool, program_id) as conn:
            applied = await sql.apply_activity(conn, program_id=program_id, deltas=deltas)
            await reevaluate_members(conn, program_id=program_id, member_ids=applied["touched"])
        accepted += applied["accepted"]
    return accepted


