"""Partners (code, name, contacts, locations, status) and partner segments, one record per program.

A partner is assigned to a program by being created in it: the same code in two programs is two
assignments, each with its own rate cards and statements.
"""

import dataclasses
import re
import uuid

import asyncpg

from services.billing import repository
from services.billing.programs import load as load_program
from services.common import validation
from services.common.db import tenant_tx
from services.common.errors import DomainError, ErrorCode, invalid, not_found

_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
STATUSES = ("ACTIVE", "SUSPENDED", "TERMINATED")
UPDATABLE = frozenset({"name", "status", "segment_code", "contacts", "locations"})


@dataclasses.dataclass(frozen=True)
class Contact:
    name: str
    email: str = ""
    phone: str = ""
    role: str = ""


@dataclasses.dataclass(frozen=True)
class Location:
    code: str
    name: str
    address: str = ""


def code(value: str, field: str = "code") -> str:
    if not _CODE.match(value or ""):
        raise invalid(field, "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit")
    return value


def _contacts(contacts: list[Contact]) -> list[dict]:
    checked = []
    for i, c in enumerate(contacts):
        field = f"contacts[{i}]"
        checked.append({
            "name": validation.name(c.name, f"{field}.name"),
            "email": validation.email(c.email, f"{field}.email") if c.email else "",
            "phone": validation.phone(c.phone, f"{field}.phone"),
            "role": (c.role or "").strip()[:50],
        })
    return checked


def _locations(locations: list[Location]) -> list[dict]:
    checked, seen = [], set()
    for i, loc in enumerate(locations):
        field = f"locations[{i}]"
        loc_code = code(loc.code, f"{field}.code")
        if loc_code in seen:
            raise invalid(f"{field}.code", f"location {loc_code!r} is listed twice")
        seen.add(loc_code)
        checked.append({"code": loc_code, "name": validation.name(loc.name, f"{field}.name"),
                        "address": (loc.address or "").strip()[:300]})
    return checked


async def _check_locations_free(conn: asyncpg.Connection, locations: list[dict], partner_id: uuid.UUID | None) -> None:
    for owner in await repository.location_owners(conn, [loc["code"] for loc in locations]):
        if owner["partner_id"] != partner_id:
            index = next(i for i, loc in enumerate(locations) if loc["code"] == owner["code"])
            raise invalid(f"locations[{index}].code",
                          f"location {owner['code']!r} already belongs to partner {owner['partner_code']!r}")


async def _segment_id(conn: asyncpg.Connection, segment_code: str) -> uuid.UUID | None:
    if not segment_code:
        return None
    segment = await repository.segment_by_code(conn, segment_code)
    if segment is None:
        raise DomainError(ErrorCode.NOT_FOUND, f"partner segment {segment_code!r} not found", field="segmentCode")
    return segment["id"]


async def create(pool: asyncpg.Pool, program_id: uuid.UUID, *, partner_code: str, name: str, segment_code: str,
                 contacts: list[Contact], locations: list[Location]) -> asyncpg.Record:
    partner_code = code(partner_code)
    name = validation.name(name, "name")
    checked_contacts, checked_locations = _contacts(contacts), _locations(locations)
    async with tenant_tx(pool, program_id) as conn:
        await load_program(conn, program_id)
        segment_id = await _segment_id(conn, segment_code)
        await _check_locations_free(conn, checked_locations, None)
        partner_id = await repository.insert_partner(conn, program_id=program_id, code=partner_code, name=name,
                                                     segment_id=segment_id, contacts=checked_contacts)
        if partner_id is None:
            raise DomainError(ErrorCode.DUPLICATE_PARTNER, f"partner {partner_code!r} already exists", field="code")
        await repository.replace_locations(conn, program_id=program_id, partner_id=partner_id,
                                           locations=checked_locations)
        return await repository.partner_by_code(conn, partner_code)


async def update(pool: asyncpg.Pool, program_id: uuid.UUID, *, partner_code: str, fields: list[str], name: str,
                 status: str, segment_code: str, contacts: list[Contact], locations: list[Location]) -> asyncpg.Record:
    unknown = set(fields) - UPDATABLE
    if unknown:
        raise invalid("fields", f"cannot update {sorted(unknown)}; updatable: {sorted(UPDATABLE)}")
    async with tenant_tx(pool, program_id) as conn:
        partner = await repository.partner_by_code(conn, partner_code, for_update=True)
        if partner is None:
            raise DomainError(ErrorCode.NOT_FOUND, f"partner {partner_code!r} not found", field="code")
        changes: dict = {}
        if "name" in fields:
            changes["name"] = validation.name(name, "name")
        if "status" in fields:
            if status not in STATUSES:
                raise invalid("status", f"must be one of {', '.join(STATUSES)}")
            changes["status"] = status
        if "segment_code" in fields:
            changes["segment_id"] = await _segment_id(conn, segment_code)
        if "contacts" in fields:
            changes["contacts"] = _contacts(contacts)
        await repository.update_partner(conn, partner["id"], changes)
        if "locations" in fields:
            checked = _locations(locations)
            await _check_locations_free(conn, checked, partner["id"])
            await repository.replace_locations(conn, program_id=program_id, partner_id=partner["id"], locations=checked)
        return await repository.partner_by_code(conn, partner_code)


async def get(pool: asyncpg.Pool, program_id: uuid.UUID, partner_code: str) -> asyncpg.Record:
    async with tenant_tx(pool, program_id) as conn:
        partner = await repository.partner_by_code(conn, partner_code)
    if partner is None:
        raise not_found("partner", partner_code)
    return partner


async def list_partners(pool: asyncpg.Pool, program_id: uuid.UUID, *, status: str = "",
                        segment_code: str = "") -> list[asyncpg.Record]:
    if status and status not in STATUSES:
        raise invalid("status", f"must be one of {', '.join(STATUSES)}")
    async with tenant_tx(pool, program_id) as conn:
        return await repository.partners(conn, status=status or None, segment_code=segment_code or None)


async def create_segment(pool: asyncpg.Pool, program_id: uuid.UUID, *, segment_code: str, name: str) -> dict:
    segment_code = code(segment_code)
    name = validation.name(name, "name")
    async with tenant_tx(pool, program_id) as conn:
        await load_program(conn, program_id)
        if not await repository.insert_segment(conn, program_id=program_id, code=segment_code, name=name):
            raise DomainError(ErrorCode.DUPLICATE_PARTNER, f"partner segment {segment_code!r} already exists",
                              field="code")
    return {"code": segment_code, "name": name, "partner_codes": []}


async def list_segments(pool: asyncpg.Pool, program_id: uuid.UUID) -> list[asyncpg.Record]:
    async with tenant_tx(pool, program_id) as conn:
        return await repository.segments(conn)
