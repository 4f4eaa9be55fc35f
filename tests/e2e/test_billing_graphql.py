"""Partner billing through the real platform: GraphQL -> gateway -> points (ledger events) -> billing."""

import asyncio
import datetime as dt
import io

import httpx
import jwt
import pypdf
import pytest

from tests.e2e.test_contract import new_member, new_program
from tests.fixtures.graphql import GraphQLClient
from tests.fixtures.platform import ADMIN_TOKEN, JWT_SECRET

pytestmark = pytest.mark.e2e

CREATE_SEGMENT = """
mutation($program: String!) { createPartnerSegment(input: {program: $program, code: "FUEL", name: "Fuel"}) { code } }
"""
CREATE_PARTNER = """
mutation($program: String!, $code: String!, $segment: String, $location: String!) {
  createPartner(input: {program: $program, code: $code, name: "Partner", segmentCode: $segment,
                        contacts: [{name: "Finance", email: "finance@partner.example"}],
                        locations: [{code: $location, name: "Main store"}]}) {
    code status segmentCode locations { code }
  }
}"""
CREATE_CARD = """
mutation($program: String!, $partner: String, $segment: String, $from: String!, $to: String, $issue: String!) {
  createRateCard(input: {program: $program, partnerCode: $partner, segmentCode: $segment, validFrom: $from,
                         validTo: $to, issueRate: $issue, redeemRate: "0.005", currency: "EUR"}) {
    id validFrom validTo issueRate
  }
}"""
EARN = """
mutation($program: String!, $number: String!, $amount: String!, $reference: String!, $partner: String,
         $location: String, $at: String) {
  earn(input: {program: $program, loyaltyNumber: $number, amount: $amount, currency: "EUR", reference: $reference,
               partnerCode: $partner, locationCode: $location, occurredAt: $at}) { pointsEarned transactionId }
}"""
VOID = """
mutation($program: String!, $reference: String!, $target: String!) {
  void(input: {program: $program, reference: $reference, targetReference: $target}) { kind points }
}"""
STATEMENT = """
query($program: String!, $partner: String!, $period: String!) {
  partnerStatement(program: $program, partnerCode: $partner, period: $period) {
    status invoiceNumber
    totals { issuedPoints issuedValue netValue correctionPoints lineCount }
    lines { kind points value correction referencePeriod }
  }
}"""
STATEMENTS = """
query($program: String!, $period: String!) {
  partnerStatements(program: $program, period: $period) { status statements { partnerCode totals { netValue } } }
}"""
CLOSE = """
mutation($program: String!, $period: String!) {
  closeBillingPeriod(input: {program: $program, period: $period}) {
    closedNow invoices { number sequence partnerCode amountDue pdfUrl csvUrl totals { netValue } }
  }
}"""
REPORTS = """
query($program: String!) {
  partnerLiability(program: $program) { totalPoints rows { partnerCode points } }
  partnerBreakage(program: $program, fromPeriod: "2026-01") { totalPoints }
}"""


async def statement_when(admin, program, partner, period, *, lines: int) -> dict:
    """The statement once the ledger relay has delivered the expected number of lines."""
    for _ in range(200):
        found = (await admin(STATEMENT, program=program, partner=partner, period=period)).ok()["partnerStatement"]
        if found["totals"]["lineCount"] >= lines:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"statement {partner} {period} never reached {lines} lines: {found}")


def staff(platform, program: str, permissions: list[str]) -> GraphQLClient:
    claims = {"sub": "finance@example.com", "aud": "loyalty", "programs": [program], "permissions": permissions,
              "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)}
    return GraphQLClient(platform.url, token=jwt.encode(claims, JWT_SECRET, algorithm="HS256"))


async def partners_with_cards(admin, program):
    assert (await admin(CREATE_SEGMENT, program=program)).ok()
    a = await admin(CREATE_PARTNER, program=program, code="A", segment=None, location="A-1")
    assert a.ok()["createPartner"] == {"code": "A", "status": "ACTIVE", "segmentCode": None,
                                       "locations": [{"code": "A-1"}]}
    assert (await admin(CREATE_PARTNER, program=program, code="B", segment="FUEL", location="B-1")).ok()
    assert (await admin(CREATE_CARD, program=program, partner="A", segment=None, **{"from": "2026-01-01"},
                        to=None, issue="0.01")).ok()
    assert (await admin(CREATE_CARD, program=program, partner=None, segment="FUEL", **{"from": "2026-01-01"},
                        to=None, issue="0.02")).ok()


async def test_earn_at_a_partner_reaches_its_statement_and_invoice(platform, admin):
    # given a program with partner A (own card) and B (segment card), and a member
    program = await new_program(admin)
    await partners_with_cards(admin, program)
    number = await new_member(admin, program)

    # when the member earns in April at A (named) and at B's location (not named), through GraphQL
    a = await admin(EARN, program=program, number=number, amount="120.00", reference="pos-a", partner="A",
                    location=None, at="2026-04-10T10:00:00+02:00")
    b = await admin(EARN, program=program, number=number, amount="30.00", reference="pos-b", partner=None,
                    location="B-1", at="2026-04-11T10:00:00+02:00")
    points_a, points_b = a.ok()["earn"]["pointsEarned"], b.ok()["earn"]["pointsEarned"]

    # then the ledger events reach each partner's April statement, priced by its card
    stmt_a = await statement_when(admin, program, "A", "2026-04", lines=1)
    assert stmt_a["status"] == "OPEN"
    assert stmt_a["totals"]["issuedPoints"] == points_a
    assert float(stmt_a["totals"]["issuedValue"]) == pytest.approx(points_a * 0.01)
    stmt_b = await statement_when(admin, program, "B", "2026-04", lines=1)
    assert stmt_b["lines"][0]["points"] == points_b and float(stmt_b["lines"][0]["value"]) == pytest.approx(
        points_b * 0.02)

    # when April is closed by finance
    closed = (await admin(CLOSE, program=program, period="2026-04")).ok()["closeBillingPeriod"]
    assert closed["closedNow"] and [i["partnerCode"] for i in closed["invoices"]] == ["A", "B"]
    assert [i["sequence"] for i in closed["invoices"]] == [1, 2]
    again = (await admin(CLOSE, program=program, period="2026-04")).ok()["closeBillingPeriod"]
    assert again == {"closedNow": False, "invoices": []}

    # and A's April earn is voided now: the void lands in this month as a correction referring to April
    assert (await admin(VOID, program=program, reference="void-a", target="pos-a")).ok()
    this_month = dt.date.today().strftime("%Y-%m")
    now_a = await statement_when(admin, program, "A", this_month, lines=1)
    assert [(x["kind"], x["points"], x["correction"], x["referencePeriod"]) for x in now_a["lines"]] == [
        ("VOID_ISSUE", -points_a, True, "2026-04")]
    closed_april = (await admin(STATEMENT, program=program, partner="A", period="2026-04")).ok()["partnerStatement"]
    assert closed_april["status"] == "CLOSED" and closed_april["totals"] == stmt_a["totals"]
    assert closed_april["invoiceNumber"] == closed["invoices"][0]["number"]

    # then the invoice downloads as a PDF carrying its number and total, and as CSV
    invoice = closed["invoices"][0]
    async with httpx.AsyncClient(base_url=platform.url, headers={"authorization": f"Bearer {ADMIN_TOKEN}"}) as http:
        pdf = await http.get(invoice["pdfUrl"])
        csv_doc = await http.get(invoice["csvUrl"])
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages)
    assert invoice["number"] in text and invoice["amountDue"] in text and invoice["totals"]["netValue"] in text
    assert csv_doc.status_code == 200 and f"Amount due,{invoice['amountDue']}" in csv_doc.text

    # and the liability report sees the member's remaining points
    reports = (await admin(REPORTS, program=program)).ok()
    assert reports["partnerLiability"]["totalPoints"] == points_b
    assert reports["partnerBreakage"]["totalPoints"] == 0


async def test_bad_billing_input_gets_clear_errors(admin):
    program = await new_program(admin)
    await partners_with_cards(admin, program)
    overlap = await admin(CREATE_CARD, program=program, partner="A", segment=None, **{"from": "2026-06-01"},
                          to="2026-06-30", issue="0.01")
    assert overlap.codes == ["RATE_CARD_OVERLAP"] and "overlaps" in overlap.errors[0]["message"]
    negative = await admin(CREATE_CARD, program=program, partner="A", segment=None, **{"from": "2020-01-01"},
                           to="2020-12-31", issue="-0.5")
    assert negative.codes == ["INVALID_INPUT"] and negative.errors[0]["extensions"]["field"] == "issueRate"
    unknown = await admin(CREATE_CARD, program=program, partner="NOPE", segment=None, **{"from": "2026-01-01"},
                          to=None, issue="0.01")
    assert unknown.codes == ["NOT_FOUND"] and "NOPE" in unknown.errors[0]["message"]
    duplicate = await admin(CREATE_PARTNER, program=program, code="A", segment=None, location="A-9")
    assert duplicate.codes == ["DUPLICATE_PARTNER"]
    bad_period = await admin(STATEMENTS, program=program, period="2026/04")
    assert bad_period.codes == ["INVALID_INPUT"]
    future = await admin(CLOSE, program=program, period="2999-01")
    assert future.codes == ["PERIOD_NOT_ENDED"]


async def test_billing_permissions(platform, admin):
    program = await new_program(admin)
    other = await new_program(admin)
    await partners_with_cards(admin, program)
    finance = staff(platform, program, ["billing.read"])
    stranger = staff(platform, other, ["billing.read", "billing.manage", "billing.close"])
    try:
        assert (await finance(STATEMENTS, program=program, period="2026-01")).ok()
        refused = await finance(CREATE_CARD, program=program, partner="A", segment=None, **{"from": "2030-01-01"},
                                to=None, issue="0.01")
        assert refused.codes == ["FORBIDDEN"]
        assert (await finance(CLOSE, program=program, period="2026-01")).codes == ["FORBIDDEN"]
        assert (await stranger(STATEMENTS, program=program, period="2026-01")).codes == ["FORBIDDEN"]
        assert (await stranger(CLOSE, program=program, period="2026-01")).codes == ["FORBIDDEN"]
    finally:
        await finance.aclose()
        await stranger.aclose()
    async with httpx.AsyncClient(base_url=platform.url) as http:
        assert (await http.get(f"/billing/{program}/invoices/X-000001.pdf")).status_code == 401
        token = jwt.encode({"sub": "x", "aud": "loyalty", "programs": [other], "permissions": ["billing.read"],
                            "exp": dt.datetime.now(dt.timezone.utc) + dt.timedelta(minutes=5)}, JWT_SECRET,
                           algorithm="HS256")
        denied = await http.get(f"/billing/{program}/invoices/X-000001.pdf", headers={"authorization": f"Bearer {token}"})
        assert denied.status_code == 403
        missing = await http.get(f"/billing/{program}/invoices/X-000001.pdf",
                                 headers={"authorization": f"Bearer {ADMIN_TOKEN}"})
        assert missing.status_code == 404


ADMIN_QUERIES = """
query($program: String!) {
  partners(program: $program, status: "SUSPENDED") { code status contacts { email } locations { code } }
  partner(program: $program, code: "B") { code segmentCode }
  partnerSegments(program: $program) { code partnerCodes }
  rateCards(program: $program, partnerCode: "B") { segmentCode issueRate validTo }
  partnerInvoices(program: $program) { number }
}"""
UPDATE_PARTNER = """
mutation($program: String!) {
  updatePartner(input: {program: $program, code: "A", status: "SUSPENDED",
                        locations: [{code: "A-2", name: "Airport"}]}) { code name status locations { code } }
}"""
SET_POINT_VALUE = """
mutation($program: String!) { setPointValue(input: {program: $program, pointValue: "0.004", currency: "EUR"}) }
"""


async def test_partner_administration_through_graphql(admin):
    program = await new_program(admin)
    await partners_with_cards(admin, program)
    updated = (await admin(UPDATE_PARTNER, program=program)).ok()["updatePartner"]
    assert updated == {"code": "A", "name": "Partner", "status": "SUSPENDED", "locations": [{"code": "A-2"}]}
    assert (await admin(SET_POINT_VALUE, program=program)).ok()["setPointValue"] == "0.004"
    found = (await admin(ADMIN_QUERIES, program=program)).ok()
    assert found["partners"] == [{"code": "A", "status": "SUSPENDED", "contacts": [{"email": "finance@partner.example"}],
                                  "locations": [{"code": "A-2"}]}]
    assert found["partner"] == {"code": "B", "segmentCode": "FUEL"}
    assert found["partnerSegments"] == [{"code": "FUEL", "partnerCodes": ["B"]}]
    assert found["rateCards"] == [{"segmentCode": "FUEL", "issueRate": "0.020000", "validTo": None}]
    assert found["partnerInvoices"] == []
