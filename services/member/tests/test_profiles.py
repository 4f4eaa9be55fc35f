"""Enrolment and profile rules: validation, normalisation, custom attributes, duplicates, blocklist."""

import json

import pytest

from services.common.errors import DomainError, ErrorCode
from services.member import duplicates, profiles, statuses, welcome


async def test_enrolment_keeps_channel_opt_in_date_and_normalised_contact(enrol):
    # when a member enrols from the app with a messy phone and email
    member = await enrol(email="Ana.Lopez@Example.COM", phone="+34 612-34-56-78", channel="APP",
                         opted_in_at="2024-05-01", zip="28001", nationality="es")
    # then contact data is normalised and the enrolment facts are kept
    assert member["email_normalized"] == "ana.lopez@example.com"
    assert member["phone"] == "+34612345678"
    assert member["channel"] == "app"
    assert member["opted_in_at"].date().isoformat() == "2024-05-01"
    assert (member["zip"], member["nationality"]) == ("28001", "ES")


@pytest.mark.parametrize(("fields", "field"), [
    ({"email": "not-an-email"}, "email"),
    ({"phone": "call me"}, "phone"),
    ({"birth_date": "2999-01-01"}, "birthDate"),
    ({"opted_in_at": "2999-01-01T00:00:00+00:00"}, "optedInAt"),
    ({"nationality": "XX"}, "nationality"),
    ({"zip": "!!"}, "zip"),
    ({"channel": "carrier-pigeon"}, "channel"),
    ({"custom_attributes_json": '{"pet": "dog"}'}, "customAttributes.pet"),
    ({"custom_attributes_json": "[1]"}, "customAttributes"),
])
async def test_bad_enrolment_input_names_the_field(enrol, fields, field):
    with pytest.raises(DomainError) as refused:
        await enrol(**fields)
    assert refused.value.code == ErrorCode.INVALID_INPUT
    assert refused.value.field == field


async def test_custom_attributes_follow_the_programs_schema(pools, program, enrol):
    # given a program whose members may have a favourite store and a pet
    await welcome.update_settings(
        pools["member"], program_id=program, welcome_enabled=True, welcome_subject="", welcome_body="",
        custom_attributes_schema_json=json.dumps({"type": "object", "properties": {
            "favourite_store": {"type": "string", "maxLength": 20}, "pets": {"type": "integer", "minimum": 0}}}),
        updated_by="test",
    )
    member = await enrol(custom_attributes_json='{"favourite_store": "Gran Via", "pets": 2}')
    assert member["custom_attributes"] == {"favourite_store": "Gran Via", "pets": 2}
    # unknown attributes and wrong types are refused, naming the attribute
    for raw, field in (('{"shoe_size": 42}', "customAttributes.shoe_size"), ('{"pets": -1}', "customAttributes.pets")):
        with pytest.raises(DomainError) as refused:
            await enrol(custom_attributes_json=raw)
        assert (refused.value.code, refused.value.field) == (ErrorCode.INVALID_INPUT, field)
    # an update is validated the same way
    with pytest.raises(DomainError) as refused:
        await profiles.update_profile(pools["member"], program_id=program, loyalty_number=member["loyalty_number"],
                                      change=profiles.ProfileChange(fields=frozenset({"custom_attributes"}),
                                                                    custom_attributes_json='{"pets": "many"}'))
    assert refused.value.field == "customAttributes.pets"


@pytest.mark.parametrize("rule", ["email", "phone", "name_birth"])
async def test_duplicates_are_refused(enrol, rule):
    # given a member
    first = await enrol(email="dup.one@example.com", phone="+34600000001", first_name="Eva", last_name="Sanz",
                        birth_date="1990-02-03")
    # when someone enrols matching one rule (written differently)
    clash = {
        "email": {"email": "DUP.ONE@example.com"},
        "phone": {"phone": "0034 600 000 001"},
        "name_birth": {"first_name": "EVA", "last_name": "sanz", "birth_date": "1990-02-03"},
    }[rule]
    with pytest.raises(DomainError) as refused:
        await enrol(**clash)
    # then DUPLICATE_MEMBER names the matching field
    assert refused.value.code == ErrorCode.DUPLICATE_MEMBER
    assert refused.value.field == {"email": "email", "phone": "phone", "name_birth": "birthDate"}[rule]
    assert first["email"] not in refused.value.message  # refusals do not echo another member's data


async def test_an_update_cannot_create_a_duplicate(pools, program, enrol):
    await enrol(email="taken@example.com")
    other = await enrol()
    with pytest.raises(DomainError) as refused:
        await profiles.update_profile(pools["member"], program_id=program, loyalty_number=other["loyalty_number"],
                                      change=profiles.ProfileChange(fields=frozenset({"email"}),
                                                                    email="Taken@Example.com"))
    assert refused.value.code == ErrorCode.DUPLICATE_MEMBER


async def test_profile_update_changes_only_named_fields(pools, program, enrol):
    member = await enrol(phone="+34611111111", zip="08001")
    updated = await profiles.update_profile(
        pools["member"], program_id=program, loyalty_number=member["loyalty_number"],
        change=profiles.ProfileChange(fields=frozenset({"zip", "consents"}), zip="28013", phone="ignored",
                                      consents=profiles.Consents(email=True)))
    assert (updated["zip"], updated["phone"], updated["marketing_email"]) == ("28013", "+34611111111", True)
    with pytest.raises(DomainError) as refused:
        await profiles.update_profile(pools["member"], program_id=program, loyalty_number=member["loyalty_number"],
                                      change=profiles.ProfileChange(fields=frozenset({"birth_date"}),
                                                                    birth_date="2999-12-31"))
    assert refused.value.field == "birthDate"


async def test_blacklisted_identity_cannot_enrol_again_even_after_erasure(pools, program, enrol):
    from services.member import privacy

    bad = await enrol(email="fraud@example.com", phone="+34622222222", first_name="Max", last_name="Mustermann",
                      birth_date="1980-01-01")
    await statuses.change_status(pools["member"], program_id=program, loyalty_number=bad["loyalty_number"],
                                 status="blacklisted", reason="card fraud", changed_by="staff:alice")
    await privacy.erase(pools["member"], program_id=program, loyalty_number=bad["loyalty_number"], erased_by="t")
    for attempt, field in (({"email": "FRAUD@example.com"}, "email"), ({"phone": "+34 622 222 222"}, "phone"),
                           ({"first_name": "max", "last_name": "MUSTERMANN", "birth_date": "1980-01-01"},
                            "birthDate")):
        with pytest.raises(DomainError) as refused:
            await enrol(**attempt)
        assert (refused.value.code, refused.value.field) == (ErrorCode.MEMBER_BLOCKED, field)


async def test_likely_duplicates_report(pools, program, enrol):
    a = await enrol(first_name="Jon", last_name="Snow", zip="11111", birth_date="1985-05-05")
    b = await enrol(first_name="JON", last_name="snow", zip="11111", birth_date="1985-06-06")
    await enrol(first_name="Arya", last_name="Stark")
    pairs, token = await duplicates.likely_duplicates(pools["member"], program_id=program)
    found = {frozenset((x["id"], y["id"])): reasons for x, y, reasons, _ in pairs}
    assert found[frozenset((a["id"], b["id"]))] == ["same_name_zip"]
    assert len(found) == 1 and token == ""


async def test_likely_duplicates_page_by_score_with_filters(pools, program, enrol):
    # given three pairs: same name, zip and email local part (40 + 30); same name and zip (40); same last
    # name and birth date (30)
    for first, last, zip_code, born, email in (
            ("Jon", "Snow", "11111", "1985-05-05", "jon.snow@a.example.com"),
            ("JON", "snow", "11111", "1985-06-06", "jon.snow@b.example.com"),
            ("Cat", "Tully", "22222", "1962-02-02", None), ("cat", "TULLY", "22222", "1963-03-03", None),
            ("Arya", "Stark", "", "1990-01-01", None), ("Sansa", "Stark", "", "1990-01-01", None)):
        await enrol(first_name=first, last_name=last, zip=zip_code, birth_date=born,
                    **({"email": email} if email else {}))

    # when the queue is read a pair at a time
    seen, token = [], ""
    while True:
        page, token = await duplicates.likely_duplicates(pools["member"], program_id=program, limit=1,
                                                         page_token=token)
        seen += [(x["last_name"].lower(), score) for x, _, _, score in page]
        if not token:
            break

    # then every pair comes once, highest score first
    assert seen == [("snow", 70), ("tully", 40), ("stark", 30)]
    # and the score and text filters apply before paging
    page, _ = await duplicates.likely_duplicates(pools["member"], program_id=program, min_score=40)
    assert sorted(x["last_name"].lower() for x, _, _, _ in page) == ["snow", "tully"]
    page, _ = await duplicates.likely_duplicates(pools["member"], program_id=program, query="TULL")
    assert [x["last_name"].lower() for x, _, _, _ in page] == ["tully"]
    with pytest.raises(DomainError) as refused:
        await duplicates.likely_duplicates(pools["member"], program_id=program, page_token="nonsense")
    assert refused.value.code == ErrorCode.INVALID_INPUT
