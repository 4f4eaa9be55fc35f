"""Clubs and locations: a default club always, joining and leaving, validation, archiving, birthdays."""

import pytest

from services.common.errors import DomainError, ErrorCode
from services.member import program_config
from services.member.program_config import ClubInput, LocationInput


async def test_every_program_has_a_default_club_that_holds_members_in_no_other(pools, program, enrol):
    # given a new program and a member
    member = await enrol()
    # when nobody created a club, then the default club is there and the member is in it
    clubs = await program_config.list_clubs(pools["member"], program_id=program)
    assert [(c["code"], c["is_default"]) for c in clubs] == [("default", True)]
    _, codes = await program_config.member_clubs(pools["member"], program_id=program,
                                                 loyalty_number=member["loyalty_number"])
    assert codes == ["default"]


async def test_members_join_and_leave_clubs(pools, program, enrol):
    member = await enrol()
    number = member["loyalty_number"]
    await program_config.save_club(pools["member"], program_id=program,
                                   data=ClubInput(code="kids", name="Kids club", description="Under 12"))
    await program_config.save_club(pools["member"], program_id=program, data=ClubInput(code="wine", name="Wine"))
    _, codes = await program_config.join_club(pools["member"], program_id=program, loyalty_number=number,
                                              club_code="kids")
    assert codes == ["kids"]
    _, codes = await program_config.join_club(pools["member"], program_id=program, loyalty_number=number,
                                              club_code="wine")
    assert codes == ["kids", "wine"]
    # joining twice changes nothing; the member is found by id too
    member_id, codes = await program_config.join_club(pools["member"], program_id=program, loyalty_number=number,
                                                      club_code="wine")
    assert codes == ["kids", "wine"]
    _, by_id = await program_config.member_clubs(pools["member"], program_id=program, member_id=member_id)
    assert by_id == ["kids", "wine"]
    await program_config.leave_club(pools["member"], program_id=program, loyalty_number=number, club_code="kids")
    _, codes = await program_config.leave_club(pools["member"], program_id=program, loyalty_number=number,
                                               club_code="wine")
    assert codes == ["default"]
    clubs = {c["code"]: c for c in await program_config.list_clubs(pools["member"], program_id=program)}
    assert clubs["kids"]["description"] == "Under 12"


async def test_the_default_club_cannot_be_archived_until_another_is_default(pools, program, enrol):
    await program_config.save_club(pools["member"], program_id=program, data=ClubInput(code="gold", name="Gold"))
    with pytest.raises(DomainError) as refused:
        await program_config.archive_club(pools["member"], program_id=program, code="default")
    assert refused.value.code == ErrorCode.INVALID_INPUT and "default club" in refused.value.message
    await program_config.save_club(pools["member"], program_id=program,
                                   data=ClubInput(code="gold", name="Gold", make_default=True))
    archived = await program_config.archive_club(pools["member"], program_id=program, code="default")
    assert archived["archived_at"] is not None
    live = await program_config.list_clubs(pools["member"], program_id=program)
    assert [(c["code"], c["is_default"]) for c in live] == [("gold", True)]
    # an archived club cannot be joined
    member = await enrol()
    with pytest.raises(DomainError) as refused:
        await program_config.join_club(pools["member"], program_id=program, loyalty_number=member["loyalty_number"],
                                       club_code="default")
    assert refused.value.field == "clubCode"


@pytest.mark.parametrize(("data", "field"), [
    (ClubInput(code="Bad Code", name="x"), "code"),
    (ClubInput(code="ok", name=""), "name"),
    (ClubInput(code="ok", name="x", description="d" * 501), "description"),
])
async def test_bad_clubs_are_refused_naming_the_field(pools, program, data, field):
    with pytest.raises(DomainError) as refused:
        await program_config.save_club(pools["member"], program_id=program, data=data)
    assert refused.value.field == field


async def test_locations_create_edit_list_archive(pools, program):
    pool = pools["member"]
    await program_config.save_location(pool, program_id=program, data=LocationInput(
        code="mad-01", name="Madrid Sol", kind="store", address="Puerta del Sol 1"))
    await program_config.save_location(pool, program_id=program, data=LocationInput(
        code="web", name="Web shop", kind="web"))
    edited = await program_config.save_location(pool, program_id=program, data=LocationInput(
        code="mad-01", name="Madrid Sol (new)", kind="store", timezone="Atlantic/Canary"))
    assert (edited["name"], edited["timezone"]) == ("Madrid Sol (new)", "Atlantic/Canary")
    assert [r["code"] for r in await program_config.list_locations(pool, program_id=program, kind="store")] == [
        "mad-01"]
    await program_config.archive_location(pool, program_id=program, code="web")
    assert [r["code"] for r in await program_config.list_locations(pool, program_id=program)] == ["mad-01"]
    assert len(await program_config.list_locations(pool, program_id=program, include_archived=True)) == 2
    with pytest.raises(DomainError) as refused:
        await program_config.save_location(pool, program_id=program, data=LocationInput(
            code="web", name="Web again", kind="web"))
    assert "archived" in refused.value.message


@pytest.mark.parametrize(("data", "field"), [
    (LocationInput(code="x", name="X", kind="shop"), "kind"),
    (LocationInput(code="x", name="X", kind="store", timezone="Mars/Olympus"), "timezone"),
    (LocationInput(code="-x", name="X", kind="store"), "code"),
])
async def test_bad_locations_are_refused_naming_the_field(pools, program, data, field):
    with pytest.raises(DomainError) as refused:
        await program_config.save_location(pools["member"], program_id=program, data=data)
    assert refused.value.field == field


async def test_birthdays_of_a_day_including_leap_day_births_in_other_years(pools, program, enrol):
    born_today = await enrol(birth_date="1990-03-14")
    leap = await enrol(birth_date="1992-02-29")
    await enrol(birth_date="1990-03-15")
    march = await program_config.birthdays(pools["member"], program_id=program, date="2026-03-14")
    assert [r["loyalty_number"] for r in march] == [born_today["loyalty_number"]]
    feb = await program_config.birthdays(pools["member"], program_id=program, date="2026-02-28")
    assert [r["loyalty_number"] for r in feb] == [leap["loyalty_number"]]


async def test_clubs_of_one_program_are_invisible_to_another(pools, program, enrol):
    from services.member import programs
    from tests.fixtures.postgres import program_spec

    spec = program_spec()
    other, _ = await programs.provision(pools["member"], programs.ProgramInput(
        code=spec.code, name=spec.name, currency="EUR", timezone="Europe/Madrid"))
    await program_config.save_club(pools["member"], program_id=program, data=ClubInput(code="secret", name="S"))
    theirs = await program_config.list_clubs(pools["member"], program_id=other["id"])
    assert [c["code"] for c in theirs] == ["default"]
