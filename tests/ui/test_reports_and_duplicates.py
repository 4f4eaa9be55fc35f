"""Reports (a chart, its table and its CSV each; partner billing with close period and the invoice
downloads) and the likely duplicates queue with its merge screen, in the browser against the API."""

import csv
import io
import re
import time

import pytest
from playwright.sync_api import expect

from tests.ui.conftest import balance, earn, new_program, screenshot, sign_in, unique

pytestmark = pytest.mark.ui

PARTNER = """mutation($p: String!) { createPartner(input: {program: $p, code: "A", name: "Cafe Partner",
  locations: [{code: "A-1", name: "Main store"}]}) { code } }"""
CARD = """mutation($p: String!) { createRateCard(input: {program: $p, partnerCode: "A", validFrom: "2026-01-01",
  issueRate: "0.01", redeemRate: "0.005", currency: "EUR"}) { id } }"""
PARTNER_EARN = """mutation($p: String!, $n: String!) { earn(input: {program: $p, loyaltyNumber: $n, amount: "120.00",
  currency: "EUR", reference: "pos-a", partnerCode: "A", occurredAt: "2026-04-10T10:00:00+02:00"}) { pointsEarned } }"""
STATEMENT = """query($p: String!) { partnerStatement(program: $p, partnerCode: "A", period: "2026-04") {
  totals { lineCount } } }"""
ENROLL = """mutation($p: String!, $e: String!) { enroll(input: {program: $p, email: $e, firstName: "Ana",
  lastName: "Duplicada", zip: "28001"}) { member { loyaltyNumber } } }"""


def csv_rows(download) -> list[dict]:
    return list(csv.DictReader(io.StringIO(open(download.value.path(), encoding="utf-8").read())))


def test_reports_chart_table_csv_and_partner_billing_close(page, app_url, api):
    program = new_program(api)
    api(PARTNER, p=program)
    api(CARD, p=program)
    number = api(ENROLL, p=program, e=f"{unique('r')}@example.com")["enroll"]["member"]["loyaltyNumber"]
    api(PARTNER_EARN, p=program, n=number)
    earn(api, program, number, "30.00")
    for _ in range(200):  # the statement is fed by the ledger's events
        if api(STATEMENT, p=program)["partnerStatement"]["totals"]["lineCount"] == 1:
            break
        time.sleep(0.1)

    sign_in(page, app_url, program=program, next_path="/admin/reports")
    expect(page.get_by_test_id("report-liability").get_by_test_id("report-chart")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_test_id("report-csv").click()
    assert csv_rows(download) == [{"expiryMonth": "never", "points": "150"}]
    screenshot(page, "reports")

    page.get_by_role("tab", name="Breakage").click()
    expect(page).to_have_url(re.compile(r"report=breakage"))
    expect(page.get_by_test_id("report-breakage")).to_be_visible()
    page.get_by_role("tab", name="Rewards").click()
    expect(page.get_by_test_id("report-rewards")).to_be_visible()
    page.get_by_role("tab", name="Tier movement").click()
    expect(page.get_by_text("No tier slabs in this program.")).to_be_visible()

    page.goto(f"{app_url}/admin/reports?report=partners&month=2026-04")
    billing = page.get_by_test_id("report-partner-statements-2026-04")
    expect(billing.get_by_test_id("report-table")).to_contain_text("Cafe Partner")
    expect(billing.get_by_test_id("report-chart")).to_be_visible()
    expect(page.get_by_test_id("period-status")).to_have_text("open")
    page.on("dialog", lambda d: d.accept())
    page.get_by_test_id("close-period").click()
    expect(page.get_by_test_id("period-status")).to_have_text("closed")
    invoices = page.get_by_test_id("invoices")
    expect(invoices).to_contain_text("A")
    screenshot(page, "partner-billing")
    number_text = invoices.locator("tbody tr td").first.inner_text()
    with page.expect_download() as download:
        invoices.get_by_role("button", name="CSV").click()
    assert number_text in open(download.value.path(), encoding="utf-8").read()
    with page.expect_download() as download:
        invoices.get_by_role("button", name="PDF").click()
    assert open(download.value.path(), "rb").read(4) == b"%PDF"


def test_the_duplicates_queue_and_the_merge_screen(page, app_url, api):
    program = new_program(api)
    first = api(ENROLL, p=program, e=f"{unique('ana')}@example.com")["enroll"]["member"]["loyaltyNumber"]
    second = api(ENROLL, p=program, e=f"{unique('ana.d')}@example.com")["enroll"]["member"]["loyaltyNumber"]
    earn(api, program, first, "10.00")
    earn(api, program, second, "25.00")

    sign_in(page, app_url, program=program, next_path="/admin/duplicates")
    queue = page.get_by_test_id("duplicates")
    expect(queue).to_contain_text("same_name_zip")
    page.get_by_label("Search duplicates").fill("nobody-like-this")
    page.get_by_role("button", name="Filter").click()
    expect(page).to_have_url(re.compile(r"q=nobody"))
    expect(page.get_by_test_id("empty")).to_be_visible()
    page.go_back()
    queue.get_by_role("link", name="Compare").click()
    screen = page.get_by_test_id("merge-screen")
    expect(screen).to_contain_text("Duplicada")
    screenshot(page, "merge")
    screen.get_by_label(re.compile(f"^{second}")).check()
    screen.get_by_label("Reason").fill("same person, two cards")
    screen.get_by_role("button", name=f"Merge {first} into {second}").click()
    expect(page).to_have_url(re.compile(rf"/admin/members/{second}"))
    expect(page.get_by_test_id("available-points")).to_have_text("35")
    assert balance(api, program, second) == 35
