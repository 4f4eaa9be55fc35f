"""Privacy: export a member's data as JSON; erasure leaves no personal data in member tables or logs."""

import pytest

from tests.e2e.test_members_statuses import CHANGE_STATUS, EARN, ENQUIRE_POINTS, enrol, new_program

pytestmark = pytest.mark.e2e

EXPORT = """query($program: String!, $number: String!) { memberExport(program: $program, loyaltyNumber: $number) }"""
ERASE = """
mutation($program: String!, $number: String!) {
  eraseMember(input: {program: $program, loyaltyNumber: $number}) {
    member { status email firstName lastName phone birthDate zip customAttributes }
  }
}"""
SEARCH = """
query($program: String!, $q: String!) {
  searchMembers(program: $program, query: $q) { members { loyaltyNumber } }
}"""


async def test_export_holds_the_profile_and_history(admin):
    program = await new_program(admin)
    member = await enrol(admin, program, email="export.me@example.com", phone="+34600111222", zip="28001")
    (await admin(CHANGE_STATUS, program=program, number=member["loyaltyNumber"], status="suspended",
                 reason="check")).ok()
    exported = (await admin(EXPORT, program=program, number=member["loyaltyNumber"])).ok()["memberExport"]
    assert exported["member"]["email"] == "export.me@example.com"
    assert exported["member"]["phone"] == "+34600111222"
    assert [h["to_status"] for h in exported["status_history"]] == ["suspended"]


async def test_erasure_removes_personal_data_and_keeps_the_ledger(admin, platform, admin_conn):
    # given a member with a distinctive identity and points
    program = await new_program(admin)
    secret = "Zyxwvutsrq"
    member = await enrol(admin, program, email=f"{secret.lower()}@example.com", firstName=secret,
                         lastName=f"{secret}son", phone="+34699887766", birthDate="1971-07-07", zip="99999")
    number = member["loyaltyNumber"]
    (await admin(EARN, program=program, number=number, amount="80", reference="before-erasure")).ok()

    # when the member is erased
    erased = (await admin(ERASE, program=program, number=number)).ok()["eraseMember"]["member"]

    # then nothing personal is left in what the service returns
    assert erased["status"] == "erased"
    assert secret.lower() not in str(erased).lower()
    assert (erased["phone"], erased["birthDate"], erased["zip"], erased["customAttributes"]) == ("", None, "", {})
    assert (await admin(SEARCH, program=program, q=secret)).ok()["searchMembers"]["members"] == []
    # nor in any member table (looked at past row-level security)
    tables = [r["table_name"] for r in await admin_conn.fetch(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'member' AND table_type = 'BASE TABLE'")]
    for table in tables:
        hits = await admin_conn.fetchval(
            f"SELECT count(*) FROM member.{table} t WHERE lower(t::text) LIKE $1 OR t::text LIKE '%699887766%'",
            f"%{secret.lower()}%")
        assert hits == 0, f"personal data left in member.{table}"
    # nor in any service's log
    for log in platform.logs_dir.glob("*.log"):
        text = log.read_text(errors="replace").lower()
        assert secret.lower() not in text and "699887766" not in text, f"personal data in {log.name}"
    # while the ledger is whole: the balance is still there, and the member can no longer earn
    assert (await admin(ENQUIRE_POINTS, program=program, number=number)).ok()["enquire"]["availablePoints"] == 80
    assert (await admin(EARN, program=program, number=number, amount="5", reference="after")).codes == [
        "MEMBER_BLOCKED"]
    # and erasing again changes nothing
    assert (await admin(ERASE, program=program, number=number)).ok()["eraseMember"]["member"]["status"] == "erased"
