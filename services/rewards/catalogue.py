"""The catalogue: rewards bought with points and targeted offers, one shape for both."""

import re
import uuid
from decimal import Decimal

import asyncpg

from loyalty.rewards.v1 import rewards_service_pb2 as pb
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.rewards import repository

TYPES = ("reward", "offer")
KINDS = ("amount_off", "percent_off", "free_item", "partner_voucher")
_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_RESTRICTION = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$")


def _codes(values, field: str) -> list[str]:
    out = []
    for v in values:
        v = v.strip()
        if not _RESTRICTION.match(v):
            raise invalid(field, f"{v!r} is not a code (letters, digits, '_', '-', '.', ':')")
        if v not in out:
            out.append(v)
    return out


def validate(spec: pb.RewardInput, *, creating: bool) -> dict:
    """The row for `spec`, or INVALID_INPUT naming the first bad field."""
    if not _CODE.match(spec.code or ""):
        raise invalid("code", "must be 1-64 lower-case letters, digits, '_' or '-'")
    reward_type = spec.type or "reward"
    if reward_type not in TYPES:
        raise invalid("type", f"must be one of {', '.join(TYPES)}")
    if spec.kind not in KINDS:
        raise invalid("kind", f"must be one of {', '.join(KINDS)}")
    if spec.points_cost < 0 or spec.points_cost > 10**12:
        raise invalid("pointsCost", "must be between 0 and 10^12")
    if reward_type == "reward" and spec.points_cost == 0:
        raise invalid("pointsCost", "a catalogue reward costs at least one point (a free one is an offer)")
    value: Decimal | None = None
    if spec.kind == "amount_off":
        value = validation.amount(spec.value, "value")
    elif spec.kind == "percent_off":
        value = validation.amount(spec.value, "value")
        if value > 100:
            raise invalid("value", "a percentage is at most 100")
    elif spec.value:
        raise invalid("value", f"is only for amount_off and percent_off, not {spec.kind}")
    if spec.kind == "free_item" and not spec.plu.strip():
        raise invalid("plu", "is required for a free_item reward")
    if spec.kind == "partner_voucher" and not spec.partner_code.strip():
        raise invalid("partnerCode", "is required for a partner_voucher reward")
    valid_from = validation.timestamp(spec.valid_from, "validFrom") if spec.valid_from else None
    valid_until = validation.timestamp(spec.valid_until, "validUntil") if spec.valid_until else None
    if valid_from and valid_until and valid_until <= valid_from:
        raise invalid("validUntil", "must be after validFrom")
    if spec.has_stock and spec.stock < 0:
        raise invalid("stock", "must be zero or more")
    if spec.per_member_limit < 0:
        raise invalid("perMemberLimit", "must be zero (unlimited) or more")
    if spec.image_url and (not re.match(r"^https?://\S+$", spec.image_url) or len(spec.image_url) > 2048):
        raise invalid("imageUrl", "must be an http(s) URL")
    if len(spec.description) > 4000:
        raise invalid("description", "must be at most 4000 characters")
    return {
        "code": spec.code, "name": validation.name(spec.name, "name"), "description": spec.description.strip(),
        "image_url": spec.image_url, "type": reward_type, "kind": spec.kind, "points_cost": spec.points_cost,
        "value": value, "plu": spec.plu.strip(), "partner_code": spec.partner_code.strip(),
        "valid_from": valid_from, "valid_until": valid_until,
        "stock": spec.stock if spec.has_stock else None, "per_member_limit": spec.per_member_limit,
        "tier_codes": _codes(spec.tier_codes, "tierCodes"), "segment_codes": _codes(spec.segment_codes, "segmentCodes"),
        "club_codes": _codes(spec.club_codes, "clubCodes"), "location_codes": _codes(spec.location_codes, "locationCodes"),
        "issues_voucher": spec.issues_voucher or spec.kind == "partner_voucher",
        "active": True if creating else spec.active,
    }


async def _program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record:
    program = await repository.program(conn, program_id)
    if program is None:
        raise not_found("program", str(program_id))
    if program["archived"]:
        raise DomainError(ErrorCode.PROGRAM_ARCHIVED, f"program {program['code']!r} is archived")
    return program


async def create(pool: asyncpg.Pool, *, program_id: uuid.UUID, spec: pb.RewardInput) -> pb.Reward:
    async with tenant_tx(pool, program_id) as conn:
        await _program(conn, program_id)
        fields = validate(spec, creating=True)
        if await repository.reward_by_code(conn, spec.code):
            raise DomainError(ErrorCode.DUPLICATE_REWARD, f"reward {spec.code!r} already exists", field="code")
        try:
            row = await repository.insert_reward(conn, program_id=program_id, reward_id=uuid.uuid4(), fields=fields)
        except asyncpg.UniqueViolationError:
            raise DomainError(ErrorCode.DUPLICATE_REWARD, f"reward {spec.code!r} already exists", field="code") from None
    return to_proto(row)


async def update(pool: asyncpg.Pool, *, program_id: uuid.UUID, spec: pb.RewardInput) -> pb.Reward:
    async with tenant_tx(pool, program_id) as conn:
        await _program(conn, program_id)
        fields = validate(spec, creating=False)
        row = await repository.update_reward(conn, fields=fields)
    if row is None:
        raise not_found("reward", spec.code)
    return to_proto(row)


async def get(pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str) -> pb.Reward:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.reward_by_code(conn, code)
    if row is None:
        raise not_found("reward", code)
    return to_proto(row)


async def list_all(pool: asyncpg.Pool, *, program_id: uuid.UUID, reward_type: str,
                   include_inactive: bool) -> list[pb.Reward]:
    if reward_type and reward_type not in TYPES:
        raise invalid("type", f"must be one of {', '.join(TYPES)}")
    async with tenant_tx(pool, program_id) as conn:
        rows = await repository.list_rewards(conn, type=reward_type, include_inactive=include_inactive)
    return [to_proto(r) for r in rows]


def _ts(value) -> str:
    return value.isoformat() if value else ""


def to_proto(row) -> pb.Reward:
    value = row["value"]
    return pb.Reward(
        id=str(row["id"]), claimed=row["claimed"], created_at=_ts(row["created_at"]), updated_at=_ts(row["updated_at"]),
        spec=pb.RewardInput(
            code=row["code"], name=row["name"], description=row["description"], image_url=row["image_url"],
            type=row["type"], kind=row["kind"], points_cost=row["points_cost"],
            value=format(value.normalize(), "f") if value is not None else "", plu=row["plu"],
            partner_code=row["partner_code"], valid_from=_ts(row["valid_from"]), valid_until=_ts(row["valid_until"]),
            has_stock=row["stock"] is not None, stock=row["stock"] or 0, per_member_limit=row["per_member_limit"],
            tier_codes=row["tier_codes"], segment_codes=row["segment_codes"], club_codes=row["club_codes"],
            location_codes=row["location_codes"], issues_voucher=row["issues_voucher"], active=row["active"],
        ),
    )
