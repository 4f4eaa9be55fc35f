"""Members from a legacy import's staging rows: created once, matched by email, conflicts quarantined."""

import datetime as dt
import uuid

import pytest

from services.importer.loading import load
from services.importer.tests.legacy_dump import write_dump
from services.member import enrolment, importing, programs
from tests.fixtures.postgres import program_spec

NOW = dt.datetime(2026, 11, 1, tzinfo=dt.timezone.utc)


async def _program(pools) -> uuid.UUID:
    spec = program_spec()
    row, _ = await programs.provision(pools["member"], programs.ProgramInput(
        code=spec.code, name=spec.name, currency="EUR", timezone="Europe/Madrid"))
    return row["id"]


async def _staged(pools, tmp_path, program_id) -> uuid.UUID:
    write_dump(tmp_path, members=12, now=NOW)
    import_id = uuid.uuid4()
    async with pools["staging"].acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO imports(id, program_code, program_id, directory) VALUES ($1, 'x', $2, $3)",
                           import_id, program_id, str(tmp_path))
        await load(conn, import_id=import_id, directory=tmp_path, now=NOW)
    return import_id


@pytest.fixture(params=[1, 2], ids=["one part", "two parts"])
def parts(request, monkeypatch):
    """However few the members, in one part or in two side by side."""
    monkeypatch.setattr(importing, "PARTS_FROM_MEMBERS", 10_000_000 if request.param == 1 else 1)
    return request.param


async def test_import_creates_members_once_with_valid_loyalty_numbers(pools, tmp_path, parts):
    program_id = await _program(pools)
    # given a member already enrolled here with a dump member's email (dual running)
    existing = await enrolment.enroll(pools["member"], program_id=program_id, data=enrolment.EnrolmentInput(
        email="GUEST3@example.com", first_name="Guest", last_name="Three"))
    import_id = await _staged(pools, tmp_path, program_id)

    first = await importing.import_members(pools["member"], import_id=import_id)
    assert first == {"created": 11, "matched_existing": 1, "quarantined": 0, "already_imported": 0}
    again = await importing.import_members(pools["member"], import_id=import_id)
    assert again["already_imported"] == 12 and again["matched_existing"] == 0

    async with pools["staging"].acquire() as conn:
        rows = await conn.fetch("SELECT legacy_id, member_id, loyalty_number, existing FROM member_map"
                                " WHERE program_id = $1", program_id)
    assert len(rows) == 12
    by_legacy = {r["legacy_id"]: r for r in rows}
    assert by_legacy["L0000003"]["member_id"] == existing["id"] and by_legacy["L0000003"]["existing"]
    from services.member.loyalty_numbers import is_valid_loyalty_number
    assert all(is_valid_loyalty_number(r["loyalty_number"]) for r in rows)
    member = await enrolment.get_member(pools["member"], program_id=program_id,
                                        loyalty_number=by_legacy["L0000005"]["loyalty_number"])
    assert member["email"] == "guest5@example.com" and member["channel"] == "import"


async def test_a_phone_taken_by_another_member_is_quarantined(pools, tmp_path, parts):
    program_id = await _program(pools)
    await enrolment.enroll(pools["member"], program_id=program_id, data=enrolment.EnrolmentInput(
        email="someone@example.com", first_name="Some", last_name="One", phone="+34600000004"))
    import_id = await _staged(pools, tmp_path, program_id)
    result = await importing.import_members(pools["member"], import_id=import_id)
    assert (result["created"], result["quarantined"]) == (11, 1)
    async with pools["staging"].acquire() as conn:
        reason = await conn.fetchval("SELECT reason FROM quarantine WHERE import_id = $1 AND key = 'L0000004'",
                                     import_id)
    assert "phone +34600000004" in reason


async def test_a_phone_two_parts_share_is_refused_once_in_the_later_part(pools, tmp_path, parts):
    program_id = await _program(pools)
    import_id = await _staged(pools, tmp_path, program_id)
    # given two dump members with one phone, one in each part (the parts split at the middle legacy id)
    async with pools["staging"].acquire() as conn:
        phone = await conn.fetchval("SELECT phone FROM members WHERE import_id = $1 AND legacy_id = 'L0000002'",
                                    import_id)
        await conn.execute("UPDATE members SET phone = $2 WHERE import_id = $1 AND legacy_id = 'L0000010'",
                           import_id, phone)
    result = await importing.import_members(pools["member"], import_id=import_id)
    # then the earlier is created and the later refused, whichever part each is in
    assert (result["created"], result["quarantined"]) == (11, 1)
    # and a rerun refuses it again without noting it twice
    await importing.import_members(pools["member"], import_id=import_id)
    async with pools["staging"].acquire() as conn:
        notes = await conn.fetch("SELECT key, reason FROM quarantine WHERE import_id = $1 AND line = 0", import_id)
        mapped = await conn.fetchval("SELECT count(*) FROM member_map WHERE import_id = $1", import_id)
    assert [n["key"] for n in notes] == ["L0000010"] and f"phone {phone}" in notes[0]["reason"]
    assert mapped == 11
