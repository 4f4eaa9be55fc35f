"""The catalogue: rewards bought with points and targeted offers, one shape for both."""

import uuid

import asyncpg

from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.rewards import commands, repository
from services.rewards.results import Reward, RewardSpec


async def _program(conn: asyncpg.Connection, program_id: uuid.UUID) -> asyncpg.Record:
    program = await repository.program(conn, program_id)
    if program is None:
        raise not_found("program", str(program_id))
    if program["archived"]:
        raise DomainError(ErrorCode.PROGRAM_ARCHIVED, f"program {program['code']!r} is archived")
    return program


async def create(pool: asyncpg.Pool, *, program_id: uuid.UUID, spec: commands.RewardInput) -> Reward:
    async with tenant_tx(pool, program_id) as conn:
        await _program(conn, program_id)
        if await repository.reward_by_code(conn, spec.code):
            raise DomainError(ErrorCode.DUPLICATE_REWARD, f"reward {spec.code!r} already exists", field="code")
        try:
            row = await repository.insert_reward(conn, program_id=program_id, reward_id=uuid.uuid4(),
                                                 fields={**spec.row, "active": True})
        except asyncpg.UniqueViolationError:
            raise DomainError(ErrorCode.DUPLICATE_REWARD, f"reward {spec.code!r} already exists", field="code") from None
    return to_result(row)


async def update(pool: asyncpg.Pool, *, program_id: uuid.UUID, spec: commands.RewardInput) -> Reward:
    async with tenant_tx(pool, program_id) as conn:
        await _program(conn, program_id)
        row = await repository.update_reward(conn, fields=spec.row)
    if row is None:
        raise not_found("reward", spec.code)
    return to_result(row)


async def get(pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str) -> Reward:
    async with tenant_tx(pool, program_id) as conn:
        row = await repository.reward_by_code(conn, code)
    if row is None:
        raise not_found("reward", code)
    return to_result(row)


async def list_all(pool: asyncpg.Pool, *, program_id: uuid.UUID, command: commands.ListRewards) -> list[Reward]:
    async with tenant_tx(pool, program_id) as conn:
        rows = await repository.list_rewards(conn, type=command.type, include_inactive=command.include_inactive)
    return [to_result(r) for r in rows]


def _ts(value) -> str:
    return value.isoformat() if value else ""


def to_result(row) -> Reward:
    value = row["value"]
    return Reward(
        id=str(row["id"]), claimed=row["claimed"], created_at=_ts(row["created_at"]), updated_at=_ts(row["updated_at"]),
        spec=RewardSpec(
            code=row["code"], name=row["name"], description=row["description"], image_url=row["image_url"],
            type=row["type"], kind=row["kind"], points_cost=row["points_cost"],
            value=format(value.normalize(), "f") if value is not None else "", plu=row["plu"],
            partner_code=row["partner_code"], valid_from=_ts(row["valid_from"]), valid_until=_ts(row["valid_until"]),
            has_stock=row["stock"] is not None, stock=row["stock"] or 0, per_member_limit=row["per_member_limit"],
            tier_codes=tuple(row["tier_codes"]), segment_codes=tuple(row["segment_codes"]),
            club_codes=tuple(row["club_codes"]), location_codes=tuple(row["location_codes"]),
            issues_voucher=row["issues_voucher"], active=row["active"],
        ),
    )
