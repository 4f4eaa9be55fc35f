"""Programs (tenants): provisioned idempotently; a code names one program for good."""

import dataclasses
import uuid

import asyncpg

from services.common import validation
from services.common.db import global_tx
from services.common.errors import DomainError, ErrorCode, not_found
from services.member import repository


@dataclasses.dataclass(frozen=True)
class ProgramInput:
    code: str
    name: str
    currency: str
    timezone: str
    expiry_days: int = 0
    expiry_round_to_month_end: bool = False
    program_id: uuid.UUID | None = None  # set by the operator when it re-provisions
    archived: bool = False


def validate(spec: ProgramInput) -> ProgramInput:
    validation.program_code(spec.code)
    validation.name(spec.name, "name")
    validation.currency(spec.currency)
    validation.timezone(spec.timezone)
    if not 0 <= spec.expiry_days <= 36500:
        raise validation.invalid("expiry.days", "must be between 0 (never) and 36500")
    return spec


def _same(row: asyncpg.Record, spec: ProgramInput) -> bool:
    return (row["name"], row["currency"], row["timezone"], row["expiry_days"], row["expiry_round_to_month_end"]) == (
        spec.name, spec.currency, spec.timezone, spec.expiry_days, spec.expiry_round_to_month_end,
    )


async def provision(pool: asyncpg.Pool, spec: ProgramInput) -> tuple[asyncpg.Record, bool]:
    """Create the program. Without an id, the same spec again returns it unchanged and another
    spec under the same code is a DUPLICATE_PROGRAM. With the program's own id (the operator
    reconciling its resource), the settings are updated in place."""
    validate(spec)
    async with global_tx(pool) as conn:
        row = await repository.insert_program(
            conn, program_id=spec.program_id or uuid.uuid4(), code=spec.code, name=spec.name,
            currency=spec.currency, timezone=spec.timezone, expiry_days=spec.expiry_days,
            expiry_round_to_month_end=spec.expiry_round_to_month_end,
        )
        if row is not None:
            if spec.archived:
                await repository.set_program_archived(conn, row["id"], True)
                row = await repository.program_by_id(conn, row["id"])
            return row, True
        existing = await repository.program_by_code(conn, spec.code)
        if spec.program_id and existing["id"] == spec.program_id:
            if existing["currency"] != spec.currency:
                raise validation.invalid("currency", "cannot change once the program exists")
            updated = await repository.update_program(
                conn, program_id=spec.program_id, name=spec.name, timezone=spec.timezone,
                expiry_days=spec.expiry_days, expiry_round_to_month_end=spec.expiry_round_to_month_end,
                archived=spec.archived,
            )
            return updated, False
        if spec.program_id or not _same(existing, spec) or spec.archived != (existing["archived_at"] is not None):
            raise DomainError(
                ErrorCode.DUPLICATE_PROGRAM,
                f"a program with code {spec.code!r} already exists with different settings",
                field="code",
            )
        return existing, False


async def get_by_code(pool: asyncpg.Pool, code: str) -> asyncpg.Record:
    async with global_tx(pool) as conn:
        row = await repository.program_by_code(conn, code)
    if row is None:
        raise not_found("program", code)
    return row


async def list_all(pool: asyncpg.Pool, *, include_archived: bool) -> list[asyncpg.Record]:
    async with global_tx(pool) as conn:
        return await conn.fetch(f"SELECT {repository.PROGRAM_COLUMNS} FROM programs"
                                " WHERE $1 OR archived_at IS NULL ORDER BY code", include_archived)
