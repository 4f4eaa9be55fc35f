"""Enrolment, welcome mail, profiles, search and the member view, through the real platform."""

import asyncio

import pytest

from tests.e2e.test_members_statuses import EARN, ENROLL, enrol, new_program
from tests.fixtures.graphql import unique

pytestmark = pytest.mark.e2e

SETTINGS = """
mutation($program: String!, $subject: String, $body: String, $schema: JSON) {
  updateMemberSettings(input: {program: $program, welcomeSubject: $subject, welcomeBody: $body,
                               customAttributesSchema: $schema}) {
    welcomeSubject welcomeBody customAttributesSchema
  }
}"""
UPDATE = """
mutation($program: String!, $number: String!, $email: String, $phone: String, $birthDate: String,
         $customAttributes: JSON, $zip: String) {
  updateMemberProfile(input: {program: $program, loyaltyNumber: $number, email: $email, phone: $phone,
                              birthDate: $birthDate, customAttributes: $customAttributes, zip: $zip}) {
    member { email phone zip customAttributes }
  }
}"""
SEARCH = """
query($program: String!, $q: String!, $field: String, $sort: String, $descending: Boolean!, $first: Int!,
      $after: String) {
  searchMembers(program: $program, query: $q, field: $field, sort: $sort, descending: $descending, first: $first,
                after: $after) {
    members { loyaltyNumber firstName lastName email }
    nextPageToken
  }
}"""
VIEW = """
query($program: String!, $number: String!) {
  member(program: $program, loyaltyNumber: $number) {
    loyaltyNumber status channel optedInAt
    points { availablePoints lifetimeEarned }
    tiers { slabCode tierCode }
    recentActivity { kind points reference }
    statusHistory { toStatus }
    segments
  }
}"""
DUPLICATES = """
query($program: String!) { likelyDuplicateMembers(program: $program) { first { loyaltyNumber } second { loyaltyNumber } reasons } }
"""
DUPLICATE_PAGE = """
query($program: String!, $after: String, $min: Int!, $q: String) {
  likelyDuplicates(program: $program, first: 1, after: $after, minScore: $min, query: $q) {
    pairs { first { lastName } score } nextCursor } }
"""


async def mail_to(smtp_server, address: str) -> list:
    for _ in range(200):  # the mail is sent after commit, in the background
        found = smtp_server.to(address)
        if found:
            return found
        await asyncio.sleep(0.05)
    return []


async def test_welcome_mail_from_the_programs_template(admin, smtp_server):
    # given a program with its own welcome template
    program = await new_program(admin)
    settings = await admin(SETTINGS, program=program, subject="Hola {first_name}!",
                           body="Tu número es {loyalty_number} en {program_name}.")
    assert settings.ok()["updateMemberSettings"]["welcomeSubject"] == "Hola {first_name}!"
    # when a member enrols
    email = f"{unique('welcome')}@example.com"
    member = await enrol(admin, program, email=email, firstName="Lucía")
    # then the welcome mail arrives through SMTP with the placeholders filled
    mails = await mail_to(smtp_server, email)
    assert len(mails) == 1
    assert mails[0]["Subject"] == "Hola Lucía!"
    assert f"Tu número es {member['loyaltyNumber']} en Members test." in mails[0].get_content()


async def test_a_template_with_an_unknown_placeholder_is_refused(admin):
    program = await new_program(admin)
    result = await admin(SETTINGS, program=program, subject="Hi {nickname}")
    assert result.codes == ["INVALID_INPUT"] and "welcomeSubject" in result.errors[0]["message"]


async def test_enrolment_records_channel_and_opt_in_date(admin):
    program = await new_program(admin)
    member = await enrol(admin, program, channel="pos", optedInAt="2025-01-15", zip="28001", nationality="es")
    assert member["channel"] == "pos"
    assert member["optedInAt"].startswith("2025-01-15")
    assert (member["zip"], member["nationality"]) == ("28001", "ES")


@pytest.mark.parametrize(("field", "value"), [
    ("email", "ana@"), ("phone", "12"), ("birthDate", "2999-01-01"), ("optedInAt", "2999-01-01"),
    ("nationality", "Spain"), ("customAttributes", {"unknown": 1}),
])
async def test_bad_enrolment_input_is_refused_with_the_field(admin, field, value):
    program = await new_program(admin)
    variables = {"email": f"{unique('b')}@example.com", "firstName": "A", "lastName": "B", field: value}
    result = await admin(ENROLL, program=program, **variables)
    assert result.codes == ["INVALID_INPUT"]
    assert field in result.errors[0]["extensions"]["field"]


async def test_profile_updates_are_validated_and_checked_for_duplicates(admin):
    program = await new_program(admin)
    await admin(SETTINGS, program=program, schema={"type": "object", "properties": {"pet": {"type": "string"}}})
    taken = await enrol(admin, program, phone="+34611000222")
    member = await enrol(admin, program)
    number = member["loyaltyNumber"]
    ok = await admin(UPDATE, program=program, number=number, email=" New.Mail@Example.COM ",
                     customAttributes={"pet": "cat"}, zip="08001")
    assert ok.ok()["updateMemberProfile"]["member"] == {
        "email": "New.Mail@example.com", "phone": "", "zip": "08001", "customAttributes": {"pet": "cat"}}
    assert (await admin(UPDATE, program=program, number=number, phone="+34 611 000 222")).codes == [
        "DUPLICATE_MEMBER"]
    assert (await admin(UPDATE, program=program, number=number, email="new.mail@EXAMPLE.com")).ok()
    assert (await admin(UPDATE, program=program, number=number, birthDate="2999-01-01")).codes == ["INVALID_INPUT"]
    bad = await admin(UPDATE, program=program, number=number, customAttributes={"shoe": 44})
    assert bad.codes == ["INVALID_INPUT"] and bad.errors[0]["extensions"]["field"] == "customAttributes.shoe"
    assert taken  # untouched


async def test_search_by_prefix_sorted_and_paginated(admin):
    program = await new_program(admin)
    family = unique("Garcia").lower()
    made = [await enrol(admin, program, firstName=first, lastName=f"{family}", email=f"{first}.{family}@example.com",
                        phone=f"+3460000{i:04d}")
            for i, first in enumerate(["Bea", "ana", "Carla", "Dora", "Eva"])]
    numbers = {m["loyaltyNumber"] for m in made}
    # by name, case-insensitive, sorted by name, two per page
    seen, token = [], None
    while True:
        page = (await admin(SEARCH, program=program, q=family.upper(), field="name", sort="name", descending=False,
                            first=2, after=token)).ok()["searchMembers"]
        seen += [m["firstName"] for m in page["members"]]
        token = page["nextPageToken"]
        if not token:
            break
    assert seen == ["ana", "Bea", "Carla", "Dora", "Eva"]
    # by first name then surname
    desc = (await admin(SEARCH, program=program, q=f"eva {family[:4]}", field="first_name", sort="name",
                        descending=True,
                        first=10, after=None)).ok()["searchMembers"]["members"]
    assert [m["firstName"] for m in desc] == ["Eva"]
    # by email prefix (field guessed), by loyalty number, by phone
    by_email = (await admin(SEARCH, program=program, q=f"CARLA.{family}@", field=None, sort=None, descending=False,
                            first=10, after=None)).ok()["searchMembers"]["members"]
    assert [m["firstName"] for m in by_email] == ["Carla"]
    number = made[3]["loyaltyNumber"]
    by_number = (await admin(SEARCH, program=program, q=number, field=None, sort=None, descending=False, first=10,
                             after=None)).ok()["searchMembers"]["members"]
    assert [m["loyaltyNumber"] for m in by_number] == [number]
    by_phone = (await admin(SEARCH, program=program, q="+34 600 00", field="phone", sort="phone", descending=False,
                            first=10, after=None)).ok()["searchMembers"]["members"]
    assert {m["loyaltyNumber"] for m in by_phone} == numbers
    # another program sees none of them
    other = await new_program(admin)
    assert (await admin(SEARCH, program=other, q=family, field="name", sort=None, descending=False, first=10,
                        after=None)).ok()["searchMembers"]["members"] == []
    # bad paging input is refused
    bad = await admin(SEARCH, program=program, q=family, field="name", sort="shoe", descending=False, first=10,
                      after=None)
    assert bad.codes == ["INVALID_INPUT"]


async def test_member_view_gathers_profile_points_tier_and_activity(admin):
    program = await new_program(admin)
    number = (await enrol(admin, program, channel="web"))["loyaltyNumber"]
    (await admin(EARN, program=program, number=number, amount="33", reference="view-1")).ok()
    view = (await admin(VIEW, program=program, number=number)).ok()["member"]
    assert view["channel"] == "web" and view["status"] == "active"
    assert view["points"] == {"availablePoints": 33, "lifetimeEarned": 33}
    assert view["tiers"] is None or isinstance(view["tiers"], list)  # the tier service may not answer yet
    assert view["recentActivity"] is None or [(a["kind"], a["points"]) for a in view["recentActivity"]] == [
        ("EARN", 33)]
    assert view["statusHistory"] == [] and view["segments"] == []


async def test_likely_duplicates_report(admin):
    program = await new_program(admin)
    a = await enrol(admin, program, firstName="Pedro", lastName="Pérez", zip="41001", email="pp1@example.com")
    b = await enrol(admin, program, firstName="pedro", lastName="PÉREZ", zip="41001", email="pedro.p@example.com")
    pairs = (await admin(DUPLICATES, program=program)).ok()["likelyDuplicateMembers"]
    assert len(pairs) == 1
    assert {pairs[0]["first"]["loyaltyNumber"], pairs[0]["second"]["loyaltyNumber"]} == {a["loyaltyNumber"],
                                                                                         b["loyaltyNumber"]}
    assert "same_name_zip" in pairs[0]["reasons"]


async def test_the_likely_duplicates_queue_pages_by_score(admin):
    # given two pairs: same name and zip (40), same name, zip and email local part (70)
    program = await new_program(admin)
    for first, last, zip_code, email in (("Pedro", "Pérez", "41001", None), ("pedro", "PÉREZ", "41001", None),
                                         ("Rosa", "Díaz", "28001", "rosa.diaz@a.example.com"),
                                         ("ROSA", "díaz", "28001", "rosa.diaz@b.example.com")):
        await enrol(admin, program, firstName=first, lastName=last, zip=zip_code,
                    **({"email": email} if email else {}))

    # when the queue is read a pair per page
    seen, after = [], None
    while True:
        page = (await admin(DUPLICATE_PAGE, program=program, after=after, min=0, q=None)).ok()["likelyDuplicates"]
        seen += [(p["first"]["lastName"].lower(), p["score"]) for p in page["pairs"]]
        after = page["nextCursor"]
        if after is None:
            break

    # then each pair comes once, highest score first; the filters are the server's
    assert seen == [("díaz", 70), ("pérez", 40)]
    only = (await admin(DUPLICATE_PAGE, program=program, after=None, min=50, q=None)).ok()["likelyDuplicates"]
    assert [p["score"] for p in only["pairs"]] == [70] and only["nextCursor"] is None
    found = (await admin(DUPLICATE_PAGE, program=program, after=None, min=0, q="PEDRO")).ok()["likelyDuplicates"]
    assert [p["first"]["lastName"].lower() for p in found["pairs"]] == ["pérez"]
    refused = await admin(DUPLICATE_PAGE, program=program, after="nonsense", min=0, q=None)
    assert refused.codes == ["INVALID_INPUT"]
