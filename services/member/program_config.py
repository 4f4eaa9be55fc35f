"""A program's structure: clubs (a default one always; members join clubs) and locations.

Clubs and locations are referred to by code from rules (club and location rule sets, campaign
targets) and from earn requests (`location_code`). Codes are stable: edits change names and
details; archiving keeps the code taken (so old postings and rules still read right).
"""

import calendar
import dataclasses
import datetime as dt
import re
import uuid

import asyncpg

from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found
from services.member import program_config_repository as repo

_CODE = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
LOCATION_KINDS = ("store", "web", "app", "call_center", "partner")


def _code(value: str, field: str = "code") -> str:
    value = (value or "").strip()
    if not _CODE.match(value):
        raise invalid(field, "must be 1-40 lower-case letters, digits, '-' or '_', starting with a letter or digit")
    return value


def _text(value: str, field: str, limit: int = 500) -> str:
    value = (value or "").strip()
    if len(value) > limit or any(ord(c) < 32 for c in value):
        raise invalid(field, f"must be at most {limit} printable characters")
    return value


@dataclasses.dataclass(frozen=True)
class ClubInput:
    code: str
    name: str
    description: str = ""
    make_default: bool = False


@dataclasses.dataclass(frozen=True)
class LocationInput:
    code: str
    name: str
    kind: str
    address: str = ""
    timezone: str = ""


async def save_club(pool: asyncpg.Pool, *, program_id: uuid.UUID, data: ClubInput) -> asyncpg.Record:
    code = _code(data.code)
    name = validation.name(data.name, "name")
    description = _text(data.description, "description")
    async with tenant_tx(pool, program_id) as conn:
        await repo.ensure_default_club(conn, program_id)
        existing = await repo.club(conn, code, lock=True)
        if existing is not None and existing["archived_at"] is not None:
            raise invalid("code", f"club {code!r} is archived")
        await repo.upsert_club(conn, program_id=program_id, code=code, name=name, description=description)
        if data.make_default:
            await repo.make_default(conn, code)
        return await repo.club(conn, code)


async def list_clubs(pool: asyncpg.Pool, *, program_id: uuid.UUID, include_archived: bool = False):
    async with tenant_tx(pool, program_id) as conn:
        await repo.ensure_default_club(conn, program_id)
        return await repo.clubs(conn, include_archived=include_archived)


async def archive_club(pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str) -> asyncpg.Record:
    async with tenant_tx(pool, program_id) as conn:
        await repo.ensure_default_club(conn, program_id)
        club = await repo.club(conn, code, lock=True)
        if club is None:
            raise not_found("club", code)
        if club["is_default"]:
            raise DomainError(ErrorCode.INVALID_INPUT, f"club {code!r} is the program's default club: make another "
                              "club the default first", field="code")
        await repo.archive_club(conn, code)
        return await repo.club(conn, code)


async def _member(conn, loyalty_number: str) -> uuid.UUID:
    if not loyalty_number:
        raise invalid("loyaltyNumber", "is required")
    row = await repo.member_id_by_number(conn, loyalty_number)
    if row is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"member {loyalty_number!r} not found", field="loyaltyNumber")
    return row["id"]


async def _live_club(conn, code: str) -> asyncpg.Record:
    club = await repo.club(conn, code)
    if club is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"club {code!r} not found", field="clubCode")
    if club["archived_at"] is not None:
        raise invalid("clubCode", f"club {code!r} is archived")
    return club


async def join_club(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, club_code: str):
    async with tenant_tx(pool, program_id) as conn:
        await repo.ensure_default_club(conn, program_id)
        member_id = await _member(conn, loyalty_number)
        await _live_club(conn, club_code)
        await repo.join(conn, program_id=program_id, member_id=member_id, club_code=club_code)
        return member_id, await repo.member_clubs(conn, member_id)


async def leave_club(pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str, club_code: str):
    async with tenant_tx(pool, program_id) as conn:
        await repo.ensure_default_club(conn, program_id)
        member_id = await _member(conn, loyalty_number)
        await repo.leave(conn, member_id=member_id, club_code=club_code)
        return member_id, await repo.member_clubs(conn, member_id)


async def member_clubs(
    pool: asyncpg.Pool, *, program_id: uuid.UUID, loyalty_number: str = "", member_id: uuid.UUID | None = None
):
    async with tenant_tx(pool, program_id) as conn:
        await repo.ensure_default_club(conn, program_id)
        if member_id is None:
            member_id = await _member(conn, loyalty_number)
        elif not await repo.member_exists(conn, member_id):
            raise not_found("member", str(member_id))
        return member_id, await repo.member_clubs(conn, member_id)


async def save_location(pool: asyncpg.Pool, *, program_id: uuid.UUID, data: LocationInput) -> asyncpg.Record:
    code = _code(data.code)
    name = validation.name(data.name, "name")
    if data.kind not in LOCATION_KINDS:
        raise invalid("kind", f"{data.kind!r} is not one of {', '.join(LOCATION_KINDS)}")
    address = _text(data.address, "address")
    timezone = validation.timezone(data.timezone) if data.timezone else ""
    async with tenant_tx(pool, program_id) as conn:
        existing = await repo.location(conn, code)
        if existing is not None and existing["archived_at"] is not None:
            raise invalid("code", f"location {code!r} is archived")
        return await repo.upsert_location(conn, program_id=program_id, code=code, name=name, kind=data.kind,
                                          address=address, timezone=timezone)


async def list_locations(pool: asyncpg.Pool, *, program_id: uuid.UUID, include_archived: bool = False,
                         kind: str = ""):
    if kind and kind not in LOCATION_KINDS:
        raise invalid("kind", f"{kind!r} is not one of {', '.join(LOCATION_KINDS)}")
    async with tenant_tx(pool, program_id) as conn:
        return await repo.locations(conn, include_archived=include_archived, kind=kind)


async def archive_location(pool: asyncpg.Pool, *, program_id: uuid.UUID, code: str) -> asyncpg.Record:
    async with tenant_tx(pool, program_id) as conn:
        row = await repo.archive_location(conn, code)
    if row is None:
        raise not_found("location", code)
    return row


async def birthdays(pool: asyncpg.Pool, *, program_id: uuid.UUID, date: str) -> list[asyncpg.Record]:
    try:
        day = dt.date.fromisoformat(date)
    except ValueError:
        raise invalid("date", f"{date!r} is not an ISO date (YYYY-MM-DD)") from None
    leap_day_today = day.month == 2 and day.day == 28 and not calendar.isleap(day.year)
    async with tenant_tx(pool, program_id) as conn:
        return await repo.birthdays(conn, day, include_leap_day=leap_day_today)
